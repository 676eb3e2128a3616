//! The per-store namespace and what guards it: Pod Security labels, ResourceQuota and
//! LimitRange. In shared mode only the shared namespace itself, unlabelled for any store.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::meta;
use crate::domain::config::{Config, Quantity};
use crate::domain::labels::PART_OF;
use crate::domain::layout::StoreLayout;

pub fn store_namespace(layout: &StoreLayout, config: &Config) -> Namespace {
    let level = config.stores.pod_security.as_str();
    let mut labels = layout.labels(None);
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            level.to_string(),
        );
    }
    Namespace {
        metadata: ObjectMeta {
            name: Some(layout.namespace.clone()),
            labels: Some(labels),
            annotations: Some(layout.annotations()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

/// The original platform's shared namespace; it carries no store labels, so deleting a
/// store never selects it.
pub fn shared_namespace(layout: &StoreLayout) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(layout.namespace.clone()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/part-of".to_string(),
                PART_OF.to_string(),
            )])),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

pub fn quota(layout: &StoreLayout, config: &Config) -> ResourceQuota {
    ResourceQuota {
        metadata: meta(layout, layout.quota(), None),
        spec: Some(ResourceQuotaSpec {
            hard: Some(quantities(&config.quota.hard)),
            ..ResourceQuotaSpec::default()
        }),
        ..ResourceQuota::default()
    }
}

pub fn limit_range(layout: &StoreLayout, config: &Config) -> LimitRange {
    LimitRange {
        metadata: meta(layout, layout.limit_range(), None),
        spec: Some(LimitRangeSpec {
            limits: vec![LimitRangeItem {
                type_: "Container".to_string(),
                default: Some(quantities(&config.limit_range.default)),
                default_request: Some(quantities(&config.limit_range.default_request)),
                ..LimitRangeItem::default()
            }],
        }),
    }
}

pub(super) fn quantities(map: &BTreeMap<String, Quantity>) -> BTreeMap<String, K8sQuantity> {
    map.iter().map(|(k, v)| (k.clone(), v.to_k8s())).collect()
}
