//! WordPress's readiness check: a PHP file storectl owns (`assets/wordpress/
//! storectl-health.php`), put into the store as a ConfigMap and mounted read-only into
//! the WordPress container beside core, off the volume. The readiness probe asks it over
//! HTTP, so Ready means Apache runs PHP and PHP reaches the database with the store's
//! settings; no WordPress code (no tenant plugin) runs in it.

use k8s_openapi::api::core::v1::{ConfigMap, HTTPGetAction, Probe, Volume, VolumeMount};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::php_files::{php_config_map, php_file_mount, php_volume};
use crate::domain::layout::{Component, StoreLayout};

/// The endpoint's source, the one copy both the store and the tests serve.
pub const HEALTH_PHP: &str = include_str!("../../../assets/wordpress/storectl-health.php");
/// The file's name: its key in the ConfigMap and its name under `/var/www/html` (core).
pub const HEALTH_FILE: &str = "storectl-health.php";
/// The probe's path (Apache serves `/var/www/html`).
pub const HEALTH_PATH: &str = "/storectl-health.php";
/// Where the file is in the container: core's folder and [`HEALTH_PATH`].
pub const HEALTH_MOUNT: &str = "/var/www/html/storectl-health.php";
const VOLUME: &str = "storectl-health";

/// The ConfigMap holding the endpoint, `<store>-wordpress-health`.
pub fn config_map(layout: &StoreLayout) -> ConfigMap {
    php_config_map(layout, name(layout), &[(HEALTH_FILE, HEALTH_PHP)])
}

fn name(layout: &StoreLayout) -> String {
    format!("{}-health", layout.workload(Component::WordPress))
}

/// The pod's volume of that ConfigMap.
pub(super) fn volume(layout: &StoreLayout) -> Volume {
    php_volume(VOLUME, name(layout))
}

/// The one file at `/var/www/html/storectl-health.php`, read-only.
pub(super) fn mount() -> VolumeMount {
    php_file_mount(VOLUME, HEALTH_FILE, HEALTH_MOUNT)
}

/// Ready while the endpoint answers 200: PHP runs and `SELECT 1` succeeds. Not a
/// liveness check: a database outage must not restart WordPress.
pub(super) fn readiness() -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(HEALTH_PATH.to_string()),
            port: IntOrString::String("http".to_string()),
            ..HTTPGetAction::default()
        }),
        initial_delay_seconds: Some(5),
        period_seconds: Some(10),
        timeout_seconds: Some(5),
        ..Probe::default()
    }
}
