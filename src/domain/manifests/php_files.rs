//! storectl's own PHP files in the store: each set in a ConfigMap of the store, mounted
//! read-only, file by file.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, ConfigMapVolumeSource, Volume, VolumeMount};

use super::meta;
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
