//! What the simulated scheduler and kubelet do with one pod, as a pure function of the pod,
//! what else exists on the cluster, and the time. Every timestamp is derived from the
//! pod's start time, so recomputing a status that has not changed gives the same value
//! and nothing is written.

use std::collections::HashSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, Pod, PodCondition, PodIP, PodSpec, PodStatus,
    VolumeMountStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::faults::{ImageFault, image_fault};
use super::mail;
use super::results::{self, Backups};

/// How fast simulated things happen.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// From container start to passing readiness.
    pub ready_delay: Duration,
    /// How long a Job's container runs before it exits 0.
    pub job_duration: Duration,
    /// Time between restarts of a crashing container.
    pub crash_period: Duration,
    /// How long a failing pull shows ErrImagePull before ImagePullBackOff.
    pub pull_backoff_after: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            ready_delay: Duration::from_secs(1),
            job_duration: Duration::from_secs(2),
            crash_period: Duration::from_secs(3),
            pull_backoff_after: Duration::from_secs(2),
        }
    }
}

/// What exists besides the pod: `namespace/name` keys.
#[derive(Debug, Default)]
pub struct World {
    pub claims: HashSet<String>,
    pub bound_claims: HashSet<String>,
    pub secrets: HashSet<String>,
    /// Services with at least one ready endpoint: what a connection would reach.
    pub ready_services: HashSet<String>,
    /// The complete backups on the simulated target (what a backup's retention sees).
    pub backups: Backups,
}

/// The variable naming the database an init container waits for (`host[:port]`), as the
/// WordPress image and storectl's wait-for-mysql container read it.
const DATABASE_HOST_VAR: &str = "WORDPRESS_DB_HOST";

/// The Service an init container waits to accept connections on, if it waits for one.
fn awaited_service(c: &Container) -> Option<&str> {
    let value = c
        .env
        .iter()
        .flatten()
        .find(|e| e.name == DATABASE_HOST_VAR)?
        .value
        .as_deref()?;
    let host = value.split(':').next().unwrap_or(value);
    // `svc` or `svc.namespace[.svc.cluster.local]`: the Service's own name comes first.
    host.split('.').next().filter(|h| !h.is_empty())
}

/// One step for the simulator to take.
#[derive(Debug, Clone, PartialEq)]
pub enum PodAction {
    Nothing,
    /// Schedule the pod onto the simulated node.
    Bind,
    /// Cannot be scheduled yet: set PodScheduled=False with this message.
    Unschedulable(String),
    /// Write this status (it differs from the current one).
    Status(Box<PodStatus>),
    /// The pod is being deleted and its containers are gone: remove it for good.
    Finalize,
}

pub fn plan(pod: &Pod, world: &World, now: Timestamp, timing: &Timing) -> PodAction {
    let spec = pod.spec.as_ref();
    let no_status = PodStatus::default();
    let status = pod.status.as_ref().unwrap_or(&no_status);
    let bound = spec.and_then(|s| s.node_name.as_ref()).is_some();
    if pod.metadata.deletion_timestamp.is_some() {
        return if bound {
            PodAction::Finalize
        } else {
            PodAction::Nothing
        };
    }
    if spec.is_none() {
        return PodAction::Nothing;
    }
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    if !bound {
        return match unschedulable_reason(pod, &namespace, world) {
            None => PodAction::Bind,
            Some(message) => {
                let already = status.conditions.iter().flatten().any(|c| {
                    c.type_ == "PodScheduled"
                        && c.status == "False"
                        && c.message.as_deref() == Some(&message)
                });
                if already {
                    PodAction::Nothing
                } else {
                    PodAction::Unschedulable(message)
                }
            }
        };
    }
    if at_rest(pod) {
        return PodAction::Nothing;
    }
    let start = status.start_time.as_ref().map_or_else(
        || Timestamp::from_second(now.as_second()).unwrap_or(now),
        |t| t.0,
    );
    let desired = simulate(pod, &namespace, world, start, now, timing);
    if pod.status.as_ref() == Some(&desired) {
        PodAction::Nothing
    } else {
        PodAction::Status(Box::new(desired))
    }
}

/// Nothing happens to this pod with time alone, only when it is deleted: it finished, or
/// it serves and is Ready. A fleet of a thousand stores is mostly such pods.
pub fn at_rest(pod: &Pod) -> bool {
    let Some(status) = pod.status.as_ref() else {
        return false;
    };
    if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
        return true;
    }
    !is_job(pod)
        && status.phase.as_deref() == Some("Running")
        && status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Whether a Job owns the pod (its containers run to completion).
pub fn is_job(pod: &Pod) -> bool {
    pod.metadata
        .owner_references
        .iter()
        .flatten()
        .any(|o| o.kind == "Job")
}

fn unschedulable_reason(pod: &Pod, namespace: &str, world: &World) -> Option<String> {
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref())?;
    for claim in volumes
        .iter()
        .filter_map(|v| v.persistent_volume_claim.as_ref())
    {
        let key = format!("{namespace}/{}", claim.claim_name);
        if !world.claims.contains(&key) {
            return Some(format!(
                "persistentvolumeclaim \"{}\" not found",
                claim.claim_name
            ));
        }
        if !world.bound_claims.contains(&key) {
            return Some("pod has unbound immediate PersistentVolumeClaims".to_string());
        }
    }
    None
}

/// The container-level outcome the simulated kubelet reports.
struct Outcome {
    status: ContainerStatus,
    /// Exited 0 (a Job's work finished, or an init container completed).
    succeeded: bool,
    /// Exited non-zero and will not be restarted.
    failed: bool,
    running: bool,
}

fn simulate(
    pod: &Pod,
    namespace: &str,
    world: &World,
    start: Timestamp,
    now: Timestamp,
    t: &Timing,
) -> PodStatus {
    let no_spec = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&no_spec);
    let restart_never = spec.restart_policy.as_deref() == Some("Never");
    let is_job = is_job(pod);
    let elapsed = now.duration_since(start);

    let mut init_statuses = Vec::new();
    let mut initialized = true;
    let mut failed = false;
    for c in spec.init_containers.iter().flatten() {
        if !initialized {
            init_statuses.push(waiting(c, "PodInitializing", "", 0, None));
            continue;
        }
        let mut out = run_container(
            c,
            namespace,
            world,
            start,
            elapsed,
            t,
            restart_never,
            (Some(Duration::ZERO), None),
        );
        // A container that waits for the database keeps running until the database's
        // Service has a ready endpoint, as a real one keeps retrying its connection.
        let database_down = awaited_service(c)
            .is_some_and(|svc| !world.ready_services.contains(&format!("{namespace}/{svc}")));
        if out.succeeded && database_down {
            out = running(c, start, false);
        }
        initialized = out.succeeded;
        failed |= out.failed;
        init_statuses.push(out.status);
    }

    let mut statuses = Vec::new();
    let (mut all_ready, mut all_succeeded, mut any_running) = (true, true, false);
    for c in &spec.containers {
        if !initialized {
            let reason = if failed { "Error" } else { "PodInitializing" };
            statuses.push(waiting(c, reason, "", 0, None));
            all_ready = false;
            all_succeeded = false;
            continue;
        }
        // A Job's container exits after a while, unless its image asks to run on (then
        // it is ready like any container without a probe).
        let runs_on =
            image_fault(c.image.as_deref().unwrap_or_default()) == ImageFault::RunsForever;
        let completes_after = (is_job && !runs_on).then_some(t.job_duration);
        // What the script writes as its termination message when it finishes.
        let backup = is_job.then(|| results::backup_run(c)).flatten().map(|run| {
            let pod_name = pod.metadata.name.as_deref().unwrap_or_default();
            let held = world.backups.get(&run.key(namespace));
            run.result(namespace, pod_name, start, held)
        });
        let result = backup.or_else(|| is_job.then(|| mail::mail_test_result(c)).flatten());
        let out = run_container(
            c,
            namespace,
            world,
            start,
            elapsed,
            t,
            restart_never,
            (completes_after, result),
        );
        all_ready &= out.status.ready;
        all_succeeded &= out.succeeded;
        any_running |= out.running;
        failed |= out.failed;
        statuses.push(out.status);
    }

    let phase = if failed {
        "Failed"
    } else if initialized && all_succeeded {
        "Succeeded"
    } else if any_running {
        "Running"
    } else {
        "Pending"
    };
    let ready = initialized && all_ready && phase == "Running";
    let ready_at = start + SignedDuration::try_from(t.ready_delay).unwrap_or_default();
    // As a current kubelet reports them: the sandbox is up from the start (the simulator
    // has no sandbox to wait for), each condition at the pod's generation.
    let generation = pod.metadata.generation;
    let mut conditions = vec![
        condition("PodReadyToStartContainers", true, start),
        condition("Initialized", initialized, start),
        condition("Ready", ready, if ready { ready_at } else { start }),
        condition(
            "ContainersReady",
            ready,
            if ready { ready_at } else { start },
        ),
        condition("PodScheduled", true, start),
    ];
    for c in &mut conditions {
        c.observed_generation = generation;
    }
    let ip = pod_ip(pod);
    PodStatus {
        phase: Some(phase.to_string()),
        conditions: Some(conditions),
        host_ip: Some("127.0.0.1".to_string()),
        host_ips: Some(vec![k8s_openapi::api::core::v1::HostIP {
            ip: "127.0.0.1".to_string(),
        }]),
        pod_ip: Some(ip.clone()),
        pod_ips: Some(vec![PodIP { ip }]),
        start_time: Some(Time(start)),
        init_container_statuses: (!init_statuses.is_empty()).then_some(init_statuses),
        container_statuses: Some(statuses),
        qos_class: pod.status.as_ref().and_then(|s| s.qos_class.clone()),
        observed_generation: generation,
        ..PodStatus::default()
    }
}

#[allow(clippy::too_many_arguments)]
fn run_container(
    c: &Container,
    namespace: &str,
    world: &World,
    start: Timestamp,
    elapsed: SignedDuration,
    t: &Timing,
    restart_never: bool,
    (completes_after, result): (Option<Duration>, Option<String>),
) -> Outcome {
    let image = c.image.clone().unwrap_or_default();
    let secs = |d: Duration| SignedDuration::try_from(d).unwrap_or_default();
    let not_started = |status| Outcome {
        status,
        succeeded: false,
        failed: false,
        running: false,
    };
    if let Some(secret) = missing_secret(c, namespace, world) {
        let msg = format!("secret \"{secret}\" not found");
        return not_started(waiting(c, "CreateContainerConfigError", &msg, 0, None));
    }
    match image_fault(&image) {
        ImageFault::InvalidName => {
            let msg = format!(
                "Failed to apply default image tag \"{image}\": couldn't parse image reference \"{image}\": invalid reference format"
            );
            not_started(waiting(c, "InvalidImageName", &msg, 0, None))
        }
        ImageFault::PullFails => {
            let host = image.split('/').next().unwrap_or_default();
            let (reason, msg) = if elapsed < secs(t.pull_backoff_after) {
                let msg = format!(
                    "Failed to pull image \"{image}\": dial tcp: lookup {host}: no such host (simulated)"
                );
                ("ErrImagePull", msg)
            } else {
                (
                    "ImagePullBackOff",
                    format!("Back-off pulling image \"{image}\" (simulated)"),
                )
            };
            not_started(waiting(c, reason, &msg, 0, None))
        }
        fault @ (ImageFault::ExitsWithError | ImageFault::ExitsUnchanged) => {
            let finished = start + secs(Duration::from_secs(1));
            let message = if fault == ImageFault::ExitsUnchanged {
                r#"{"error":"simulated: the image tag asks for a failure that changed nothing","unchanged":true}"#
            } else {
                "simulated: the image tag asks for exit status 1"
            };
            let terminated = ContainerStateTerminated {
                exit_code: 1,
                reason: Some("Error".to_string()),
                message: Some(message.to_string()),
                started_at: Some(Time(start)),
                finished_at: Some(Time(finished)),
                ..ContainerStateTerminated::default()
            };
            if restart_never {
                let mut status = base_status(c, false, 0);
                status.state = Some(ContainerState {
                    terminated: Some(terminated),
                    ..ContainerState::default()
                });
                return Outcome {
                    status,
                    succeeded: false,
                    failed: true,
                    running: false,
                };
            }
            let period = secs(t.crash_period).as_secs().max(1);
            let restarts = i32::try_from(elapsed.as_secs() / period + 1).unwrap_or(i32::MAX);
            let msg = format!(
                "back-off restarting failed container {} (simulated)",
                c.name
            );
            not_started(waiting(
                c,
                "CrashLoopBackOff",
                &msg,
                restarts,
                Some(terminated),
            ))
        }
        fault @ (ImageFault::None | ImageFault::NeverReady | ImageFault::RunsForever) => {
            let done_at = completes_after.filter(|_| fault != ImageFault::NeverReady);
            if let Some(done_at) = done_at.filter(|d| elapsed >= secs(*d)) {
                let mut status = base_status(c, false, 0);
                status.state = Some(ContainerState {
                    terminated: Some(ContainerStateTerminated {
                        exit_code: 0,
                        reason: Some("Completed".to_string()),
                        message: result,
                        started_at: Some(Time(start)),
                        finished_at: Some(Time(start + secs(done_at))),
                        ..ContainerStateTerminated::default()
                    }),
                    ..ContainerState::default()
                });
                return Outcome {
                    status,
                    succeeded: true,
                    failed: false,
                    running: false,
                };
            }
            let ready = fault != ImageFault::NeverReady
                && elapsed >= secs(t.ready_delay)
                && completes_after.is_none();
            running(c, start, ready)
        }
    }
}

/// A container running since `start` (an init container waiting for the database too).
fn running(c: &Container, start: Timestamp, ready: bool) -> Outcome {
    let mut status = base_status(c, ready, 0);
    status.started = Some(true);
    status.state = Some(ContainerState {
        running: Some(ContainerStateRunning {
            started_at: Some(Time(start)),
        }),
        ..ContainerState::default()
    });
    Outcome {
        status,
        succeeded: false,
        failed: false,
        running: true,
    }
}

fn missing_secret(c: &Container, namespace: &str, world: &World) -> Option<String> {
    c.env
        .iter()
        .flatten()
        .filter_map(|e| e.value_from.as_ref()?.secret_key_ref.as_ref())
        .find(|r| {
            !world.secrets.contains(&format!("{namespace}/{}", r.name)) && r.optional != Some(true)
        })
        .map(|r| r.name.clone())
}

fn base_status(c: &Container, ready: bool, restarts: i32) -> ContainerStatus {
    let image = c.image.clone().unwrap_or_default();
    ContainerStatus {
        name: c.name.clone(),
        image: image.clone(),
        image_id: format!("sim://{image}"),
        container_id: Some(format!("sim://{}", c.name)),
        ready,
        restart_count: restarts,
        started: Some(false),
        // What the container was admitted with, and its mounts (kubelet 1.30+).
        resources: c.resources.clone(),
        allocated_resources: c.resources.as_ref().and_then(|r| r.requests.clone()),
        volume_mounts: c.volume_mounts.as_ref().map(|mounts| {
            mounts
                .iter()
                .map(|m| VolumeMountStatus {
                    name: m.name.clone(),
                    mount_path: m.mount_path.clone(),
                    read_only: m.read_only,
                    ..VolumeMountStatus::default()
                })
                .collect()
        }),
        ..ContainerStatus::default()
    }
}

fn waiting(
    c: &Container,
    reason: &str,
    message: &str,
    restarts: i32,
    last: Option<ContainerStateTerminated>,
) -> ContainerStatus {
    let mut status = base_status(c, false, restarts);
    if reason == "PodInitializing" || reason == "Error" {
        status.container_id = None;
    }
    status.state = Some(ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.to_string()),
            message: (!message.is_empty()).then(|| message.to_string()),
        }),
        ..ContainerState::default()
    });
    status.last_state = last.map(|t| ContainerState {
        terminated: Some(t),
        ..ContainerState::default()
    });
    status
}

fn condition(type_: &str, ok: bool, at: Timestamp) -> PodCondition {
    PodCondition {
        type_: type_.to_string(),
        status: if ok { "True" } else { "False" }.to_string(),
        last_transition_time: Some(Time(at)),
        ..PodCondition::default()
    }
}

/// A stable fake address in 10.244.0.0/16 derived from the pod's uid.
fn pod_ip(pod: &Pod) -> String {
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    let h = uid
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("10.244.{}.{}", (h >> 8) % 256, h % 254 + 1)
}

#[cfg(test)]
mod tests;
