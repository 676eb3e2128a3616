//! How traffic reaches a store and where it may go: Services, the Ingress at
//! `<store>.<domain>`, and NetworkPolicies (default deny, then only what the store needs).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyEgressRule,
    NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
    ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta;
use crate::domain::config::Config;
use crate::domain::labels::{LABEL_APP, LABEL_COMPONENT};
use crate::domain::layout::{Component, StoreLayout};

pub const MYSQL_PORT: i32 = 3306;
pub const HTTP_PORT: i32 = 80;
/// Where kubeadm-made API servers listen (managed clusters' listen on 443).
const API_SERVER_PORT: i32 = 6443;

pub fn services(layout: &StoreLayout) -> Vec<Service> {
    vec![
        service(layout, Component::MySql, "mysql", MYSQL_PORT),
        service(layout, Component::WordPress, "http", HTTP_PORT),
    ]
}

fn service(layout: &StoreLayout, c: Component, port_name: &str, port: i32) -> Service {
    Service {
        metadata: meta(layout, layout.workload(c), Some(c)),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            selector: Some(layout.selector(c)),
            ports: Some(vec![ServicePort {
                name: Some(port_name.to_string()),
                port,
                target_port: Some(IntOrString::String(port_name.to_string())),
                protocol: Some("TCP".to_string()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

pub fn ingress(layout: &StoreLayout, config: &Config) -> Ingress {
    let mut metadata = meta(layout, layout.ingress(), Some(Component::WordPress));
    let mut annotations = config.ingress.annotations.clone();
    if config.tls.enabled {
        annotations.insert(
            "cert-manager.io/cluster-issuer".to_string(),
            config.tls.cluster_issuer.clone(),
        );
    }
    metadata.annotations = (!annotations.is_empty()).then_some(annotations);
    let class = &config.ingress.class_name;
    Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: (!class.is_empty()).then(|| class.clone()),
            tls: config.tls.enabled.then(|| {
                vec![IngressTLS {
                    hosts: Some(vec![layout.host.clone()]),
                    secret_name: Some(layout.tls_secret()),
                }]
            }),
            rules: Some(vec![IngressRule {
                host: Some(layout.host.clone()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some("/".to_string()),
                        path_type: "Prefix".to_string(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: layout.workload(Component::WordPress),
                                port: Some(ServiceBackendPort {
                                    number: Some(HTTP_PORT),
                                    ..ServiceBackendPort::default()
                                }),
                            }),
                            ..IngressBackend::default()
                        },
                    }],
                }),
            }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    }
}

/// Default deny for the store's pods, then: DNS for all of them; MySQL only from the same
/// store's WordPress and setup pods; WordPress only from the ingress controller's
/// namespace; HTTPS out for WordPress (payment gateways, updates) and setup (plugin
/// downloads), and the API server's port for the runner's report.
pub fn policies(layout: &StoreLayout, config: &Config) -> Vec<NetworkPolicy> {
    let all_store_pods = if layout.owns_namespace {
        LabelSelector::default()
    } else {
        labels_selector([(LABEL_APP, layout.name())])
    };
    let web_and_setup = web_and_setup(layout);
    let mysql_pods = pods_of(layout, Component::MySql);
    let ingress_namespace = namespace_named(&config.ingress.controller_namespace);
    vec![
        policy(
            layout,
            "default-deny",
            all_store_pods.clone(),
            vec![],
            vec![],
            &["Ingress", "Egress"],
        ),
        policy(
            layout,
            "allow-dns",
            all_store_pods,
            vec![],
            vec![NetworkPolicyEgressRule {
                ports: Some(vec![port("UDP", 53), port("TCP", 53)]),
                to: None,
            }],
            &["Egress"],
        ),
        policy(
            layout,
            "mysql-from-wordpress",
            mysql_pods.clone(),
            vec![NetworkPolicyIngressRule {
                from: Some(vec![peer_pods(web_and_setup.clone())]),
                ports: Some(vec![port("TCP", MYSQL_PORT)]),
            }],
            vec![],
            &["Ingress"],
        ),
        policy(
            layout,
            "wordpress-from-ingress",
            pods_of(layout, Component::WordPress),
            vec![NetworkPolicyIngressRule {
                from: Some(vec![NetworkPolicyPeer {
                    namespace_selector: Some(ingress_namespace),
                    ..NetworkPolicyPeer::default()
                }]),
                ports: Some(vec![port("TCP", HTTP_PORT)]),
            }],
            vec![],
            &["Ingress"],
        ),
        policy(
            layout,
            "egress",
            web_and_setup,
            vec![],
            vec![
                NetworkPolicyEgressRule {
                    to: Some(vec![peer_pods(mysql_pods)]),
                    ports: Some(vec![port("TCP", MYSQL_PORT)]),
                },
                // HTTPS out; and the API server where it listens on its own port (6443,
                // kubeadm's), for the runner's report (manifests/runner.rs).
                NetworkPolicyEgressRule {
                    to: None,
                    ports: Some(vec![port("TCP", 443), port("TCP", API_SERVER_PORT)]),
                },
            ],
            &["Egress"],
        ),
    ]
}

/// The store's WordPress and setup pods.
pub(super) fn web_and_setup(layout: &StoreLayout) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(
            LABEL_APP.to_string(),
            layout.name().to_string(),
        )])),
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: LABEL_COMPONENT.to_string(),
            operator: "In".to_string(),
            values: Some(vec![
                Component::WordPress.as_str().to_string(),
                Component::Setup.as_str().to_string(),
            ]),
        }]),
    }
}

/// The namespace `name`, by the label Kubernetes sets on every namespace.
fn namespace_named(name: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(
            "kubernetes.io/metadata.name".to_string(),
            name.to_string(),
        )])),
        ..LabelSelector::default()
    }
}

fn policy(
    layout: &StoreLayout,
    purpose: &str,
    pod_selector: LabelSelector,
    ingress: Vec<NetworkPolicyIngressRule>,
    egress: Vec<NetworkPolicyEgressRule>,
    types: &[&str],
) -> NetworkPolicy {
    NetworkPolicy {
        metadata: meta(layout, layout.policy(purpose), None),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pod_selector),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: (!egress.is_empty()).then_some(egress),
            policy_types: Some(types.iter().map(|t| (*t).to_string()).collect()),
        }),
    }
}

fn labels_selector<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            labels
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..LabelSelector::default()
    }
}

fn pods_of(layout: &StoreLayout, c: Component) -> LabelSelector {
    LabelSelector {
        match_labels: Some(layout.selector(c)),
        ..LabelSelector::default()
    }
}

fn peer_pods(selector: LabelSelector) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(selector),
        ..NetworkPolicyPeer::default()
    }
}

fn port(protocol: &str, number: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: Some(protocol.to_string()),
        port: Some(IntOrString::Int(number)),
        ..NetworkPolicyPort::default()
    }
}
