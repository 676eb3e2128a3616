use super::*;

#[test]
fn kinds_keep_their_api_identity() {
    type Identity<K> = <K as SlimKind>::Api;
    assert_eq!(Identity::<WatchedPod>::plural(&()), "pods");
    assert_eq!(Identity::<WatchedDeployment>::group(&()), "apps");
    assert_eq!(
        Identity::<WatchedIngress>::api_version(&()),
        "networking.k8s.io/v1"
    );
    assert_eq!(
        Identity::<WatchedPvc>::url_path(&(), Some("store-shop")),
        "/api/v1/namespaces/store-shop/persistentvolumeclaims"
    );
    assert_eq!(Identity::<WatchedLease>::group(&()), "coordination.k8s.io");
    assert_eq!(
        Identity::<WatchedNamespace>::url_path(&(), None),
        "/api/v1/namespaces"
    );
}
