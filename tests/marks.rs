//! Only storectl's mark makes a store, against the real control plane: a namespace and
//! Deployment labelled like a store by hand are no store (`list` leaves them out, every
//! verb refuses them with exit 3 and writes nothing, confirmed through the API); a
//! revision ConfigMap without the mark is no revision; and a revision with the mark still
//! cannot say where storectl writes (platform namespace, backup target): upgrade takes
//! that from the operator's configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{cluster, storectl, unique};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Secret};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};

const ADMIN: &str = "devcluster-admin";
const PLATFORM: &str = "ecommerce-platform";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Every Secret, Job, CronJob and ConfigMap of `namespace` whose name mentions `name`
/// (`None`: all of them), and the Events storectl reported there.
async fn written(client: &Client, namespace: &str, name: Option<&str>) -> Vec<String> {
    async fn names<K>(client: &Client, namespace: &str, kind: &str) -> Vec<String>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        let api: Api<K> = Api::namespaced(client.clone(), namespace);
        api.list_metadata(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|o| format!("{kind}/{}", o.metadata.name.unwrap_or_default()))
            .collect()
    }
    let mut all = names::<Secret>(client, namespace, "Secret").await;
    all.extend(names::<Job>(client, namespace, "Job").await);
    all.extend(names::<CronJob>(client, namespace, "CronJob").await);
    all.extend(names::<ConfigMap>(client, namespace, "ConfigMap").await);
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    all.extend(
        events
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.reporting_component.as_deref() == Some("storectl"))
            .map(|e| format!("Event/{}", e.message.unwrap_or_default())),
    );
    all.retain(|o| o != "ConfigMap/kube-root-ca.crt" && name.is_none_or(|n| o.contains(n)));
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn a_labelled_namespace_without_the_mark_is_no_store_and_every_verb_leaves_it_alone() {
    let c = cluster();
    let client = c.admin().await;
    let name = unique("fake");
    let ns = format!("store-{name}");
    let labels = json!({"app": name, "managed-by": "ecommerce-platform"});
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": ns, "labels": labels}})).unwrap();
    namespaces
        .create(&PostParams::default(), &namespace)
        .await
        .unwrap();
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let deployment: Deployment = serde_json::from_value(json!({
        "metadata": {"name": format!("{name}-wordpress"), "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}
    }))
    .unwrap();
    deployments
        .create(&PostParams::default(), &deployment)
        .await
        .unwrap();
    let before_ns = written(&client, &ns, None).await;
    let before_platform = written(&client, PLATFORM, Some(&name)).await;

    let listed = block(|| storectl(c, ADMIN, &["list", "-o", "json"]).expect_code(0));
    let stores: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert!(
        !stores
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == name.as_str()),
        "a labelled namespace without the mark is listed: {stores:#}"
    );

    let copy = format!("{name}-copy");
    let verbs: [&[&str]; 11] = [
        &["backup", &name],
        &["restore", &name, "--from", "20260101-000000", "--yes"],
        &["clone", &name, &copy],
        &["delete", &name, "--delete-backups", "--yes"],
        &["pause", &name],
        &["resume", &name],
        &["upgrade", &name, "--set", "wordpress.storage=11Gi", "--yes"],
        &["rollback", &name],
        &["diff", &name],
        &["status", &name],
        &["delete", &name, "--yes"],
    ];
    let message = format!(
        "'{name}' in namespace {ns} has store labels but not storectl's mark: it is not a store storectl made, so storectl leaves it alone (nothing was changed)"
    );
    for args in verbs {
        let run = block(|| storectl(c, ADMIN, args));
        assert_eq!(run.code, Some(3), "storectl {args:?}: {run:#?}");
        assert_eq!(run.stderr.trim(), format!("error: {message}"), "{args:?}");
    }

    // Nothing was written: not in the namespace, not in the platform namespace.
    assert_eq!(written(&client, &ns, None).await, before_ns);
    assert_eq!(
        written(&client, PLATFORM, Some(&name)).await,
        before_platform
    );
    let after = namespaces.get(&ns).await.unwrap();
    assert_eq!(
        serde_json::to_value(after.metadata.labels.unwrap()).unwrap(),
        json!({"app": name, "managed-by": "ecommerce-platform", "kubernetes.io/metadata.name": ns})
    );
    assert!(after.metadata.deletion_timestamp.is_none());
    let d = deployments.get(&format!("{name}-wordpress")).await.unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(1));
    assert_eq!(d.metadata.generation, Some(1), "the Deployment was changed");
    assert!(
        namespaces
            .get_opt(&format!("store-{copy}"))
            .await
            .unwrap()
            .is_none()
    );
}

/// A revision ConfigMap of store `name` with `values`, marked as storectl marks them or
/// not.
fn planted_revision(name: &str, number: u32, values: &str, marked: bool) -> ConfigMap {
    let mut labels = BTreeMap::from([
        ("app".to_string(), name.to_string()),
        ("managed-by".to_string(), "ecommerce-platform".to_string()),
        ("storectl.io/revision".to_string(), number.to_string()),
    ]);
    let mut annotations = BTreeMap::new();
    if marked {
        labels.insert(
            "app.kubernetes.io/managed-by".to_string(),
            "storectl".to_string(),
        );
        annotations.insert("storectl.io/store".to_string(), name.to_string());
    }
    serde_json::from_value(json!({
        "metadata": {"name": format!("{name}-revision-{number}"), "labels": labels,
            "annotations": annotations},
        "data": {"values.yaml": values, "recorded": "2026-11-30T00:00:00Z",
            "user": "mallory", "storectl": "0.1.0", "change": "planted"}
    }))
    .unwrap()
}

fn history(name: &str) -> Vec<(u64, String)> {
    let run = storectl(cluster(), ADMIN, &["history", name, "-o", "json"]).expect_code(0);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_u64().unwrap(),
                r["user"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revision_without_the_mark_is_ignored_and_none_says_where_storectl_writes() {
    let c = cluster();
    let client = c.admin().await;
    let name = unique("real");
    let ns = format!("store-{name}");
    let victim = unique("victim");
    block(|| storectl(c, ADMIN, &["create", &name, "--wait", "--timeout", "180s"]).expect_code(0));
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let first = maps.get(&format!("{name}-revision-1")).await.unwrap();
    let mut values: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&first.data.unwrap()["values.yaml"]).unwrap();
    values["platform"]["namespace"] = victim.clone().into();
    values["backup"]["cluster"]["image"] = "evil/img".into();
    values["backup"]["image"] = "evil/jobs".into();
    values["backup"]["schedule"] = "0 3 * * *".into();
    let evil = serde_yaml_ng::to_string(&values).unwrap();

    // Without the mark: no revision, for history and rollback alike.
    maps.create(
        &PostParams::default(),
        &planted_revision(&name, 99, &evil, false),
    )
    .await
    .unwrap();
    assert_eq!(block(|| history(&name)), [(1, "admin".to_string())]);
    let run = block(|| storectl(c, ADMIN, &["rollback", &name, "--to", "99"]).expect_code(4));
    assert!(run.stderr.contains("99"), "{run:#?}");

    // With the mark (anyone who may write ConfigMaps there can forge it), the revision
    // is the store's, but where storectl writes is still the operator's to say.
    maps.create(
        &PostParams::default(),
        &planted_revision(&name, 50, &evil, true),
    )
    .await
    .unwrap();
    block(|| {
        storectl(
            c,
            ADMIN,
            &[
                "upgrade",
                &name,
                "--set",
                "wordpress.resources.limits.cpu=900m",
                "--yes",
            ],
        )
        .expect_code(0)
    });
    let namespaces: Api<Namespace> = Api::all(client.clone());
    assert!(
        namespaces.get_opt(&victim).await.unwrap().is_none(),
        "storectl wrote into the namespace a revision named"
    );
    let latest = maps.get(&format!("{name}-revision-51")).await.unwrap();
    let recorded: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&latest.data.unwrap()["values.yaml"]).unwrap();
    assert_eq!(recorded["platform"]["namespace"].as_str(), Some(PLATFORM));
    assert_eq!(
        recorded["backup"]["cluster"]["image"].as_str(),
        Some("versity/versitygw:v1.8.0")
    );
    // How often backups run stays the store's own.
    assert_eq!(recorded["backup"]["schedule"].as_str(), Some("0 3 * * *"));
    assert_eq!(recorded["wordpress"]["resources"]["limits"]["cpu"], "900m");
    // Neither the scheduled backups (which hold the target's credentials) nor the
    // target server run the planted images.
    let images = |spec: Option<k8s_openapi::api::core::v1::PodSpec>| -> Vec<String> {
        let spec = spec.unwrap();
        spec.containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .filter_map(|c| c.image.clone())
            .collect()
    };
    let schedules: Api<CronJob> = Api::namespaced(client.clone(), &ns);
    let schedule = schedules.get(&format!("{name}-backup")).await.unwrap();
    let template = schedule.spec.unwrap().job_template.spec.unwrap().template;
    let scheduled = images(template.spec);
    assert!(!scheduled.is_empty() && !scheduled.iter().any(|i| i.starts_with("evil/")));
    let servers: Api<Deployment> = Api::namespaced(client.clone(), PLATFORM);
    for server in servers.list(&ListParams::default()).await.unwrap() {
        let served = images(server.spec.unwrap().template.spec);
        assert!(!served.iter().any(|i| i.starts_with("evil/")), "{served:?}");
    }
}
