//! What storectl keeps of each store object it lists or watches: only what the status
//! rules and the screens read. A reflected Deployment without its pod template is a tenth
//! of its size, which is most of the TUI's memory at a thousand stores.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod, PodTemplateSpec};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

/// Drops, in place, the parts of an object that storectl never reads.
pub trait Slim {
    /// A field selector that leaves out whole objects of this kind that storectl never
    /// reads, so the API server does not even send them.
    const FIELD_SELECTOR: Option<&'static str> = None;

    fn slim(&mut self);
}

/// Name, namespace, labels, times and resource version stay; managed fields, annotations
/// (kubectl's last-applied copy among them), owners and finalizers go.
fn slim_meta(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    meta.annotations = None;
    meta.owner_references = None;
    meta.finalizers = None;
}

impl Slim for Namespace {
    fn slim(&mut self) {
        slim_meta(&mut self.metadata);
        self.spec = None;
    }
}

impl Slim for Deployment {
    /// Replica count and status stay; the pod template and selector go.
    fn slim(&mut self) {
        slim_meta(&mut self.metadata);
        if let Some(spec) = &mut self.spec {
            spec.template = PodTemplateSpec::default();
            spec.selector = LabelSelector::default();
            spec.strategy = None;
        }
    }
}

impl Slim for Job {
    /// Only the status is read.
    fn slim(&mut self) {
        slim_meta(&mut self.metadata);
        self.spec = None;
    }
}

impl Slim for PersistentVolumeClaim {
    fn slim(&mut self) {
        slim_meta(&mut self.metadata);
    }
}

impl Slim for Pod {
    /// Finished pods (a store's completed setup Job's) count for nothing: the Job's own
    /// status says it finished. At a thousand stores they are a third of all pods.
    const FIELD_SELECTOR: Option<&'static str> = Some("status.phase!=Succeeded");

    /// Phase, conditions and current container states stay; the spec, addresses, image
    /// digests and previous container states go.
    fn slim(&mut self) {
        slim_meta(&mut self.metadata);
        self.spec = None;
        if let Some(status) = &mut self.status {
            status.host_ip = None;
            status.host_ips = None;
            status.pod_ip = None;
            status.pod_ips = None;
            status.qos_class = None;
            let containers = status
                .init_container_statuses
                .iter_mut()
                .chain(status.container_statuses.iter_mut())
                .flatten();
            for c in containers {
                c.image_id = String::new();
                c.container_id = None;
                c.last_state = None;
            }
        }
    }
}

impl Slim for Ingress {
    fn slim(&mut self) {
        slim_meta(&mut self.metadata);
        self.status = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml<T: serde::de::DeserializeOwned>(s: &str) -> T {
        serde_yaml_ng::from_str(s).unwrap()
    }

    #[test]
    fn a_slim_deployment_keeps_what_the_status_rules_read() {
        let mut d: Deployment = yaml(
            r#"
metadata:
  name: shop-wordpress
  labels: {app: shop, component: wordpress}
  annotations: {kubectl.kubernetes.io/last-applied-configuration: "{...}"}
  managedFields: [{manager: storectl, operation: Apply}]
spec:
  replicas: 2
  selector: {matchLabels: {app: shop}}
  template: {spec: {containers: [{name: wordpress, image: wordpress:6}]}}
status: {readyReplicas: 1, conditions: [{type: Available, status: "False"}]}
"#,
        );
        d.slim();
        assert_eq!(d.metadata.labels.as_ref().map(|l| l.len()), Some(2));
        assert_eq!(d.metadata.annotations, None);
        assert_eq!(d.metadata.managed_fields, None);
        let spec = d.spec.as_ref().unwrap();
        assert_eq!(spec.replicas, Some(2));
        assert_eq!(spec.template, PodTemplateSpec::default());
        let status = d.status.as_ref().unwrap();
        assert_eq!(status.ready_replicas, Some(1));
        assert_eq!(status.conditions.as_ref().map(Vec::len), Some(1));
    }

    #[test]
    fn a_slim_pod_keeps_phase_conditions_and_container_states() {
        let mut p: Pod = yaml(
            r#"
metadata: {name: shop-mysql-x, labels: {app: shop}, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: r, uid: u}]}
spec: {containers: [{name: mysql, image: mysql:8}]}
status:
  phase: Running
  podIP: 10.0.0.1
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - {name: mysql, image: mysql:8, imageID: "sha256:abc", ready: true, restartCount: 3,
     state: {running: {}}, lastState: {terminated: {exitCode: 1}}}
"#,
        );
        p.slim();
        assert_eq!(p.spec, None);
        assert_eq!(p.metadata.owner_references, None);
        let status = p.status.as_ref().unwrap();
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert_eq!(status.pod_ip, None);
        assert_eq!(status.conditions.as_ref().map(Vec::len), Some(1));
        let c = &status.container_statuses.as_ref().unwrap()[0];
        assert!(c.ready && c.restart_count == 3 && c.image_id.is_empty());
        assert!(c.state.as_ref().unwrap().running.is_some());
        assert_eq!(c.last_state, None);
    }
}
