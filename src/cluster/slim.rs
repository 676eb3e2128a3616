//! How storectl's own watched kinds (`domain::watched`) are listed and watched: each is
//! read straight from the API server's JSON or protobuf by its own compact type, under the API
//! identity of its k8s-openapi kind. kube's `Resource` hands out a whole `ObjectMeta`
//! (several hundred bytes even when empty), so only the object in transit, [`Slim`],
//! holds one, with nothing in it but the resource version the watcher resumes from; the
//! object kept is the compact one.

use std::borrow::Cow;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::domain::watched::{
    FromProtobuf, Watched, WatchedDeployment, WatchedIngress, WatchedJob, WatchedLease,
    WatchedNamespace, WatchedPod, WatchedPvc,
};

/// A watched object as it arrives: the compact object, and the resource version kube's
/// watcher reads through `Resource::meta`.
#[derive(Debug, Clone)]
pub struct Slim<T> {
    pub object: T,
    meta: ObjectMeta,
}

/// A kind storectl watches: its compact type, listed as the k8s-openapi kind `Api`.
pub trait SlimKind:
    Watched + DeserializeOwned + FromProtobuf + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The kind's API identity (group, version, plural, scope).
    type Api: Resource<DynamicType = ()>;
    /// A field selector that leaves out whole objects of this kind that storectl never
    /// reads, so the API server does not even send them.
    const FIELD_SELECTOR: Option<&'static str> = None;
}

impl<'de, T: SlimKind> Deserialize<'de> for Slim<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut object = T::deserialize(deserializer)?;
        let meta = ObjectMeta {
            resource_version: object.meta_mut().resource_version.take().map(String::from),
            ..ObjectMeta::default()
        };
        Ok(Self { object, meta })
    }
}

impl<T: SlimKind> Resource for Slim<T> {
    type DynamicType = ();
    type Scope = <T::Api as Resource>::Scope;

    fn kind(dt: &()) -> Cow<'_, str> {
        T::Api::kind(dt)
    }
    fn group(dt: &()) -> Cow<'_, str> {
        T::Api::group(dt)
    }
    fn version(dt: &()) -> Cow<'_, str> {
        T::Api::version(dt)
    }
    fn plural(dt: &()) -> Cow<'_, str> {
        T::Api::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.meta
    }
}

impl SlimKind for WatchedNamespace {
    type Api = Namespace;
}

impl SlimKind for WatchedDeployment {
    type Api = Deployment;
}

impl SlimKind for WatchedJob {
    type Api = Job;
}

impl SlimKind for WatchedPvc {
    type Api = PersistentVolumeClaim;
}

impl SlimKind for WatchedPod {
    type Api = Pod;
    /// Finished pods (a store's completed setup Job's) count for nothing: the Job's own
    /// status says it finished. At a thousand stores they are a third of all pods.
    const FIELD_SELECTOR: Option<&'static str> = Some("status.phase!=Succeeded");
}

impl SlimKind for WatchedIngress {
    type Api = Ingress;
}

impl SlimKind for WatchedLease {
    type Api = Lease;
}

#[cfg(test)]
mod tests;
