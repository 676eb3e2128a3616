//! The `storectl mail-test` Job: one test message sent as the store sends mail, from its
//! WordPress image with its environment and storectl's PHP files.

use k8s_openapi::api::batch::v1::Job;

use super::jobs::{Files, ScriptJob, script_job};
use super::mail::{MAIL_TEST_FILE, MAIL_TEST_MOUNT, file_mount};
use super::pod::{plain_env, wordpress_env};
use super::storectl_php::storectl_php_mounts;
use crate::domain::config::Config;
use crate::domain::labels::MAIL_TEST_OF_LABEL;
use crate::domain::layout::{Component, StoreLayout};

/// How long a mail test may take, wait for MySQL included (the Job's deadline).
pub const MAIL_TEST_DEADLINE_SECONDS: i64 = 180;

/// The Job that sends one test message to `to` from the store: the store's WordPress
/// image, core and wp-content as the WordPress container has them, the same environment
/// and storectl's PHP files, running `storectl-mail-test.php`, whose one-line JSON
/// result is the termination message. Named by the server from `<store>-mail-test-`;
/// tried once, ended after [`MAIL_TEST_DEADLINE_SECONDS`], removed an hour after it
/// ends (storectl removes it once it has read the result).
pub fn mail_test_job(layout: &StoreLayout, config: &Config, to: &str) -> Job {
    let php = storectl_php_mounts(layout, config);
    let mut env = wordpress_env(layout, config);
    env.extend(php.env);
    env.extend([
        plain_env("STORECTL_MAIL_TO", to),
        plain_env("STORECTL_RESULT_FILE", "/dev/termination-log"),
    ]);
    let script = format!("exec php {MAIL_TEST_MOUNT}");
    let mut job = script_job(
        layout,
        config,
        ScriptJob {
            name: String::new(),
            component: Component::Setup,
            image: &config.wordpress.image,
            script: &script,
            env,
            files: Files::WordPress,
            scratch: false,
            beside_wordpress: true,
            needs_database: true,
        },
    );
    job.metadata.name = None;
    job.metadata.generate_name = Some(layout.mail_test_job_prefix());
    let mark = (MAIL_TEST_OF_LABEL.to_string(), layout.name().to_string());
    job.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(mark.0.clone(), mark.1.clone());
    if let Some(spec) = job.spec.as_mut() {
        spec.backoff_limit = Some(0);
        spec.active_deadline_seconds = Some(MAIL_TEST_DEADLINE_SECONDS);
        spec.ttl_seconds_after_finished = Some(3_600);
        let template = &mut spec.template;
        if let Some(meta) = template.metadata.as_mut() {
            meta.labels
                .get_or_insert_with(Default::default)
                .insert(mark.0, mark.1);
        }
        if let Some(pod) = template.spec.as_mut() {
            pod.volumes.get_or_insert_with(Vec::new).extend(php.volumes);
            if let Some(container) = pod.containers.first_mut() {
                let mounts = container.volume_mounts.get_or_insert_with(Vec::new);
                mounts.extend(php.mounts);
                mounts.push(file_mount(MAIL_TEST_FILE, MAIL_TEST_MOUNT));
                container.name = "mail-test".to_string();
            }
        }
    }
    job
}
