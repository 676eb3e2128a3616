//! What storectl keeps of each store object it lists or watches: it deserializes only the
//! fields the status rules and the screens read, straight from the API server's JSON. Pod
//! templates, managed fields and annotations are skipped by the parser rather than built
//! and dropped, so a thousand stores cost little to parse and leave no garbage behind.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStatus};
use k8s_openapi::api::batch::v1::{Job, JobStatus};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    Namespace, NamespaceStatus, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimStatus, Pod, PodStatus,
};
use k8s_openapi::api::networking::v1::{Ingress, IngressSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use kube::Resource;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::domain::labels::{
    EXTRA_PLUGINS_ANNOTATION, MAIL_ANNOTATION, REPORT_ANNOTATION, WOOCOMMERCE_ANNOTATION,
};

/// A store object read slim (see the module comment). It lists and watches as its kind `K`.
#[derive(Debug, Clone)]
pub struct Slim<K>(pub K);

/// A kind that can be read slim: `Shape` names the fields that are read.
pub trait SlimKind:
    Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static
{
    type Shape: DeserializeOwned + Into<Self>;
    /// A field selector that leaves out whole objects of this kind that storectl never
    /// reads, so the API server does not even send them.
    const FIELD_SELECTOR: Option<&'static str> = None;
}

impl<'de, K: SlimKind> Deserialize<'de> for Slim<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        K::Shape::deserialize(deserializer).map(|shape| Self(shape.into()))
    }
}

impl<K: SlimKind> Resource for Slim<K> {
    type DynamicType = ();
    type Scope = K::Scope;

    fn kind(dt: &()) -> Cow<'_, str> {
        K::kind(dt)
    }
    fn group(dt: &()) -> Cow<'_, str> {
        K::group(dt)
    }
    fn version(dt: &()) -> Cow<'_, str> {
        K::version(dt)
    }
    fn plural(dt: &()) -> Cow<'_, str> {
        K::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        self.0.meta()
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        self.0.meta_mut()
    }
}

/// Name, namespace, labels, uid, times, generation and resource version (the watch resumes
/// from it), the annotations the status reads; managed fields, other annotations, owners
/// and finalizers are skipped.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Meta {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    generation: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    /// Only the annotations the status reads ([`KEPT`]); the others are skipped.
    annotations: KeptAnnotations,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
}

/// The annotations of [`KEPT`], the values of others skipped by the parser.
#[derive(Default)]
struct KeptAnnotations(Option<BTreeMap<String, String>>);

const KEPT: &[&str] = &[
    MAIL_ANNOTATION,
    WOOCOMMERCE_ANNOTATION,
    EXTRA_PLUGINS_ANNOTATION,
    REPORT_ANNOTATION,
];

impl<'de> Deserialize<'de> for KeptAnnotations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = KeptAnnotations;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("annotations")
            }
            fn visit_unit<E>(self) -> Result<KeptAnnotations, E> {
                Ok(KeptAnnotations(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<KeptAnnotations, A::Error> {
                let mut kept = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if KEPT.contains(&key.as_str()) {
                        kept.insert(key, map.next_value::<String>()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(KeptAnnotations((!kept.is_empty()).then_some(kept)))
            }
        }
        d.deserialize_any(Visit)
    }
}

impl From<Meta> for ObjectMeta {
    fn from(m: Meta) -> Self {
        Self {
            name: m.name,
            namespace: m.namespace,
            uid: m.uid,
            resource_version: m.resource_version,
            generation: m.generation,
            labels: m.labels,
            annotations: m.annotations.0,
            creation_timestamp: m.creation_timestamp,
            deletion_timestamp: m.deletion_timestamp,
            ..Self::default()
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NamespaceShape {
    metadata: Meta,
    status: Option<NamespaceStatus>,
}

impl From<NamespaceShape> for Namespace {
    fn from(s: NamespaceShape) -> Self {
        Self {
            metadata: s.metadata.into(),
            status: s.status,
            spec: None,
        }
    }
}

impl SlimKind for Namespace {
    type Shape = NamespaceShape;
}

#[derive(Deserialize, Default)]
struct ReplicasOnly {
    replicas: Option<i32>,
}

/// The replica count and the status; not the pod template.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeploymentShape {
    metadata: Meta,
    spec: Option<ReplicasOnly>,
    status: Option<DeploymentStatus>,
}

impl From<DeploymentShape> for Deployment {
    fn from(s: DeploymentShape) -> Self {
        Self {
            metadata: s.metadata.into(),
            spec: s.spec.map(|spec| DeploymentSpec {
                replicas: spec.replicas,
                ..DeploymentSpec::default()
            }),
            status: s.status,
        }
    }
}

impl SlimKind for Deployment {
    type Shape = DeploymentShape;
}

/// Only the status.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct JobShape {
    metadata: Meta,
    status: Option<JobStatus>,
}

impl From<JobShape> for Job {
    fn from(s: JobShape) -> Self {
        Self {
            metadata: s.metadata.into(),
            spec: None,
            status: s.status,
        }
    }
}

impl SlimKind for Job {
    type Shape = JobShape;
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ClaimShape {
    metadata: Meta,
    spec: Option<PersistentVolumeClaimSpec>,
    status: Option<PersistentVolumeClaimStatus>,
}

impl From<ClaimShape> for PersistentVolumeClaim {
    fn from(s: ClaimShape) -> Self {
        Self {
            metadata: s.metadata.into(),
            spec: s.spec,
            status: s.status,
        }
    }
}

impl SlimKind for PersistentVolumeClaim {
    type Shape = ClaimShape;
}

/// The status; not the spec.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PodShape {
    metadata: Meta,
    status: Option<PodStatus>,
}

impl From<PodShape> for Pod {
    fn from(s: PodShape) -> Self {
        Self {
            metadata: s.metadata.into(),
            spec: None,
            status: s.status,
        }
    }
}

impl SlimKind for Pod {
    type Shape = PodShape;
    /// Finished pods (a store's completed setup Job's) count for nothing: the Job's own
    /// status says it finished. At a thousand stores they are a third of all pods.
    const FIELD_SELECTOR: Option<&'static str> = Some("status.phase!=Succeeded");
}

/// The spec (hosts and TLS); not the load balancer status.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IngressShape {
    metadata: Meta,
    spec: Option<IngressSpec>,
}

impl From<IngressShape> for Ingress {
    fn from(s: IngressShape) -> Self {
        Self {
            metadata: s.metadata.into(),
            spec: s.spec,
            status: None,
        }
    }
}

impl SlimKind for Ingress {
    type Shape = IngressShape;
}

/// A store's report (its runner's Lease): the report annotation alone, and when it was
/// last renewed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LeaseShape {
    metadata: Meta,
    spec: Option<RenewOnly>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RenewOnly {
    renew_time: Option<MicroTime>,
}

impl From<LeaseShape> for Lease {
    fn from(s: LeaseShape) -> Self {
        Self {
            metadata: s.metadata.into(),
            spec: s.spec.map(|spec| LeaseSpec {
                renew_time: spec.renew_time,
                ..LeaseSpec::default()
            }),
        }
    }
}

impl SlimKind for Lease {
    type Shape = LeaseShape;
}

#[cfg(test)]
mod tests;
