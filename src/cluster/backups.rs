//! Backups on the cluster: the target made ready (the zero-set-up server in the platform
//! namespace, the store's own key copied into the store's namespace, the network
//! policies), backup and restore Jobs started and followed to their end, and the records
//! of backups (ConfigMaps in the platform namespace, which outlive the store), brought
//! up to date from the Jobs whenever storectl looks.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::wait::await_condition;
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::apply::{FIELD_MANAGER, create_params};
use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::backup::{self, BackupStatus, JobResult, Record};
use crate::domain::config::{BackupTarget, Config};
use crate::domain::credentials::random_string;
use crate::domain::labels::{BACKUP_OF_LABEL, MARK_LABEL, MARK_VALUE};
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::backup_target::{
    ACCESS_KEY_ID, BackupBucket, SECRET_ACCESS_KEY, TARGET_SERVER, TargetServer, target_server,
};
use crate::domain::manifests::backups as objects;
use crate::domain::ownership::{Owner, owner};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("store '{store}' has no backup '{id}'{}", known_ids(.known))]
    NotFound {
        store: String,
        id: String,
        known: Vec<String>,
    },
    #[error("store '{0}' has no complete backup: take one first (storectl backup {0})")]
    NoBackup(String),
    #[error("store '{0}' does not exist and no backups of it are recorded")]
    Unknown(String),
    #[error("backup '{id}' of store '{store}' is {status}{}; only a complete backup can be restored", if .reason.is_empty() { String::new() } else { format!(" ({})", .reason) })]
    NotComplete {
        store: String,
        id: String,
        status: &'static str,
        reason: String,
    },
    #[error(transparent)]
    NotRunning(#[from] crate::domain::backup::NotRunning),
    #[error(
        "the backup target's credentials are missing: Secret {secret} in namespace {namespace} {why}; it needs the keys access-key-id and secret-access-key"
    )]
    TargetCredentials {
        secret: String,
        namespace: String,
        why: String,
    },
    #[error("{object} is not storectl's (managed by {manager}); nothing was changed")]
    NotOurs { object: String, manager: String },
    #[error("{what} failed: {reason}")]
    JobFailed { what: String, reason: String },
    #[error("gave up after {}s waiting for {what}", .after.as_secs())]
    TimedOut { what: String, after: Duration },
    #[error(
        "restoring backup {id} failed: {reason}; nothing was changed: WordPress started again on the store's previous data"
    )]
    RestoreUnchanged { id: String, reason: String },
    #[error(
        "restore of backup {id} did not finish ({why}): WordPress kept stopped; run `storectl restore {store} --from {id}` again or `storectl resume {store}`"
    )]
    RestoreUnfinished {
        store: String,
        id: String,
        why: String,
        timed_out: bool,
    },
    #[error("the system random number generator failed: {0}")]
    NoRandomness(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

fn known_ids(ids: &[String]) -> String {
    match ids {
        [] => " (it has none)".to_string(),
        ids => format!(" (known: {})", ids.join(", ")),
    }
}

/// How a Job ended: complete or not, and what its script said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    pub complete: bool,
    /// The Job's own reason when it failed (e.g. BackoffLimitExceeded).
    pub reason: String,
    /// The script's result, when it wrote one.
    pub result: Option<JobResult>,
    pub started: Option<Timestamp>,
}

impl JobEnd {
    /// Why it failed, in the script's words when it said.
    pub fn why(&self) -> String {
        match &self.result {
            Some(r) if !r.error.is_empty() => r.error.clone(),
            _ if self.reason.is_empty() => "the Job failed".to_string(),
            _ => self.reason.clone(),
        }
    }
}

/// Makes the target ready for the store's Jobs: the zero-set-up server (cluster target),
/// the store's own key (never the platform's) copied into the store's namespace, over
/// any copy an earlier version left there, and the network policies.
pub async fn prepare_target(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
) -> Result<(), BackupError> {
    if config.backup.target == BackupTarget::Cluster {
        ensure_server(conn, config).await?;
    }
    let key = super::backup_access::store_key(conn, config, layout.name()).await?;
    let copy = Secret {
        metadata: ObjectMeta {
            name: Some(layout.backup_credentials()),
            namespace: Some(layout.namespace.clone()),
            labels: Some(layout.labels(None)),
            annotations: Some(layout.annotations()),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([
            (ACCESS_KEY_ID.to_string(), ByteString(key.id.into_bytes())),
            (
                SECRET_ACCESS_KEY.to_string(),
                ByteString(key.secret.into_bytes()),
            ),
        ])),
        ..Secret::default()
    };
    apply_store_object(conn, layout, &copy).await?;
    if config.network_policy.enabled {
        for policy in objects::policies(layout, config) {
            apply_store_object(conn, layout, &policy).await?;
        }
    }
    Ok(())
}

/// A namespaced object storectl can read and apply.
trait NamespacedObject:
    Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
    + Clone
    + Serialize
    + DeserializeOwned
    + std::fmt::Debug
{
}

impl<K> NamespacedObject for K where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + Serialize
        + DeserializeOwned
        + std::fmt::Debug
{
}

/// Applies one of the store's objects, unless one of that name is someone else's.
async fn apply_store_object<K>(
    conn: &Connection,
    layout: &StoreLayout,
    object: &K,
) -> Result<(), BackupError>
where
    K: NamespacedObject,
{
    apply_checked(
        conn,
        &layout.namespace,
        object,
        |meta, reference| match owner(meta, layout, false) {
            Owner::Foreign(manager) => Err(BackupError::NotOurs {
                object: reference.to_string(),
                manager,
            }),
            Owner::Storectl | Owner::OriginalPlatform => Ok(()),
        },
    )
    .await
}

/// Server-side applies `object` in `namespace` once `check` accepts the metadata of the
/// object of that name already there (if any).
async fn apply_checked<K>(
    conn: &Connection,
    namespace: &str,
    object: &K,
    check: impl Fn(&ObjectMeta, &str) -> Result<(), BackupError>,
) -> Result<(), BackupError>
where
    K: NamespacedObject,
{
    let api: Api<K> = Api::namespaced(conn.client.clone(), namespace);
    let name = object.meta().name.clone().unwrap_or_default();
    let reference = format!("{}/{name}", K::kind(&()));
    if let Some(existing) = api
        .get_metadata_opt(&name)
        .await
        .map_err(conn.error(&format!("reading {reference}")))?
    {
        check(&existing.metadata, &reference)?;
    }
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(object),
    )
    .await
    .map_err(conn.error(&format!("applying {reference}")))?;
    Ok(())
}

/// The zero-set-up target: the platform namespace, the server's credentials (made once,
/// never replaced: they open every backup), its volume, Deployment and Service.
async fn ensure_server(conn: &Connection, config: &Config) -> Result<(), BackupError> {
    let namespace = &config.platform.namespace;
    let namespaces: Api<Namespace> = Api::all(conn.client.clone());
    if namespaces
        .get_metadata_opt(namespace)
        .await
        .map_err(conn.error("reading the platform namespace"))?
        .is_none()
    {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(namespace.clone()),
                labels: Some(BTreeMap::from([
                    (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
                    (
                        "app.kubernetes.io/part-of".to_string(),
                        crate::domain::labels::PART_OF.to_string(),
                    ),
                ])),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        create_if_absent(conn, &namespaces, &ns).await?;
    }
    let secrets: Api<Secret> = Api::namespaced(conn.client.clone(), namespace);
    match secrets
        .get_metadata_opt(TARGET_SERVER)
        .await
        .map_err(conn.error("reading the backup target's credentials"))?
    {
        Some(found) => platform_owned(&found.metadata, "Secret")?,
        None => {
            let fresh =
                |len| random_string(len).map_err(|e| BackupError::NoRandomness(e.to_string()));
            let secret = Secret {
                metadata: platform_meta(namespace),
                data: Some(BTreeMap::from([
                    (
                        ACCESS_KEY_ID.to_string(),
                        ByteString(fresh(20)?.into_bytes()),
                    ),
                    (
                        SECRET_ACCESS_KEY.to_string(),
                        ByteString(fresh(40)?.into_bytes()),
                    ),
                ])),
                ..Secret::default()
            };
            create_if_absent(conn, &secrets, &secret).await?;
        }
    }
    let TargetServer {
        claim,
        deployment,
        service,
    } = target_server(config);
    apply_platform_object(conn, namespace, &claim).await?;
    apply_platform_object(conn, namespace, &service).await?;
    apply_platform_object(conn, namespace, &deployment).await?;
    Ok(())
}

fn platform_meta(namespace: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(TARGET_SERVER.to_string()),
        namespace: Some(namespace.to_string()),
        labels: Some(BTreeMap::from([
            (MARK_LABEL.to_string(), MARK_VALUE.to_string()),
            (
                "app.kubernetes.io/name".to_string(),
                TARGET_SERVER.to_string(),
            ),
        ])),
        ..ObjectMeta::default()
    }
}

/// A platform object of that name must carry storectl's mark.
pub(super) fn platform_owned(meta: &ObjectMeta, kind: &str) -> Result<(), BackupError> {
    let mark = meta.labels.as_ref().and_then(|l| l.get(MARK_LABEL));
    if mark.map(String::as_str) == Some(MARK_VALUE) {
        return Ok(());
    }
    Err(BackupError::NotOurs {
        object: format!(
            "{kind}/{} in namespace {}",
            meta.name.as_deref().unwrap_or_default(),
            meta.namespace.as_deref().unwrap_or_default()
        ),
        manager: mark.cloned().unwrap_or_else(|| "another tool".to_string()),
    })
}

async fn apply_platform_object<K>(
    conn: &Connection,
    namespace: &str,
    object: &K,
) -> Result<(), BackupError>
where
    K: NamespacedObject,
{
    apply_checked(conn, namespace, object, |meta, _| {
        platform_owned(meta, &K::kind(&()))
    })
    .await
}

/// Creates `object`; one that appeared meanwhile is kept as it is.
pub(super) async fn create_if_absent<K>(
    conn: &Connection,
    api: &Api<K>,
    object: &K,
) -> Result<(), BackupError>
where
    K: Resource + Clone + Serialize + DeserializeOwned + std::fmt::Debug,
{
    match api.create(&create_params(), object).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(e) => Err(conn.error(&format!(
            "creating {}",
            object.meta().name.as_deref().unwrap_or_default()
        ))(e)
        .into()),
    }
}

/// The store's own configuration (its latest revision: database name and user, images)
/// with this run's backup target and platform namespace: what its backup Jobs run with.
pub async fn settings_for(
    conn: &Connection,
    layout: &StoreLayout,
    store: crate::domain::inventory::StoreObjects,
    config: &Config,
) -> anyhow::Result<Config> {
    let mut own = super::rollout::target(
        conn,
        layout,
        store,
        &crate::domain::config::Sources::default(),
        config,
    )
    .await?
    .from
    .1;
    own.backup = config.backup.clone();
    own.platform = config.platform.clone();
    Ok(own)
}

/// Starts backup `id` of the store: the target made ready, the record written
/// (Running), the Job created.
pub async fn start(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    id: &str,
) -> Result<Record, BackupError> {
    prepare_target(conn, layout, config).await?;
    let record = Record {
        store: layout.name().to_string(),
        id: id.to_string(),
        created: Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        status: BackupStatus::Running,
        reason: String::new(),
        size: None,
        sha256: String::new(),
        location: BackupBucket::of(config).location(layout.name(), id),
        namespace: layout.namespace.clone(),
        job: layout.backup_job(id),
    };
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    maps.create(
        &create_params(),
        &backup::to_config_map(&record, &config.platform.namespace),
    )
    .await
    .map_err(conn.error(&format!("recording backup {id}")))?;
    create_job(conn, &objects::backup_job(layout, config, id)).await?;
    let detail = format!(": backup {id}");
    super::audit::record(conn, layout, super::audit::Change::BackupStarted, &detail).await;
    Ok(record)
}

/// Creates one of the store's Jobs; returns its name.
async fn create_job(conn: &Connection, job: &Job) -> Result<String, BackupError> {
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
async fn run_job(conn: &Connection, job: &Job, timeout: Duration) -> Result<JobEnd, BackupError> {
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
const WATCH_RETRY: Duration = Duration::from_secs(2);

/// (complete, the Job's reason) once the Job has ended.
fn end_of(job: &Job) -> Option<(bool, String)> {
    job.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .find(|c| c.status == "True" && (c.type_ == "Complete" || c.type_ == "Failed"))
        .map(|c| (c.type_ == "Complete", c.reason.clone().unwrap_or_default()))
}

/// How an ended Job ended, with its newest pod's termination message.
async fn job_end(conn: &Connection, job: &Job) -> Result<JobEnd, BackupError> {
    let (complete, reason) = end_of(job).unwrap_or((false, String::new()));
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

/// The record after its Job ended; the backups its retention removed lose their records.
pub async fn settle(
    conn: &Connection,
    config: &Config,
    mut record: Record,
    end: &JobEnd,
) -> Result<Record, BackupError> {
    if end.complete {
        record.status = BackupStatus::Complete;
        record.reason.clear();
        if let Some(result) = &end.result {
            record.size = result.size;
            record.sha256.clone_from(&result.sha256);
        }
    } else {
        record.status = BackupStatus::Failed;
        record.reason = end.why();
    }
    write(conn, config, &record).await?;
    for pruned in end.result.iter().flat_map(|r| &r.pruned) {
        remove(conn, config, &record.store, pruned).await?;
    }
    Ok(record)
}

async fn write(conn: &Connection, config: &Config, record: &Record) -> Result<(), BackupError> {
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    let map = backup::to_config_map(record, &config.platform.namespace);
    maps.patch(
        &backup::record_name(&record.store, &record.id),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&map),
    )
    .await
    .map_err(conn.error(&format!("recording backup {}", record.id)))?;
    Ok(())
}

async fn remove(
    conn: &Connection,
    config: &Config,
    store: &str,
    id: &str,
) -> Result<(), BackupError> {
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    match maps
        .delete(&backup::record_name(store, id), &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(conn.error(&format!("removing the record of backup {id}"))(e).into()),
    }
}

/// The store's backup records, oldest first, brought up to date from its backup Jobs
/// (`namespace`: where the store is, if it still exists): finished Jobs, scheduled ones
/// included, are recorded; a Running record whose Job is gone becomes Unknown.
pub async fn records(
    conn: &Connection,
    config: &Config,
    store: &str,
    namespace: Option<&str>,
) -> Result<Vec<Record>, BackupError> {
    let maps: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &config.platform.namespace);
    let selector = format!("{BACKUP_OF_LABEL}={store},{MARK_LABEL}={MARK_VALUE}");
    let mut by_id: BTreeMap<String, Record> = maps
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(conn.error("listing the backup records"))?
        .items
        .iter()
        .filter_map(backup::from_config_map)
        .map(|r| (r.id.clone(), r))
        .collect();
    let jobs = match namespace {
        Some(ns) => {
            let api: Api<Job> = Api::namespaced(conn.client.clone(), ns);
            api.list(&ListParams::default().labels(&format!("{BACKUP_OF_LABEL}={store}")))
                .await
                .map_err(conn.error("listing the backup jobs"))?
                .items
        }
        None => Vec::new(),
    };
    let prefix = format!("{store}-backup-");
    for job in &jobs {
        let name = job.metadata.name.clone().unwrap_or_default();
        if end_of(job).is_none() || !name.starts_with(&prefix) {
            continue;
        }
        // A Job already recorded as ended is not looked at again (its pods not listed).
        let recorded = by_id.values().find(|r| r.job == name).cloned();
        if recorded
            .as_ref()
            .is_some_and(|r| r.status != BackupStatus::Running)
        {
            continue;
        }
        let end = job_end(conn, job).await?;
        let started = end.started.unwrap_or_else(Timestamp::now);
        // A manual backup's id is in its record; a scheduled one's is what its script
        // reported (or, without a report, its start time).
        let id = recorded
            .as_ref()
            .map(|r| r.id.clone())
            .or_else(|| {
                end.result
                    .as_ref()
                    .map(|r| r.id.clone())
                    .filter(|i| !i.is_empty())
            })
            .unwrap_or_else(|| backup::new_id(started));
        let known = recorded.as_ref().or_else(|| by_id.get(&id));
        if known.is_some_and(|r| r.status != BackupStatus::Running) {
            continue;
        }
        let record = known.cloned().unwrap_or_else(|| Record {
            store: store.to_string(),
            id: id.clone(),
            created: started.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            status: BackupStatus::Running,
            reason: String::new(),
            size: None,
            sha256: String::new(),
            location: BackupBucket::of(config).location(store, &id),
            namespace: namespace.unwrap_or_default().to_string(),
            job: name.clone(),
        });
        let settled = settle(conn, config, record, &end).await?;
        for pruned in end.result.iter().flat_map(|r| &r.pruned) {
            by_id.remove(pruned);
        }
        by_id.insert(id, settled);
    }
    let job_names: Vec<String> = jobs
        .iter()
        .filter_map(|j| j.metadata.name.clone())
        .collect();
    for record in by_id.values_mut() {
        if record.status == BackupStatus::Running && !job_names.contains(&record.job) {
            record.status = BackupStatus::Unknown;
            record.reason = format!("its Job {} is gone without a result", record.job);
            write(conn, config, record).await?;
        }
    }
    Ok(by_id.into_values().collect())
}

/// The newest complete backup among `records`.
pub fn latest_complete(records: &[Record]) -> Option<&Record> {
    records
        .iter()
        .filter(|r| r.status == BackupStatus::Complete)
        .max_by(|a, b| a.id.cmp(&b.id))
}

/// The record of backup `id`, which must be complete.
pub fn usable<'a>(records: &'a [Record], store: &str, id: &str) -> Result<&'a Record, BackupError> {
    let record = records
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| BackupError::NotFound {
            store: store.to_string(),
            id: id.to_string(),
            known: records.iter().rev().take(5).map(|r| r.id.clone()).collect(),
        })?;
    if record.status != BackupStatus::Complete {
        return Err(BackupError::NotComplete {
            store: store.to_string(),
            id: id.to_string(),
            status: record.status.as_str(),
            reason: record.reason.clone(),
        });
    }
    Ok(record)
}

/// Restores `backup` (of its store) into the store of `layout`, all or nothing: WordPress
/// stopped (and gone) and held for the restore, the restore Job run to its end (at most
/// `timeout`, which is also the Job's own deadline). WordPress starts again only when the
/// Job completed, or when its script reported that it changed nothing; otherwise (the
/// outcome unknown: a failure mid-way, a timeout) it stays stopped, and the store's
/// status says so. `urls` (old, new) are rewritten for a clone.
pub async fn restore(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    backup: &Record,
    urls: Option<(&str, &str)>,
    timeout: Duration,
) -> Result<JobEnd, BackupError> {
    prepare_target(conn, layout, config).await?;
    // Another store's backup (a clone's source) is read through presigned URLs for its
    // files alone, never with a key; they are made before WordPress stops, and last for
    // the wait for WordPress to go plus the Job's own deadline.
    let presigned = if backup.store == layout.name() {
        Vec::new()
    } else {
        super::backup_access::presigned_urls(conn, config, backup, timeout.saturating_mul(2))
            .await?
    };
    super::pause::hold_wordpress(conn, layout, &backup.id)
        .await
        .map_err(|e| BackupError::JobFailed {
            what: "stopping WordPress".to_string(),
            reason: e.to_string(),
        })?;
    let unfinished = |why: String, timed_out: bool| BackupError::RestoreUnfinished {
        store: layout.name().to_string(),
        id: backup.id.clone(),
        why,
        timed_out,
    };
    // Before the Job exists, nothing has changed.
    if let Err(e) = wait_wordpress_gone(conn, layout, timeout).await {
        start_wordpress(conn, layout).await?;
        return Err(e);
    }
    let at = backup::new_id(Timestamp::now());
    let mut job = objects::restore_job(
        layout,
        config,
        &at,
        &backup.store,
        &backup.id,
        urls,
        timeout,
    );
    crate::domain::manifests::backup_access::fetch_through(&mut job, &presigned);
    let name = match create_job(conn, &job).await {
        Ok(name) => name,
        Err(e) if refused(&e) => {
            start_wordpress(conn, layout).await?;
            return Err(e);
        }
        Err(e) => return Err(unfinished(e.to_string(), false)),
    };
    let detail = format!(": backup {} of store {}", backup.id, backup.store);
    super::audit::record(conn, layout, super::audit::Change::RestoreStarted, &detail).await;
    let end = match wait_job(conn, &layout.namespace, &name, timeout).await {
        Ok(end) => end,
        Err(e @ BackupError::TimedOut { .. }) => return Err(unfinished(e.to_string(), true)),
        Err(e) => return Err(unfinished(e.to_string(), false)),
    };
    if end.complete {
        start_wordpress(conn, layout).await?;
        return Ok(end);
    }
    if end.result.as_ref().is_some_and(|r| r.unchanged) {
        start_wordpress(conn, layout).await?;
        return Err(BackupError::RestoreUnchanged {
            id: backup.id.clone(),
            reason: end.why(),
        });
    }
    Err(unfinished(format!("job {name}: {}", end.why()), false))
}

/// The API server answered the request with a refusal: nothing was made.
fn refused(error: &BackupError) -> bool {
    matches!(
        error,
        BackupError::Cluster(
            ClusterError::Api { code: ..500, .. }
                | ClusterError::Forbidden { .. }
                | ClusterError::Unauthorized { .. }
        )
    )
}

/// WordPress started again after a restore, its hold removed.
async fn start_wordpress(conn: &Connection, layout: &StoreLayout) -> Result<(), BackupError> {
    super::pause::release_wordpress(conn, layout)
        .await
        .map_err(|e| BackupError::JobFailed {
            what: "starting WordPress again".to_string(),
            reason: e.to_string(),
        })
}

/// Removes every backup of the store from the target (a Job, as the target may be
/// reachable only from inside the cluster), then their records.
pub async fn forget(
    conn: &Connection,
    layout: &StoreLayout,
    config: &Config,
    timeout: Duration,
) -> Result<usize, BackupError> {
    prepare_target(conn, layout, config).await?;
    let at = backup::new_id(Timestamp::now());
    let end = run_job(conn, &objects::forget_job(layout, config, &at), timeout).await?;
    if !end.complete {
        return Err(BackupError::JobFailed {
            what: "removing the store's backups".to_string(),
            reason: end.why(),
        });
    }
    let known = records(conn, config, layout.name(), Some(&layout.namespace)).await?;
    for record in &known {
        remove(conn, config, layout.name(), &record.id).await?;
    }
    let (platform, count) = (&config.platform.namespace, known.len());
    let change = super::audit::Change::BackupsForgotten;
    super::audit::record_in_platform(
        conn,
        platform,
        layout,
        change,
        &format!(" ({count} recorded)"),
    )
    .await;
    Ok(count)
}

/// Until no WordPress pod of the store runs (its volume is the restore's to write).
async fn wait_wordpress_gone(
    conn: &Connection,
    layout: &StoreLayout,
    timeout: Duration,
) -> Result<(), BackupError> {
    let pods: Api<Pod> = Api::namespaced(conn.client.clone(), &layout.namespace);
    let selector = layout
        .selector(crate::domain::layout::Component::WordPress)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = pods
            .list_metadata(&ListParams::default().labels(&selector))
            .await
            .map_err(conn.error("listing the WordPress pods"))?;
        if left.items.is_empty() {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(BackupError::TimedOut {
                what: "WordPress to stop".to_string(),
                after: timeout,
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
