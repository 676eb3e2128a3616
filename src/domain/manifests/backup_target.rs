//! Where backups go: the bucket the backup and restore Jobs use (`BackupBucket`, from
//! the configuration's target), and the zero-set-up target, an S3-compatible server in
//! the platform namespace with its volume and credentials.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, EnvVarSource, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec,
    SecretKeySelector, Service, ServicePort, ServiceSpec, Volume, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::jobs::SCRATCH;
use super::pod::{NOBODY, plain_env, restricted};
use crate::domain::config::{BackupTarget, Config};
use crate::domain::labels::{MARK_LABEL, MARK_VALUE};
use crate::domain::layout::StoreLayout;

/// Name of the zero-set-up target's Deployment, Service, volume and credentials Secret
/// in the platform namespace.
pub const TARGET_SERVER: &str = "storectl-backups";
/// Its port, and the bucket earlier versions kept every store's backups in; each store's
/// bucket is named after it (`backups-<store>`).
pub const TARGET_PORT: i32 = 7070;
pub const TARGET_BUCKET: &str = "backups";
/// Where the target keeps its accounts: on its volume, a folder no bucket can be named.
const TARGET_IAM_DIR: &str = "/data/.storectl-iam";
/// Keys of a target credentials Secret (the platform's and each store's own in the
/// platform namespace, and the copy of the store's own in its namespace).
pub const ACCESS_KEY_ID: &str = "access-key-id";
pub const SECRET_ACCESS_KEY: &str = "secret-access-key";

/// The bucket the Jobs send backups to and fetch them from: its endpoint, name, region
/// and key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupBucket {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub prefix: String,
    /// Each store has a bucket of its own (the cluster target); else all share `bucket`.
    pub bucket_per_store: bool,
}

impl BackupBucket {
    pub fn of(config: &Config) -> Self {
        let b = &config.backup;
        match b.target {
            BackupTarget::Cluster => Self {
                endpoint: format!(
                    "http://{TARGET_SERVER}.{}.svc:{TARGET_PORT}",
                    config.platform.namespace
                ),
                bucket: TARGET_BUCKET.to_string(),
                region: "us-east-1".to_string(),
                prefix: b.prefix.clone(),
                bucket_per_store: true,
            },
            BackupTarget::S3 => Self {
                endpoint: b.s3.endpoint.clone(),
                bucket: b.s3.bucket.clone(),
                region: b.s3.region.clone(),
                prefix: b.prefix.clone(),
                bucket_per_store: false,
            },
        }
    }

    /// Where backup `id` of `store` lives, as `backups` shows it.
    pub fn location(&self, store: &str, id: &str) -> String {
        format!("{}{id}/", self.folder(store))
    }

    /// Where every backup of `store` lives.
    pub fn folder(&self, store: &str) -> String {
        format!(
            "{}/{}/{}",
            self.endpoint.trim_end_matches('/'),
            self.bucket_of(store),
            self.key_folder(store)
        )
    }

    /// The bucket holding `store`'s backups.
    pub fn bucket_of(&self, store: &str) -> String {
        if self.bucket_per_store {
            format!("{}-{store}", self.bucket)
        } else {
            self.bucket.clone()
        }
    }

    /// The keys of `store`'s backups start with this: `<prefix><store>/`.
    pub fn key_folder(&self, store: &str) -> String {
        format!("{}{store}/", self.prefix)
    }

    /// The endpoint's TCP port (its own, else 443 for https and 80 for http).
    pub(super) fn port(&self) -> i32 {
        let rest = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, r)| r);
        let host = rest.split('/').next().unwrap_or_default();
        match host.rsplit_once(':').and_then(|(_, p)| p.parse().ok()) {
            Some(port) => port,
            None if self.endpoint.starts_with("http://") => 80,
            None => 443,
        }
    }

    pub(super) fn env(&self, layout: &StoreLayout) -> Vec<EnvVar> {
        vec![
            plain_env("S3_ENDPOINT", &self.endpoint),
            plain_env("S3_BUCKET", &self.bucket_of(layout.name())),
            plain_env("S3_REGION", &self.region),
            plain_env("S3_PREFIX", &self.prefix),
            secret_key_env(
                "AWS_ACCESS_KEY_ID",
                &layout.backup_credentials(),
                ACCESS_KEY_ID,
            ),
            secret_key_env(
                "AWS_SECRET_ACCESS_KEY",
                &layout.backup_credentials(),
                SECRET_ACCESS_KEY,
            ),
            plain_env("WORK", SCRATCH),
        ]
    }
}

pub(super) fn secret_key_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.to_string(),
                key: key.to_string(),
                ..SecretKeySelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

/// The objects of the zero-set-up target server.
#[derive(Debug, Clone)]
pub struct TargetServer {
    pub claim: PersistentVolumeClaim,
    pub deployment: Deployment,
    pub service: Service,
}

/// The init container that makes the server's accounts folder (it does not make it).
fn iam_folder(server: &Container) -> Container {
    Container {
        name: "iam-folder".to_string(),
        image: server.image.clone(),
        command: Some(vec![
            "mkdir".to_string(),
            "-p".to_string(),
            TARGET_IAM_DIR.to_string(),
        ]),
        args: None,
        env: None,
        ports: None,
        ..server.clone()
    }
}

pub(super) fn server_selector() -> BTreeMap<String, String> {
    BTreeMap::from([(
        "app.kubernetes.io/name".to_string(),
        TARGET_SERVER.to_string(),
    )])
}

fn server_meta(config: &Config) -> ObjectMeta {
    let mut labels = server_selector();
    labels.insert(MARK_LABEL.to_string(), MARK_VALUE.to_string());
    labels.insert(
        "app.kubernetes.io/part-of".to_string(),
        crate::domain::labels::PART_OF.to_string(),
    );
    ObjectMeta {
        name: Some(TARGET_SERVER.to_string()),
        namespace: Some(config.platform.namespace.clone()),
        labels: Some(labels),
        ..ObjectMeta::default()
    }
}

/// The zero-set-up target in the platform namespace: versitygw serving its volume as
/// S3, with the credentials of Secret `storectl-backups` (made once by storectl). Its
/// data outlives every store; a volume of its own, not a store's.
pub fn target_server(config: &Config) -> TargetServer {
    let meta = server_meta(config);
    TargetServer {
        claim: server_claim(config, meta.clone()),
        deployment: server_deployment(config, meta.clone()),
        service: server_service(meta),
    }
}

fn server_claim(config: &Config, meta: ObjectMeta) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: meta,
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_string()]),
            storage_class_name: (!config.global.storage_class.is_empty())
                .then(|| config.global.storage_class.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    config.backup.cluster.storage.to_k8s(),
                )])),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

/// The versitygw container, its root credentials from Secret `storectl-backups`.
fn server_container(config: &Config) -> Container {
    let credential = |name: &str, key: &str| secret_key_env(name, TARGET_SERVER, key);
    Container {
        name: "versitygw".to_string(),
        image: Some(config.backup.cluster.image.clone()),
        args: Some(vec![
            "--port".to_string(),
            format!(":{TARGET_PORT}"),
            "--iam-dir".to_string(),
            TARGET_IAM_DIR.to_string(),
            "posix".to_string(),
            "/data".to_string(),
        ]),
        env: Some(vec![
            credential("ROOT_ACCESS_KEY", ACCESS_KEY_ID),
            credential("ROOT_SECRET_KEY", SECRET_ACCESS_KEY),
        ]),
        ports: Some(vec![ContainerPort {
            name: Some("s3".to_string()),
            container_port: TARGET_PORT,
            protocol: Some("TCP".to_string()),
            ..ContainerPort::default()
        }]),
        volume_mounts: Some(vec![VolumeMount {
            name: "data".to_string(),
            mount_path: "/data".to_string(),
            ..VolumeMount::default()
        }]),
        ..Container::default()
    }
}

fn server_deployment(config: &Config, meta: ObjectMeta) -> Deployment {
    let container = server_container(config);
    Deployment {
        metadata: meta.clone(),
        spec: Some(DeploymentSpec {
            strategy: Some(DeploymentStrategy {
                type_: Some("Recreate".to_string()),
                ..DeploymentStrategy::default()
            }),
            selector: LabelSelector {
                match_labels: Some(server_selector()),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: meta.labels.clone(),
                    ..ObjectMeta::default()
                }),
                spec: Some(restricted(
                    PodSpec {
                        init_containers: Some(vec![iam_folder(&container)]),
                        containers: vec![container],
                        automount_service_account_token: Some(false),
                        volumes: Some(vec![Volume {
                            name: "data".to_string(),
                            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                                claim_name: TARGET_SERVER.to_string(),
                                ..PersistentVolumeClaimVolumeSource::default()
                            }),
                            ..Volume::default()
                        }]),
                        ..PodSpec::default()
                    },
                    NOBODY,
                )),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn server_service(meta: ObjectMeta) -> Service {
    Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            selector: Some(server_selector()),
            ports: Some(vec![ServicePort {
                name: Some("s3".to_string()),
                port: TARGET_PORT,
                target_port: Some(IntOrString::Int(TARGET_PORT)),
                protocol: Some("TCP".to_string()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}
