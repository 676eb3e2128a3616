//! What the terminal UI does for every change batch and every one-second tick, timed at
//! 1,000 and 10,000 stores without a cluster: the stores grouped from the watched objects
//! (`Inventory::stores`), each summarized (status rules, runner report, URL, age) with its
//! object states, and the rows handed to the table (`StoreTable::set_rows`: marks kept,
//! filter and sort applied). Each store is built from the objects recorded from the local
//! control plane (`tests/fixtures/watched/`, one of each kind), its name made unique.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::jiff::Timestamp;
use serde::de::DeserializeOwned;
use storectl::app::{StoreRow, StoreTable};
use storectl::domain::inventory::Inventory;
use storectl::domain::status::StatusRules;
use storectl::domain::summary::{object_states, summarize};

/// One recorded object of `file`, for store `name` (the fixtures' store is `shop1`).
fn read<T: DeserializeOwned>(fixture: &str, name: &str) -> Arc<T> {
    let json = fixture.replace("shop1", name);
    Arc::new(serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}")))
}

/// `n` stores, each with one object of every watched kind.
fn inventory(n: usize) -> Inventory {
    macro_rules! fixture {
        ($file:literal) => {
            include_str!(concat!("../tests/fixtures/watched/", $file))
        };
    }
    let mut inventory = Inventory::default();
    for i in 0..n {
        let name = format!("s{i:05}");
        inventory
            .namespaces
            .push(read(fixture!("namespace.json"), &name));
        inventory
            .deployments
            .push(read(fixture!("deployment.json"), &name));
        inventory.jobs.push(read(fixture!("job.json"), &name));
        inventory
            .claims
            .push(read(fixture!("persistentvolumeclaim.json"), &name));
        inventory.pods.push(read(fixture!("pod.json"), &name));
        inventory
            .ingresses
            .push(read(fixture!("ingress.json"), &name));
        inventory.reports.push(read(fixture!("lease.json"), &name));
    }
    inventory
}

fn rows(inventory: &Inventory, rules: &StatusRules) -> Vec<StoreRow> {
    let now = Timestamp::now();
    inventory
        .stores("ecommerce-platform")
        .iter()
        .map(|s| StoreRow {
            summary: summarize(s, "bench", rules, now),
            objects: object_states(s),
        })
        .collect()
}

fn refresh(c: &mut Criterion) {
    let rules = StatusRules {
        provisioning_deadline: std::time::Duration::from_secs(600),
        failure_grace: std::time::Duration::from_secs(60),
    };
    let mut group = c.benchmark_group("table refresh");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let inventory = inventory(n);
        assert_eq!(rows(&inventory, &rules).len(), n, "every store grouped");
        group.bench_function(format!("{n} stores: rows"), |b| {
            b.iter(|| rows(&inventory, &rules));
        });
        let mut table = StoreTable::default();
        group.bench_function(format!("{n} stores: rows and set_rows"), |b| {
            b.iter(|| table.set_rows(rows(&inventory, &rules)));
        });
    }
    group.finish();
}

criterion_group!(benches, refresh);
criterion_main!(benches);
