//! `storectl serve` over two real control planes at once (`common::fleet`: contexts
//! `east` and `west` of one kubeconfig): one list with each store's context, every verb
//! acting in the store's own cluster (checked on that cluster directly), a name in both
//! clusters refused without `?context=`, a create that does not say where refused, and
//! one API server stopped and restarted while the other cluster stays live.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use common::fleet::Fleet;
use common::served::ServeProcess;
use common::{TestCluster, storectl, unique};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use serde_json::{Value, json};

const ADMIN: &str = "devcluster-admin";
const TOKEN: &str = "a-token-for-the-fleet-test";

/// The fleet of the tests that do not disturb it.
fn fleet() -> &'static Fleet {
    static FLEET: OnceLock<Fleet> = OnceLock::new();
    FLEET.get_or_init(|| Fleet::start(&["east", "west"]))
}

/// `storectl --context east --context west serve --listen 127.0.0.1:0 ARGS`
/// (`common::served`), stopped when dropped.
struct Served(ServeProcess);

impl std::ops::Deref for Served {
    type Target = ServeProcess;
    fn deref(&self) -> &ServeProcess {
        &self.0
    }
}

impl Served {
    fn start(fleet: &Fleet, args: &[&str]) -> Self {
        let home = common::fresh_home(fleet.cluster("east"));
        let globals = ["--context", "east", "--context", "west"];
        let served = Self(ServeProcess::start(
            &home,
            &fleet.kubeconfig,
            &globals,
            args,
        ));
        assert!(
            served.first_line.contains("clusters east, west"),
            "the first line names the clusters: {}",
            served.first_line
        );
        served.until("every cluster live", 60, |s| {
            let health = s.get("/health");
            (health.status == 200 && health.json()["status"] == "ok").then_some(())
        });
        served
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path))
            .header("Authorization", format!("Bearer {TOKEN}"));
        if body.is_some() {
            request = request.header("Content-Type", "application/json");
        }
        let text = body.map(Value::to_string).unwrap_or_default();
        let mut response = agent()
            .run(request.body(text).unwrap())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None)
    }

    /// The stores listed, as (name, context, status).
    fn stores(&self) -> Vec<(String, String, String)> {
        let list = self.get("/api/stores");
        assert_eq!(list.status, 200, "{list:?}");
        list.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["context"].as_str().unwrap().to_string(),
                    s["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    /// Polls `check` until it gives something, or panics after `secs`.
    fn until<T>(&self, what: &str, secs: u64, check: impl Fn(&Self) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(out) = check(self) {
                return out;
            }
            assert!(
                Instant::now() < deadline,
                "not {what} within {secs}s; /health: {:?}",
                self.get("/health")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until store `name` of cluster `context` is listed (with any status).
    fn until_listed(&self, name: &str, context: &str, secs: u64) {
        self.until(&format!("{name} listed in {context}"), secs, |s| {
            s.stores()
                .iter()
                .any(|(n, c, _)| n == name && c == context)
                .then_some(())
        });
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }

    fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error: {self:?}"))
            .to_string()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn token_file(fleet: &Fleet) -> String {
    let path = common::fresh_home(fleet.cluster("east")).join("tokens");
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    path.display().to_string()
}

/// `storectl create NAME` in one cluster of the fleet (its own kubeconfig).
fn create_in(cluster: &TestCluster, name: &str) {
    storectl(cluster, ADMIN, &["create", name]).expect_code(0);
}

/// Whether the namespace of store `name` is on `cluster`, and being deleted.
async fn namespace_of(cluster: &TestCluster, name: &str) -> Option<bool> {
    let namespaces: Api<Namespace> = Api::all(cluster.admin().await);
    namespaces
        .get_opt(&format!("store-{name}"))
        .await
        .unwrap()
        .map(|ns| ns.metadata.deletion_timestamp.is_some())
}

/// Reads server-sent events from `url` on a thread: (event, data) pairs.
fn events(url: &str) -> mpsc::Receiver<(String, Value)> {
    let response = agent()
        .get(url)
        .header("Authorization", format!("Bearer {TOKEN}"))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let reader = BufReader::new(response.into_body().into_reader());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in reader.lines().map_while(Result::ok) {
            if let Some(name) = line.strip_prefix("event: ") {
                event = name.to_string();
            } else if let Some(data) = line.strip_prefix("data: ") {
                let value = serde_json::from_str(data).unwrap_or(Value::Null);
                if tx.send((event.clone(), value)).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// The first event of store `name` in `context` that `accept` takes, within `secs`.
fn next_event(
    events: &mpsc::Receiver<(String, Value)>,
    name: &str,
    context: &str,
    secs: u64,
    accept: impl Fn(&str, &Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok((event, data)) = events.recv_timeout(left) else {
            break;
        };
        if data["name"] == name && data["context"] == context && accept(&event, &data) {
            return data;
        }
    }
    panic!("no such event for {name} in {context} within {secs}s");
}

#[tokio::test(flavor = "multi_thread")]
async fn both_clusters_are_one_list_and_every_verb_acts_in_the_stores_own_cluster() {
    let fleet = fleet();
    let (east, west) = (fleet.cluster("east"), fleet.cluster("west"));
    let (only_east, only_west, both) = (unique("east"), unique("west"), unique("both"));
    block(|| {
        create_in(east, &only_east);
        create_in(west, &only_west);
        create_in(east, &both);
        create_in(west, &both);
    });
    let served = Served::start(fleet, &["--token-file", &token_file(fleet)]);

    // One list, each store with its cluster's context, in namespace, name, context order.
    let listed = block(|| {
        served.until("every store listed", 30, |s| {
            let stores = s.stores();
            let has = |n: &str, c: &str| stores.iter().any(|(sn, sc, _)| sn == n && sc == c);
            (has(&only_east, "east")
                && has(&only_west, "west")
                && has(&both, "east")
                && has(&both, "west"))
            .then_some(stores)
        })
    });
    assert!(
        !listed
            .iter()
            .any(|(n, c, _)| (n == &only_east && c == "west") || (n == &only_west && c == "east")),
        "{listed:?}"
    );
    let of_both: Vec<&str> = listed
        .iter()
        .filter(|(n, _, _)| n == &both)
        .map(|(_, c, _)| c.as_str())
        .collect();
    assert_eq!(of_both, ["east", "west"], "context breaks the tie");

    // Each cluster's state, in /health (for anyone) and /api/info.
    let health = block(|| served.get("/health")).json();
    assert_eq!(health["status"], "ok", "{health}");
    let states: Vec<(String, String)> = health["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["context"].as_str().unwrap().into(),
                c["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("east".into(), "live".into()),
            ("west".into(), "live".into())
        ]
    );
    let info = block(|| served.get("/api/info")).json();
    assert_eq!(info["clusters"][1]["context"], "west", "{info}");

    // Pages walk every store of both clusters once, the token keeping the context.
    let mut walked = Vec::new();
    let mut path = "/api/stores?limit=1".to_string();
    loop {
        let page = block(|| served.get(&path));
        assert_eq!(page.status, 200, "{page:?}");
        for s in page.json().as_array().unwrap() {
            walked.push((
                s["name"].as_str().unwrap().to_string(),
                s["context"].as_str().unwrap().to_string(),
            ));
        }
        match page.headers.get("continue").and_then(|v| v.to_str().ok()) {
            Some(token) => path = format!("/api/stores?limit=1&continue={token}"),
            None => break,
        }
    }
    let mut expected: Vec<(String, String)> = listed
        .iter()
        .map(|(n, c, _)| (n.clone(), c.clone()))
        .collect();
    expected.dedup();
    assert!(walked.len() >= expected.len(), "{walked:?}");
    for store in &expected {
        assert_eq!(
            walked.iter().filter(|w| *w == store).count(),
            1,
            "{store:?} once in {walked:?}"
        );
    }

    // A name in both clusters: 409 naming them, unless ?context= says which.
    let ambiguous = block(|| served.get(&format!("/api/stores/{both}")));
    assert_eq!(ambiguous.status, 409, "{ambiguous:?}");
    assert!(
        ambiguous.error().contains("several clusters (east, west)"),
        "{ambiguous:?}"
    );
    let in_west = block(|| served.get(&format!("/api/stores/{both}?context=west")));
    assert_eq!(in_west.status, 200, "{in_west:?}");
    assert_eq!(in_west.json()["context"], "west", "{in_west:?}");
    for sub in ["events", "revisions", "backups"] {
        let path = format!("/api/stores/{both}/{sub}");
        let reply = block(|| served.get(&path));
        assert_eq!(reply.status, 409, "{path}: {reply:?}");
        let reply = block(|| served.get(&format!("{path}?context=east")));
        assert_eq!(reply.status, 200, "{path}?context=east: {reply:?}");
    }
    let alone = block(|| served.get(&format!("/api/stores/{only_west}")));
    assert_eq!(alone.json()["context"], "west", "{alone:?}");
    let elsewhere = block(|| served.get(&format!("/api/stores/{only_west}?context=east")));
    assert_eq!(elsewhere.status, 404, "{elsewhere:?}");
    let unknown = block(|| served.get(&format!("/api/stores/{only_west}?context=north")));
    assert_eq!(unknown.status, 400, "{unknown:?}");
    assert!(
        unknown
            .error()
            .contains("'north' is not a cluster this server serves (east, west)"),
        "{unknown:?}"
    );

    // A create must say where: 400 naming the choices (dry run too), or an unknown one.
    let (new_east, new_west) = (unique("ne"), unique("nw"));
    let nowhere = block(|| served.call("POST", "/api/stores", Some(&json!({"name": new_east}))));
    assert_eq!(nowhere.status, 400, "{nowhere:?}");
    assert!(nowhere.error().contains("one of east, west"), "{nowhere:?}");
    let dry = json!({"name": new_west, "context": "north"});
    let north = block(|| served.call("POST", "/api/stores?dryRun=true", Some(&dry)));
    assert_eq!(north.status, 400, "{north:?}");
    let dry = json!({"name": new_west, "context": "west"});
    let would = block(|| served.call("POST", "/api/stores?dryRun=true", Some(&dry)));
    assert_eq!(would.status, 200, "{would:?}");
    assert_eq!(would.json()["context"], "west", "{would:?}");
    assert_eq!(namespace_of(west, &new_west).await, None, "a dry run");

    // A create in each cluster, found on that cluster only.
    for (name, context, here, there) in [
        (&new_east, "east", east, west),
        (&new_west, "west", west, east),
    ] {
        let body = json!({"name": name, "context": context});
        let created = block(|| served.call("POST", "/api/stores", Some(&body)));
        assert_eq!(created.status, 202, "{created:?}");
        assert_eq!(created.json()["context"], context, "{created:?}");
        let location = created.headers.get("location").unwrap().to_str().unwrap();
        assert_eq!(location, format!("/api/stores/{name}?context={context}"));
        assert_eq!(
            namespace_of(here, name).await,
            Some(false),
            "{name} in {context}"
        );
        assert_eq!(
            namespace_of(there, name).await,
            None,
            "{name} not elsewhere"
        );
        block(|| served.until_listed(name, context, 10));
    }

    // A delete in each cluster: by a name only one cluster has, and by ?context=.
    let gone = block(|| served.call("DELETE", &format!("/api/stores/{only_east}"), None));
    assert_eq!(gone.status, 202, "{gone:?}");
    assert_eq!(gone.json()["context"], "east", "{gone:?}");
    assert_ne!(
        namespace_of(east, &only_east).await,
        Some(false),
        "deleting in east"
    );
    let refused = block(|| served.call("DELETE", &format!("/api/stores/{both}"), None));
    assert_eq!(refused.status, 409, "{refused:?}");
    let path = format!("/api/stores/{both}?context=west");
    let gone = block(|| served.call("DELETE", &path, None));
    assert_eq!(gone.status, 202, "{gone:?}");
    assert_eq!(gone.json()["context"], "west", "{gone:?}");
    assert_ne!(
        namespace_of(west, &both).await,
        Some(false),
        "deleting in west"
    );
    assert_eq!(
        namespace_of(east, &both).await,
        Some(false),
        "east's store of the same name is untouched"
    );

    // Per-cluster metrics.
    let metrics = block(|| served.get("/metrics")).body;
    for context in ["east", "west"] {
        assert!(
            metrics.contains(&format!(
                "storectl_cluster_watch_live{{context=\"{context}\"}} 1\n"
            )),
            "{metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_cluster_down_leaves_the_other_live_and_it_is_followed_again_once_back() {
    let own = Fleet::start(&["east", "west"]);
    let (east, west) = (own.cluster("east"), own.cluster("west"));
    let (in_east, in_west) = (unique("e"), unique("w"));
    block(|| {
        create_in(east, &in_east);
        create_in(west, &in_west);
    });
    let served = Served::start(&own, &["--token-file", &token_file(&own)]);
    block(|| {
        served.until_listed(&in_east, "east", 30);
        served.until_listed(&in_west, "west", 30);
    });
    let stream = events(&format!("{}/api/stores?watch=true", served.base));

    block(|| west.stop_apiserver());
    // West: reconnecting, its stores as last seen; the server stays up (200, degraded).
    let health = block(|| {
        served.until("west reconnecting", 30, |s| {
            let health = s.get("/health");
            (health.json()["clusters"][1]["state"] == "reconnecting").then_some(health)
        })
    });
    assert_eq!(health.status, 200, "{health:?}");
    let body = health.json();
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["clusters"][0]["state"], "live", "{body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .starts_with("1 of 2 clusters not live"),
        "{body}"
    );
    let stores = block(|| served.stores());
    assert!(
        stores.iter().any(|(n, c, _)| n == &in_west && c == "west"),
        "west's store as last seen: {stores:?}"
    );
    // East goes on changing meanwhile.
    let during = unique("during");
    let body = json!({"name": during, "context": "east"});
    let created = block(|| served.call("POST", "/api/stores", Some(&body)));
    assert_eq!(created.status, 202, "{created:?}");
    block(|| served.until_listed(&during, "east", 10));
    next_event(&stream, &during, "east", 10, |event, _| event == "ADDED");
    let metrics = block(|| served.get("/metrics")).body;
    assert!(
        metrics.contains("storectl_cluster_watch_live{context=\"west\"} 0\n")
            && metrics.contains("storectl_cluster_watch_live{context=\"east\"} 1\n"),
        "{metrics}"
    );

    // West back: live again, and what changes there after the restart is seen.
    block(|| west.restart_apiserver());
    block(|| {
        served.until("both live again", 60, |s| {
            (s.get("/health").json()["status"] == "ok").then_some(())
        })
    });
    let after = unique("after");
    block(|| create_in(west, &after));
    block(|| served.until_listed(&after, "west", 30));
    next_event(&stream, &after, "west", 10, |event, _| event == "ADDED");
    let path = format!("/api/stores/{in_west}");
    let gone = block(|| served.call("DELETE", &path, None));
    assert_eq!(gone.status, 202, "{gone:?}");
    assert_ne!(
        namespace_of(west, &in_west).await,
        Some(false),
        "deleting in west"
    );
    next_event(&stream, &in_west, "west", 30, |event, data| {
        event == "DELETED" || data["status"] == "Deleting"
    });
    let metrics = block(|| served.get("/metrics")).body;
    assert!(
        metrics.contains("storectl_cluster_watch_reconnects_total{context=\"west\"} 1\n")
            && metrics.contains("storectl_cluster_watch_reconnects_total{context=\"east\"} 0\n"),
        "{metrics}"
    );
}

/// The dashboard of a server of two clusters, in a real browser: a Context column that
/// tells the two stores of one name apart, each cluster's state in the header, a create
/// in the cluster chosen in the form, and a delete of one of the two same-named stores
/// that leaves the other.
#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_each_stores_context_and_acts_in_the_chosen_cluster() {
    let fleet = fleet();
    let (east, west) = (fleet.cluster("east"), fleet.cluster("west"));
    let both = unique("dboth");
    block(|| {
        create_in(east, &both);
        create_in(west, &both);
    });
    let served = Served::start(fleet, &["--insecure-no-auth"]);
    let browser = block(|| common::browser::Browser::start(&common::fresh_home(east)));
    browser.goto(&format!("{}/", served.base));
    let rows = "return [...document.querySelectorAll(`tr[data-store=\"${args[0]}\"]`)]
         .map((tr) => tr.querySelector('td.context').textContent).join(',') === 'east,west';";
    block(|| browser.wait("both rows", rows, json!([both]), Duration::from_secs(30)));
    let header = "const th = document.querySelector('th.context'); return th.checkVisibility() && th.textContent;";
    assert_eq!(browser.script(header, json!([])), "Context");
    let states = "const t = document.getElementById('clusters').textContent;
         return t.includes('east: live') && t.includes('west: live') && t;";
    block(|| {
        browser.wait(
            "each cluster's state",
            states,
            json!([]),
            Duration::from_secs(10),
        )
    });
    let options =
        "return [...document.querySelectorAll('#new-context option')].map((o) => o.value);";
    assert_eq!(browser.script(options, json!([])), json!(["east", "west"]));

    // A create in the cluster chosen.
    let created = unique("dwest");
    block(|| browser.click("#new-context option[value=west]"));
    block(|| browser.type_into("#new-name", &created));
    let checked = "const m = document.getElementById('new-name-message').textContent;
         return m.endsWith('in west)') && m;";
    block(|| {
        browser.wait(
            "the dry run in west",
            checked,
            json!([]),
            Duration::from_secs(10),
        )
    });
    block(|| browser.click("#create"));
    let row = "const tr = document.querySelector(`tr[data-store=\"${args[0]}\"]`);
         return tr && tr.dataset.context;";
    let context = block(|| {
        browser.wait(
            "the new row",
            row,
            json!([created]),
            Duration::from_secs(15),
        )
    });
    assert_eq!(context, "west");
    assert_eq!(namespace_of(west, &created).await, Some(false));
    assert_eq!(namespace_of(east, &created).await, None);

    // Deleting east's store of the shared name leaves west's.
    let button = format!("tr[data-store=\"{both}\"][data-context=\"east\"] button.delete");
    block(|| browser.click(&button));
    let open = "const d = document.getElementById('delete-dialog');
         return d.open && document.getElementById('delete-title').textContent;";
    let title = block(|| browser.wait("the dialog", open, json!([]), Duration::from_secs(10)));
    assert_eq!(title, format!("Delete store {both} in east?"));
    block(|| browser.type_into("#delete-confirm", &both));
    block(|| browser.click("#delete-go"));
    let gone = "return [...document.querySelectorAll(`tr[data-store=\"${args[0]}\"]`)]
         .map((tr) => tr.dataset.context).join(',') === 'west';";
    block(|| {
        browser.wait(
            "east's row gone",
            gone,
            json!([both]),
            Duration::from_secs(120),
        )
    });
    assert_ne!(
        namespace_of(east, &both).await,
        Some(false),
        "east's store deleted"
    );
    assert_eq!(namespace_of(west, &both).await, Some(false), "west's kept");
}
