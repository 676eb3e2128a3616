//! Backup and restore Jobs: created, followed on watches to their end, and how each
//! ended.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use kube::runtime::wait::await_condition;

use super::error::{BackupError, JobEnd};
use crate::cluster::connect::Connection;
use crate::cluster::objects::create_params;
use crate::domain::backup::JobResult;

/// Creates one of the store's Jobs; returns its name.
pub(super) async fn create_job(conn: &Connection, job: &Job) -> Result<String, BackupError> {
    let name = job.metadata.name.clone().unwrap_or_default();
    let jobs: Api<Job> = Api::namespaced(
        conn.client.clone(),
        job.metadata.namespace.as_deref().unwrap_or_default(),
    );
    jobs.create(&create_params(), job)
        .await
        .map_err(conn.error(&format!("creating job {name}")))?;
    Ok(name)
}

/// Creates a Job and waits for its end.
pub(super) async fn run_job(
    conn: &Connection,
    job: &Job,
    timeout: Duration,
) -> Result<JobEnd, BackupError> {
    let name = create_job(conn, job).await?;
    let namespace = job.metadata.namespace.as_deref().unwrap_or_default();
    wait_job(conn, namespace, &name, timeout).await
}

/// Waits until Job `name` in `namespace` is Complete or Failed (`timeout`), and reads
/// what its script reported. A watch that breaks is started again (the Job goes on).
pub async fn wait_job(
    conn: &Connection,
    namespace: &str,
    name: &str,
    timeout: Duration,
) -> Result<JobEnd, BackupError> {
    let api: Api<Job> = Api::namespaced(conn.client.clone(), namespace);
    let finished = |job: Option<&Job>| job.is_some_and(|j| end_of(j).is_some());
    let deadline = tokio::time::Instant::now() + timeout;
    let timed_out = || BackupError::TimedOut {
        what: format!("job {name}"),
        after: timeout,
    };
    loop {
        let watch = await_condition(api.clone(), name, finished);
        match tokio::time::timeout_at(deadline, watch).await {
            Err(_) => return Err(timed_out()),
            Ok(Ok(Some(job))) => return job_end(conn, &job).await,
            Ok(Ok(None)) => {
                return Err(BackupError::JobFailed {
                    what: format!("job {name}"),
                    reason: "it was deleted before it finished".to_string(),
                });
            }
            Ok(Err(e)) => {
                tracing::warn!("watching job {name} broke ({e}); watching again");
                let pause = tokio::time::Instant::now() + WATCH_RETRY;
                tokio::time::sleep_until(pause.min(deadline)).await;
            }
        }
    }
}

/// How long to wait before watching a Job again after its watch broke.
pub(super) const WATCH_RETRY: Duration = Duration::from_secs(2);

/// How a Job's own conditions say it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Ended {
    /// Complete (else Failed).
    pub complete: bool,
    /// The condition's reason.
    pub reason: String,
}

/// How the Job ended, once it has.
pub(super) fn end_of(job: &Job) -> Option<Ended> {
    job.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .find(|c| c.status == "True" && (c.type_ == "Complete" || c.type_ == "Failed"))
        .map(|c| Ended {
            complete: c.type_ == "Complete",
            reason: c.reason.clone().unwrap_or_default(),
        })
}

/// How an ended Job ended, with its newest pod's termination message.
pub(super) async fn job_end(conn: &Connection, job: &Job) -> Result<JobEnd, BackupError> {
    let Ended { complete, reason } = end_of(job).unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    let namespace = job.metadata.namespace.clone().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), &namespace);
    let list = pods
        .list(&ListParams::default().labels(&format!("batch.kubernetes.io/job-name={name}")))
        .await
        .map_err(conn.error(&format!("listing the pods of job {name}")))?;
    let newest = list
        .items
        .iter()
        .max_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
    // The last result any of its containers reported (a clone's restore script is an
    // init container, followed by the URL rewrite).
    let result = newest.and_then(|p| {
        let status = p.status.as_ref()?;
        status
            .init_container_statuses
            .iter()
            .flatten()
            .chain(status.container_statuses.iter().flatten())
            .filter_map(|c| c.state.as_ref()?.terminated.as_ref()?.message.as_deref())
            .rev()
            .find_map(JobResult::parse)
    });
    Ok(JobEnd {
        complete,
        reason,
        result,
        started: job
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0),
    })
}
