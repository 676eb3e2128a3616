//! What the terminal UI does for a change and as the time moves, timed at 1,000 and
//! 10,000 stores without a cluster: each store's row derived again (status rules, runner
//! report, URL, age, object states) from the watched objects held in the model's mirrors
//! (`cluster::mirrors`, fed here by hand), either every store's or, after one object
//! changed, that store's only (`cluster::per_store`), and the rows handed to the table
//! (`StoreTable::set_rows`: marks kept, filter and sort applied). Each store is built
//! from the objects recorded from the local control plane (`tests/fixtures/watched/`, one
//! of each kind), its name made unique.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::watcher::Event;
use serde::de::DeserializeOwned;
use storectl::app::{StoreRow, StoreTable};
use storectl::cluster::mirrors::{MirrorWriters, Mirrors};
use storectl::cluster::per_store::PerStore;
use storectl::domain::status::StatusRules;

macro_rules! fixture {
    ($file:literal) => {
        include_str!(concat!("../tests/fixtures/watched/", $file))
    };
}

/// A recorded object of `fixture`, for store `name` (the fixtures' store is `shop1`), as
/// its watcher receives it.
fn event<T: DeserializeOwned>(fixture: &str, name: &str) -> Event<T> {
    let json = fixture.replace("shop1", name);
    Event::Apply(serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}")))
}

/// Mirrors holding `n` stores, each with one object of every watched kind.
fn mirrors(n: usize) -> (Mirrors, MirrorWriters) {
    let (mirrors, mut w) = Mirrors::new();
    for i in 0..n {
        let name = format!("s{i:05}");
        w.namespaces.apply(event(fixture!("namespace.json"), &name));
        w.deployments
            .apply(event(fixture!("deployment.json"), &name));
        w.jobs.apply(event(fixture!("job.json"), &name));
        w.claims
            .apply(event(fixture!("persistentvolumeclaim.json"), &name));
        w.pods.apply(event(fixture!("pod.json"), &name));
        w.ingresses.apply(event(fixture!("ingress.json"), &name));
        w.reports.apply(event(fixture!("lease.json"), &name));
    }
    (mirrors, w)
}

/// The rows brought up to date and handed to the table, as the TUI does.
fn refresh(
    per: &mut PerStore<Arc<StoreRow>>,
    mirrors: &Mirrors,
    table: &mut StoreTable,
    rules: &StatusRules,
    all: bool,
) {
    let now = Timestamp::now();
    per.update(mirrors, "ecommerce-platform", all, |s| {
        Arc::new(StoreRow::of(s, "bench", rules, now))
    });
    table.set_rows(per.values().cloned().collect());
}

fn benches(c: &mut Criterion) {
    let rules = StatusRules {
        provisioning_deadline: std::time::Duration::from_secs(600),
        failure_grace: std::time::Duration::from_secs(60),
    };
    let mut group = c.benchmark_group("table refresh");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let (mirrors, mut writers) = mirrors(n);
        let mut per = PerStore::default();
        let mut table = StoreTable::default();
        refresh(&mut per, &mirrors, &mut table, &rules, true);
        assert_eq!(table.visible_len(), n, "every store grouped");
        group.bench_function(format!("{n} stores: every row"), |b| {
            b.iter(|| refresh(&mut per, &mirrors, &mut table, &rules, true));
        });
        let changed = format!("s{:05}", n / 2);
        group.bench_function(format!("{n} stores: one store's pod changed"), |b| {
            b.iter(|| {
                writers.pods.apply(event(fixture!("pod.json"), &changed));
                refresh(&mut per, &mirrors, &mut table, &rules, false);
            });
        });
    }
    group.finish();
}

criterion_group!(refresh_benches, benches);
criterion_main!(refresh_benches);
