//! The web dashboard of `storectl serve` in a real browser (headless chromium driven by
//! chromedriver, `common::browser`), against a real `storectl serve` on the test control
//! plane: signing in with a token, the CLI's own message beside a bad name, a store
//! created from the page turning Ready without a reload, a delete confirmed by the typed
//! name going through Deleting to gone (the namespace read through the API), a store
//! created by the CLI showing up within a second, and a read-only server offering no
//! control that changes anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::browser::Browser;
use common::served::ServeProcess;
use common::{TestCluster, cluster, fresh_home, storectl, unique, wait_gone};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use serde_json::{Value, json};

const ADMIN: &str = "devcluster-admin";
const TOKEN: &str = "a-token-for-the-dashboard-test";

/// `storectl --context ADMIN GLOBALS serve --listen 127.0.0.1:0 ARGS`
/// (`common::served`), once /health says every watch has listed (the API's own
/// readiness signal).
fn serve(cluster: &TestCluster, globals: &[&str], args: &[&str]) -> ServeProcess {
    let mut all = vec!["--context", ADMIN];
    all.extend_from_slice(globals);
    let served = ServeProcess::start(&fresh_home(cluster), &cluster.kubeconfig, &all, args);
    served.wait_live(|url| {
        let reply = ureq::get(url)
            .config()
            .http_status_as_error(false)
            .build()
            .call();
        reply.ok().map(|r| r.status().as_u16())
    });
    served
}

fn token_file(cluster: &TestCluster) -> String {
    let path = fresh_home(cluster).join("tokens");
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    path.display().to_string()
}

/// The status shown in the row of store `args[0]`, once it is `args[1]`.
const ROW_STATUS: &str = "const row = document.querySelector(`tr[data-store=\"${args[0]}\"]`);
     return row && row.querySelector('td.status').textContent === args[1] && args[1];";

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// Signs in: the token field, a refused token's message, then the table.
fn sign_in(browser: &Browser, served: &ServeProcess, first_store: &str) {
    browser.goto(&format!("{}/", served.base));
    let what = "the Token field";
    let label = "return !document.getElementById('login').hidden && document.querySelector('label[for=token]').textContent;";
    assert_eq!(
        browser.wait(what, label, json!([]), Duration::from_secs(10)),
        "Token"
    );
    browser.type_into("#token", "not-the-token-of-this-server");
    browser.click("#login-form button[type=submit]");
    let refused = "const e = document.getElementById('login-error').textContent; return e && e;";
    let why = browser.wait("the refusal", refused, json!([]), Duration::from_secs(10));
    assert_eq!(why, "the bearer token is not valid");
    browser.type_into("#token", TOKEN);
    browser.click("#login-form button[type=submit]");
    let row = "return document.querySelector(`tr[data-store=\"${args[0]}\"]`) !== null;";
    browser.wait(
        "the first row",
        row,
        json!([first_store]),
        Duration::from_secs(30),
    );
    let kept = browser.script(
        "return sessionStorage.getItem('storectl-token');",
        json!([]),
    );
    assert_eq!(
        kept, TOKEN,
        "the token is kept for the tab (sessionStorage)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_signs_in_creates_follows_and_deletes_stores_live() {
    let cluster = cluster();
    let existing = unique("dash");
    block(|| storectl(cluster, ADMIN, &["create", &existing]).expect_code(0));
    let tokens = token_file(cluster);
    let served = block(|| serve(cluster, &[], &["--token-file", &tokens]));
    let browser = block(|| Browser::start(&fresh_home(cluster)));
    block(|| sign_in(&browser, &served, &existing));
    // A mark that a reload would lose.
    browser.script("window.notReloaded = true;", json!([]));

    // A bad name: the CLI's own words beside the field, as it is typed.
    block(|| browser.type_into("#new-name", "Bad_Name"));
    let message = "const m = document.getElementById('new-name-message'); \
         return document.getElementById('new-name').getAttribute('aria-invalid') === 'true' && m.textContent;";
    let shown = block(|| {
        browser.wait(
            "the name's refusal",
            message,
            json!([]),
            Duration::from_secs(10),
        )
    });
    let cli = block(|| storectl(cluster, ADMIN, &["create", "Bad_Name"]).expect_code(2));
    let shown = shown.as_str().unwrap();
    let said = format!("error: {shown}");
    assert!(cli.stderr.lines().any(|l| l == said), "{said:?} vs {cli:?}");

    // Create: the row at once, then Ready, without a reload.
    let created = unique("dash");
    browser.clear("#new-name");
    block(|| browser.type_into("#new-name", &created));
    block(|| browser.click("#create"));
    let row = "return document.querySelector(`tr[data-store=\"${args[0]}\"]`) !== null;";
    block(|| {
        browser.wait(
            "the new row",
            row,
            json!([created]),
            Duration::from_secs(10),
        )
    });
    let client = cluster.admin().await;
    let namespaces: Api<Namespace> = Api::all(client);
    let namespace = format!("store-{created}");
    assert!(namespaces.get_opt(&namespace).await.unwrap().is_some());
    let ready = json!([created, "Ready"]);
    block(|| browser.wait("Ready", ROW_STATUS, ready, Duration::from_secs(180)));
    let same_page = browser.script("return window.notReloaded === true;", json!([]));
    assert_eq!(same_page, true, "the page was reloaded");

    // Its page: objects, URL, events, revisions, backups, each as the API has them.
    block(|| browser.click(&format!("tr[data-store=\"{created}\"] td.name a")));
    let details = "const rows = (id) => [...document.querySelectorAll(`#${id} tbody tr`)]
           .map((tr) => [...tr.children].map((td) => td.textContent));
         const revisions = rows('details-revisions');
         return document.activeElement.id === 'details-title'
           && document.getElementById('details-title').textContent === `Store ${args[0]}`
           && revisions.length === 1 && revisions[0][3] === 'created'
           && {objects: rows('details-objects'), events: rows('details-events').length,
               backups: rows('details-backups'), revisions: revisions[0],
               url: document.querySelector('#details-summary a').textContent};";
    let page = block(|| {
        browser.wait(
            "the store's page",
            details,
            json!([created]),
            Duration::from_secs(30),
        )
    });
    let wordpress = json!(["Deployment", format!("{created}-wordpress"), "1/1 ready"]);
    assert!(
        page["objects"].as_array().unwrap().contains(&wordpress),
        "{page}"
    );
    assert_eq!(page["url"], format!("http://{created}.local").as_str());
    assert!(page["events"].as_u64().unwrap() > 0, "{page}");
    assert_eq!(page["backups"], json!([["none"]]));
    // Revision 1 names the caller (the token's digest), not the server's account.
    let user = page["revisions"][2].as_str().unwrap();
    assert!(
        user.starts_with("token:") && user.ends_with(" (through storectl serve)"),
        "{page}"
    );
    block(|| browser.click("#details a[href='#']"));
    block(|| {
        browser.wait(
            "the table again",
            row,
            json!([created]),
            Duration::from_secs(10),
        )
    });

    // A store the CLI creates is in the table within a second.
    let by_cli = unique("dash");
    block(|| storectl(cluster, ADMIN, &["create", &by_cli]).expect_code(0));
    let since = Instant::now();
    block(|| {
        browser.wait(
            "the CLI's store",
            row,
            json!([by_cli]),
            Duration::from_secs(1),
        )
    });
    eprintln!(
        "the CLI's store was in the table {:?} after create returned",
        since.elapsed()
    );

    // Delete: the dialog says what goes, the name must be typed, the row says Deleting,
    // then it goes, and the API server agrees.
    delete_from_the_page(&browser, &created);
    wait_gone(&namespaces, &namespace, 30).await;
    assert_eq!(
        browser.script("return window.notReloaded === true;", json!([])),
        true
    );
    for name in [&existing, &by_cli] {
        block(|| storectl(cluster, ADMIN, &["delete", "--yes", name]).expect_code(0));
    }
}

fn delete_from_the_page(browser: &Browser, name: &str) {
    // Every status the row shows after the one it shows now, recorded by the page itself.
    browser.script(
        "const status = () => {
           const cell = document.querySelector(`tr[data-store=\"${arguments[0]}\"] td.status`);
           return cell ? cell.textContent : 'gone';
         };
         window.statuses = [];
         let last = status();
         new MutationObserver(() => {
           const now = status();
           if (now !== last) window.statuses.push(now);
           last = now;
         }).observe(document.getElementById('rows'), {subtree: true, childList: true, characterData: true});",
        json!([name]),
    );
    block(|| browser.click(&format!("tr[data-store=\"{name}\"] button.delete")));
    let open = "const d = document.getElementById('delete-dialog'); \
         return d.open && document.activeElement.id === 'delete-confirm' && document.getElementById('delete-what').textContent;";
    let said = block(|| browser.wait("the dialog", open, json!([]), Duration::from_secs(10)));
    assert_eq!(
        said,
        format!(
            "This deletes namespace store-{name} and everything in it; its data volumes ({name}-mysql-pvc, {name}-wordpress-pvc) are lost."
        )
    );
    let enabled = "return !document.getElementById('delete-go').disabled;";
    assert_eq!(browser.script(enabled, json!([])), false);
    block(|| browser.type_into("#delete-confirm", &name[..name.len() - 1]));
    assert_eq!(
        browser.script(enabled, json!([])),
        false,
        "a wrong name enables Delete"
    );
    block(|| browser.type_into("#delete-confirm", &name[name.len() - 1..]));
    assert_eq!(browser.script(enabled, json!([])), true);
    block(|| browser.click("#delete-go"));
    let gone = "return document.querySelector(`tr[data-store=\"${args[0]}\"]`) === null;";
    block(|| {
        browser.wait(
            "the row gone",
            gone,
            json!([name]),
            Duration::from_secs(120),
        )
    });
    let statuses = browser.script("return window.statuses;", json!([]));
    assert_eq!(statuses, json!(["Deleting", "gone"]), "the row's statuses");
}

/// Every control a user could reach on the page: (element, its text or label).
const CONTROLS: &str =
    "return [...document.querySelectorAll('button, input, select, textarea, dialog')]
       .filter((e) => e.checkVisibility())
       .map((e) => [e.localName, e.id, e.textContent.trim()]);";

#[tokio::test(flavor = "multi_thread")]
async fn a_readonly_server_offers_no_control_that_changes_anything() {
    let cluster = cluster();
    let name = unique("dashro");
    block(|| storectl(cluster, ADMIN, &["create", &name]).expect_code(0));
    let served = block(|| serve(cluster, &["--readonly"], &["--insecure-no-auth"]));
    let browser = block(|| Browser::start(&fresh_home(cluster)));
    // No authentication: no Token field, the table at once.
    browser.goto(&format!("{}/", served.base));
    let row = "return document.querySelector(`tr[data-store=\"${args[0]}\"]`) !== null;";
    block(|| browser.wait("the row", row, json!([name]), Duration::from_secs(30)));
    let controls: Value = browser.script(CONTROLS, json!([]));
    assert_eq!(
        controls,
        json!([
            ["input", "filter", ""],
            ["button", "previous", "Previous page"],
            ["button", "next", "Next page"]
        ]),
        "a read-only page offers only the filter and the pages"
    );
    let anywhere = "return document.querySelectorAll('#create-form, #new-name, button.delete, #delete-dialog').length;";
    assert_eq!(browser.script(anywhere, json!([])), 0);
    block(|| storectl(cluster, ADMIN, &["delete", "--yes", &name]).expect_code(0));
}

/// Makes `n` stores `NAME-0000`.. as bare marked namespaces (what the watches take for a
/// store that has only its namespace yet): a fleet in seconds, for the table's sake.
async fn seed_namespaces(client: &kube::Client, prefix: &str, n: usize) {
    use futures::StreamExt;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    futures::stream::iter(0..n)
        .for_each_concurrent(16, |i| {
            let namespaces = namespaces.clone();
            async move {
                let name = format!("{prefix}-{i:04}");
                let namespace: Namespace = serde_json::from_value(json!({
                    "metadata": {
                        "name": format!("store-{name}"),
                        "labels": {"app": name, "managed-by": "ecommerce-platform",
                            "app.kubernetes.io/managed-by": "storectl"},
                        "annotations": {"storectl.io/store": name}
                    }
                }))
                .unwrap();
                namespaces
                    .create(&kube::api::PostParams::default(), &namespace)
                    .await
                    .unwrap();
            }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_stores_are_counted_filtered_and_paged_and_timed() {
    let own = common::dedicated_cluster();
    seed_namespaces(&own.admin().await, "fleet", 1000).await;
    let served = block(|| serve(&own, &[], &["--insecure-no-auth"]));
    let browser = block(|| Browser::start(&fresh_home(&own)));
    browser.goto(&format!("{}/", served.base));
    // From the start of navigation to every store counted and the first page drawn.
    let complete = "const c = document.getElementById('counts').textContent;
         return c.startsWith('1000 stores: ') && document.getElementById('rows').children.length === 100
           && performance.now();";
    let loaded =
        block(|| browser.wait("1,000 stores", complete, json!([]), Duration::from_secs(60)));
    let page = "return document.getElementById('page').textContent;";
    assert_eq!(browser.script(page, json!([])), "Page 1 of 10");
    // The filter runs over every store, not the page shown: one on the last page.
    browser.script(
        "document.getElementById('filter').addEventListener('input', () => { window.typed = performance.now(); }, {once: true});",
        json!([]),
    );
    block(|| browser.type_into("#filter", "fleet-0999"));
    let found = "const rows = document.getElementById('rows').children;
         return rows.length === 1 && rows[0].dataset.store === 'fleet-0999'
           && document.getElementById('counts').textContent.endsWith('; 1 match the filter')
           && performance.now() - window.typed;";
    let filtered = block(|| browser.wait("the filter", found, json!([]), Duration::from_secs(10)));
    // Backspace until empty, as a user would (WebDriver's clear sends no input event).
    block(|| browser.type_into("#filter", &"\u{E003}".repeat("fleet-0999".len())));
    let all = "return document.getElementById('rows').children.length === 100;";
    block(|| browser.wait("all again", all, json!([]), Duration::from_secs(10)));
    block(|| browser.click("#next"));
    let second = "const rows = document.getElementById('rows').children;
         return rows[0].dataset.store === 'fleet-0100' && document.getElementById('page').textContent;";
    let shown = block(|| browser.wait("page 2", second, json!([]), Duration::from_secs(10)));
    assert_eq!(shown, "Page 2 of 10");
    // Measured, not asserted (docs/performance.md has the figures).
    eprintln!(
        "dashboard at 1,000 stores: complete {:.0} ms after navigation; filter to one row {:.0} ms after the first key",
        loaded.as_f64().unwrap_or_default(),
        filtered.as_f64().unwrap_or_default()
    );
}
