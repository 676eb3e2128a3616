//! Shared by tests/rbac.rs and tests/rbac_refusals.rs: assets/rbac.yaml and
//! assets/serve.yaml applied as shipped, the operators' group bound as rbac.yaml says,
//! and storectl's two principals (a user in storectl:operators, impersonated through her
//! kubeconfig entry; the serve ServiceAccount with its own token) as kubeconfigs, once
//! the admission policy is in force. Plus SubjectAccessReview and refusal checks.

use std::path::{Path, PathBuf};

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::PostParams;
use kube::{Api, Client};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::{Run, TestCluster, apply_file, cluster, fresh_home, storectl_in};

pub const OPERATORS: &str = "storectl:operators";
pub const SERVE_SA: &str = "system:serviceaccount:ecommerce-platform:storectl";

/// One of storectl's principals: a kubeconfig (and context) acting as it, and who the API
/// server sees.
pub struct Principal {
    pub kubeconfig: PathBuf,
    pub user: &'static str,
    pub groups: Vec<&'static str>,
}

impl Principal {
    pub async fn client(&self) -> Client {
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&self.kubeconfig).unwrap(),
            &Default::default(),
        )
        .await
        .unwrap();
        Client::try_from(config).unwrap()
    }

    /// storectl as this principal, in a fresh HOME.
    pub fn storectl(&self, c: &TestCluster, args: &[&str], code: i32) -> Run {
        let home = fresh_home(c);
        let config = self.kubeconfig.to_str().unwrap();
        storectl_in(
            &home,
            c,
            "acting",
            &[&["--kubeconfig", config], args].concat(),
            &[],
        )
        .expect_code(code)
    }
}

/// A kubeconfig with one context `acting` whose user entry is `user` (a token, maybe
/// impersonating).
fn kubeconfig_acting(c: &TestCluster, name: &str, user: Value) -> PathBuf {
    let mut config: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&c.kubeconfig).unwrap()).unwrap();
    config["users"] = json!([{"name": "acting", "user": user}]);
    config["contexts"] =
        json!([{"name": "acting", "context": {"cluster": "devcluster", "user": "acting"}}]);
    config["current-context"] = json!("acting");
    let path = fresh_home(c).join(name);
    std::fs::write(&path, serde_yaml_ng::to_string(&config).unwrap()).unwrap();
    path
}

pub struct Setup {
    pub alice: Principal,
    pub serve: Principal,
}

static SETUP: OnceCell<Setup> = OnceCell::const_new();

/// The manifests as shipped, the documented group binding, the two principals; returns
/// once the admission policy is in force.
pub async fn setup() -> &'static Setup {
    SETUP.get_or_init(|| async {
        let c = cluster();
        let admin = c.admin().await;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        apply_file(&admin, &root.join("assets/rbac.yaml")).await;
        apply_file(&admin, &root.join("assets/serve.yaml")).await;
        // kubectl create clusterrolebinding storectl-operators --clusterrole=storectl-operator --group=storectl:operators
        let binding: ClusterRoleBinding = serde_json::from_value(json!({
            "metadata": {"name": "storectl-operators"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "storectl-operator"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": OPERATORS}]
        })).unwrap();
        Api::<ClusterRoleBinding>::all(admin.clone())
            .create(&PostParams::default(), &binding)
            .await
            .unwrap();
        let token = kubeconfig_token(c, "admin");
        let alice = Principal {
            kubeconfig: kubeconfig_acting(c, "alice", json!({"token": token, "as": "alice", "as-groups": [OPERATORS]})),
            user: "alice",
            groups: vec![OPERATORS, "system:authenticated"],
        };
        let accounts: Api<ServiceAccount> = Api::namespaced(admin.clone(), "ecommerce-platform");
        let request = serde_json::from_value(json!({"spec": {"expirationSeconds": 3600}})).unwrap();
        let issued = accounts.create_token_request("storectl", &Default::default(), &request).await.unwrap();
        let serve = Principal {
            kubeconfig: kubeconfig_acting(c, "serve", json!({"token": issued.status.unwrap().token})),
            user: SERVE_SA,
            groups: vec!["system:serviceaccounts", "system:serviceaccounts:ecommerce-platform", "system:authenticated"],
        };
        // The policy is in force once it refuses a dry-run namespace without the mark.
        let probe = alice.client().await;
        let namespaces: Api<Namespace> = Api::all(probe);
        let dry = PostParams { dry_run: true, ..Default::default() };
        let unmarked: Namespace = serde_json::from_value(json!({"metadata": {"name": "store-probe"}})).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while namespaces.create(&dry, &unmarked).await.is_ok() {
            assert!(std::time::Instant::now() < deadline, "the admission policy never took effect");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        Setup { alice, serve }
    })
    .await
}

/// The bearer token of a user of the test kubeconfig.
pub fn kubeconfig_token(c: &TestCluster, user: &str) -> String {
    let config: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(&c.kubeconfig).unwrap()).unwrap();
    config["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == user)
        .and_then(|u| u["user"]["token"].as_str())
        .unwrap()
        .to_string()
}

/// The API server's answer (SubjectAccessReview, asked as admin) for `who`.
pub async fn may(
    admin: &Client,
    who: &Principal,
    verb: &str,
    resource: &str,
    namespace: Option<&str>,
) -> bool {
    let (group, resource) = resource
        .split_once('.')
        .map_or(("", resource), |(r, g)| (g, r));
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(who.user.to_string()),
            groups: Some(who.groups.iter().map(|g| g.to_string()).collect()),
            resource_attributes: Some(ResourceAttributes {
                namespace: namespace.map(str::to_string),
                verb: Some(verb.to_string()),
                group: Some(group.to_string()),
                resource: Some(resource.to_string()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let api: Api<SubjectAccessReview> = Api::all(admin.clone());
    api.create(&PostParams::default(), &review)
        .await
        .unwrap()
        .status
        .unwrap()
        .allowed
}

/// A refusal by the API server: 403, and from the policy when `rule` is given.
pub fn refused<T: std::fmt::Debug>(result: Result<T, kube::Error>, rule: Option<&str>) {
    let Err(kube::Error::Api(status)) = result else {
        panic!("not refused: {result:?}")
    };
    assert_eq!(status.code, 403, "{status:?}");
    if let Some(rule) = rule {
        assert!(
            status
                .message
                .contains("ValidatingAdmissionPolicy 'storectl-writes'"),
            "{status:?}"
        );
        assert!(status.message.contains(rule), "{status:?}");
    }
}
