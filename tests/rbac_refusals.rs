//! What storectl's own identities may not do, asked of and tried against the API server
//! (setup in tests/common/rbac.rs): RBAC says no to Secrets, ConfigMaps, Jobs and Pods in
//! kube-system and default for both principals; the admission policy refuses, when
//! actually tried, writes in namespaces storectl did not make, namespaces without its
//! mark or name, and pods with host access or another ServiceAccount.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::rbac::{OPERATORS, may, refused, setup};
use common::{cluster, unique};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Every "no", asked of the API server for both principals.
#[tokio::test(flavor = "multi_thread")]
async fn rbac_says_no_to_secrets_configmaps_jobs_and_pods_outside_storectls_namespaces() {
    let setup = setup().await;
    let admin = cluster().admin().await;
    for who in [&setup.alice, &setup.serve] {
        for ns in ["kube-system", "default"] {
            for resource in ["secrets", "configmaps"] {
                for verb in ["get", "list", "watch", "create", "patch", "delete"] {
                    assert!(
                        !may(&admin, who, verb, resource, Some(ns)).await,
                        "{} may {verb} {resource} in {ns}",
                        who.user
                    );
                }
            }
            for resource in ["jobs.batch", "pods", "deployments.apps", "cronjobs.batch"] {
                for verb in ["create", "patch", "update", "delete"] {
                    assert!(
                        !may(&admin, who, verb, resource, Some(ns)).await,
                        "{} may {verb} {resource} in {ns}",
                        who.user
                    );
                }
            }
            assert!(!may(&admin, who, "get", "pods/log", Some(ns)).await);
            // Read by the watches, which RBAC cannot narrow by label (docs/security.md).
            for resource in ["pods", "jobs.batch"] {
                assert!(
                    may(&admin, who, "list", resource, Some(ns)).await,
                    "{resource}"
                );
            }
        }
        for verb in ["list", "watch"] {
            assert!(!may(&admin, who, verb, "secrets", None).await);
            assert!(!may(&admin, who, verb, "configmaps", None).await);
        }
        for verb in ["patch", "update", "delete"] {
            assert!(!may(&admin, who, verb, "namespaces", Some("kube-system")).await);
        }
        assert!(
            !may(
                &admin,
                who,
                "create",
                "clusterrolebindings.rbac.authorization.k8s.io",
                None
            )
            .await
        );
    }
}

/// Tried for real as both principals: what RBAC alone would let through (a binding in any
/// namespace, writes in a bound namespace storectl did not make, namespace create) and
/// what no role should ever allow, refused by the API server.
#[tokio::test(flavor = "multi_thread")]
async fn the_api_server_refuses_writes_outside_storectls_namespaces_and_unsafe_pods() {
    let c = cluster();
    let setup = setup().await;
    let admin = c.admin().await;
    // Someone else's namespace, bound the way the platform admin binds the shared one.
    let foreign = unique("foreign");
    let admin_ns: Api<Namespace> = Api::all(admin.clone());
    admin_ns
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": foreign}})).unwrap(),
        )
        .await
        .unwrap();
    let writer: RoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "storectl-store-writer"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "storectl-store-writer"},
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": OPERATORS},
            {"kind": "ServiceAccount", "name": "storectl", "namespace": "ecommerce-platform"}
        ]
    })).unwrap();
    Api::<RoleBinding>::namespaced(admin.clone(), &foreign)
        .create(&PostParams::default(), &writer)
        .await
        .unwrap();
    let name = unique("pol");
    let store_ns = format!("store-{name}");
    block(|| setup.alice.storectl(c, &["create", &name], 0));

    let relabel = Patch::Merge(
        json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}}),
    );
    let unmark =
        Patch::Merge(json!({"metadata": {"labels": {"app.kubernetes.io/managed-by": null}}}));
    let pp = PatchParams::default();
    let namespace = |name: &str, marked: bool| -> Namespace {
        let labels = if marked {
            json!({"app.kubernetes.io/managed-by": "storectl"})
        } else {
            json!({})
        };
        serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}})).unwrap()
    };
    let pod_template = |extra: Value| -> Value {
        let mut spec = json!({"containers": [{"name": "c", "image": "busybox"}]});
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        json!({"metadata": {"labels": {"x": "y"}}, "spec": spec})
    };
    for who in [&setup.alice, &setup.serve] {
        let client = who.client().await;
        let namespaces: Api<Namespace> = Api::all(client.clone());
        // Namespaces storectl did not make: RBAC refuses in kube-system and default; where
        // a binding would allow it, the policy does.
        for ns in ["kube-system", "default"] {
            refused(namespaces.patch(ns, &pp, &relabel).await, None);
            refused(namespaces.delete(ns, &DeleteParams::default()).await, None);
        }
        let only_its_own = Some("storectl changes or deletes only namespaces it made");
        refused(
            namespaces.patch(&foreign, &pp, &relabel).await,
            only_its_own,
        );
        refused(
            namespaces.delete(&foreign, &DeleteParams::default()).await,
            only_its_own,
        );
        refused(
            namespaces.patch(&store_ns, &pp, &unmark).await,
            only_its_own,
        );
        let creates = Some("storectl creates only namespaces named store-*");
        refused(
            namespaces
                .create(&PostParams::default(), &namespace(&unique("plain"), true))
                .await,
            creates,
        );
        refused(
            namespaces
                .create(
                    &PostParams::default(),
                    &namespace(&unique("store-x"), false),
                )
                .await,
            creates,
        );
        // A binding outside storectl's namespaces (RBAC allows create + bind anywhere).
        let elsewhere = Some("storectl writes only in namespaces with its mark");
        for ns in ["kube-system", "default", foreign.as_str()] {
            let api: Api<RoleBinding> = Api::namespaced(client.clone(), ns);
            refused(api.create(&PostParams::default(), &writer).await, elsewhere);
        }
        // Writes in the bound foreign namespace.
        let maps: Api<k8s_openapi::api::core::v1::ConfigMap> =
            Api::namespaced(client.clone(), &foreign);
        refused(
            maps.create(
                &PostParams::default(),
                &serde_json::from_value(json!({"metadata": {"name": "x"}})).unwrap(),
            )
            .await,
            elsewhere,
        );
        // Pods with host access or another ServiceAccount, in the store's own namespace.
        let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
            Api::namespaced(client.clone(), &store_ns);
        let jobs: Api<k8s_openapi::api::batch::v1::Job> =
            Api::namespaced(client.clone(), &store_ns);
        for (extra, rule) in [
            (
                json!({"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}),
                "may not mount hostPath volumes",
            ),
            (
                json!({"hostNetwork": true}),
                "may not share the node's network",
            ),
            (json!({"hostPID": true}), "may not share the node's network"),
            (
                json!({"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": true}}]}),
                "may not run privileged containers",
            ),
            (
                json!({"serviceAccountName": "builder"}),
                "no other serviceAccountName",
            ),
        ] {
            let deployment = serde_json::from_value(json!({
                "metadata": {"name": unique("bad")},
                "spec": {"selector": {"matchLabels": {"x": "y"}}, "template": pod_template(extra.clone())}
            })).unwrap();
            refused(
                deployments
                    .create(&PostParams::default(), &deployment)
                    .await,
                Some(rule),
            );
            let mut template = pod_template(extra);
            template["spec"]["restartPolicy"] = json!("Never");
            let job = serde_json::from_value(
                json!({"metadata": {"name": unique("bad")}, "spec": {"template": template}}),
            )
            .unwrap();
            refused(jobs.create(&PostParams::default(), &job).await, Some(rule));
        }
        // The healthy twin of those: the same Deployment without them is accepted.
        let fine = serde_json::from_value(json!({
            "metadata": {"name": unique("fine")},
            "spec": {"selector": {"matchLabels": {"x": "y"}}, "template": pod_template(json!({}))}
        }))
        .unwrap();
        deployments
            .create(
                &PostParams {
                    dry_run: true,
                    ..Default::default()
                },
                &fine,
            )
            .await
            .unwrap();
    }
    block(|| {
        setup
            .alice
            .storectl(c, &["delete", &name, "--yes", "--wait"], 0)
    });
}
