//! The JSON paths of the kept fields (`spec.replicas`, `status.containerStatuses[].state`,
//! ...), read into the compact kinds of `watched.rs`.

use k8s_openapi::jiff::Timestamp;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::meta::micro_time;
use super::{
    Conditions, ContainerState, DeploymentState, Meta, Sym, Waiting, WatchedDeployment,
    WatchedIngress, WatchedJob, WatchedLease, WatchedNamespace, WatchedPod, WatchedPvc,
};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Namespace {
    metadata: Meta,
    status: Option<Phase>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Phase {
    phase: Option<Sym>,
}

impl From<Namespace> for WatchedNamespace {
    fn from(s: Namespace) -> Self {
        Self {
            meta: s.metadata,
            phase: s.status.and_then(|s| s.phase),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Deployment {
    metadata: Meta,
    spec: Option<Replicas>,
    status: Option<DeploymentState>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Replicas {
    replicas: Option<i32>,
}

impl From<Deployment> for WatchedDeployment {
    fn from(s: Deployment) -> Self {
        Self {
            meta: s.metadata,
            replicas: s.spec.and_then(|s| s.replicas),
            status: s.status,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Job {
    metadata: Meta,
    status: Option<ConditionsOnly>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConditionsOnly {
    conditions: Conditions,
}

impl From<Job> for WatchedJob {
    fn from(s: Job) -> Self {
        Self {
            meta: s.metadata,
            conditions: s.status.map(|s| s.conditions).unwrap_or_default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Claim {
    metadata: Meta,
    spec: Option<ClaimSpec>,
    status: Option<Phase>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ClaimSpec {
    resources: Option<Resources>,
    storage_class_name: Option<Sym>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resources {
    requests: Option<Storage>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Storage {
    storage: Option<Box<str>>,
}

impl From<Claim> for WatchedPvc {
    fn from(s: Claim) -> Self {
        let (storage, storage_class) = s.spec.map_or((None, None), |spec| {
            let storage = spec.resources.and_then(|r| r.requests?.storage);
            (storage, spec.storage_class_name)
        });
        Self {
            meta: s.metadata,
            phase: s.status.and_then(|s| s.phase),
            storage,
            storage_class,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Pod {
    metadata: Meta,
    status: Option<PodStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PodStatus {
    phase: Option<Sym>,
    conditions: Conditions,
    init_container_statuses: Option<Vec<ContainerState>>,
    container_statuses: Option<Vec<ContainerState>>,
}

impl From<Pod> for WatchedPod {
    fn from(s: Pod) -> Self {
        let status = s.status.unwrap_or_default();
        let containers = status.init_container_statuses.into_iter().flatten();
        Self {
            meta: s.metadata,
            phase: status.phase,
            conditions: status.conditions,
            containers: containers
                .chain(status.container_statuses.into_iter().flatten())
                .collect(),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Container {
    name: Sym,
    #[serde(default)]
    state: Option<State>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct State {
    waiting: Option<Waiting>,
}

impl From<Container> for ContainerState {
    fn from(s: Container) -> Self {
        Self {
            name: s.name,
            waiting: s.state.and_then(|s| s.waiting),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Ingress {
    metadata: Meta,
    spec: Option<IngressSpec>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IngressSpec {
    rules: Option<Vec<Rule>>,
    tls: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Rule {
    host: Option<Box<str>>,
}

impl From<Ingress> for WatchedIngress {
    fn from(s: Ingress) -> Self {
        let spec = s.spec.unwrap_or_default();
        Self {
            meta: s.metadata,
            host: spec.rules.and_then(|r| r.into_iter().next()?.host),
            tls: spec.tls.is_some_and(|t| !t.is_empty()),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Lease {
    metadata: Meta,
    spec: Option<Renewed>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Renewed {
    #[serde(deserialize_with = "micro_time")]
    renew_time: Option<Timestamp>,
}

impl From<Lease> for WatchedLease {
    fn from(s: Lease) -> Self {
        Self {
            meta: s.metadata,
            renewed: s.spec.and_then(|s| s.renew_time),
        }
    }
}
