//! A store's mail on the cluster: the SMTP password copied from the platform's Secret
//! (`mail.smtp.passwordSecret`) into the store's own Secret `<store>-mail`, at create and
//! at every upgrade; and the `storectl mail-test` Job, run, read and removed. The
//! password is read and written, never logged or shown.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Pod, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PropagationPolicy};
use kube::runtime::wait::await_condition;

use super::connect::Connection;
use super::error::ClusterError;
use super::objects::{FIELD_MANAGER, create_params};
use crate::domain::config::{Config, MAIL_PASSWORD_KEY};
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::mail_test::{MAIL_TEST_DEADLINE_SECONDS, mail_test_job};
use crate::domain::ownership::{Owner, owner};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(
        "the SMTP password is missing: Secret {secret} in namespace {namespace} {why}; mail.smtp.passwordSecret names it, and its key '{MAIL_PASSWORD_KEY}' holds the password"
    )]
    PasswordSecret {
        secret: String,
        namespace: String,
        why: String,
    },
    #[error("{object} is not storectl's (managed by {manager}); nothing was changed")]
    NotOurs { object: String, manager: String },
    #[error("the mail test job {job} ended without a result: {why}")]
    NoResult { job: String, why: String },
    #[error("gave up after {}s waiting for the mail test job {job}", .after.as_secs())]
    TimedOut { job: String, after: Duration },
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// Copies the SMTP password into the store's Secret `<store>-mail` (over an older copy
/// of storectl's), when mail is on with a login; nothing otherwise.
pub async fn copy_password(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
) -> Result<(), MailError> {
    let mail = &config.mail;
    if !mail.enabled() || !mail.authenticates() {
        return Ok(());
    }
    let namespace = &config.platform.namespace;
    let name = &mail.smtp.password_secret;
    let missing = |why: &str| MailError::PasswordSecret {
        secret: name.clone(),
        namespace: namespace.clone(),
        why: why.to_string(),
    };
    let platform: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    let found = platform
        .get_opt(name)
        .await
        .map_err(conn.error("reading the SMTP password's Secret"))?
        .ok_or_else(|| missing("does not exist"))?;
    let password = found
        .data
        .unwrap_or_default()
        .remove(MAIL_PASSWORD_KEY)
        .filter(|v| !v.0.is_empty())
        .ok_or_else(|| missing(&format!("has no key '{MAIL_PASSWORD_KEY}'")))?;
    let copy = Secret {
        metadata: ObjectMeta {
            name: Some(layout.mail_secret()),
            namespace: Some(layout.namespace.clone()),
            labels: Some(layout.labels(None)),
            annotations: Some(layout.annotations()),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            MAIL_PASSWORD_KEY.to_string(),
            ByteString(password.0),
        )])),
        ..Secret::default()
    };
    let secrets: Api<Secret> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let reference = format!("Secret/{}", layout.mail_secret());
    if let Some(existing) = secrets
        .get_metadata_opt(&layout.mail_secret())
        .await
        .map_err(conn.error(&format!("reading {reference}")))?
        && let Owner::Foreign(manager) = owner(&existing.metadata, layout, false)
    {
        return Err(MailError::NotOurs {
            object: reference,
            manager,
        });
    }
    secrets
        .patch(
            &layout.mail_secret(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&copy),
        )
        .await
        .map_err(conn.error(&format!("applying {reference}")))?;
    Ok(())
}

/// How a mail test Job ended: its script's one-line JSON result (termination message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTestEnd {
    pub job: String,
    pub result: String,
}

/// Runs the mail test Job for `to` in the store's namespace, waits for its end, reads
/// its result and removes it (and its pod).
pub async fn run_mail_test(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    to: &str,
) -> Result<MailTestEnd, MailError> {
    let jobs: Api<Job> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let created = jobs
        .create(&create_params(), &mail_test_job(layout, config, to))
        .await
        .map_err(conn.error("creating the mail test job"))?;
    let job = created.metadata.name.unwrap_or_default();
    let ended = wait_and_read(conn, layout, &job).await;
    let remove = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    if let Err(e) = jobs.delete(&job, &remove).await {
        tracing::warn!("removing the mail test job {job}: {e}");
    }
    ended
}

async fn wait_and_read(
    conn: &Connection,
    layout: &StoreLayout,
    job: &str,
) -> Result<MailTestEnd, MailError> {
    let jobs: Api<Job> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let after = Duration::from_secs(u64::try_from(MAIL_TEST_DEADLINE_SECONDS).unwrap_or(180) + 30);
    let ended = |j: Option<&Job>| {
        j.and_then(|j| j.status.as_ref())
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| {
                c.iter()
                    .any(|c| c.status == "True" && (c.type_ == "Complete" || c.type_ == "Failed"))
            })
    };
    let timed_out = || MailError::TimedOut {
        job: job.to_string(),
        after,
    };
    let finished = tokio::time::timeout(after, await_condition(jobs, job, ended))
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| MailError::NoResult {
            job: job.to_string(),
            why: e.to_string(),
        })?;
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let list = pods
        .list(&ListParams::default().labels(&format!("batch.kubernetes.io/job-name={job}")))
        .await
        .map_err(conn.error(&format!("listing the pods of job {job}")))?;
    let message = list.items.iter().find_map(|p| {
        p.status
            .as_ref()?
            .container_statuses
            .iter()
            .flatten()
            .find_map(|c| c.state.as_ref()?.terminated.as_ref()?.message.clone())
    });
    let reason = finished
        .and_then(|j| j.status)
        .and_then(|s| s.conditions)
        .and_then(|c| c.into_iter().find(|c| c.status == "True"))
        .map(|c| format!("{}: {}", c.type_, c.reason.unwrap_or_default()))
        .unwrap_or_default();
    match message.filter(|m| !m.trim().is_empty()) {
        Some(result) => Ok(MailTestEnd {
            job: job.to_string(),
            result,
        }),
        None => Err(MailError::NoResult {
            job: job.to_string(),
            why: format!("no termination message ({reason})"),
        }),
    }
}
