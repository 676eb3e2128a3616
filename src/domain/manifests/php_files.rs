//! storectl's own PHP files in the store: each set in a ConfigMap of the store, mounted
//! read-only; and what a container that runs the store's WordPress gets of them (the
//! health endpoint, and while mail is on the mail plugin and the SMTP settings).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, ConfigMapVolumeSource, EnvVar, Volume, VolumeMount};

use super::{health, mail, meta};
use crate::domain::config::Config;
use crate::domain::layout::{Component, StoreLayout};

/// The store's ConfigMap `name` holding storectl's PHP `files` (file name, source).
pub(super) fn php_config_map(
    layout: &StoreLayout,
    name: String,
    files: &[(&str, &str)],
) -> ConfigMap {
    ConfigMap {
        metadata: meta(layout, name, Some(Component::WordPress)),
        data: Some(
            files
                .iter()
                .map(|(file, source)| ((*file).to_string(), (*source).to_string()))
                .collect::<BTreeMap<_, _>>(),
        ),
        ..ConfigMap::default()
    }
}

/// The pod's volume `volume` of the ConfigMap `config_map`: read-only and world-readable
/// (PHP runs as www-data, or as any user under the restricted level).
pub(super) fn php_volume(volume: &str, config_map: String) -> Volume {
    Volume {
        name: volume.to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map,
            default_mode: Some(0o444),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// The file `file` of such a volume at `at`, read-only.
pub(super) fn php_file_mount(volume: &str, file: &str, at: &str) -> VolumeMount {
    VolumeMount {
        name: volume.to_string(),
        mount_path: at.to_string(),
        sub_path: Some(file.to_string()),
        read_only: Some(true),
        ..VolumeMount::default()
    }
}

/// What a container that runs the store's WordPress gets of storectl's PHP files: the
/// health endpoint beside core, and while mail is on the mail plugin in `mu-plugins`
/// with the SMTP settings in the environment. The WordPress container has them, and so
/// does any other container that runs the store's WordPress code (a cron runner sends
/// WooCommerce's mail too): add `mounts` and `env` to the container, `volumes` to the pod.
pub struct StorectlPhp {
    pub mounts: Vec<VolumeMount>,
    pub volumes: Vec<Volume>,
    pub env: Vec<EnvVar>,
}

/// storectl's PHP files for a container that runs the store's WordPress ([`StorectlPhp`]).
pub fn storectl_php_mounts(layout: &StoreLayout, config: &Config) -> StorectlPhp {
    let mut php = StorectlPhp {
        mounts: vec![health::mount()],
        volumes: vec![health::volume(layout)],
        env: Vec::new(),
    };
    if config.mail.enabled() {
        php.mounts.push(mail::plugin_mount());
        php.volumes.push(mail::volume(layout));
        php.env = mail::env(layout, &config.mail);
    }
    php
}
