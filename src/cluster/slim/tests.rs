use super::*;

fn slim<K: SlimKind>(yaml: &str) -> K {
    serde_yaml_ng::from_str::<Slim<K>>(yaml).unwrap().0
}

#[test]
fn a_slim_deployment_keeps_what_the_status_rules_read() {
    let d: Deployment = slim(
        r#"
metadata:
  name: shop-wordpress
  namespace: store-shop
  uid: u-1
  resourceVersion: "42"
  generation: 3
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels: {app: shop, component: wordpress}
  annotations: {kubectl.kubernetes.io/last-applied-configuration: "{...}", storectl.io/woocommerce-version: "10.1.2"}
  managedFields: [{manager: storectl, operation: Apply}]
spec:
  replicas: 2
  selector: {matchLabels: {app: shop}}
  template: {spec: {containers: [{name: wordpress, image: wordpress:6}]}}
status: {observedGeneration: 3, readyReplicas: 1, conditions: [{type: Available, status: "False"}]}
"#,
    );
    let m = &d.metadata;
    assert_eq!(m.name.as_deref(), Some("shop-wordpress"));
    assert_eq!(m.namespace.as_deref(), Some("store-shop"));
    assert_eq!(
        (m.uid.as_deref(), m.resource_version.as_deref()),
        (Some("u-1"), Some("42"))
    );
    assert_eq!(m.generation, Some(3));
    assert!(m.creation_timestamp.is_some());
    assert_eq!(m.labels.as_ref().map(BTreeMap::len), Some(2));
    // Of the annotations, only the pins the report is compared with.
    let pins = BTreeMap::from([(WOOCOMMERCE_ANNOTATION.to_string(), "10.1.2".to_string())]);
    assert_eq!(
        (m.annotations.as_ref(), m.managed_fields.as_ref()),
        (Some(&pins), None)
    );
    let spec = d.spec.as_ref().unwrap();
    assert_eq!(spec.replicas, Some(2));
    assert_eq!(spec.template, Default::default());
    let status = d.status.as_ref().unwrap();
    assert_eq!(
        (status.observed_generation, status.ready_replicas),
        (Some(3), Some(1))
    );
    assert_eq!(status.conditions.as_ref().map(Vec::len), Some(1));
}

#[test]
fn a_slim_pod_keeps_its_status_and_not_its_spec() {
    let p: Pod = slim(
        r#"
metadata: {name: shop-mysql-x, labels: {app: shop}, deletionTimestamp: "2026-01-01T00:00:00Z",
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: r, uid: u}]}
spec: {containers: [{name: mysql, image: mysql:8}]}
status:
  phase: Running
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - {name: mysql, image: mysql:8, imageID: "", ready: true, restartCount: 3, state: {running: {}}}
"#,
    );
    assert_eq!(p.spec, None);
    assert_eq!(p.metadata.owner_references, None);
    assert!(p.metadata.deletion_timestamp.is_some());
    let status = p.status.as_ref().unwrap();
    assert_eq!(status.phase.as_deref(), Some("Running"));
    assert_eq!(status.conditions.as_ref().map(Vec::len), Some(1));
    let c = &status.container_statuses.as_ref().unwrap()[0];
    assert!(c.ready && c.restart_count == 3);
    assert!(c.state.as_ref().unwrap().running.is_some());
}

#[test]
fn kinds_keep_their_api_identity() {
    assert_eq!(Slim::<Pod>::plural(&()), "pods");
    assert_eq!(Slim::<Deployment>::group(&()), "apps");
    assert_eq!(Slim::<Ingress>::api_version(&()), "networking.k8s.io/v1");
}
