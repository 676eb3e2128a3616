//! Trust, against the real control plane: storectl touches only what it made (or the
//! original platform's exact layout), never strands data, says only what is true, shows
//! what a partly-permitted user may see, and refuses locally what the cluster would
//! refuse later (each such case is first shown to be refused by the API server itself,
//! with a server-side dry run).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{
    cluster, fresh_home, labelled_in_shared, original_platform_store, storectl, storectl_in,
    unique, wait_gone,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Pod, ResourceQuota, Secret,
};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde::de::DeserializeOwned;

const ADMIN: &str = "devcluster-admin";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

async fn admin() -> Client {
    cluster().admin().await
}

/// A namespace made by hand (kubectl-style field manager), with a ConfigMap of data.
async fn foreign_namespace(name: &str) {
    let client = admin().await;
    let ns: Api<Namespace> = Api::all(client.clone());
    let pp = PostParams {
        field_manager: Some("kubectl-create".into()),
        ..PostParams::default()
    };
    let object: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
    ns.create(&pp, &object).await.unwrap();
    let maps: Api<ConfigMap> = Api::namespaced(client, name);
    let map: ConfigMap = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "precious"}, "data": {"k": "v"}}),
    )
    .unwrap();
    maps.create(&pp, &map).await.unwrap();
}

/// Asserts the hand-made namespace still has only its own things.
async fn untouched(name: &str) {
    let client = admin().await;
    let ns = Api::<Namespace>::all(client.clone())
        .get(name)
        .await
        .unwrap();
    let labels = ns.metadata.labels.unwrap_or_default();
    assert!(
        !labels.contains_key("app.kubernetes.io/managed-by")
            && !labels.contains_key("pod-security.kubernetes.io/enforce"),
        "storectl labelled {name}: {labels:?}"
    );
    assert!(
        ns.metadata.deletion_timestamp.is_none(),
        "{name} is being deleted"
    );
    let policies: Api<k8s_openapi::api::networking::v1::NetworkPolicy> =
        Api::namespaced(client.clone(), name);
    assert!(
        policies
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), name);
    assert!(
        quotas
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let maps: Api<ConfigMap> = Api::namespaced(client, name);
    assert!(
        maps.get_opt("precious").await.unwrap().is_some(),
        "data in {name} is gone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ownership_a_namespace_storectl_did_not_create_is_refused_by_create_and_delete() {
    let c = cluster();
    let name = unique("victim");
    let ns = format!("store-{name}");
    foreign_namespace(&ns).await;

    let run = block(|| storectl(c, ADMIN, &["create", &name]).expect_code(3));
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: Namespace/{ns} already exists and is not storectl's (managed by kubectl-create); storectl will not change it: pick another store name, or move it out of the way yourself"
        )
    );
    untouched(&ns).await;

    // Even labelled like a store (as an older storectl would have left it), a namespace
    // without storectl's mark is not deleted.
    let nss: Api<Namespace> = Api::all(admin().await);
    let labels = serde_json::json!({"metadata": {"labels": {"app": name, "managed-by": "ecommerce-platform"}}});
    nss.patch(&ns, &PatchParams::default(), &Patch::Merge(labels))
        .await
        .unwrap();
    let run = block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(3));
    assert!(
        run.stderr.contains(&format!(
            "'{name}' in namespace {ns} has store labels but not storectl's mark: it is not a store storectl made, so storectl leaves it alone (nothing was changed)"
        )),
        "{run:#?}"
    );
    let maps: Api<ConfigMap> = Api::namespaced(admin().await, &ns);
    assert!(maps.get_opt("precious").await.unwrap().is_some());
    assert!(
        nss.get(&ns)
            .await
            .unwrap()
            .metadata
            .deletion_timestamp
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ownership_no_namespace_prefix_reaches_a_namespace_storectl_did_not_create() {
    let c = cluster();
    // A prefix that makes the store's namespace someone else's: `m` + `onitoring-…`.
    let name = unique("monitoring");
    foreign_namespace(&name).await;
    let run = block(|| {
        storectl(
            c,
            ADMIN,
            &["--set", "stores.namespacePrefix=m", "create", &name[1..]],
        )
        .expect_code(3)
    });
    assert!(
        run.stderr.contains(&format!(
            "Namespace/{name} already exists and is not storectl's"
        )),
        "{run:#?}"
    );
    untouched(&name).await;

    // No prefix at all is refused before anything is asked of the cluster: a store's
    // namespace would be its bare name (security review L8).
    let bare = unique("argocd");
    let run = block(|| {
        storectl(
            c,
            ADMIN,
            &["--set", "stores.namespacePrefix=", "create", &bare],
        )
        .expect_code(2)
    });
    assert!(
        run.stderr.contains(
            "stores.namespacePrefix (set in --set stores.namespacePrefix=): cannot be empty"
        ),
        "{run:#?}"
    );
    let nss: Api<Namespace> = Api::all(admin().await);
    assert!(
        nss.get_opt(&bare).await.unwrap().is_none(),
        "{bare} was made"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ownership_a_store_name_is_unique_across_both_layouts() {
    let c = cluster();
    // A per-store store blocks the name in the shared namespace ...
    let name = unique("twice");
    block(|| storectl(c, ADMIN, &["create", &name]).expect_code(0));
    let run = block(|| {
        storectl(
            c,
            ADMIN,
            &["create", &name, "--set", "stores.isolation=shared"],
        )
        .expect_code(3)
    });
    assert!(
        run.stderr.contains(&format!(
            "store '{name}' already exists in namespace store-{name} (store names are unique"
        )),
        "{run:#?}"
    );
    let deployments: Api<Deployment> = Api::namespaced(admin().await, "ecommerce-stores");
    assert!(
        deployments
            .get_opt(&format!("{name}-wordpress"))
            .await
            .unwrap()
            .is_none()
    );

    // ... and a store of the original platform blocks it for a per-store namespace.
    let legacy = unique("legacy");
    original_platform_store(c, &legacy).await;
    let run = block(|| storectl(c, ADMIN, &["create", &legacy]).expect_code(3));
    assert!(
        run.stderr.contains(&format!(
            "store '{legacy}' already exists in namespace ecommerce-stores"
        )),
        "{run:#?}"
    );
    let nss: Api<Namespace> = Api::all(admin().await);
    assert!(
        nss.get_opt(&format!("store-{legacy}"))
            .await
            .unwrap()
            .is_none()
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0));
    block(|| storectl(c, ADMIN, &["delete", &legacy, "--yes", "--wait"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn ownership_one_foreign_object_in_the_shared_namespace_stops_delete_before_anything_goes() {
    let c = cluster();
    let name = unique("shared");
    block(|| {
        storectl(
            c,
            ADMIN,
            &["create", &name, "--set", "stores.isolation=shared"],
        )
        .expect_code(0)
    });
    // Someone else's object that merely carries the store's labels.
    let client = admin().await;
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "ecommerce-stores");
    let map: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("{name}-notes"), "labels": {"app": name, "managed-by": "ecommerce-platform"}},
        "data": {"k": "v"}
    }))
    .unwrap();
    let pp = PostParams {
        field_manager: Some("someone".into()),
        ..PostParams::default()
    };
    maps.create(&pp, &map).await.unwrap();
    let before = labelled_in_shared(&client, &name).await;
    assert!(before.len() > 10, "{before:?}");
    let run = block(|| storectl(c, ADMIN, &["delete", &name, "--yes"]).expect_code(3));
    assert!(
        run.stderr.contains(&format!(
            "ConfigMap/{name}-notes is not storectl's (managed by someone); nothing was deleted"
        )),
        "{run:#?}"
    );
    // Every object of the store is still there, none of them being deleted.
    assert_eq!(labelled_in_shared(&client, &name).await, before);
    maps.delete(&format!("{name}-notes"), &Default::default())
        .await
        .unwrap();
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_stranded_data_credentials_are_never_minted_again_while_volumes_exist() {
    let c = cluster();
    let name = unique("keep");
    let ns = format!("store-{name}");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let client = admin().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    secrets
        .delete(&format!("{name}-credentials"), &Default::default())
        .await
        .unwrap();

    let run = block(|| storectl(c, ADMIN, &["create", &name]).expect_code(3));
    assert!(
        run.stderr.contains(&format!("the credentials secret {name}-credentials is missing, but the volumes {name}-mysql-pvc, {name}-wordpress-pvc still hold the store's data")),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains("Restore the secret"),
        "says how to recover: {run:#?}"
    );
    assert!(
        secrets
            .get_opt(&format!("{name}-credentials"))
            .await
            .unwrap()
            .is_none(),
        "a secret was minted"
    );
    // Nor by an upgrade (a change that applies every object of the store but the Secret).
    let upgrade = block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "upgrade",
                &name,
                "--set",
                "wordpress.resources.limits.memory=640Mi",
            ],
        )
        .expect_code(3)
    });
    assert!(
        upgrade.stderr.contains(&format!(
            "the credentials secret {name}-credentials of store '{name}' is missing; storectl never makes new passwords for a store whose data exists"
        )),
        "{upgrade:#?}"
    );
    assert!(
        secrets
            .get_opt(&format!("{name}-credentials"))
            .await
            .unwrap()
            .is_none(),
        "a secret was minted by the upgrade"
    );
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client, &ns);
    assert_eq!(
        claims.list(&Default::default()).await.unwrap().items.len(),
        2
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn honest_results_delete_wait_says_gone_only_when_the_api_server_agrees() {
    let c = cluster();
    let name = unique("gone");
    let ns = format!("store-{name}");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let client = admin().await;
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
    let volumes: Vec<String> = claims
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .filter_map(|c| c.spec.as_ref()?.volume_name.clone())
        .collect();
    assert_eq!(volumes.len(), 2, "both claims bound");

    let run = block(|| storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0));
    assert!(
        run.stdout.ends_with(&format!("store {name} is gone\n")),
        "{run:#?}"
    );
    // Independently, through the API: nothing of the store is left.
    let nss: Api<Namespace> = Api::all(client.clone());
    assert!(
        nss.get_opt(&ns).await.unwrap().is_none(),
        "namespace {ns} remains"
    );
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    assert!(
        pods.list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let pvs: Api<k8s_openapi::api::core::v1::PersistentVolume> = Api::all(client);
    for pv in volumes {
        // The simulator's class reclaims with Delete: the volume goes after its claim.
        wait_gone(&pvs, &pv, 30).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn partial_permissions_list_and_status_show_what_may_be_seen_and_exit_5() {
    let c = cluster();
    let name = unique("seen");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    // `limited` may read everything storectl lists, except ingresses.
    common::grant_all_but_ingresses(c).await;

    let limited = "devcluster-limited";
    let refusal = "storectl: forbidden: user \"limited\" may not list ingresses.networking.k8s.io cluster-wide";
    let list = block(|| storectl(c, limited, &["list", "-o", "json"]).expect_code(5));
    let rows: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let row = rows
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == name.as_str()))
        .unwrap_or_else(|| panic!("{name} missing from {list:#?}"));
    assert_eq!(row["pods_total"], 2, "{row}");
    assert_eq!(
        list.stderr.matches(refusal).count(),
        1,
        "the refused kind is named once: {list:#?}"
    );
    assert!(
        list.stderr.contains("error: incomplete: 1 kind(s)"),
        "{list:#?}"
    );

    let status = block(|| storectl(c, limited, &["status", &name]).expect_code(5));
    assert!(
        status.stdout.contains(&format!("Store:     {name}")),
        "{status:#?}"
    );
    assert!(status.stdout.contains("Deployment"), "{status:#?}");
    assert_eq!(status.stderr.matches(refusal).count(), 1, "{status:#?}");
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0));
}

/// The rendered objects of a store (as `storectl render` prints them), by `Kind/name`.
fn rendered(name: &str, sets: &[&str]) -> BTreeMap<String, serde_json::Value> {
    let mut args = vec!["render", name];
    for s in sets {
        args.extend(["--set", s]);
    }
    let run = block(|| storectl(cluster(), ADMIN, &args).expect_code(0));
    run.stdout
        .split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            let v: serde_json::Value = serde_yaml_ng::from_str(d).unwrap();
            let key = format!(
                "{}/{}",
                v["kind"].as_str().unwrap(),
                v["metadata"]["name"].as_str().unwrap()
            );
            (key, v)
        })
        .collect()
}

/// Creates `object` in `namespace` with `dryRun=All`: what the API server (and its
/// admission) says, without keeping anything.
async fn dry_run<K>(namespace: &str, mut object: serde_json::Value) -> Result<(), kube::Error>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + DeserializeOwned
        + serde::Serialize,
{
    object["metadata"]["namespace"] = namespace.into();
    let typed: K = serde_json::from_value(object).unwrap();
    let api: Api<K> = Api::namespaced(admin().await, namespace);
    let pp = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    api.create(&pp, &typed).await.map(drop)
}

/// The refusal's HTTP code and message, or a panic if the server accepted.
fn refused(result: Result<(), kube::Error>, what: &str) -> (u16, String) {
    match result {
        Err(kube::Error::Api(s)) => (s.code, s.message.clone()),
        other => panic!("the API server did not refuse {what}: {other:?}"),
    }
}

/// `storectl create` with `sets` stops with exit 2 and `message` before any API call (it
/// is pointed at a server that does not answer: a call would exit 6), and the same
/// create against the cluster makes nothing.
fn refused_locally(sets: &[&str], message: &str) {
    let name = unique("local");
    let mut args = vec!["create", name.as_str()];
    for s in sets {
        args.extend(["--set", s]);
    }
    let home = common::fresh_home(cluster());
    let nowhere = home.join("unreachable-kubeconfig");
    std::fs::write(
        &nowhere,
        common::token_kubeconfig("https://127.0.0.1:1", ADMIN, "t"),
    )
    .unwrap();
    let nowhere = nowhere.display().to_string();
    let offline = block(|| {
        common::storectl_in(&home, cluster(), ADMIN, &args, &[("KUBECONFIG", &nowhere)])
            .expect_code(2)
    });
    assert_eq!(
        offline.stderr,
        {
            let online = block(|| storectl(cluster(), ADMIN, &args).expect_code(2));
            online.stderr
        },
        "{sets:?}: the same refusal with and without a cluster"
    );
    let run = offline;
    assert!(
        run.stderr.contains(message),
        "{sets:?}: expected {message:?} in {run:#?}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "one line: {run:#?}");
    let status = block(|| storectl(cluster(), ADMIN, &["status", &name]));
    assert_eq!(status.code, Some(4), "{sets:?} left something: {status:#?}");
}

/// A plain scratch namespace for dry runs, optionally with labels.
async fn scratch_namespace(labels: serde_json::Value) -> String {
    let name = unique("dry");
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name, "labels": labels}}))
            .unwrap();
    Api::<Namespace>::all(admin().await)
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    name
}

#[tokio::test(flavor = "multi_thread")]
async fn local_checks_refuse_what_the_api_server_would_refuse() {
    let ns = scratch_namespace(serde_json::json!({})).await;
    let objects = rendered("probe", &[]);
    let pvc = objects["PersistentVolumeClaim/probe-mysql-pvc"].clone();
    let mysql = objects["Deployment/probe-mysql"].clone();
    let ingress = objects["Ingress/probe-ingress"].clone();
    let quota = objects["ResourceQuota/probe-quota"].clone();

    // A storage class name with a space.
    let mut o = pvc.clone();
    o["spec"]["storageClassName"] = "fast ssd".into();
    assert_eq!(
        refused(
            dry_run::<PersistentVolumeClaim>(&ns, o).await,
            "class 'fast ssd'"
        )
        .0,
        422
    );
    refused_locally(
        &["global.storageClass=fast ssd"],
        "global.storageClass (set in --set global.storageClass=fast ssd): 'fast ssd' is not a valid DNS name",
    );

    // A volume of zero.
    let mut o = pvc.clone();
    o["spec"]["resources"]["requests"]["storage"] = "0".into();
    assert_eq!(
        refused(dry_run::<PersistentVolumeClaim>(&ns, o).await, "storage 0").0,
        422
    );
    refused_locally(
        &["mysql.storage=0"],
        "mysql.storage (set in --set mysql.storage=0): '0' is no space at all",
    );

    // A cpu request above its limit.
    let mut o = mysql.clone();
    o["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "2".into();
    let (code, message) = refused(dry_run::<Deployment>(&ns, o).await, "request above limit");
    assert_eq!(code, 422, "{message}");
    assert!(
        message.contains("must be less than or equal to cpu limit"),
        "{message}"
    );
    refused_locally(
        &["mysql.resources.requests.cpu=2"],
        "the request 2 is above the limit 1",
    );

    // A misspelt key in a free-form resources map.
    let mut o = mysql.clone();
    o["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpuu"] = "2".into();
    assert_eq!(
        refused(dry_run::<Deployment>(&ns, o).await, "resource 'cpuu'").0,
        422
    );
    refused_locally(
        &["mysql.resources.limits.cpuu=2"],
        "'cpuu' is not a container resource the API server accepts (did you mean 'cpu'?)",
    );

    // A misspelt quota key.
    let mut o = quota.clone();
    o["spec"]["hard"]["request.cpu"] = "2".into();
    assert_eq!(
        refused(
            dry_run::<ResourceQuota>(&ns, o).await,
            "quota key 'request.cpu'"
        )
        .0,
        422
    );
    refused_locally(
        &["quota.hard.request\\.cpu=2"],
        "'request.cpu' is not a quota resource the API server accepts (did you mean 'requests.cpu'?)",
    );

    // A host longer than 253 characters.
    let domain = format!("{}.{}", "d".repeat(63), vec!["e".repeat(62); 3].join("."));
    let mut o = ingress.clone();
    o["spec"]["rules"][0]["host"] = format!("probe.{domain}").into();
    assert_eq!(
        refused(dry_run::<Ingress>(&ns, o).await, "a 258-character host").0,
        422
    );
    refused_locally(
        &[&format!("global.domain={domain}")],
        "leaves no room for a store name",
    );

    // Volumes larger than the store's quota: the quota's admission refuses the second.
    let quota_ns = scratch_namespace(serde_json::json!({})).await;
    let mut q = quota.clone();
    q["metadata"]["namespace"] = quota_ns.as_str().into();
    let q: ResourceQuota = serde_json::from_value(q).unwrap();
    let quotas: Api<ResourceQuota> = Api::namespaced(admin().await, &quota_ns);
    quotas.create(&PostParams::default(), &q).await.unwrap();
    common::wait_for(&quotas, "probe-quota", 30, "quota counted", |q| {
        q.status.as_ref().and_then(|s| s.used.as_ref()).is_some()
    })
    .await;
    let mut big = objects["PersistentVolumeClaim/probe-wordpress-pvc"].clone();
    big["metadata"]["namespace"] = quota_ns.as_str().into();
    big["spec"]["resources"]["requests"]["storage"] = "25Gi".into();
    let big: PersistentVolumeClaim = serde_json::from_value(big).unwrap();
    Api::<PersistentVolumeClaim>::namespaced(admin().await, &quota_ns)
        .create(&PostParams::default(), &big)
        .await
        .unwrap();
    let (code, message) = refused(
        dry_run::<PersistentVolumeClaim>(&quota_ns, pvc.clone()).await,
        "35Gi against a 30Gi quota",
    );
    assert_eq!(code, 403, "{message}");
    assert!(message.contains("exceeded quota"), "{message}");
    refused_locally(
        &["wordpress.storage=25Gi"],
        "quota.hard.requests.storage (set in the built-in defaults): 30Gi leaves too little: the volumes need 25Gi + 10Gi = 35.00Gi",
    );

    // An address WordPress's installer refuses (the setup Job would fail, not the API).
    refused_locally(
        &["wordpress.admin.email=a@"],
        "'a@' is not an email address WordPress accepts",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn restricted_pod_security_is_enforced_and_storectl_pods_meet_it() {
    let c = cluster();
    // What the baseline rendering would meet in a restricted namespace: refused.
    let ns =
        scratch_namespace(serde_json::json!({"pod-security.kubernetes.io/enforce": "restricted"}))
            .await;
    let pod_of = |deployment: &serde_json::Value| {
        serde_json::json!({
            "metadata": {"name": unique("probe"), "labels": deployment["spec"]["template"]["metadata"]["labels"]},
            "spec": deployment["spec"]["template"]["spec"]
        })
    };
    let baseline = rendered("probe", &[]);
    let (code, message) = refused(
        dry_run::<Pod>(&ns, pod_of(&baseline["Deployment/probe-mysql"])).await,
        "a pod without a securityContext under restricted",
    );
    assert_eq!(code, 403, "{message}");
    assert!(
        message.contains("violates PodSecurity \"restricted:"),
        "{message}"
    );

    // storectl's restricted rendering: every pod passes the server's own check.
    let restricted = rendered("probe", &["stores.podSecurity=restricted"]);
    for key in [
        "Deployment/probe-mysql",
        "Deployment/probe-wordpress",
        "Job/probe-setup",
    ] {
        let result = dry_run::<Pod>(&ns, pod_of(&restricted[key])).await;
        assert!(result.is_ok(), "{key} under restricted: {result:?}");
    }
    // The backup schedule's pods too (a CronJob's template is one level deeper).
    let scheduled = rendered(
        "probe",
        &["stores.podSecurity=restricted", "backup.schedule=@daily"],
    );
    let cron = scheduled
        .iter()
        .find(|(k, _)| k.starts_with("CronJob/"))
        .map(|(_, v)| v)
        .expect("a CronJob with backup.schedule");
    let result = dry_run::<Pod>(&ns, pod_of(&cron["spec"]["jobTemplate"])).await;
    assert!(
        result.is_ok(),
        "the backup schedule under restricted: {result:?}"
    );

    // A whole store at restricted reaches Ready, and its namespace refuses a privileged pod.
    let name = unique("strict");
    block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "create",
                &name,
                "--set",
                "stores.podSecurity=restricted",
                "--wait",
                "--timeout",
                "120s",
            ],
        )
        .expect_code(0)
    });
    let privileged = serde_json::json!({
        "metadata": {"name": "privileged"},
        "spec": {"containers": [{"name": "x", "image": "busybox", "securityContext": {"privileged": true}}]}
    });
    let (code, message) = refused(
        dry_run::<Pod>(&format!("store-{name}"), privileged).await,
        "a privileged pod in a store namespace",
    );
    assert_eq!(code, 403, "{message}");
    assert!(message.contains("privileged"), "{message}");
    // Backup, restore and the database upgrade start their pods there, under the API
    // server's own Pod Security check: each Job completes only if its pod was admitted.
    block(|| storectl(c, ADMIN, &["backup", &name, "--wait", "--timeout", "90s"]).expect_code(0));
    let backups = block(|| storectl(c, ADMIN, &["backups", &name, "-o", "json"]).expect_code(0));
    let backups: Vec<serde_json::Value> = serde_json::from_str(&backups.stdout).unwrap();
    let id = backups[0]["id"].as_str().unwrap().to_string();
    block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "restore",
                &name,
                "--from",
                &id,
                "--yes",
                "--wait",
                "--timeout",
                "90s",
            ],
        )
        .expect_code(0)
    });
    block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "upgrade",
                &name,
                "--set",
                "wordpress.image=wordpress:6.9-apache",
                "--yes",
                "--wait",
                "--timeout",
                "90s",
            ],
        )
        .expect_code(0)
    });
    let jobs: Api<k8s_openapi::api::batch::v1::Job> =
        Api::namespaced(admin().await, &format!("store-{name}"));
    let mut completed: Vec<String> = jobs
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|j| j.status.as_ref().and_then(|s| s.succeeded) == Some(1))
        .filter_map(|j| j.metadata.name)
        .map(|n| n.replace(&name, "STORE"))
        .map(|n| n.split('-').take(2).collect::<Vec<_>>().join("-"))
        .collect();
    completed.sort();
    completed.dedup();
    assert_eq!(
        completed,
        ["STORE-backup", "STORE-db", "STORE-restore", "STORE-setup"],
        "each kind of Job ran a pod under restricted"
    );
    block(|| storectl(c, ADMIN, &["delete", &name, "--yes", "--wait"]).expect_code(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn private_log_no_generated_secret_reaches_it_even_at_trace_level() {
    use std::os::unix::fs::PermissionsExt;
    let c = cluster();
    let home = fresh_home(c);
    let name = unique("secretlog");
    let trace = [("LOG_LEVEL", "trace")];
    let run = |args: &[&str]| block(|| storectl_in(&home, c, ADMIN, args, &trace));
    run(&["create", &name, "--wait", "--timeout", "90s"]).expect_code(0);
    run(&["status", &name]).expect_code(0);
    run(&["list", "-o", "json"]).expect_code(0);
    run(&["logs", &name, "-c", "setup"]).expect_code(0);
    run(&["events", &name]).expect_code(0);
    let secret = Api::<Secret>::namespaced(admin().await, &format!("store-{name}"))
        .get(&format!("{name}-credentials"))
        .await
        .unwrap();
    let values: Vec<String> = secret
        .data
        .unwrap_or_default()
        .into_values()
        .map(|v| String::from_utf8(v.0).unwrap())
        .collect();
    assert!(values.len() >= 3, "generated values: {}", values.len());
    run(&["delete", &name, "--yes", "--wait"]).expect_code(0);

    let log = home.join(".local/state/storectl/storectl.log");
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the log is private");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.len() > 10_000,
        "trace level wrote a real log ({} bytes)",
        text.len()
    );
    assert!(text.contains(&name), "the log is about this lifecycle");
    for (i, value) in values.iter().enumerate() {
        assert!(
            !text.contains(value.as_str()),
            "generated value #{i} is in the log"
        );
    }

    // A log file that cannot be written is a warning; the command goes on.
    let home = fresh_home(c);
    std::fs::create_dir_all(home.join(".local/state/storectl/storectl.log")).unwrap();
    let list = block(|| storectl_in(&home, c, ADMIN, &["list"], &[]));
    assert_eq!(list.code, Some(0), "{list:#?}");
    assert!(
        list.stderr
            .starts_with("storectl: warning: cannot write the log file"),
        "{list:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ingress_policy_selects_the_controller_namespace_by_the_label_the_server_sets() {
    // A namespace as an ingress controller's would be made: no labels of ours.
    let controller = scratch_namespace(serde_json::json!({})).await;
    let objects = rendered(
        "probe",
        &[&format!("ingress.controllerNamespace={controller}")],
    );
    let policy = &objects["NetworkPolicy/probe-wordpress-from-ingress"];
    let wanted = policy["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
        .as_object()
        .cloned()
        .unwrap_or_else(|| panic!("no namespace selector: {policy}"));
    assert!(!wanted.is_empty());
    let labels = Api::<Namespace>::all(admin().await)
        .get(&controller)
        .await
        .unwrap()
        .metadata
        .labels
        .unwrap_or_default();
    for (key, value) in wanted {
        assert_eq!(
            labels.get(&key).map(String::as_str),
            value.as_str(),
            "the server's labels {labels:?} do not satisfy {key}"
        );
    }
}
