//! A store's revisions, recorded in the cluster as Helm records releases: one ConfigMap
//! per revision (`<store>-revision-<n>`, the last ten kept) holding the effective
//! configuration the store was made or last changed with, when, by whom, by which
//! storectl and what changed. Later changes start from what the store has, not from the
//! flags typed today.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;

use super::config::{self, Config, ConfigError, EnvVars, Sources, ValuesText};
use super::layout::StoreLayout;
use super::ownership::marked_for;
use crate::domain::labels::REVISION_LABEL;

/// How many revisions a store keeps.
pub const KEEP: usize = 10;

/// The key of the recorded configuration in a revision ConfigMap.
pub const VALUES: &str = "values.yaml";
const RECORDED: &str = "recorded";
const USER: &str = "user";
const STORECTL: &str = "storectl";
const CHANGE: &str = "change";

/// One revision, without its configuration (what `history` shows).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Revision {
    pub revision: u32,
    /// RFC 3339.
    pub recorded: String,
    pub user: String,
    pub storectl: String,
    pub change: String,
}

/// The ConfigMap recording `revision` of the store with `config`.
pub fn to_config_map(layout: &StoreLayout, revision: &Revision, config: &Config) -> ConfigMap {
    let mut labels = layout.labels(None);
    labels.insert(REVISION_LABEL.to_string(), revision.revision.to_string());
    let values = serde_yaml_ng::to_string(config).unwrap_or_default();
    ConfigMap {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some(name(layout, revision.revision)),
            namespace: Some(layout.namespace.clone()),
            labels: Some(labels),
            annotations: Some(layout.annotations()),
            ..Default::default()
        },
        data: Some(BTreeMap::from([
            (VALUES.to_string(), values),
            (RECORDED.to_string(), revision.recorded.clone()),
            (USER.to_string(), revision.user.clone()),
            (STORECTL.to_string(), revision.storectl.clone()),
            (CHANGE.to_string(), revision.change.clone()),
        ])),
        ..Default::default()
    }
}

pub fn name(layout: &StoreLayout, revision: u32) -> String {
    format!("{}-revision-{revision}", layout.name())
}

/// What a revision ConfigMap of store `store` says of itself; None for a ConfigMap that
/// is not one, or that lacks storectl's mark for the store (anyone who may write a
/// ConfigMap could have made it: it is not storectl's record).
pub fn from_config_map(map: &ConfigMap, store: &str) -> Option<Revision> {
    if !marked_for(&map.metadata, store) {
        return None;
    }
    let revision = number(map)?;
    let data = map.data.as_ref()?;
    let field = |key: &str| data.get(key).cloned().unwrap_or_default();
    Some(Revision {
        revision,
        recorded: field(RECORDED),
        user: field(USER),
        storectl: field(STORECTL),
        change: field(CHANGE),
    })
}

fn number(map: &ConfigMap) -> Option<u32> {
    map.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)?
        .parse()
        .ok()
}

/// The recorded configuration `recorded` with every setting that says where storectl
/// writes outside the store taken from the operator's configuration `operator` instead:
/// the platform (its namespace), and the backup target with its credentials, the
/// target server's image and volume, and the backup Jobs' image (the Jobs hold the
/// target's credentials). A revision ConfigMap sits in the store's namespace, where
/// others may write; only how often and how many backups (`backup.schedule`,
/// `backup.keep`) stay the store's own.
pub fn where_the_operator_says(mut recorded: Config, operator: &Config) -> Config {
    let (schedule, keep) = (recorded.backup.schedule, recorded.backup.keep);
    recorded.platform = operator.platform.clone();
    recorded.backup = operator.backup.clone();
    recorded.backup.schedule = schedule;
    recorded.backup.keep = keep;
    recorded
}

/// The configuration a revision recorded, checked as any values file is.
pub fn config_of(map: &ConfigMap) -> Result<Config, ConfigError> {
    let text = map
        .data
        .as_ref()
        .and_then(|d| d.get(VALUES))
        .cloned()
        .unwrap_or_default();
    let origin = format!("revision {} of the store", number(map).unwrap_or(0));
    config::load(&Sources {
        files: vec![ValuesText::new(origin, text)],
        env: EnvVars::default(),
        ..Sources::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::config::tests::sources_with;
    use crate::domain::labels::MARK_LABEL;
    use crate::domain::name::StoreName;

    #[test]
    fn a_recorded_configuration_reads_back_as_the_same_configuration() {
        let config = config::load(&sources_with(&[
            "global.domain=shops.example.com",
            "wordpress.storage=5Gi",
            "stores.failureGrace=45s",
            "quota.hard.pods=12",
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let name = StoreName::parse("shop", "store-").unwrap_or_else(|e| panic!("{e}"));
        let layout = StoreLayout::new(&name, &config);
        let revision = Revision {
            revision: 3,
            recorded: "2026-11-26T08:00:00Z".to_string(),
            user: "alice".to_string(),
            storectl: "0.1.0".to_string(),
            change: "created".to_string(),
        };
        let map = to_config_map(&layout, &revision, &config);
        assert_eq!(map.metadata.name.as_deref(), Some("shop-revision-3"));
        assert_eq!(from_config_map(&map, "shop"), Some(revision));
        // Without storectl's mark for this store, it is no revision of it.
        assert_eq!(from_config_map(&map, "shop-two"), None);
        let mut unmarked = map.clone();
        unmarked
            .metadata
            .labels
            .get_or_insert_default()
            .remove(MARK_LABEL);
        assert_eq!(from_config_map(&unmarked, "shop"), None);
        assert_eq!(config_of(&map).unwrap_or_else(|e| panic!("{e}")), config);
    }

    #[test]
    fn where_storectl_writes_is_the_operators_to_say_not_a_revisions() {
        let planted = config::load(&sources_with(&[
            "platform.namespace=kube-system",
            "backup.target=s3",
            "backup.s3.credentialsSecret=stolen",
            "backup.s3.endpoint=https://evil.example",
            "backup.s3.bucket=evil",
            "backup.cluster.image=evil/img",
            "backup.image=evil/jobs",
            "backup.prefix=other/",
            "backup.schedule=0 3 * * *",
            "backup.keep=2",
            "wordpress.storage=5Gi",
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let operator = config::load(&sources_with(&["platform.namespace=platform"]))
            .unwrap_or_else(|e| panic!("{e}"));
        let taken = where_the_operator_says(planted.clone(), &operator);
        assert_eq!(taken.platform, operator.platform);
        let mut expected_backup = operator.backup.clone();
        expected_backup.schedule = "0 3 * * *".to_string();
        expected_backup.keep = 2;
        assert_eq!(taken.backup, expected_backup);
        // The store's own settings stay as recorded.
        assert_eq!(taken.wordpress, planted.wordpress);
    }
}
