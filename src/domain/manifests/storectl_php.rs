//! What a container that runs the store's WordPress gets of storectl's PHP files: the
//! health endpoint, and while mail is on the mail plugin and the SMTP settings.

use k8s_openapi::api::core::v1::{EnvVar, Volume, VolumeMount};

use super::{health, mail};
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;

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
