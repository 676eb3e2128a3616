//! The store's credentials Secret and its two PersistentVolumeClaims.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, Secret, VolumeResourceRequirements,
};

use super::meta;
use crate::domain::config::{Config, Quantity};
use crate::domain::credentials::Credentials;
use crate::domain::layout::{Component, StoreLayout};

/// `<store>-credentials`, written as `stringData` (the cluster layer encodes it).
pub fn credentials_secret(layout: &StoreLayout, credentials: &Credentials) -> Secret {
    Secret {
        metadata: meta(layout, layout.secret(), None),
        type_: Some("Opaque".to_string()),
        string_data: Some(credentials.clone().into_map()),
        ..Secret::default()
    }
}

pub fn volumes(layout: &StoreLayout, config: &Config) -> Vec<PersistentVolumeClaim> {
    vec![
        claim(layout, config, Component::MySql, &config.mysql.storage),
        claim(
            layout,
            config,
            Component::WordPress,
            &config.wordpress.storage,
        ),
    ]
}

fn claim(
    layout: &StoreLayout,
    config: &Config,
    c: Component,
    size: &Quantity,
) -> PersistentVolumeClaim {
    let class = &config.global.storage_class;
    PersistentVolumeClaim {
        metadata: meta(layout, layout.pvc(c), Some(c)),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            storage_class_name: (!class.is_empty()).then(|| class.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_string(), size.to_k8s())])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}
