//! The server's Prometheus metrics, kept in memory and written in the text exposition
//! format: stores by status, provisioning time, API requests by route and code, watch
//! reconnects; and per served cluster (label `context`): its stores, whether its watches
//! are live, its reconnects.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use crate::domain::status::Phase;

/// Upper bounds (seconds) of the provisioning-time histogram's buckets.
const PROVISIONING_BUCKETS: [f64; 9] =
    [15.0, 30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1800.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    stores: BTreeMap<Phase, u64>,
    provisioning: Histogram,
    requests: BTreeMap<(String, u16), u64>,
    reconnects: u64,
    live: bool,
    /// Per cluster (by context).
    clusters: BTreeMap<String, ClusterCounts>,
}

#[derive(Default)]
struct ClusterCounts {
    stores: usize,
    live: bool,
    reconnects: u64,
}

#[derive(Default)]
struct Histogram {
    buckets: [u64; PROVISIONING_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current number of stores in each status.
    pub fn set_stores(&self, by_status: BTreeMap<Phase, u64>) {
        self.counts().stores = by_status;
    }

    /// A store seen Provisioning became Ready `seconds` after its creation.
    pub fn observe_provisioning(&self, seconds: f64) {
        let h = &mut self.counts().provisioning;
        for (bucket, bound) in h.buckets.iter_mut().zip(PROVISIONING_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    pub fn count_request(&self, route: &str, code: u16) {
        *self
            .counts()
            .requests
            .entry((route.to_string(), code))
            .or_default() += 1;
    }

    /// The watchers of the cluster of `context` went from live to reconnecting.
    pub fn count_reconnect(&self, context: &str) {
        let mut c = self.counts();
        c.reconnects += 1;
        c.clusters
            .entry(context.to_string())
            .or_default()
            .reconnects += 1;
    }

    /// The cluster of `context` now: its watches live or not, its stores.
    pub fn set_cluster(&self, context: &str, live: bool, stores: usize) {
        let mut c = self.counts();
        let cluster = c.clusters.entry(context.to_string()).or_default();
        cluster.live = live;
        cluster.stores = stores;
    }

    pub fn set_live(&self, live: bool) {
        self.counts().live = live;
    }

    /// Everything, in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let c = self.counts();
        let mut out = String::new();
        let head = |name: &str, kind: &str, help: &str, out: &mut String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head("storectl_stores", "gauge", "Stores by status.", &mut out);
        for phase in Phase::ALL {
            let n = c.stores.get(&phase).copied().unwrap_or(0);
            let _ = writeln!(out, "storectl_stores{{status=\"{phase}\"}} {n}");
        }
        head(
            "storectl_store_provisioning_seconds",
            "histogram",
            "Time from a store's creation to its first Ready, for stores this server saw provisioning.",
            &mut out,
        );
        let h = &c.provisioning;
        for (bound, n) in PROVISIONING_BUCKETS.iter().zip(h.buckets) {
            let _ = writeln!(
                out,
                "storectl_store_provisioning_seconds_bucket{{le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "storectl_store_provisioning_seconds_bucket{{le=\"+Inf\"}} {}\n\
             storectl_store_provisioning_seconds_sum {}\n\
             storectl_store_provisioning_seconds_count {}",
            h.count, h.sum, h.count
        );
        head(
            "storectl_api_requests_total",
            "counter",
            "HTTP requests served, by route and status code.",
            &mut out,
        );
        for ((route, code), n) in &c.requests {
            let _ = writeln!(
                out,
                "storectl_api_requests_total{{route=\"{route}\",code=\"{code}\"}} {n}"
            );
        }
        head(
            "storectl_watch_reconnects_total",
            "counter",
            "Times the watches lost the API server (or a stream) and had to reconnect.",
            &mut out,
        );
        let _ = writeln!(out, "storectl_watch_reconnects_total {}", c.reconnects);
        head(
            "storectl_watch_live",
            "gauge",
            "1 while every watcher is listed and streaming.",
            &mut out,
        );
        let _ = writeln!(out, "storectl_watch_live {}", u8::from(c.live));
        render_clusters(&c.clusters, &mut out);
        out
    }
}

/// The per-cluster series (label `context`).
fn render_clusters(clusters: &BTreeMap<String, ClusterCounts>, out: &mut String) {
    let series = |name: &str,
                  kind: &str,
                  help: &str,
                  value: &dyn Fn(&ClusterCounts) -> u64,
                  out: &mut String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (context, counts) in clusters {
            let _ = writeln!(
                out,
                "{name}{{context=\"{}\"}} {}",
                label(context),
                value(counts)
            );
        }
    };
    series(
        "storectl_cluster_stores",
        "gauge",
        "Stores of each served cluster (label context: its kubeconfig context).",
        &|c| c.stores as u64,
        out,
    );
    series(
        "storectl_cluster_watch_live",
        "gauge",
        "1 while every watcher of the cluster is listed and streaming.",
        &|c| u64::from(c.live),
        out,
    );
    series(
        "storectl_cluster_watch_reconnects_total",
        "counter",
        "Times the cluster's watches lost its API server (or a stream) and had to reconnect.",
        &|c| c.reconnects,
        out,
    );
}

/// A label value as the text format writes it: backslash, double quote and newline
/// escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_counts_each_observation_in_every_bucket_at_or_above_it() {
        let m = Metrics::default();
        m.observe_provisioning(20.0);
        m.observe_provisioning(400.0);
        let text = m.render();
        assert!(text.contains("storectl_store_provisioning_seconds_bucket{le=\"15\"} 0\n"));
        assert!(text.contains("storectl_store_provisioning_seconds_bucket{le=\"30\"} 1\n"));
        assert!(text.contains("storectl_store_provisioning_seconds_bucket{le=\"600\"} 2\n"));
        assert!(text.contains("storectl_store_provisioning_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("storectl_store_provisioning_seconds_sum 420\n"));
    }

    #[test]
    fn every_status_is_reported_even_at_zero() {
        let m = Metrics::default();
        m.set_stores(BTreeMap::from([(Phase::Ready, 3)]));
        m.count_request("/api/stores", 200);
        let text = m.render();
        assert!(text.contains("storectl_stores{status=\"Ready\"} 3\n"));
        assert!(text.contains("storectl_stores{status=\"Failed\"} 0\n"));
        assert!(
            text.contains("storectl_api_requests_total{route=\"/api/stores\",code=\"200\"} 1\n")
        );
    }

    #[test]
    fn each_cluster_has_its_series_and_the_totals_stay_unlabelled() {
        let m = Metrics::default();
        m.set_cluster("east", true, 2);
        m.set_cluster("we\"st", false, 1);
        m.count_reconnect("we\"st");
        let text = m.render();
        assert!(
            text.contains("storectl_cluster_stores{context=\"east\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("storectl_cluster_watch_live{context=\"we\\\"st\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("storectl_cluster_watch_reconnects_total{context=\"we\\\"st\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("storectl_watch_reconnects_total 1\n"),
            "{text}"
        );
    }
}
