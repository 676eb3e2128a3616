//! Upgrading one store: its objects re-rendered from a new configuration and applied over
//! the live ones (server-side apply, manager `storectl`). Before anything changes, every
//! object present must be the store's own, no volume may shrink or change its storage
//! class, and the API server must accept a dry run: a refused upgrade changes nothing.
//! The Secret is never replaced, the setup Job left as it ran. The Deployments are then
//! annotated with the next revision, a new image starts a database upgrade Job, and only
//! then is the configuration recorded as that revision (an interrupted upgrade is done
//! again in full by the same command).

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PropagationPolicy};
use serde_json::json;

use super::apply;
use super::audit;
use super::connect::Connection;
use super::diff;
use super::error::ClusterError;
use super::revisions;
pub use super::upgrade_error::UpgradeError;
use super::volumes::{check_expansion, check_mounts, check_volume};
use crate::domain::config::Config;
use crate::domain::credentials::Credentials;
use crate::domain::diff::ObjectDiff;
use crate::domain::inventory::StoreObjects;
use crate::domain::labels::{APPLIED_ANNOTATION, REVISION_ANNOTATION};
use crate::domain::layout::{Component, DATABASE_UPGRADE, StoreLayout};
use crate::domain::manifests::{self, Manifest};
use crate::domain::ownership::{Owner, owner};
use crate::domain::revision::Revision;
use crate::domain::upgrade;

/// The field manager of the revision annotations (apart from `storectl`'s, so a re-apply
/// of the rendered objects neither removes them nor shows them as a difference).
pub const REVISION_MANAGER: &str = "storectl-revision";

/// An upgrade checked and dry-run, not yet applied.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub layout: StoreLayout,
    /// What will be applied: the rendered objects but the Secret, the setup Job and a
    /// shared namespace.
    objects: Vec<Manifest>,
    /// What the new configuration no longer has (an ingress, quota, policy or backup
    /// schedule turned off) and exists, storectl's: deleted after the apply.
    dropped: Vec<Manifest>,
    /// What applying them changes, as the API server's dry run says.
    pub changes: Vec<ObjectDiff>,
}

/// What applying did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub revision: Revision,
    /// Each Deployment and its generation once the new revision was applied: the store
    /// runs the revision once the watched Deployments have observed these.
    pub generations: Vec<Generation>,
    /// The database upgrade Job started, if the images changed.
    pub database_job: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub deployment: String,
    pub generation: i64,
}

/// Checks that `store` may become `target` and dry-runs it; changes nothing.
pub async fn prepare(
    conn: &Connection,
    layout: &StoreLayout,
    store: &StoreObjects,
    from: &Config,
    target: &Config,
) -> Result<Prepared, UpgradeError> {
    let rendered = manifests::render(layout, target, &Credentials::placeholder());
    let wanted: Vec<String> = rendered.iter().map(Manifest::reference).collect();
    let no_longer: Vec<Manifest> = manifests::render(layout, from, &Credentials::placeholder())
        .into_iter()
        .filter(|m| !wanted.contains(&m.reference()))
        .collect();
    let (present, dropped) = futures::join!(
        apply::present_objects(conn, layout, &rendered),
        apply::present_objects(conn, layout, &no_longer)
    );
    let (present, dropped) = (present?, dropped?);
    for p in present.iter().chain(&dropped) {
        if let Owner::Foreign(manager) = owner(&p.meta, layout, true) {
            return Err(UpgradeError::NotOurs {
                object: p.manifest.reference(),
                manager,
            });
        }
        if p.meta.deletion_timestamp.is_some() {
            return Err(UpgradeError::BeingDeleted {
                name: layout.name().to_string(),
            });
        }
    }
    let has_secret = present
        .iter()
        .any(|p| matches!(p.manifest, Manifest::Secret(_)));
    if !has_secret {
        return Err(UpgradeError::NoCredentials {
            name: layout.name().to_string(),
            secret: layout.secret(),
            keys: Credentials::placeholder()
                .into_map()
                .into_keys()
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    for manifest in &rendered {
        if let Manifest::PersistentVolumeClaim(wanted) = manifest
            && let Some(growth) = check_volume(store, wanted)?
        {
            check_expansion(conn, growth).await?;
        }
    }
    let objects: Vec<Manifest> = rendered
        .into_iter()
        .filter(|m| match m {
            Manifest::Secret(_) | Manifest::Job(_) => false,
            Manifest::Namespace(_) => layout.owns_namespace,
            _ => true,
        })
        .collect();
    let mut changes = diff::diff(conn, &objects).await?;
    check_mounts(layout, &changes)?;
    changes.extend(dropped.iter().map(|p| ObjectDiff {
        object: p.manifest.reference(),
        change: "delete",
        fields: Vec::new(),
    }));
    Ok(Prepared {
        layout: layout.clone(),
        objects,
        dropped: dropped.into_iter().map(|p| p.manifest.clone()).collect(),
        changes,
    })
}

/// Applies a prepared upgrade from `from` (revision `from_revision`) to `to`, records `to`
/// as the next revision (`from` first as revision 1 where none is), saying `change`.
pub async fn apply(
    conn: &Connection,
    prepared: &Prepared,
    from_revision: Option<u32>,
    from: &Config,
    to: &Config,
    change: &str,
) -> Result<Applied, UpgradeError> {
    let layout = &prepared.layout;
    remove_finished_database_jobs(conn, layout).await?;
    if from_revision.is_none() {
        revisions::record(conn, layout, from, "recorded at its first upgrade").await?;
    }
    // What pods need: the SMTP password; the backup target for the schedule's Jobs.
    super::mail::copy_password(conn, layout, to)
        .await
        .map_err(|e| UpgradeError::Mail(e.to_string()))?;
    if !to.backup.schedule.is_empty() {
        super::backups::prepare_target(conn, layout, to)
            .await
            .map_err(|e| UpgradeError::Backups(e.to_string()))?;
    }
    // The dry run already said which Deployments leave RollingUpdate.
    for change in &prepared.changes {
        let drops_rolling_update = change
            .fields
            .iter()
            .any(|f| f.path.starts_with("spec.strategy.rollingUpdate") && f.to.is_null());
        if let Some(name) = change.object.strip_prefix("Deployment/")
            && drops_rolling_update
        {
            leave_rolling_update(conn, &layout.namespace, name).await?;
        }
    }
    // The namespace first, storectl's binding in it, then what pods need, then what
    // makes pods.
    let (first, rest): (Vec<&Manifest>, Vec<&Manifest>) = prepared
        .objects
        .iter()
        .partition(|m| matches!(m, Manifest::Namespace(_)));
    let (binding, rest): (Vec<&Manifest>, Vec<&Manifest>) =
        rest.into_iter().partition(|m| m.is_writer_binding());
    let (last, middle): (Vec<&Manifest>, Vec<&Manifest>) = rest.into_iter().partition(|m| {
        matches!(
            m,
            Manifest::Deployment(_)
                | Manifest::RoleBinding(_)
                | Manifest::CronJob(_)
                | Manifest::Ingress(_)
        )
    });
    for wave in [first, binding, middle, last] {
        futures::future::try_join_all(wave.into_iter().map(|m| apply::apply_one(conn, m))).await?;
    }
    futures::future::try_join_all(prepared.dropped.iter().map(|m| apply::delete_one(conn, m)))
        .await?;
    // Everything the revision does comes before it is recorded: a rollout skips a store
    // whose latest revision is its target, so a revision recorded before its database
    // upgrade Job existed would never get one once storectl was interrupted there.
    let next = revisions::next(conn, layout).await?;
    let number = next.number();
    let generations = annotate(conn, layout, number).await?;
    let database_job = if upgrade::needs_database_upgrade(from, to) {
        let job = manifests::database_upgrade_job(layout, to, number);
        apply::apply_one(conn, &Manifest::Job(job)).await?;
        Some(layout.database_upgrade_job(number))
    } else {
        None
    };
    let revision = next.record(conn, to, change).await?;
    let detail = format!(" to revision {} ({change})", revision.revision);
    audit::record(conn, layout, audit::Change::Upgraded, &detail).await;
    Ok(Applied {
        revision,
        generations,
        database_job,
    })
}

/// A Deployment made with RollingUpdate (the original platform's) loses its
/// `rollingUpdate` before `Recreate` is applied: server-side apply cannot remove it.
async fn leave_rolling_update(
    conn: &Connection,
    namespace: &str,
    name: &str,
) -> Result<(), ClusterError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), namespace);
    let patch = json!({"spec": {"strategy": {"type": "Recreate", "rollingUpdate": null}}});
    let params = PatchParams {
        field_manager: Some(super::objects::FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    api.patch(name, &params, &Patch::Merge(&patch))
        .await
        .map_err(conn.error(&format!("switching deployment {name} to Recreate")))?;
    Ok(())
}

/// Marks both Deployments with the revision and the time it was applied; returns their
/// generations.
async fn annotate(
    conn: &Connection,
    layout: &StoreLayout,
    revision: u32,
) -> Result<Vec<Generation>, ClusterError> {
    let api: Api<Deployment> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let params = PatchParams::apply(REVISION_MANAGER).force();
    let now = Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut out = Vec::new();
    for component in [Component::MySql, Component::WordPress] {
        let name = layout.workload(component);
        let patch = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": name,
                "annotations": {
                    REVISION_ANNOTATION: revision.to_string(),
                    APPLIED_ANNOTATION: now,
                },
            },
        });
        let applied = api
            .patch(&name, &params, &Patch::Apply(&patch))
            .await
            .map_err(conn.error(&format!("annotating deployment {name}")))?;
        out.push(Generation {
            deployment: name,
            generation: applied.metadata.generation.unwrap_or(0),
        });
    }
    Ok(out)
}

/// Earlier database upgrade Jobs go before a new revision: a failed one would otherwise
/// keep the store Failed after the fix, and one whose pod never started (an unpullable
/// image) has run nothing. One whose pod runs is a migration in flight: the upgrade is
/// refused before anything changes, never killing it.
async fn remove_finished_database_jobs(
    conn: &Connection,
    layout: &StoreLayout,
) -> Result<(), UpgradeError> {
    let api: Api<Job> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let jobs = api
        .list(&ListParams::default().labels(&layout.store_selector()))
        .await
        .map_err(conn.error("listing the store's jobs"))?;
    let prefix = format!("{}-{DATABASE_UPGRADE}-", layout.name());
    let earlier: Vec<&Job> = jobs
        .items
        .iter()
        .filter(|j| {
            j.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    if let Some(running) = earlier.iter().find(|j| in_flight(j)) {
        return Err(UpgradeError::DatabaseUpgradeRunning {
            name: layout.name().to_string(),
            job: running.metadata.name.clone().unwrap_or_default(),
        });
    }
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    for job in earlier {
        let name = job.metadata.name.clone().unwrap_or_default();
        match api.delete(&name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => return Err(conn.error(&format!("removing job {name}"))(e).into()),
        }
    }
    Ok(())
}

/// A Job whose pod runs now: it has not ended (no true Complete or Failed condition) and
/// the Job controller counts a ready pod.
fn in_flight(job: &Job) -> bool {
    let Some(status) = &job.status else {
        return false;
    };
    let ended = status
        .conditions
        .iter()
        .flatten()
        .any(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True");
    !ended && status.ready.unwrap_or(0) > 0
}

/// The revision a store's objects were applied from: every watched Deployment has
/// observed its applied generation.
pub fn runs(store: &StoreObjects, applied: &Applied) -> bool {
    applied.generations.iter().all(|g| {
        store.deployments.iter().any(|d| {
            *d.meta.name == *g.deployment
                && d.meta.generation.unwrap_or(0) >= g.generation
                && d.status
                    .as_ref()
                    .and_then(|s| s.observed_generation)
                    .unwrap_or(0)
                    >= g.generation
        })
    }) && applied
        .database_job
        .as_ref()
        .is_none_or(|job| store.jobs.iter().any(|j| *j.meta.name == **job))
}

#[cfg(test)]
mod tests;
