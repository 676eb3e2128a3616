//! The objects storectl watches, as storectl's own compact types: just the fields the
//! status rules, the inventory and the screens read, decoded straight from the API
//! server's JSON (`shapes.rs`) or protobuf (`protobuf.rs`), no k8s-openapi value built
//! on the way. k8s-openapi's structs hold
//! every field of a kind inline, so a Pod with nothing but its status in it is still
//! about 1.8 KB before its first string; these hold a few hundred bytes, and the texts
//! that repeat across objects once per process (`text.rs`).

use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use serde::Deserialize;

mod meta;
mod protobuf;
mod shapes;
mod text;
pub mod wire;

pub use meta::{Annotations, KEPT_ANNOTATIONS, KEPT_LABELS, Labels, Meta};
pub use protobuf::FromProtobuf;
pub use text::Sym;

/// What every watched kind has: its metadata.
pub trait Watched {
    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
}

/// A status condition: its type, status (`True`, `False`, `Unknown`) and reason.
#[derive(Debug, Clone, Deserialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: Sym,
    pub status: Sym,
    #[serde(default)]
    pub reason: Option<Sym>,
}

/// An object's status conditions.
#[derive(Debug, Clone, Default)]
pub struct Conditions(Box<[Condition]>);

impl Conditions {
    pub fn iter(&self) -> impl Iterator<Item = &Condition> {
        self.0.iter()
    }

    /// The condition of type `kind` when its status is `True`.
    pub fn holding(&self, kind: &str) -> Option<&Condition> {
        self.iter().find(|c| c.kind == kind && c.status == "True")
    }

    /// Whether the condition of type `kind` holds (its status is `True`).
    pub fn holds(&self, kind: &str) -> bool {
        self.holding(kind).is_some()
    }
}

/// For tests that add a condition to a fixture's.
#[cfg(test)]
impl Conditions {
    pub fn push(&mut self, condition: Condition) {
        let mut all = std::mem::take(&mut self.0).into_vec();
        all.push(condition);
        self.0 = all.into_boxed_slice();
    }
}

impl<'de> Deserialize<'de> for Conditions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let found = Option::<Box<[Condition]>>::deserialize(d)?;
        Ok(Self(found.unwrap_or_default()))
    }
}

/// A namespace and its phase.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "shapes::Namespace")]
pub struct WatchedNamespace {
    pub meta: Meta,
    pub phase: Option<Sym>,
}

/// A Deployment: the replicas it asks for and its status; not its pod template.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "shapes::Deployment")]
pub struct WatchedDeployment {
    pub meta: Meta,
    /// `spec.replicas`.
    pub replicas: Option<i32>,
    pub status: Option<DeploymentState>,
}

/// What a Deployment's status says of its rollout.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeploymentState {
    pub observed_generation: Option<i64>,
    pub ready_replicas: Option<i32>,
    pub updated_replicas: Option<i32>,
    pub conditions: Conditions,
}

/// A Job: its status conditions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "shapes::Job")]
pub struct WatchedJob {
    pub meta: Meta,
    pub conditions: Conditions,
}

/// A PersistentVolumeClaim: its phase, the storage it requests and its class.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "shapes::Claim")]
pub struct WatchedPvc {
    pub meta: Meta,
    pub phase: Option<Sym>,
    /// `spec.resources.requests.storage`, as written (`10Gi`).
    pub storage: Option<Box<str>>,
    pub storage_class: Option<Sym>,
}

/// A pod: its phase, conditions and each container's waiting state; not its spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "shapes::Pod")]
pub struct WatchedPod {
    pub meta: Meta,
    pub phase: Option<Sym>,
    pub conditions: Conditions,
    /// The init containers, then the others.
    pub containers: Box<[ContainerState]>,
}

/// A container of a pod, and why it waits if it does.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "shapes::Container")]
pub struct ContainerState {
    pub name: Sym,
    pub waiting: Option<Waiting>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Waiting {
    pub reason: Option<Sym>,
    pub message: Option<Box<str>>,
}

/// An Ingress: the host of its first rule, and whether it has TLS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "shapes::Ingress")]
pub struct WatchedIngress {
    pub meta: Meta,
    pub host: Option<Box<str>>,
    pub tls: bool,
}

/// A store's report Lease: the report annotation (in `meta`) and when it was renewed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "shapes::Lease")]
pub struct WatchedLease {
    pub meta: Meta,
    pub renewed: Option<Timestamp>,
}

macro_rules! watched {
    ($($kind:ty),*) => {$(
        impl Watched for $kind {
            fn meta(&self) -> &Meta {
                &self.meta
            }
            fn meta_mut(&mut self) -> &mut Meta {
                &mut self.meta
            }
        }
    )*};
}
watched!(
    WatchedNamespace,
    WatchedDeployment,
    WatchedJob,
    WatchedPvc,
    WatchedPod,
    WatchedIngress,
    WatchedLease
);

/// `object` (a k8s-openapi value, e.g. a rendered manifest) as it would be watched: its
/// JSON read as a watched kind.
pub fn observed<T: serde::de::DeserializeOwned>(object: &impl serde::Serialize) -> Option<Arc<T>> {
    let json = serde_json::to_value(object).ok()?;
    T::deserialize(json).ok().map(Arc::new)
}

#[cfg(test)]
mod tests;
