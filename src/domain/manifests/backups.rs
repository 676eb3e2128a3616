//! A store's backup objects: the backup Job (and the CronJob of scheduled ones), the
//! restore Job (for a clone followed by the URL rewrite, in a container without the
//! target's keys), each with a deadline, and the network policies that let them reach
//! MySQL and the target (`backup_target`). The Jobs run `domain::backup`'s scripts.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobTemplateSpec};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::backup_target::{BackupBucket, secret_key_env, server_selector};
use super::jobs::{Files, ScriptJob, Step, followed_by, script_job};
use super::meta;
use super::network::MYSQL_PORT;
use super::pod::{database_env, plain_env};
use crate::domain::backup::{
    BACKUP_SCRIPT, FORGET_SCRIPT, RESTORE_SCRIPT, REWRITE_URLS_SCRIPT, search_replace_php,
};
use crate::domain::config::{BackupTarget, Config};
use crate::domain::credentials::MYSQL_ROOT_PASSWORD;
use crate::domain::labels::BACKUP_OF_LABEL;
use crate::domain::layout::{Component, StoreLayout};

/// How long a finished backup or restore Job stays for its status and logs (a week).
const FINISHED_JOB_TTL_SECONDS: i32 = 7 * 86_400;
/// A backup Job is retried once.
const BACKUP_ATTEMPTS: i32 = 2;
/// How long a backup or forget Job may run before Kubernetes stops it (a target that
/// stops answering must not hold the schedule: the CronJob runs one at a time).
const JOB_DEADLINE_SECONDS: i64 = 6 * 3600;
/// How late a scheduled backup may still start (e.g. after the controller was down).
const SCHEDULE_STARTING_DEADLINE_SECONDS: i64 = 3600;

/// The backup Job of backup `id` (empty: the script makes one from the time, as a
/// scheduled run does).
pub fn backup_job(layout: &StoreLayout, config: &Config, id: &str) -> Job {
    let keep = config.backup.keep.to_string();
    let deadline = JOB_DEADLINE_SECONDS.to_string();
    let job = StoreJob {
        name: layout.backup_job(id),
        script: BACKUP_SCRIPT,
        vars: vec![
            ("BACKUP_ID", id),
            ("KEEP", &keep),
            ("JOB_DEADLINE_SECONDS", &deadline),
        ],
        files: Files::Volume,
        wordpress_stopped: false,
        needs_database: true,
    };
    job.render(layout, config)
}

/// A clone's URL rewrite: the source store's URL, and the clone's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlRewrite<'a> {
    pub old: &'a str,
    pub new: &'a str,
}

/// The restore Job: backup `id` of store `from` (this store, or a clone's source) into
/// the store, stopped by Kubernetes after `deadline` (how long storectl waits for it).
/// The script gets the MySQL root password for one statement (rights on its side
/// databases). For a clone, `urls` are rewritten afterwards by a container
/// of its own with the store's database login alone: no target keys, no root password.
pub fn restore_job(
    layout: &StoreLayout,
    config: &Config,
    at: &str,
    from: &str,
    id: &str,
    urls: Option<UrlRewrite>,
    deadline: Duration,
) -> Job {
    let mut job = StoreJob {
        name: layout.restore_job(at),
        script: RESTORE_SCRIPT,
        vars: vec![("BACKUP_STORE", from), ("BACKUP_ID", id)],
        files: Files::VolumeAndCore,
        wordpress_stopped: true,
        needs_database: true,
    }
    .render(layout, config);
    if let Some(spec) = job.spec.as_mut() {
        // A failed restore is looked at, not retried.
        spec.backoff_limit = Some(0);
        spec.active_deadline_seconds =
            Some(i64::try_from(deadline.as_secs()).unwrap_or(i64::MAX).max(1));
        let script = spec
            .template
            .spec
            .as_mut()
            .and_then(|p| p.containers.first_mut());
        if let Some(container) = script {
            container
                .env
                .get_or_insert_with(Vec::new)
                .push(secret_key_env(
                    "MYSQL_ROOT_PASSWORD",
                    &layout.secret(),
                    MYSQL_ROOT_PASSWORD,
                ));
        }
    }
    if let Some(UrlRewrite { old, new }) = urls {
        let mut env = database_env(layout, config);
        env.extend([plain_env("OLD_URL", old), plain_env("NEW_URL", new)]);
        // The store's own PHP (its WordPress image), not the backup image's.
        followed_by(
            &mut job,
            Step {
                name: REWRITE_URLS,
                image: &config.wordpress.image,
                script: REWRITE_URLS_SCRIPT,
                args: &[search_replace_php()],
                env,
            },
        );
    }
    job
}

/// The name of a clone's URL-rewriting container.
pub const REWRITE_URLS: &str = "rewrite-urls";

/// The Job that removes every backup of the store from the target (`delete
/// --delete-backups`).
pub fn forget_job(layout: &StoreLayout, config: &Config, at: &str) -> Job {
    StoreJob {
        name: layout.forget_job(at),
        script: FORGET_SCRIPT,
        vars: Vec::new(),
        files: Files::Volume,
        wordpress_stopped: true,
        needs_database: false,
    }
    .render(layout, config)
}

/// One of the backup scripts as a Job of the store: the database's and the target's
/// settings, STORE and `vars` in its environment.
struct StoreJob<'a> {
    name: String,
    script: &'a str,
    vars: Vec<(&'a str, &'a str)>,
    /// WordPress is stopped while it runs (so it is not scheduled next to it).
    /// The volume's root; a restore also the image's core (its schema check, a
    /// clone's URL rewrite).
    files: Files,
    wordpress_stopped: bool,
    needs_database: bool,
}

impl StoreJob<'_> {
    fn render(self, layout: &StoreLayout, config: &Config) -> Job {
        let mut env = database_env(layout, config);
        env.push(plain_env("STORE", layout.name()));
        env.extend(self.vars.iter().map(|(k, v)| plain_env(k, v)));
        env.extend(BackupBucket::of(config).env(layout));
        let mut job = script_job(
            layout,
            config,
            ScriptJob {
                name: self.name,
                component: Component::Backup,
                image: config.backup.job_image(&config.setup),
                script: self.script,
                env,
                files: self.files,
                scratch: true,
                beside_wordpress: !self.wordpress_stopped,
                needs_database: self.needs_database,
            },
        );
        finish_job(&mut job, layout);
        job
    }
}

fn finish_job(job: &mut Job, layout: &StoreLayout) {
    if let Some(spec) = job.spec.as_mut() {
        spec.ttl_seconds_after_finished = Some(FINISHED_JOB_TTL_SECONDS);
        spec.backoff_limit = Some(BACKUP_ATTEMPTS - 1);
        spec.active_deadline_seconds = Some(JOB_DEADLINE_SECONDS);
    }
    job.metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(BACKUP_OF_LABEL.to_string(), layout.name().to_string());
}

/// The CronJob of scheduled backups (`backup.schedule`), one run at a time.
pub fn backup_schedule(layout: &StoreLayout, config: &Config) -> CronJob {
    let job = backup_job(layout, config, "");
    let mut template_meta = job.metadata.clone();
    template_meta.name = None;
    template_meta.namespace = None;
    CronJob {
        metadata: meta(layout, layout.backup_schedule(), Some(Component::Backup)),
        spec: Some(CronJobSpec {
            schedule: config.backup.schedule.clone(),
            concurrency_policy: Some("Forbid".to_string()),
            starting_deadline_seconds: Some(SCHEDULE_STARTING_DEADLINE_SECONDS),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(3),
            job_template: JobTemplateSpec {
                metadata: Some(template_meta),
                spec: job.spec,
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    }
}

/// MySQL admits the backup pods; the backup pods reach MySQL, DNS (the store's
/// allow-dns policy) and the target.
pub fn policies(layout: &StoreLayout, config: &Config) -> Vec<NetworkPolicy> {
    let backup_pods = LabelSelector {
        match_labels: Some(layout.selector(Component::Backup)),
        ..LabelSelector::default()
    };
    let mysql_pods = LabelSelector {
        match_labels: Some(layout.selector(Component::MySql)),
        ..LabelSelector::default()
    };
    let target = BackupBucket::of(config);
    let to_target = match config.backup.target {
        BackupTarget::Cluster => Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "kubernetes.io/metadata.name".to_string(),
                    config.platform.namespace.clone(),
                )])),
                ..LabelSelector::default()
            }),
            pod_selector: Some(LabelSelector {
                match_labels: Some(server_selector()),
                ..LabelSelector::default()
            }),
            ..NetworkPolicyPeer::default()
        }]),
        BackupTarget::S3 => None,
    };
    let tcp = |port: i32| NetworkPolicyPort {
        protocol: Some("TCP".to_string()),
        port: Some(IntOrString::Int(port)),
        ..NetworkPolicyPort::default()
    };
    vec![
        NetworkPolicy {
            metadata: meta(layout, layout.policy("mysql-from-backup"), None),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(mysql_pods.clone()),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![NetworkPolicyPeer {
                        pod_selector: Some(backup_pods.clone()),
                        ..NetworkPolicyPeer::default()
                    }]),
                    ports: Some(vec![tcp(MYSQL_PORT)]),
                }]),
                policy_types: Some(vec!["Ingress".to_string()]),
                ..NetworkPolicySpec::default()
            }),
        },
        NetworkPolicy {
            metadata: meta(layout, layout.policy("backup-egress"), None),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(backup_pods),
                egress: Some(vec![
                    NetworkPolicyEgressRule {
                        to: Some(vec![NetworkPolicyPeer {
                            pod_selector: Some(mysql_pods),
                            ..NetworkPolicyPeer::default()
                        }]),
                        ports: Some(vec![tcp(MYSQL_PORT)]),
                    },
                    NetworkPolicyEgressRule {
                        to: to_target,
                        ports: Some(vec![tcp(target.port())]),
                    },
                ]),
                policy_types: Some(vec!["Egress".to_string()]),
                ..NetworkPolicySpec::default()
            }),
        },
    ]
}

#[cfg(test)]
mod tests;
