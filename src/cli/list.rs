//! `storectl list [-o table|json|yaml] [--watch]` and `storectl status NAME`.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::output::{self, store_table};
use super::{Format, ListArgs, StatusArgs, find};
use crate::cluster::connect::Connection;
use crate::cluster::snapshot;
use crate::cluster::watch::{Health, LiveModel, Scope};
use crate::domain::config::Config;
use crate::domain::name::StoreName;
use crate::domain::status::{Phase, StoreObjects};
use crate::domain::summary::{StoreSummary, summarize};

pub async fn run(conn: &Connection, args: &ListArgs, config: &Config) -> anyhow::Result<()> {
    if args.watch {
        return watch(conn, config).await;
    }
    let inventory = snapshot::inventory(conn).await?;
    let rules = config.status_rules();
    let now = Timestamp::now();
    let stores: Vec<StoreSummary> = inventory
        .stores()
        .iter()
        .map(|s| summarize(s, &rules, now))
        .collect();
    match args.format {
        Format::Table if stores.is_empty() => {
            eprintln!("no stores (create one with: storectl create NAME)")
        }
        Format::Table => print!("{}", store_table(&stores)),
        other => output::structured(&stores, other)?,
    }
    Ok(())
}

/// Prints the table once the watches have listed, then a line per status change.
async fn watch(conn: &Connection, config: &Config) -> anyhow::Result<()> {
    let (model, mut changes, mut health) = LiveModel::start(conn, &Scope::Cluster);
    let rules = config.status_rules();
    let mut shown: BTreeMap<(String, String), (Phase, String)> = BTreeMap::new();
    let mut first = true;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = changes.recv() => {}
            _ = tick.tick() => {}
            changed = health.changed() => {
                if changed.is_err() { return Ok(()); }
                match &*health.borrow() {
                    Health::Live if !first => eprintln!("watch: connected again"),
                    Health::Live => {}
                    Health::Reconnecting(why) => eprintln!("watch: reconnecting ({why})"),
                }
            }
        }
        if first {
            if !model.ready().await {
                continue;
            }
            let now = Timestamp::now();
            let stores: Vec<StoreSummary> = model
                .inventory()
                .stores()
                .iter()
                .map(|s| summarize(s, &rules, now))
                .collect();
            print!("{}", store_table(&stores));
            shown = stores
                .iter()
                .map(|s| {
                    (
                        (s.namespace.clone(), s.name.clone()),
                        (s.status, s.reason.clone()),
                    )
                })
                .collect();
            first = false;
            continue;
        }
        let now = Timestamp::now();
        let current: BTreeMap<(String, String), StoreSummary> = model
            .inventory()
            .stores()
            .iter()
            .map(|s| summarize(s, &rules, now))
            .map(|s| ((s.namespace.clone(), s.name.clone()), s))
            .collect();
        for (key, s) in &current {
            let state = (s.status, s.reason.clone());
            if shown.get(key) != Some(&state) {
                println!("{}  {}  {}  {}", clock(now), s.name, s.status, s.reason);
                shown.insert(key.clone(), state);
            }
        }
        let gone: Vec<(String, String)> = shown
            .keys()
            .filter(|k| !current.contains_key(*k))
            .cloned()
            .collect();
        for key in gone {
            println!("{}  {}  Deleted  no objects remain", clock(now), key.1);
            shown.remove(&key);
        }
    }
}

fn clock(t: Timestamp) -> String {
    t.strftime("%H:%M:%S").to_string()
}

/// `status -o json`: the summary plus the state of each object.
#[derive(Debug, Serialize)]
struct StatusReport {
    #[serde(flatten)]
    summary: StoreSummary,
    objects: Vec<ObjectState>,
}

#[derive(Debug, Serialize)]
struct ObjectState {
    kind: &'static str,
    name: String,
    state: String,
}

pub async fn status(
    conn: &Connection,
    args: &StatusArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let store = find::store(conn, name).await?;
    let summary = summarize(&store, &config.status_rules(), Timestamp::now());
    let report = StatusReport {
        summary,
        objects: object_states(&store),
    };
    if args.format != Format::Table {
        return output::structured(&report, args.format);
    }
    let s = &report.summary;
    println!("Store:     {}", s.name);
    println!("Namespace: {}", s.namespace);
    println!("Status:    {} ({})", s.status, s.reason);
    println!("URL:       {}", s.url.as_deref().unwrap_or("-"));
    println!("Created:   {}", s.created.as_deref().unwrap_or("-"));
    println!("Pods:      {}/{} ready", s.pods_ready, s.pods_total);
    println!();
    let rows: Vec<Vec<String>> = report
        .objects
        .iter()
        .map(|o| vec![o.kind.to_string(), o.name.clone(), o.state.clone()])
        .collect();
    print!(
        "{}",
        output::table(&["KIND", "NAME", "STATE"], &rows, None, 2)
    );
    Ok(())
}

fn object_states(store: &StoreObjects) -> Vec<ObjectState> {
    let name = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        m.name.clone().unwrap_or_default()
    };
    let mut out = Vec::new();
    if let Some(ns) = &store.namespace {
        let phase = ns
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        out.push(ObjectState {
            kind: "Namespace",
            name: name(&ns.metadata),
            state: phase,
        });
    }
    for c in &store.claims {
        let phase = c
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        out.push(ObjectState {
            kind: "PersistentVolumeClaim",
            name: name(&c.metadata),
            state: phase,
        });
    }
    for d in &store.deployments {
        let st = d.status.clone().unwrap_or_default();
        let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        out.push(ObjectState {
            kind: "Deployment",
            name: name(&d.metadata),
            state: format!("{}/{want} ready", st.ready_replicas.unwrap_or(0)),
        });
    }
    for j in &store.jobs {
        let conditions = j.status.iter().flat_map(|s| s.conditions.iter().flatten());
        let done = conditions
            .filter(|c| c.status == "True")
            .map(|c| c.type_.clone())
            .next();
        out.push(ObjectState {
            kind: "Job",
            name: name(&j.metadata),
            state: done.unwrap_or_else(|| "Running".to_string()),
        });
    }
    for p in &store.pods {
        let phase = p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        out.push(ObjectState {
            kind: "Pod",
            name: name(&p.metadata),
            state: phase,
        });
    }
    for i in &store.ingresses {
        let host = i
            .spec
            .as_ref()
            .and_then(|s| s.rules.as_ref())
            .and_then(|r| r.first())
            .and_then(|r| r.host.clone());
        out.push(ObjectState {
            kind: "Ingress",
            name: name(&i.metadata),
            state: host.unwrap_or_default(),
        });
    }
    out
}
