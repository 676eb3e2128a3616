//! The store's resources against each other, as the API server and its admission would
//! judge them: volumes larger than zero, each request within its limit (also a limit the
//! LimitRange fills in), and everything the store runs at once within its quota.
//! Each failure is (dotted key, why), like every other check.

use std::collections::BTreeMap;

use super::model::{Config, Isolation, Quantity, Resources};

use super::keys::Failure;

pub fn check(c: &Config) -> Result<(), Failure> {
    for (key, q) in [
        ("wordpress.storage", &c.wordpress.storage),
        ("mysql.storage", &c.mysql.storage),
    ] {
        if q.value() <= 0.0 {
            return Err(Failure::new(
                key.to_string(),
                format!(
                    "'{}' is no space at all: a volume needs a size above zero, like 10Gi",
                    q.0
                ),
            ));
        }
    }
    let per_store = c.stores.isolation == Isolation::Namespace;
    let range = (per_store && c.limit_range.enabled).then_some(&c.limit_range);
    if let Some(range) = range {
        within_limits(
            "limitRange.defaultRequest",
            &range.default_request,
            &range.default,
            "limitRange.default",
        )?;
    }
    let components = [
        ("wordpress", &c.wordpress.resources),
        ("mysql", &c.mysql.resources),
        ("setup", &c.setup.resources),
        ("runner", &c.runner.resources),
    ];
    for (name, r) in components {
        let effective = effective(r, range);
        within_limits(
            &format!("{name}.resources.requests"),
            &effective.requests,
            &effective.limits,
            &format!("{name}.resources.limits (or limitRange.default)"),
        )?;
    }
    if per_store && c.quota.enabled {
        within_quota(c, range)?;
    }
    Ok(())
}

/// Every request no larger than the limit of the same resource.
fn within_limits(
    requests_key: &str,
    requests: &BTreeMap<String, Quantity>,
    limits: &BTreeMap<String, Quantity>,
    limits_key: &str,
) -> Result<(), Failure> {
    for (resource, request) in requests {
        if let Some(limit) = limits.get(resource)
            && request.value() > limit.value()
        {
            return Err(Failure::new(
                format!("{requests_key}.{resource}"),
                format!(
                    "the request {} is above the limit {} ({limits_key}.{resource}); the API server refuses a request larger than its limit",
                    request.0, limit.0
                ),
            ));
        }
    }
    Ok(())
}

/// A container's resources once the LimitRange has filled in what it leaves out, and a
/// request defaulted to its limit where only the limit is given (as admission does).
fn effective(r: &Resources, range: Option<&super::model::LimitRange>) -> Resources {
    let mut out = r.clone();
    if let Some(range) = range {
        for (k, v) in &range.default {
            out.limits.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    for (k, v) in &out.limits {
        if !r.requests.contains_key(k) {
            let request = range
                .and_then(|range| range.default_request.get(k))
                .filter(|_| !r.limits.contains_key(k))
                .unwrap_or(v);
            out.requests.insert(k.clone(), request.clone());
        }
    }
    out
}

/// What the store runs at the same time, against `quota.hard`: both volumes, and the
/// three pods (WordPress with its cron runner, MySQL, the setup Job), each counted at the
/// larger of its init container and its containers together, as the quota does.
fn within_quota(c: &Config, range: Option<&super::model::LimitRange>) -> Result<(), Failure> {
    let setup = effective(&c.setup.resources, range);
    // MySQL; WordPress's pod, its container and the cron runner's (counted as the sum,
    // as if above its init container's); the setup Job.
    let pods = [
        effective(&c.mysql.resources, range),
        effective(&c.wordpress.resources, range),
        effective(&c.runner.resources, range),
        setup.clone(),
    ];
    let sum = |pick: fn(&Resources) -> &BTreeMap<String, Quantity>, resource: &str| -> f64 {
        pods.iter()
            .filter_map(|p| pick(p).get(resource))
            .map(Quantity::value)
            .sum()
    };
    let storage = c.wordpress.storage.value() + c.mysql.storage.value();
    let mut needs: Vec<(&str, f64, String)> = vec![
        (
            "requests.storage",
            storage,
            format!(
                "the volumes need {} + {} =",
                c.wordpress.storage.0, c.mysql.storage.0
            ),
        ),
        (
            "persistentvolumeclaims",
            2.0,
            "a store has 2 volumes".into(),
        ),
        ("services", 2.0, "a store has 2 services".into()),
        (
            "pods",
            3.0,
            "WordPress, MySQL and the setup Job run at once".into(),
        ),
    ];
    // What the three pods ask for, under each quota key that counts it.
    for (keys, side, resource) in [
        (&["requests.cpu", "cpu"][..], "requests", "cpu"),
        (&["requests.memory", "memory"][..], "requests", "memory"),
        (&["limits.cpu"][..], "limits", "cpu"),
        (&["limits.memory"][..], "limits", "memory"),
    ] {
        let pick: fn(&Resources) -> &BTreeMap<String, Quantity> = if side == "requests" {
            |r| &r.requests
        } else {
            |r| &r.limits
        };
        let need = sum(pick, resource);
        for key in keys {
            needs.push((
                key,
                need,
                format!("the {resource} {side} of its 3 pods add up to"),
            ));
        }
    }
    for (resource, need, what) in needs {
        let Some(hard) = c.quota.hard.get(resource) else {
            continue;
        };
        // A hair of slack for binary/decimal rounding.
        if need > hard.value() * (1.0 + 1e-9) {
            return Err(Failure::new(
                format!("quota.hard.{resource}"),
                format!(
                    "{} leaves too little: {what} {}; the store would be refused part of what it needs",
                    hard.0,
                    human(resource, need)
                ),
            ));
        }
    }
    Ok(())
}

/// An amount the way it was probably written: cores with millis, bytes in Mi/Gi.
fn human(resource: &str, amount: f64) -> String {
    const GI: f64 = 1024.0 * 1024.0 * 1024.0;
    if resource.ends_with("cpu") {
        format!("{}m", (amount * 1000.0).round())
    } else if resource.ends_with("memory") || resource.ends_with("storage") {
        if amount >= GI {
            format!("{:.2}Gi", amount / GI)
        } else {
            format!("{}Mi", (amount / (1024.0 * 1024.0)).round())
        }
    } else {
        format!("{amount}")
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::config::tests::refusal;
    use crate::domain::config::{Sources, load};

    #[test]
    fn the_defaults_fit_their_own_quota() {
        assert!(load(&Sources::default()).is_ok());
    }

    #[test]
    fn a_volume_of_zero_is_refused() {
        assert_eq!(
            refusal(&["wordpress.storage=0"]),
            "wordpress.storage (set in --set wordpress.storage=0): '0' is no space at all: a volume needs a size above zero, like 10Gi"
        );
    }

    #[test]
    fn a_request_above_its_limit_is_refused() {
        assert_eq!(
            refusal(&["mysql.resources.requests.cpu=2"]),
            "mysql.resources.requests.cpu (set in --set mysql.resources.requests.cpu=2): the request 2 is above the limit 1 (mysql.resources.limits (or limitRange.default).cpu); the API server refuses a request larger than its limit"
        );
        // A request with no limit meets the LimitRange's default limit.
        let msg = refusal(&[
            "setup.resources.limits=null",
            "setup.resources.requests.memory=1Gi",
        ]);
        assert!(
            msg.contains("the request 1Gi is above the limit 512Mi"),
            "{msg}"
        );
    }

    #[test]
    fn volumes_and_requests_must_fit_the_quota() {
        let msg = refusal(&["wordpress.storage=25Gi"]);
        assert_eq!(
            msg,
            "quota.hard.requests.storage (set in the built-in defaults): 30Gi leaves too little: the volumes need 25Gi + 10Gi = 35.00Gi; the store would be refused part of what it needs"
        );
        let msg = refusal(&["quota.hard.requests\\.memory=512Mi"]);
        assert_eq!(
            msg,
            "quota.hard.requests.memory (set in --set quota.hard.requests\\.memory=512Mi): 512Mi leaves too little: the memory requests of its 3 pods add up to 960Mi; the store would be refused part of what it needs"
        );
        // In shared mode there is no quota to fit.
        assert!(
            load(&Sources {
                sets: vec![
                    "stores.isolation=shared".into(),
                    "wordpress.storage=25Gi".into()
                ],
                ..Sources::default()
            })
            .is_ok()
        );
    }
}
