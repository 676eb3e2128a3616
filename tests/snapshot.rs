//! The one-look reads (`cluster::snapshot`, behind `list`, `status` and every verb's
//! lookup) against the real API server: a kind with more objects than one page holds is
//! read whole, page after page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{cluster, scratch_namespace, unique};
use futures::{StreamExt, stream};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::json;
use storectl::cluster::snapshot;

#[tokio::test(flavor = "multi_thread")]
async fn a_kind_longer_than_a_page_is_read_whole() {
    let c = cluster();
    let admin = c.admin().await;
    let namespace = scratch_namespace(&admin, "pages").await;
    let label = unique("paged");
    // Three pages of 500: two full, one of a single object.
    let leases: Api<Lease> = Api::namespaced(admin.clone(), &namespace);
    let made = stream::iter(0..1001)
        .map(|i| {
            let lease: Lease = serde_json::from_value(json!({
                "metadata": {"name": format!("lease-{i:04}"), "labels": {"storectl-test-page": label}}
            }))
            .unwrap();
            let leases = leases.clone();
            async move { leases.create(&PostParams::default(), &lease).await.is_ok() }
        })
        .buffer_unordered(16)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    assert_eq!(made, 1001);

    let conn = c.admin_connection().await;
    let read = snapshot::inventory(&conn, &format!("storectl-test-page={label}"))
        .await
        .unwrap()
        .complete()
        .unwrap();
    let mut names: Vec<&str> = read.reports.iter().map(|l| &*l.meta.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 1001, "each lease once");
    assert_eq!((names[0], names[1000]), ("lease-0000", "lease-1000"));

    Api::<Namespace>::all(admin)
        .delete(&namespace, &DeleteParams::default())
        .await
        .unwrap();
}
