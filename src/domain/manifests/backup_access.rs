//! Each store's own access to the backup target: the platform-side Secret of its key, the
//! Job in the platform namespace that gives the zero-set-up target an account and a bucket
//! for it (with the target's root key, which only that namespace holds), and the
//! presigned URLs a restore Job gets for a backup of another store (a clone's source).

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, EnvVar, PodSpec, PodTemplateSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;

use super::backup_target::{
    ACCESS_KEY_ID, BackupBucket, SECRET_ACCESS_KEY, TARGET_BUCKET, TARGET_SERVER, secret_key_env,
};
use super::pod::{NOBODY, plain_env, restricted};
use crate::domain::backup::{ACCESS_SCRIPT, BACKUP_FILES};
use crate::domain::config::{BackupTarget, Config};
use crate::domain::labels::{ACCESS_OF_LABEL, MARK_LABEL, MARK_VALUE};
use crate::domain::layout::Component;
use crate::domain::presign::{self, SigningKey};

/// How long a finished access Job stays (an hour): it runs before every backup.
const FINISHED_ACCESS_TTL_SECONDS: i32 = 3_600;
/// How long an access Job may run (it moves a store's old backups once): its deadline,
/// and how long storectl waits for it.
pub const ACCESS_DEADLINE: Duration = Duration::from_secs(600);
/// Where the access Job keeps its scratch files.
const WORK: &str = "/work";

/// The platform-namespace Secret that holds `store`'s own key: storectl's
/// (`storectl-backups-<store>`) for the cluster target, the operator's
/// (`<credentialsSecret>-<store>`) for backup.s3.
pub fn store_key_secret(config: &Config, store: &str) -> String {
    match config.backup.target {
        BackupTarget::Cluster => format!("{TARGET_SERVER}-{store}"),
        BackupTarget::S3 => format!("{}-{store}", config.backup.s3.credentials_secret),
    }
}

/// The platform-namespace Secret of the key that opens every store's backups: the
/// target's root key (cluster) or the operator's (backup.s3). It never leaves that
/// namespace; storectl signs presigned URLs with it.
pub fn platform_key_secret(config: &Config) -> &str {
    match config.backup.target {
        BackupTarget::Cluster => TARGET_SERVER,
        BackupTarget::S3 => &config.backup.s3.credentials_secret,
    }
}

/// `store`'s account name on the zero-set-up target.
pub fn store_access_key_id(store: &str) -> String {
    format!("store-{store}")
}

/// The Job (platform namespace, cluster target) that makes `store`'s account and bucket
/// on the target, and moves the store's backups of earlier versions into that bucket.
pub fn access_job(config: &Config, store: &str) -> Job {
    let target = BackupBucket::of(config);
    let root = |name: &str, key: &str| secret_key_env(name, TARGET_SERVER, key);
    let own = |name: &str, key: &str| secret_key_env(name, &store_key_secret(config, store), key);
    let env = vec![
        plain_env("S3_ENDPOINT", &target.endpoint),
        plain_env("S3_REGION", &target.region),
        root("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        root("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        plain_env("STORE", store),
        own("STORE_ACCESS_KEY_ID", ACCESS_KEY_ID),
        own("STORE_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        plain_env("STORE_BUCKET", &target.bucket_of(store)),
        plain_env("SHARED_BUCKET", TARGET_BUCKET),
        plain_env("FOLDER", &target.key_folder(store)),
        plain_env("WORK", WORK),
    ];
    let labels = BTreeMap::from([
        (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
        (ACCESS_OF_LABEL.to_string(), store.to_string()),
    ]);
    let container = access_container(config, env);
    Job {
        metadata: ObjectMeta {
            // The server makes the name unique (and short enough) from this.
            generate_name: Some(format!("backup-access-{store}-")),
            namespace: Some(config.platform.namespace.clone()),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            backoff_limit: Some(1),
            ttl_seconds_after_finished: Some(FINISHED_ACCESS_TTL_SECONDS),
            active_deadline_seconds: i64::try_from(ACCESS_DEADLINE.as_secs()).ok(),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(restricted(
                    PodSpec {
                        containers: vec![container],
                        restart_policy: Some("Never".to_string()),
                        automount_service_account_token: Some(false),
                        volumes: Some(vec![Volume {
                            name: "work".to_string(),
                            empty_dir: Some(EmptyDirVolumeSource::default()),
                            ..Volume::default()
                        }]),
                        ..PodSpec::default()
                    },
                    NOBODY,
                )),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

/// The access Job's one container: the access script with `env`, dropping every
/// capability.
fn access_container(config: &Config, env: Vec<EnvVar>) -> Container {
    Container {
        name: "access".to_string(),
        image: Some(config.setup.image.clone()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            ACCESS_SCRIPT.to_string(),
        ]),
        env: Some(env),
        volume_mounts: Some(vec![VolumeMount {
            name: "work".to_string(),
            mount_path: WORK.to_string(),
            ..VolumeMount::default()
        }]),
        termination_message_policy: Some("FallbackToLogsOnError".to_string()),
        ..Container::default()
    }
}

/// One object of a backup and a presigned GET URL that opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedFile {
    /// The object's key in its bucket.
    pub key: String,
    pub url: String,
}

/// Each file of backup `id` of `store` with its presigned GET URL, signed with `key`
/// (the platform's) at `now`, valid for `valid_for`.
pub fn presigned_files(
    config: &Config,
    store: &str,
    id: &str,
    key: &SigningKey,
    now: Timestamp,
    valid_for: Duration,
) -> Vec<PresignedFile> {
    let target = BackupBucket::of(config);
    BACKUP_FILES
        .iter()
        .map(|file| {
            let object = format!("{}{id}/{file}", target.key_folder(store));
            let path = format!("/{}/{object}", target.bucket_of(store));
            let url = presign::get_url(&target.endpoint, &path, key, now, valid_for);
            PresignedFile { key: object, url }
        })
        .collect()
}

/// Gives a restore Job `urls` (object key and presigned URL): its script fetches those
/// objects through them rather than with the store's own key. Only the script's container
/// gets them (for a clone an init container; the URL rewrite after it gets none); no
/// `urls`, no change.
pub fn fetch_through(job: &mut Job, urls: &[PresignedFile]) {
    if urls.is_empty() {
        return;
    }
    let lines = urls
        .iter()
        .map(|f| format!("{} {}", f.key, f.url))
        .collect::<Vec<_>>()
        .join("\n");
    let Some(pod) = job.spec.as_mut().and_then(|s| s.template.spec.as_mut()) else {
        return;
    };
    let script = Component::Backup.as_str();
    let container = pod
        .init_containers
        .iter_mut()
        .flatten()
        .chain(pod.containers.iter_mut())
        .find(|c| c.name == script);
    if let Some(c) = container {
        c.env
            .get_or_insert_with(Vec::new)
            .push(plain_env("PRESIGNED", &lines));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::config::{self, tests::sources_with};

    fn env_of(job: &Job) -> BTreeMap<String, String> {
        let pod = job.spec.as_ref().and_then(|s| s.template.spec.as_ref());
        pod.map(|p| env_in(&p.containers[0])).unwrap_or_default()
    }

    /// A container's environment, a Secret's value shown as `<secret:key>`.
    fn env_in(container: &Container) -> BTreeMap<String, String> {
        container
            .env
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                let value = match e.value_from.and_then(|v| v.secret_key_ref) {
                    Some(r) => format!("<{}:{}>", r.name, r.key),
                    None => e.value.unwrap_or_default(),
                };
                (e.name, value)
            })
            .collect()
    }

    #[test]
    fn the_access_job_runs_in_the_platform_namespace_with_the_root_key_and_the_stores() {
        let config = config::load(&sources_with(&[])).unwrap_or_else(|e| panic!("{e}"));
        let job = access_job(&config, "shop");
        assert_eq!(
            job.metadata.namespace.as_deref(),
            Some("ecommerce-platform")
        );
        let env = env_of(&job);
        assert_eq!(
            env["AWS_SECRET_ACCESS_KEY"],
            "<storectl-backups:secret-access-key>"
        );
        assert_eq!(
            env["STORE_SECRET_ACCESS_KEY"],
            "<storectl-backups-shop:secret-access-key>"
        );
        assert_eq!(env["STORE_BUCKET"], "backups-shop");
        assert_eq!(env["SHARED_BUCKET"], "backups");
        assert_eq!(env["FOLDER"], "stores/shop/");
        assert_eq!(
            job.spec.and_then(|s| s.active_deadline_seconds),
            Some(600),
            "a hung access Job ends"
        );
        let s3 = config::load(&sources_with(&[
            "backup.target=s3",
            "backup.s3.endpoint=https://s3.example.com",
            "backup.s3.bucket=shop-backups",
            "backup.s3.credentialsSecret=keys",
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store_key_secret(&s3, "shop"), "keys-shop");
        assert_eq!(platform_key_secret(&s3), "keys");
    }

    #[test]
    fn a_clones_presigned_urls_go_to_its_restore_script_alone() {
        use crate::domain::layout::StoreLayout;
        use crate::domain::manifests::backups::{REWRITE_URLS, restore_job};
        use crate::domain::name::StoreName;
        let config = config::load(&sources_with(&[])).unwrap_or_else(|e| panic!("{e}"));
        let name = StoreName::parse("copy", "store-").unwrap_or_else(|e| panic!("{e}"));
        let layout = StoreLayout::new(&name, &config);
        let key = SigningKey {
            access_key_id: "root",
            secret_access_key: "root-secret",
            region: "us-east-1",
        };
        let now = "2026-11-30T10:00:00Z"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let urls = presigned_files(
            &config,
            "shop",
            "20261130-090000",
            &key,
            now,
            Duration::from_secs(900),
        );
        let keys: Vec<&str> = urls.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "stores/shop/20261130-090000/manifest.json",
                "stores/shop/20261130-090000/database.sql.gz",
                "stores/shop/20261130-090000/wp-content.tar.gz"
            ]
        );
        assert!(
            urls.iter().all(|f| f.url.starts_with(
                "http://storectl-backups.ecommerce-platform.svc:7070/backups-shop/stores/shop/"
            ) && f.url.contains("X-Amz-Expires=900&")),
            "each URL opens one object of the source's bucket, for a while"
        );
        let rewrite = Some(super::super::backups::UrlRewrite {
            old: "http://shop.local",
            new: "http://copy.local",
        });
        let mut job = restore_job(
            &layout,
            &config,
            "20261130-100000",
            "shop",
            "20261130-090000",
            rewrite,
            Duration::from_secs(600),
        );
        fetch_through(&mut job, &urls);
        let pod = job.spec.and_then(|s| s.template.spec).unwrap_or_default();
        let all: Vec<&Container> = pod
            .init_containers
            .iter()
            .flatten()
            .chain(&pod.containers)
            .collect();
        let with_urls: Vec<&str> = all
            .iter()
            .filter(|c| env_in(c).contains_key("PRESIGNED"))
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(with_urls, ["backup"], "the restore script alone");
        let script = all.iter().find(|c| c.name == "backup").map(|c| env_in(c));
        let script = script.unwrap_or_default();
        assert_eq!(script["PRESIGNED"].lines().count(), 3);
        assert_eq!(
            script["AWS_SECRET_ACCESS_KEY"], "<copy-backup-target:secret-access-key>",
            "the clone's own key, never the source's or the root key"
        );
        let rewrite = all
            .iter()
            .find(|c| c.name == REWRITE_URLS)
            .map(|c| env_in(c));
        let rewrite = rewrite.unwrap_or_default();
        assert!(
            rewrite
                .keys()
                .all(|k| !k.starts_with("AWS_") && k != "PRESIGNED"),
            "the URL rewrite holds no backup credentials: {:?}",
            rewrite.keys()
        );
        let untouched = restore_job(
            &layout,
            &config,
            "20261130-100000",
            "copy",
            "20261130-090000",
            None,
            Duration::from_secs(600),
        );
        let mut same = untouched.clone();
        fetch_through(&mut same, &[]);
        assert_eq!(same, untouched, "a store's own backup needs no URLs");
    }
}
