//! A real browser for the dashboard's tests: Debian's chromium, headless, driven by
//! Debian's chromedriver through the W3C WebDriver HTTP API (JSON over ureq, from the
//! test itself: no Selenium, no Python). Clicks and keys go through WebDriver as a
//! user's would; waiting is a MutationObserver in the page that answers as soon as a
//! condition holds (no polling, no sleep), with a deadline. Missing chromium or
//! chromedriver fails the test with the command that installs them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key WebDriver names an element by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
}

/// A free loopback port (chromedriver takes no port 0).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .port()
}

impl Browser {
    /// chromedriver on a free port and one headless chromium session with a fresh profile
    /// in `scratch`.
    pub fn start(scratch: &Path) -> Self {
        for (file, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(file).is_file(),
                "{file} (Debian package {package}) is missing: the dashboard tests need a real \
                 browser. Run scripts/test (it installs it), or apt-get install chromium chromium-driver"
            );
        }
        let port = free_port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"));
        let stdout = driver.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut lines = BufReader::new(stdout).lines();
        let started = lines.any(|l| l.is_ok_and(|l| l.contains("started successfully")));
        assert!(started, "chromedriver did not start");
        std::thread::spawn(move || lines.for_each(drop));
        let profile: PathBuf = scratch.join("chromium-profile");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        let mut browser = Self {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            agent,
        };
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,1024",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let session = browser.call("POST", "/session", Some(capabilities));
        browser.session = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_string();
        browser
    }

    /// One WebDriver command; its `value`, or a panic with WebDriver's error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let url = format!("{}{path}", self.base);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Content-Type", "application/json")
            .body(body.map(|b| b.to_string()).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut response = self
            .agent
            .run(request)
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let ok = response.status().is_success();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let reply: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let value = reply["value"].clone();
        if ok { Ok(value) } else { Err(value) }
    }

    fn in_session(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", &self.in_session("/url"), Some(json!({"url": url})));
    }

    /// The element `css` matches (it must exist).
    pub fn find(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            &self.in_session("/element"),
            Some(json!({"using": "css selector", "value": css})),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    /// Clicks `css` as a user would (WebDriver scrolls it into view; it must be enabled
    /// and not covered).
    pub fn click(&self, css: &str) {
        let id = self.find(css);
        let path = self.in_session(&format!("/element/{id}/click"));
        self.call("POST", &path, Some(json!({})));
    }

    /// Types `text` into `css` key by key.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        let path = self.in_session(&format!("/element/{id}/value"));
        self.call("POST", &path, Some(json!({"text": text})));
    }

    /// Empties the field `css`.
    pub fn clear(&self, css: &str) {
        let id = self.find(css);
        let path = self.in_session(&format!("/element/{id}/clear"));
        self.call("POST", &path, Some(json!({})));
    }

    /// Runs `body` (a function body: `arguments` are `args`) in the page; its result.
    pub fn script(&self, body: &str, args: Value) -> Value {
        self.call(
            "POST",
            &self.in_session("/execute/sync"),
            Some(json!({"script": body, "args": args})),
        )
    }

    /// Waits until `condition` (a function body of `args`, run in the page) returns
    /// something truthy, and returns it: checked now and after each change of the page
    /// (a MutationObserver), for at most `within`. On timeout the panic names `what`
    /// and shows the page's text.
    pub fn wait(&self, what: &str, condition: &str, args: Value, within: Duration) -> Value {
        let ms = u64::try_from(within.as_millis()).unwrap_or(u64::MAX);
        self.call(
            "POST",
            &self.in_session("/timeouts"),
            Some(json!({"script": ms})),
        );
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const args = Array.prototype.slice.call(arguments, 0, -1);
             const check = () => {{ {condition} }};
             const now = check();
             if (now) {{ done(now); return; }}
             const observer = new MutationObserver(() => {{
               const v = check();
               if (v) {{ observer.disconnect(); done(v); }}
             }});
             observer.observe(document, {{subtree: true, childList: true, characterData: true, attributes: true}});"
        );
        let waited = self.try_call(
            "POST",
            &self.in_session("/execute/async"),
            Some(json!({"script": script, "args": args})),
        );
        match waited {
            Ok(value) => value,
            Err(error) => {
                let page = self.script("return document.body.innerText;", json!([]));
                panic!(
                    "{what}: not within {within:?} ({error})\nthe page says:\n{}",
                    page.as_str().unwrap_or_default()
                )
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_call("DELETE", &self.in_session(""), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
