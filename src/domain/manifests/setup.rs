//! The setup Job (WordPress installed, the pinned plugins and `setup.plugins` installed
//! and activated, permalinks) and the database upgrade Job of a revision (core's
//! database upgrade, each pinned plugin at its version, WooCommerce's database update).
//! Both run storectl's PHP, `assets/wordpress/storectl-wordpress.php`, which does that
//! work through WordPress's own PHP API, with `php` of the store's WordPress image (the
//! store's PHP and the image's core, the volume's wp-content), one process per step as
//! wp-cli would: `sh -c STEPS storectl-setup CODE` runs `php -r "$1" STEP` for each step.
//! tests/wordpress_jobs.rs runs that same command, taken from the rendered Job.
//!
//! The PHP travels in the Job's command, not in a ConfigMap as the health endpoint does:
//! a Job is immutable, so it runs exactly the code of the revision that made it, also
//! when it is retried after a later upgrade has changed what storectl renders; the
//! database upgrade Job, created by `upgrade` on its own, needs no other object applied
//! before it; and no object is added to every store. It is about 14 KB, far below the
//! size of an object (1.5 MB) or of one argument (128 KB).

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::EnvVar;

use super::jobs::{Files, ScriptJob, script_job};
use super::pod::{WORDPRESS_ROOT, plain_env, secret_env, wordpress_env};
use crate::domain::config::Config;
use crate::domain::credentials::WORDPRESS_ADMIN_PASSWORD;
use crate::domain::layout::{Component, StoreLayout};

/// The setup and database upgrade steps, the one copy the Jobs and the tests run.
pub const WORDPRESS_PHP: &str = include_str!("../../../assets/wordpress/storectl-wordpress.php");

/// Idempotent installation: safe to run again on a store that is already set up (an
/// installed WordPress and installed plugins are left as they are; each is activated).
const SETUP_STEPS: &str = r#"set -eu
php -r "$1" core-install
php -r "$1" plugins-install
php -r "$1" permalinks
php -r "$1" rewrite-rules
echo "store setup complete"
"#;

/// After a new image or pinned version: core's database upgrade, each pinned plugin at
/// exactly its version where the store's differs, then WooCommerce's database update
/// when it is active. Each step is idempotent (nothing to upgrade is a success).
const DATABASE_UPGRADE_STEPS: &str = r#"set -eu
php -r "$1" core-upgrade
php -r "$1" plugins-upgrade
php -r "$1" woocommerce-update
echo "database upgrade complete"
"#;

/// How long a finished database upgrade Job stays for its logs and status (a day).
const FINISHED_JOB_TTL_SECONDS: i32 = 86_400;

/// The PHP as `php -r` takes it: the file without its first line (`<?php`).
fn php_code() -> &'static str {
    WORDPRESS_PHP
        .split_once('\n')
        .map_or(WORDPRESS_PHP, |(_, code)| code)
}

/// `WP_PINNED_PLUGINS`: WooCommerce, then the extra plugins, as `slug=version` words
/// (slugs and versions validated: no quoting needed).
pub fn pinned_plugins(config: &Config) -> String {
    let woocommerce = &config.woocommerce;
    std::iter::once(format!("woocommerce={}", woocommerce.version))
        .chain(
            woocommerce
                .extra_plugins
                .iter()
                .map(|p| format!("{}={}", p.name, p.version)),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

/// What both Jobs read besides WordPress's settings: the store's URL, the pins and
/// where the plugins' zips are.
fn plugin_env(layout: &StoreLayout, config: &Config) -> Vec<EnvVar> {
    let scheme = if config.tls.enabled { "https" } else { "http" };
    let mut env = wordpress_env(layout, config);
    env.extend([
        plain_env("WP_URL", &format!("{scheme}://{}", layout.host)),
        plain_env("WP_PINNED_PLUGINS", &pinned_plugins(config)),
        plain_env(
            "WP_PLUGIN_SOURCE",
            config.woocommerce.source.trim_end_matches('/'),
        ),
    ]);
    env
}

pub fn setup_job(layout: &StoreLayout, config: &Config) -> Job {
    let title = if config.wordpress.title.is_empty() {
        layout.name().to_string()
    } else {
        config.wordpress.title.clone()
    };
    let mut env = plugin_env(layout, config);
    env.extend([
        plain_env("WP_TITLE", &title),
        plain_env("WP_ADMIN_USER", &config.wordpress.admin.user),
        plain_env("WP_ADMIN_EMAIL", &config.wordpress.admin.email),
        secret_env("WP_ADMIN_PASSWORD", layout, WORDPRESS_ADMIN_PASSWORD),
        plain_env("WP_PLUGINS", &config.setup.plugins.join(" ")),
    ]);
    wordpress_php_job(
        layout,
        config,
        layout.workload(Component::Setup),
        ("storectl-setup", SETUP_STEPS),
        env,
    )
}

/// The Job that upgrades the store's database after revision `revision` changed an
/// image or a pinned plugin; removed a day after it finishes.
pub fn database_upgrade_job(layout: &StoreLayout, config: &Config, revision: u32) -> Job {
    let mut job = wordpress_php_job(
        layout,
        config,
        layout.database_upgrade_job(revision),
        ("storectl-database-upgrade", DATABASE_UPGRADE_STEPS),
        plugin_env(layout, config),
    );
    if let Some(spec) = job.spec.as_mut() {
        spec.ttl_seconds_after_finished = Some(FINISHED_JOB_TTL_SECONDS);
    }
    job
}

/// A script Job whose main container runs `steps` (named `name` in `ps`) with the PHP
/// as `$1`, in the store's WordPress image, in core's folder; the init container that
/// waits for MySQL still runs in `setup.image`.
fn wordpress_php_job(
    layout: &StoreLayout,
    config: &Config,
    job_name: String,
    (name, steps): (&str, &str),
    env: Vec<EnvVar>,
) -> Job {
    let mut job = script_job(
        layout,
        config,
        ScriptJob {
            name: job_name,
            component: Component::Setup,
            image: &config.setup.image,
            script: steps,
            env,
            files: Files::WordPress,
            scratch: false,
            beside_wordpress: true,
            needs_database: true,
        },
    );
    let main = job
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .and_then(|p| p.containers.first_mut());
    if let Some(container) = main {
        container.image = Some(config.wordpress.image.clone());
        container.working_dir = Some(WORDPRESS_ROOT.to_string());
        if let Some(command) = container.command.as_mut() {
            command.extend([name.to_string(), php_code().to_string()]);
        }
    }
    job
}
