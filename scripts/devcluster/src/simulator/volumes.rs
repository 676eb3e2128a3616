//! The simulated volume provisioner: a PersistentVolume for every pending claim (the
//! controller manager's binder then binds them), and removal of released volumes.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, ObjectReference, PersistentVolume, PersistentVolumeClaim,
    PersistentVolumeSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::faults::UNBOUND_STORAGE_CLASS;

pub const PROVISIONED_BY: &str = "storectl-node-simulator";
const PROVISIONED_BY_ANNOTATION: &str = "pv.kubernetes.io/provisioned-by";

/// The volume to create for `claim`, if it needs one. `claimed` holds the uids of claims
/// some existing volume already points at.
pub fn volume_for(
    claim: &PersistentVolumeClaim,
    claimed: &HashSet<String>,
) -> Option<PersistentVolume> {
    let spec = claim.spec.as_ref()?;
    let uid = claim.metadata.uid.clone()?;
    let pending = claim.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Pending");
    if !pending
        || spec.volume_name.is_some()
        || claimed.contains(&uid)
        || claim.metadata.deletion_timestamp.is_some()
    {
        return None;
    }
    if spec.storage_class_name.as_deref() == Some(UNBOUND_STORAGE_CLASS) {
        return None;
    }
    let size = spec
        .resources
        .as_ref()?
        .requests
        .as_ref()?
        .get("storage")?
        .clone();
    Some(PersistentVolume {
        metadata: ObjectMeta {
            name: Some(format!("pvc-{uid}")),
            annotations: Some(
                [(
                    PROVISIONED_BY_ANNOTATION.to_string(),
                    PROVISIONED_BY.to_string(),
                )]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeSpec {
            capacity: Some([("storage".to_string(), size)].into()),
            access_modes: spec.access_modes.clone(),
            storage_class_name: spec.storage_class_name.clone(),
            persistent_volume_reclaim_policy: Some("Delete".to_string()),
            host_path: Some(HostPathVolumeSource {
                path: format!("/var/lib/storectl-simulator/{uid}"),
                ..HostPathVolumeSource::default()
            }),
            claim_ref: Some(ObjectReference {
                api_version: Some("v1".to_string()),
                kind: Some("PersistentVolumeClaim".to_string()),
                namespace: claim.metadata.namespace.clone(),
                name: claim.metadata.name.clone(),
                uid: Some(uid),
                ..ObjectReference::default()
            }),
            ..PersistentVolumeSpec::default()
        }),
        ..PersistentVolume::default()
    })
}

/// Whether the simulator provisioned `volume` and its claim is gone (reclaim policy Delete).
pub fn is_released(volume: &PersistentVolume) -> bool {
    let ours = volume
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(PROVISIONED_BY_ANNOTATION))
        .is_some_and(|v| v == PROVISIONED_BY);
    let released = matches!(
        volume.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Released" | "Failed")
    );
    ours && released && volume.metadata.deletion_timestamp.is_none()
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{
        PersistentVolumeClaimSpec, PersistentVolumeClaimStatus, PersistentVolumeStatus,
        VolumeResourceRequirements,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    use super::*;

    fn claim(phase: &str, class: Option<&str>) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some("data".into()),
                namespace: Some("ns".into()),
                uid: Some("u1".into()),
                ..ObjectMeta::default()
            },
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                storage_class_name: class.map(str::to_string),
                resources: Some(VolumeResourceRequirements {
                    requests: Some([("storage".to_string(), Quantity("5Gi".into()))].into()),
                    ..VolumeResourceRequirements::default()
                }),
                ..PersistentVolumeClaimSpec::default()
            }),
            status: Some(PersistentVolumeClaimStatus {
                phase: Some(phase.into()),
                ..PersistentVolumeClaimStatus::default()
            }),
        }
    }

    #[test]
    fn a_pending_claim_gets_a_volume_of_its_size_bound_to_it_once() {
        let none = HashSet::new();
        let pv = volume_for(&claim("Pending", Some("standard")), &none)
            .unwrap_or_else(|| panic!("no volume"));
        let spec = pv.spec.unwrap_or_default();
        assert_eq!(
            spec.capacity.unwrap_or_default().get("storage"),
            Some(&Quantity("5Gi".into()))
        );
        let claim_ref = spec.claim_ref.unwrap_or_default();
        assert_eq!(
            (
                claim_ref.namespace.as_deref(),
                claim_ref.name.as_deref(),
                claim_ref.uid.as_deref()
            ),
            (Some("ns"), Some("data"), Some("u1"))
        );
        assert_eq!(
            spec.persistent_volume_reclaim_policy.as_deref(),
            Some("Delete")
        );
        let claimed: HashSet<String> = ["u1".to_string()].into();
        assert!(
            volume_for(&claim("Pending", None), &claimed).is_none(),
            "one volume per claim"
        );
        assert!(volume_for(&claim("Bound", None), &none).is_none());
    }

    #[test]
    fn the_unbound_class_never_gets_a_volume() {
        assert!(
            volume_for(
                &claim("Pending", Some(UNBOUND_STORAGE_CLASS)),
                &HashSet::new()
            )
            .is_none()
        );
    }

    #[test]
    fn only_our_released_volumes_are_removed() {
        let mut pv = volume_for(&claim("Pending", None), &HashSet::new())
            .unwrap_or_else(|| panic!("no volume"));
        let phase = |p: &str| {
            Some(PersistentVolumeStatus {
                phase: Some(p.into()),
                ..PersistentVolumeStatus::default()
            })
        };
        pv.status = phase("Bound");
        assert!(!is_released(&pv));
        pv.status = phase("Released");
        assert!(is_released(&pv));
        pv.metadata.annotations = None;
        assert!(!is_released(&pv), "someone else's volume");
    }
}
