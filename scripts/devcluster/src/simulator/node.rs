//! The simulated node: registered once, kept alive with a Lease heartbeat so the node
//! lifecycle controller never marks it NotReady or evicts its pods.

use std::time::Duration;

use anyhow::Result;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

pub const NODE_NAME: &str = "sim-node-1";
const MANAGER: &str = "storectl-node-simulator";

/// Creates the node (if missing) and marks it Ready; `log_port` is where its logs are served.
pub async fn register(client: &Client, log_port: u16) -> Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let node = Node {
        metadata: ObjectMeta {
            name: Some(NODE_NAME.to_string()),
            labels: Some(
                [
                    ("kubernetes.io/hostname", NODE_NAME),
                    ("kubernetes.io/os", "linux"),
                    ("kubernetes.io/arch", "amd64"),
                    ("storectl.dev/simulated", "true"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ),
            ..ObjectMeta::default()
        },
        ..Node::default()
    };
    match nodes.create(&PostParams::default(), &node).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => return Err(e.into()),
    }
    // A kubelet reports its own version, which matches the control plane's here.
    let version = client
        .apiserver_version()
        .await
        .map(|v| v.git_version)
        .unwrap_or_else(|_| "v0.0.0".to_string());
    let now = Time(Timestamp::now());
    let capacity = [
        ("cpu", "16"),
        ("memory", "64Gi"),
        ("pods", "1100"),
        ("ephemeral-storage", "500Gi"),
    ]
    .into_iter()
    .map(|(k, v)| {
        (
            k.to_string(),
            k8s_openapi::apimachinery::pkg::api::resource::Quantity(v.to_string()),
        )
    })
    .collect::<std::collections::BTreeMap<_, _>>();
    let status = NodeStatus {
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".to_string(),
                address: "127.0.0.1".to_string(),
            },
            NodeAddress {
                type_: "Hostname".to_string(),
                address: NODE_NAME.to_string(),
            },
        ]),
        allocatable: Some(capacity.clone()),
        capacity: Some(capacity),
        conditions: Some(vec![NodeCondition {
            type_: "Ready".to_string(),
            status: "True".to_string(),
            reason: Some("KubeletReady".to_string()),
            message: Some(
                "storectl node simulator is posting ready status (no real kubelet)".to_string(),
            ),
            last_heartbeat_time: Some(now.clone()),
            last_transition_time: Some(now),
        }]),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint {
                port: i32::from(log_port),
            }),
        }),
        node_info: Some(NodeSystemInfo {
            kubelet_version: format!("{version}-storectl-simulator"),
            container_runtime_version: "simulated://0".to_string(),
            operating_system: "linux".to_string(),
            architecture: "amd64".to_string(),
            os_image: "storectl node simulator".to_string(),
            ..NodeSystemInfo::default()
        }),
        ..NodeStatus::default()
    };
    nodes
        .patch_status(
            NODE_NAME,
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": status })),
        )
        .await?;
    Ok(())
}

/// Renews the node's Lease every 10 s, forever.
pub async fn heartbeat(client: Client) {
    let leases: Api<Lease> = Api::namespaced(client, "kube-node-lease");
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tick.tick().await;
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(NODE_NAME.to_string()),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(NODE_NAME.to_string()),
                lease_duration_seconds: Some(40),
                renew_time: Some(MicroTime(Timestamp::now())),
                ..LeaseSpec::default()
            }),
        };
        let params = PatchParams::apply(MANAGER).force();
        if let Err(e) = leases
            .patch(NODE_NAME, &params, &Patch::Apply(&lease))
            .await
        {
            tracing::warn!("node lease renewal failed: {e}");
        }
    }
}
