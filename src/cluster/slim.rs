//! How storectl's own watched kinds (`domain::watched`) are listed and watched: each is
//! read straight from the API server's protobuf (or JSON) by its own compact type, under
//! the API identity (group, version, plural, scope) of its k8s-openapi kind.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::Resource;
use serde::de::DeserializeOwned;

use crate::domain::watched::{
    FromProtobuf, Watched, WatchedDeployment, WatchedIngress, WatchedJob, WatchedLease,
    WatchedNamespace, WatchedPod, WatchedPvc,
};

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
