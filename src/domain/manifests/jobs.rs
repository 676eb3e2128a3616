//! The shape every script Job of a store shares (the setup and database upgrade Jobs of
//! `setup.rs`, backups, restores, the backup target's access), each waiting in an init
//! container until MySQL accepts a real login.

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Container, EmptyDirVolumeSource, EnvVar, PodAffinity, PodAffinityTerm,
    PodSecurityContext, PodTemplateSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::meta;
use super::pod::{
    CORE_FROM_IMAGE, WORDPRESS_ROOT, WWW_DATA, content_mount, mount, plain_env, pod_meta, pod_spec,
    resources, restrict, wait_for_mysql,
};
use crate::domain::config::{Config, PodSecurityLevel};
use crate::domain::layout::{Component, StoreLayout};

/// What a Job runs: `sh -c script` in `image` with `env`, the store's files as `files`
/// says, and (`scratch`) an empty folder at /work for what it makes.
pub(super) struct ScriptJob<'a> {
    pub name: String,
    pub component: Component,
    pub image: &'a str,
    pub script: &'a str,
    pub env: Vec<EnvVar>,
    pub files: Files,
    pub scratch: bool,
    /// Scheduled next to the WordPress pod (its volume is ReadWriteOnce); false when
    /// WordPress is stopped for the Job (restore).
    pub beside_wordpress: bool,
    /// Starts once MySQL accepts the store's login.
    pub needs_database: bool,
}

/// How a Job's container sees the store's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Files {
    /// As the WordPress container does: core from the WordPress image at
    /// /var/www/html (copied with its wp-config.php into an empty folder by an init
    /// container) and the volume's wp-content over it: what WordPress's PHP needs.
    WordPress,
    /// The volume's root at [`VOLUME_ROOT`] (`WP_ROOT`, the folder holding
    /// wp-content), where the backup scripts swap wp-content by renames.
    Volume,
    /// The volume's root as `Volume`, and core from the image as `WordPress` (`WP_CORE`:
    /// the schema the store's WordPress has, which a restore checks).
    VolumeAndCore,
}

impl Files {
    fn core(self) -> bool {
        self != Files::Volume
    }
}

/// Where a script Job's scratch folder is mounted.
pub(super) const SCRATCH: &str = "/work";
/// Where the backup scripts' Jobs mount the WordPress volume's root (never where
/// WordPress runs: that is the image's).
pub const VOLUME_ROOT: &str = "/wordpress-volume";
/// A Job's mounts and the variables that tell its script where they are.
fn file_mounts(files: Files) -> (Vec<VolumeMount>, Vec<EnvVar>) {
    let core = mount("core", WORDPRESS_ROOT);
    let root = mount("data", VOLUME_ROOT);
    let root_env = plain_env("WP_ROOT", VOLUME_ROOT);
    match files {
        Files::WordPress => (vec![core, content_mount()], Vec::new()),
        Files::Volume => (vec![root], vec![root_env]),
        Files::VolumeAndCore => (
            vec![root, core],
            vec![root_env, plain_env("WP_CORE", WORDPRESS_ROOT)],
        ),
    }
}

/// The init container that puts the image's core where `Files::WordPress` wants it.
fn core_from_image(config: &Config) -> Container {
    Container {
        name: "wordpress-core".to_string(),
        image: Some(config.wordpress.image.clone()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            format!("set -eu\n{CORE_FROM_IMAGE}"),
        ]),
        resources: Some(resources(&config.setup.resources)),
        volume_mounts: Some(vec![mount("core", WORDPRESS_ROOT)]),
        ..Container::default()
    }
}

fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    }
}

pub(super) fn script_job(layout: &StoreLayout, config: &Config, job: ScriptJob) -> Job {
    let c = job.component;
    let (mut mounts, files_env) = file_mounts(job.files);
    if job.scratch {
        mounts.push(mount("work", SCRATCH));
    }
    let mut env = job.env;
    env.extend(files_env);
    let container = Container {
        name: c.as_str().to_string(),
        image: Some(job.image.to_string()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            job.script.to_string(),
        ]),
        env: Some(env),
        resources: Some(resources(&config.setup.resources)),
        volume_mounts: Some(mounts),
        // The script's one-line result, or its log's end when it fails before writing it.
        termination_message_policy: Some("FallbackToLogsOnError".to_string()),
        ..Container::default()
    };
    let mut init = Vec::new();
    if job.needs_database {
        init.push(wait_for_mysql(layout, config, job.image));
    }
    if job.files.core() {
        init.push(core_from_image(config));
    }
    let mut spec = pod_spec(layout, c, init, container);
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    if job.files.core() {
        volumes.push(empty_dir("core"));
    }
    if job.scratch {
        volumes.push(empty_dir("work"));
    }
    spec.restart_policy = Some("Never".to_string());
    spec.security_context = Some(PodSecurityContext {
        run_as_user: Some(WWW_DATA),
        run_as_group: Some(WWW_DATA),
        fs_group: Some(WWW_DATA),
        ..PodSecurityContext::default()
    });
    if config.stores.pod_security == PodSecurityLevel::Restricted {
        restrict(&mut spec, WWW_DATA);
    }
    // The WordPress volume is ReadWriteOnce: run next to the WordPress pod.
    if job.beside_wordpress {
        spec.affinity = Some(Affinity {
            pod_affinity: Some(PodAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                    label_selector: Some(LabelSelector {
                        match_labels: Some(layout.selector(Component::WordPress)),
                        ..LabelSelector::default()
                    }),
                    topology_key: "kubernetes.io/hostname".to_string(),
                    ..PodAffinityTerm::default()
                }]),
                ..PodAffinity::default()
            }),
            ..Affinity::default()
        });
    }
    Job {
        metadata: meta(layout, job.name, Some(c)),
        spec: Some(JobSpec {
            backoff_limit: Some(i32::try_from(config.setup.backoff_limit).unwrap_or(i32::MAX)),
            template: PodTemplateSpec {
                metadata: Some(pod_meta(layout, c)),
                spec: Some(spec),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

/// A step that runs after a script Job's script ([`followed_by`]): `sh -c script name
/// args...` in `image` with `env` alone.
pub(super) struct Step<'a> {
    pub name: &'a str,
    pub image: &'a str,
    pub script: &'a str,
    pub args: &'a [&'a str],
    pub env: Vec<EnvVar>,
}

/// Runs a second step after a script Job's script, in a container of its own: the
/// script becomes the last init container (the step starts only if it succeeded) and the
/// step, with the store's files as WordPress sees them (`Files::WordPress`: the Job must
/// have the core), the main one.
pub(super) fn followed_by(job: &mut Job, step: Step) {
    let Some(pod) = job.spec.as_mut().and_then(|s| s.template.spec.as_mut()) else {
        return;
    };
    let first = pod.containers.remove(0);
    let mut command = vec![
        "sh".to_string(),
        "-c".to_string(),
        step.script.to_string(),
        step.name.to_string(),
    ];
    command.extend(step.args.iter().map(|a| (*a).to_string()));
    let env = step.env;
    let step = Container {
        name: step.name.to_string(),
        image: Some(step.image.to_string()),
        command: Some(command),
        env: Some(env),
        resources: first.resources.clone(),
        volume_mounts: Some(file_mounts(Files::WordPress).0),
        termination_message_policy: first.termination_message_policy.clone(),
        security_context: first.security_context.clone(),
        ..Container::default()
    };
    pod.init_containers.get_or_insert_with(Vec::new).push(first);
    pod.containers.push(step);
}
