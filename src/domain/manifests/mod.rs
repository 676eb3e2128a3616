//! Turns (store name, configuration, credentials) into the typed Kubernetes objects of
//! one store, in the order they are applied. Rendering is pure and deterministic.

mod access;
pub mod backup_access;
pub mod backup_target;
pub mod backups;
mod health;
mod jobs;
pub mod mail;
pub mod mail_test;
mod network;
mod php_files;
mod pod;
pub mod runner;
mod setup;
mod storage;
mod storectl_php;
mod tenancy;
mod workloads;

pub use access::{STORE_WRITER, writer_binding};
pub use health::{HEALTH_FILE, HEALTH_MOUNT, HEALTH_PATH};
pub use pod::{CORE_ON_THE_VOLUME, WORDPRESS_CONFIG_EXTRA, WP_CONTENT, WP_CONTENT_FOLDER};
pub use setup::{WORDPRESS_PHP, database_upgrade_job, pinned_plugins};
pub use storectl_php::{StorectlPhp, storectl_php_mounts};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, PersistentVolumeClaim, ResourceQuota, Secret, Service,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::config::{Config, Isolation};
use super::credentials::Credentials;
use super::layout::StoreLayout;
use crate::domain::inventory::StoreObjects;
use crate::domain::watched::observed;

/// One object of a store, typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Manifest {
    Namespace(Namespace),
    RoleBinding(RoleBinding),
    Role(Role),
    Lease(Lease),
    ResourceQuota(ResourceQuota),
    LimitRange(LimitRange),
    NetworkPolicy(NetworkPolicy),
    Secret(Secret),
    ConfigMap(ConfigMap),
    PersistentVolumeClaim(PersistentVolumeClaim),
    Service(Service),
    Deployment(Deployment),
    Job(Job),
    CronJob(Box<CronJob>),
    Ingress(Ingress),
}

/// Something done to one object of a store, whatever its kind: the one place code that
/// works on every kind (`Manifest::visit`) is written once, generic over the kind.
pub trait EachKind<'a> {
    type Output;
    fn visit<K>(self, object: &'a K) -> Self::Output
    where
        K: k8s_openapi::Resource
            + k8s_openapi::Metadata<Ty = ObjectMeta>
            + Clone
            + std::fmt::Debug
            + Serialize
            + serde::de::DeserializeOwned
            + Send
            + Sync
            + 'static;
}

impl Manifest {
    /// `each` applied to the typed object, whichever kind it is.
    pub fn visit<'a, V: EachKind<'a>>(&'a self, each: V) -> V::Output {
        match self {
            Self::Namespace(o) => each.visit(o),
            Self::RoleBinding(o) => each.visit(o),
            Self::Role(o) => each.visit(o),
            Self::Lease(o) => each.visit(o),
            Self::ResourceQuota(o) => each.visit(o),
            Self::LimitRange(o) => each.visit(o),
            Self::NetworkPolicy(o) => each.visit(o),
            Self::Secret(o) => each.visit(o),
            Self::ConfigMap(o) => each.visit(o),
            Self::PersistentVolumeClaim(o) => each.visit(o),
            Self::Service(o) => each.visit(o),
            Self::Deployment(o) => each.visit(o),
            Self::Job(o) => each.visit(o),
            Self::CronJob(o) => each.visit(&**o),
            Self::Ingress(o) => each.visit(o),
        }
    }

    pub fn kind(&self) -> &'static str {
        struct Kind;
        impl EachKind<'_> for Kind {
            type Output = &'static str;
            fn visit<K: k8s_openapi::Resource>(self, _: &K) -> &'static str {
                K::KIND
            }
        }
        self.visit(Kind)
    }

    pub fn metadata(&self) -> &ObjectMeta {
        struct Meta;
        impl<'a> EachKind<'a> for Meta {
            type Output = &'a ObjectMeta;
            fn visit<K: k8s_openapi::Metadata<Ty = ObjectMeta>>(
                self,
                object: &'a K,
            ) -> &'a ObjectMeta {
                object.metadata()
            }
        }
        self.visit(Meta)
    }

    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// The RoleBinding that lets storectl's principals write in the store's namespace:
    /// applied before anything else there. (Other bindings follow the Roles they bind.)
    pub fn is_writer_binding(&self) -> bool {
        matches!(self, Self::RoleBinding(b) if b.metadata.name.as_deref() == Some(STORE_WRITER))
    }

    /// `Kind/name`, as kubectl prints it.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.kind(), self.name())
    }
}

/// Every object of the store, in apply order: namespace, the binding that lets storectl's
/// principals write in it (per-store mode; the platform admin binds the shared namespace
/// once) and its guards first, then the secret and volumes, services, the database,
/// WordPress's readiness endpoint and WordPress, the setup Job, the schedule of backups (when `backup.schedule` is set), and
/// the ingress.
pub fn render(layout: &StoreLayout, config: &Config, credentials: &Credentials) -> Vec<Manifest> {
    let mut out = Vec::with_capacity(16);
    match config.stores.isolation {
        Isolation::Namespace => {
            out.push(Manifest::Namespace(tenancy::store_namespace(
                layout, config,
            )));
            out.push(Manifest::RoleBinding(access::writer_binding(
                layout, config,
            )));
            if config.quota.enabled {
                out.push(Manifest::ResourceQuota(tenancy::quota(layout, config)));
            }
            if config.limit_range.enabled {
                out.push(Manifest::LimitRange(tenancy::limit_range(layout, config)));
            }
        }
        Isolation::Shared => out.push(Manifest::Namespace(tenancy::shared_namespace(layout))),
    }
    if config.network_policy.enabled {
        out.extend(
            network::policies(layout, config)
                .into_iter()
                .chain(backups::policies(layout, config))
                .chain(mail::policy(layout, config))
                .map(Manifest::NetworkPolicy),
        );
    }
    out.push(Manifest::Secret(storage::credentials_secret(
        layout,
        credentials,
    )));
    out.extend(
        storage::volumes(layout, config)
            .into_iter()
            .map(Manifest::PersistentVolumeClaim),
    );
    out.extend(network::services(layout).into_iter().map(Manifest::Service));
    out.push(Manifest::ConfigMap(health::config_map(layout)));
    if config.mail.enabled() {
        out.push(Manifest::ConfigMap(mail::config_map(layout)));
    }
    out.push(Manifest::ConfigMap(runner::config_map(layout)));
    if layout.owns_namespace {
        out.push(Manifest::Lease(runner::lease(layout)));
        out.push(Manifest::Role(runner::role(layout)));
        out.push(Manifest::RoleBinding(runner::binding(layout)));
    }
    out.push(Manifest::Deployment(workloads::mysql(layout, config)));
    out.push(Manifest::Deployment(workloads::wordpress(layout, config)));
    out.push(Manifest::Job(setup::setup_job(layout, config)));
    if !config.backup.schedule.is_empty() {
        out.push(Manifest::CronJob(Box::new(backups::backup_schedule(
            layout, config,
        ))));
    }
    if config.ingress.enabled {
        out.push(Manifest::Ingress(network::ingress(layout, config)));
    }
    out
}

/// `Kind/name` of every object the store's layout gives it: which names can be the
/// original platform's objects of this store.
pub fn references(layout: &StoreLayout, config: &Config) -> Vec<String> {
    render(layout, config, &Credentials::placeholder())
        .iter()
        .map(Manifest::reference)
        .collect()
}

/// The names of the store's own objects (any kind).
pub fn names(layout: &StoreLayout, config: &Config) -> Vec<String> {
    references(layout, config)
        .iter()
        .filter_map(|r| r.split_once('/').map(|(_, name)| name.to_string()))
        .collect()
}

/// The rendered objects as the status rules see a store: what a store just created
/// looks like before the cluster has said anything about it.
pub fn as_observed(layout: &StoreLayout, manifests: &[Manifest]) -> StoreObjects {
    let mut store = StoreObjects {
        name: layout.name().to_string(),
        namespace_name: layout.namespace.clone(),
        ..StoreObjects::default()
    };
    for manifest in manifests {
        match manifest {
            Manifest::Namespace(ns) if layout.owns_namespace => store.namespace = observed(ns),
            Manifest::PersistentVolumeClaim(c) => store.claims.extend(observed(c)),
            Manifest::Deployment(d) => store.deployments.extend(observed(d)),
            Manifest::Job(j) => store.jobs.extend(observed(j)),
            Manifest::Ingress(i) => store.ingresses.extend(observed(i)),
            _ => {}
        }
    }
    store
}

/// The objects as one multi-document YAML stream.
pub fn to_yaml_stream(manifests: &[Manifest]) -> Result<String, serde_yaml_ng::Error> {
    let mut out = String::new();
    for m in manifests {
        out.push_str("---\n");
        out.push_str(&serde_yaml_ng::to_string(m)?);
    }
    Ok(out)
}

/// Metadata shared by every namespaced object of the store.
fn meta(
    layout: &StoreLayout,
    name: String,
    component: Option<super::layout::Component>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(layout.namespace.clone()),
        labels: Some(layout.labels(component)),
        annotations: Some(layout.annotations()),
        ..ObjectMeta::default()
    }
}

#[cfg(test)]
mod tests;
