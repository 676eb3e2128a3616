use super::*;

#[test]
fn an_object_in_transit_hands_its_resource_version_to_the_watcher_and_keeps_none() {
    let json = r#"{"metadata": {"name": "shop-mysql-x", "namespace": "store-shop",
        "resourceVersion": "42", "labels": {"app": "shop"}}, "status": {"phase": "Running"}}"#;
    let slim: Slim<WatchedPod> = serde_json::from_str(json).unwrap();
    assert_eq!(slim.meta().resource_version.as_deref(), Some("42"));
    assert_eq!(slim.object.meta.resource_version, None);
    assert_eq!(&*slim.object.meta.name, "shop-mysql-x");
    assert_eq!(slim.object.phase.as_deref(), Some("Running"));
}

#[test]
fn kinds_keep_their_api_identity() {
    assert_eq!(Slim::<WatchedPod>::plural(&()), "pods");
    assert_eq!(Slim::<WatchedDeployment>::group(&()), "apps");
    assert_eq!(
        Slim::<WatchedIngress>::api_version(&()),
        "networking.k8s.io/v1"
    );
    assert_eq!(Slim::<WatchedPvc>::plural(&()), "persistentvolumeclaims");
    assert_eq!(Slim::<WatchedLease>::group(&()), "coordination.k8s.io");
}
