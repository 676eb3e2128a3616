//! The kept fields read from the API server's protobuf (the field numbers of k8s.io/api's
//! and apimachinery's `generated.proto`), into the same compact kinds as the JSON paths
//! of `shapes.rs`. Each reader gives what the JSON would: protobuf writes a Go field
//! that JSON leaves out when empty (`omitempty`) as an empty string or a zero, so those
//! read as absent; a pointer field (`*string`, `*int32`) is written only when set, so it
//! reads as set even when empty. Times keep JSON's precision: seconds, and microseconds
//! for a `MicroTime`.

use k8s_openapi::jiff::Timestamp;

use super::meta::kept;
use super::wire::{Value, WireError, entry, fields, text};
use super::{
    Annotations, Condition, Conditions, ContainerState, DeploymentState, KEPT_ANNOTATIONS,
    KEPT_LABELS, Labels, Meta, Sym, Waiting, WatchedDeployment, WatchedIngress, WatchedJob,
    WatchedLease, WatchedNamespace, WatchedPod, WatchedPvc,
};

/// A watched kind read from its protobuf message.
pub trait FromProtobuf: Sized {
    fn from_protobuf(message: &[u8]) -> Result<Self, WireError>;
}

/// Reads the bytes fields of `$message` (every kept field but the integers) by their
/// numbers, `b` being a field's bytes: `read!(message, b, { 1 => x = meta(b)?, ... })`;
/// other fields are stepped over, and a malformed one returns its error.
macro_rules! read {
    ($message:expr, $bytes:ident, { $($number:pat $(if $guard:expr)? => $set:expr),* $(,)? }) => {
        for field in fields($message) {
            match field? {
                $(($number, Value::Bytes($bytes)) $(if $guard)? => { $set; })*
                _ => {}
            }
        }
    };
}

/// A string Go leaves out of JSON when empty.
fn sym(bytes: &[u8]) -> Result<Option<Sym>, WireError> {
    let text = text(bytes)?;
    Ok((!text.is_empty()).then(|| Sym::new(text)))
}

/// The same, held as its own copy (texts that do not repeat across objects).
fn boxed(bytes: &[u8]) -> Result<Option<Box<str>>, WireError> {
    let text = text(bytes)?;
    Ok((!text.is_empty()).then(|| Box::from(text)))
}

/// An integer Go leaves out of JSON when zero.
fn nonzero<T: TryFrom<i64> + Default + PartialEq>(value: u64) -> Option<T> {
    // Two's complement: a negative int64 is its u64 bits.
    T::try_from(value as i64)
        .ok()
        .filter(|v| *v != T::default())
}

/// A `Time` (whole seconds) or a `MicroTime` (`micros`); an empty message is Go's zero
/// time, which JSON writes as null.
fn time(message: &[u8], micros: bool) -> Result<Option<Timestamp>, WireError> {
    if message.is_empty() {
        return Ok(None);
    }
    let (mut seconds, mut nanos) = (0i64, 0i32);
    for field in fields(message) {
        match field? {
            (1, Value::Varint(v)) => seconds = v as i64,
            (2, Value::Varint(v)) if micros => nanos = (v as i32) / 1000 * 1000,
            _ => {}
        }
    }
    Timestamp::new(seconds, nanos)
        .map(Some)
        .map_err(|_| WireError("a time out of range"))
}

fn meta(message: &[u8]) -> Result<Meta, WireError> {
    let mut meta = Meta::default();
    let (mut labels, mut annotations) = (Vec::new(), Vec::new());
    for field in fields(message) {
        match field? {
            (1, Value::Bytes(b)) => meta.name = text(b)?.into(),
            (3, Value::Bytes(b)) => meta.namespace = sym(b)?,
            (6, Value::Bytes(b)) => meta.resource_version = boxed(b)?,
            (7, Value::Varint(v)) => meta.generation = nonzero(v),
            (8, Value::Bytes(b)) => meta.created = time(b, false)?,
            (9, Value::Bytes(b)) => meta.deleted = time(b, false)?,
            (11, Value::Bytes(b)) => {
                let (key, value) = entry(b)?;
                if let Some(key) = kept(KEPT_LABELS, key) {
                    labels.push((key, Sym::new(text(value)?)));
                }
            }
            (12, Value::Bytes(b)) => {
                let (key, value) = entry(b)?;
                if let Some(key) = kept(KEPT_ANNOTATIONS, key) {
                    annotations.push((key, Box::from(text(value)?)));
                }
            }
            _ => {}
        }
    }
    meta.labels = Labels::from_kept(labels);
    meta.annotations = Annotations::from_kept(annotations);
    Ok(meta)
}

/// Conditions (`repeated XCondition`, type 1 and status 2 in every kind), each kind's
/// reason at its own number.
fn condition(message: &[u8], reason_at: u32) -> Result<Condition, WireError> {
    let (mut kind, mut status, mut reason) = (None, None, None);
    read!(message, b, {
        1 => kind = Some(Sym::new(text(b)?)),
        2 => status = Some(Sym::new(text(b)?)),
        n if n == reason_at => reason = sym(b)?,
    });
    Ok(Condition {
        kind: kind.ok_or(WireError("a condition without a type"))?,
        status: status.ok_or(WireError("a condition without a status"))?,
        reason,
    })
}

fn conditions(found: Vec<Condition>) -> Conditions {
    Conditions(found.into_boxed_slice())
}

/// The phase of a status whose phase is field 1 (a namespace's, a claim's, a pod's).
fn phase(status: &[u8]) -> Result<Option<Sym>, WireError> {
    let mut phase = None;
    read!(status, b, { 1 => phase = sym(b)? });
    Ok(phase)
}

impl FromProtobuf for WatchedNamespace {
    fn from_protobuf(message: &[u8]) -> Result<Self, WireError> {
        let mut namespace = Self::default();
        read!(message, b, {
            1 => namespace.meta = meta(b)?,
            3 => namespace.phase = phase(b)?,
        });
        Ok(namespace)
    }
}

impl FromProtobuf for WatchedDeployment {
    fn from_protobuf(message: &[u8]) -> Result<Self, WireError> {
        let mut deployment = Self::default();
        read!(message, b, {
            1 => deployment.meta = meta(b)?,
            2 => deployment.replicas = replicas(b)?,
            3 => deployment.status = Some(deployment_state(b)?),
        });
        Ok(deployment)
    }
}

/// `DeploymentSpec.replicas`, a pointer: set even when zero.
fn replicas(spec: &[u8]) -> Result<Option<i32>, WireError> {
    let mut replicas = None;
    for field in fields(spec) {
        if let (1, Value::Varint(v)) = field? {
            replicas = Some(v as i32);
        }
    }
    Ok(replicas)
}

fn deployment_state(status: &[u8]) -> Result<DeploymentState, WireError> {
    let mut state = DeploymentState::default();
    let mut found = Vec::new();
    for field in fields(status) {
        match field? {
            (1, Value::Varint(v)) => state.observed_generation = nonzero(v),
            (3, Value::Varint(v)) => state.updated_replicas = nonzero(v),
            (7, Value::Varint(v)) => state.ready_replicas = nonzero(v),
            (6, Value::Bytes(b)) => found.push(condition(b, 4)?),
            _ => {}
        }
    }
    state.conditions = conditions(found);
    Ok(state)
}

impl FromProtobuf for WatchedJob {
    fn from_protobuf(message: &[u8]) -> Result<Self, WireError> {
        let mut job = Self::default();
        let mut found = Vec::new();
        read!(message, b, {
            1 => job.meta = meta(b)?,
            3 => read!(b, b, { 1 => found.push(condition(b, 5)?) }),
        });
        job.conditions = conditions(found);
        Ok(job)
    }
}

impl FromProtobuf for WatchedPvc {
    fn from_protobuf(message: &[u8]) -> Result<Self, WireError> {
        let mut claim = Self::default();
        read!(message, b, {
            1 => claim.meta = meta(b)?,
            2 => claim_spec(b, &mut claim)?,
            3 => claim.phase = phase(b)?,
        });
        Ok(claim)
    }
}

/// `spec.resources.requests.storage` (a `Quantity`, its text at 1) and
/// `spec.storageClassName` (a pointer: set even when empty).
fn claim_spec(spec: &[u8], claim: &mut WatchedPvc) -> Result<(), WireError> {
    read!(spec, b, {
        2 => read!(b, b, {
            2 => {
                let (key, quantity) = entry(b)?;
                if key == "storage" {
                    read!(quantity, b, { 1 => claim.storage = Some(text(b)?.into()) });
                }
            }
        }),
        5 => claim.storage_class = Some(Sym::new(text(b)?)),
    });
    Ok(())
}

impl FromProtobuf for WatchedPod {
    fn from_protobuf(message: &[u8]) -> Result<Self, WireError> {
        let mut pod = Self::default();
        let (mut found, mut init, mut others) = (Vec::new(), Vec::new(), Vec::new());
        read!(message, b, {
            1 => pod.meta = meta(b)?,
            3 => read!(b, b, {
                1 => pod.phase = sym(b)?,
                2 => found.push(condition(b, 5)?),
                10 => init.push(container(b)?),
                8 => others.push(container(b)?),
            }),
        });
        pod.conditions = conditions(found);
        init.append(&mut others);
        pod.containers = init.into_boxed_slice();
        Ok(pod)
    }
}

/// A `ContainerStatus`: its name (1) and `state.waiting` (2, then 1).
fn container(status: &[u8]) -> Result<ContainerState, WireError> {
    let (mut name, mut waiting) = (None, None);
    read!(status, b, {
        1 => name = Some(Sym::new(text(b)?)),
        2 => read!(b, b, { 1 => waiting = Some(waiting_state(b)?) }),
    });
    Ok(ContainerState {
        name: name.ok_or(WireError("a container status without a name"))?,
        waiting,
    })
}

fn waiting_state(message: &[u8]) -> Result<Waiting, WireError> {
    let mut waiting = Waiting::default();
    read!(message, b, {
        1 => waiting.reason = sym(b)?,
        2 => waiting.message = boxed(b)?,
    });
    Ok(waiting)
}

impl FromProtobuf for WatchedIngress {
    fn from_protobuf(message: &[u8]) -> Result<Self, WireError> {
        let mut ingress = Self::default();
        read!(message, b, {
            1 => ingress.meta = meta(b)?,
            2 => ingress_spec(b, &mut ingress)?,
        });
        Ok(ingress)
    }
}

/// `spec.tls` (2: any entry means TLS) and the host (1) of the first of `spec.rules` (3).
fn ingress_spec(spec: &[u8], ingress: &mut WatchedIngress) -> Result<(), WireError> {
    let mut first_rule = true;
    for field in fields(spec) {
        match field? {
            (2, Value::Bytes(_)) => ingress.tls = true,
            (3, Value::Bytes(rule)) if first_rule => {
                first_rule = false;
                read!(rule, b, { 1 => ingress.host = boxed(b)? });
            }
            _ => {}
        }
    }
    Ok(())
}

impl FromProtobuf for WatchedLease {
    fn from_protobuf(message: &[u8]) -> Result<Self, WireError> {
        let mut lease = Self::default();
        read!(message, b, {
            1 => lease.meta = meta(b)?,
            2 => read!(b, b, { 4 => lease.renewed = time(b, true)? }),
        });
        Ok(lease)
    }
}
