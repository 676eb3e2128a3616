//! A `storectl serve` process for the serve, dashboard and fleet tests: started on a free
//! port with its own HOME, its address read from the first line it prints, its stderr
//! kept in a file (shown when a test fails), killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct ServeProcess {
    child: Child,
    /// `http://host:port` or `https://host:port`.
    pub base: String,
    /// The first line it printed (where it listens, what it serves).
    pub first_line: String,
    lines: mpsc::Receiver<String>,
    stderr: PathBuf,
}

impl ServeProcess {
    /// `storectl GLOBALS serve --listen 127.0.0.1:0 ARGS` with `home` as HOME and
    /// `kubeconfig`, once it has said where it listens.
    pub fn start(home: &Path, kubeconfig: &Path, globals: &[&str], args: &[&str]) -> Self {
        let stderr = home.join("serve.stderr");
        let mut child = Command::new(env!("CARGO_BIN_EXE_storectl"))
            .args(globals)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_clear()
            .env("HOME", home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("KUBECONFIG", kubeconfig)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let said = |stderr: &Path| std::fs::read_to_string(stderr).unwrap_or_default();
        let first_line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("storectl serve did not start: {}", said(&stderr)));
        let base = first_line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| panic!("no address in {first_line:?}: {}", said(&stderr)))
            .to_string();
        Self {
            child,
            base,
            first_line,
            lines,
            stderr,
        }
    }

    /// `host:port` of the server.
    pub fn address(&self) -> String {
        self.base
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits for a line of its output that contains `text`.
    pub fn wait_line(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no line with {text:?} in the server's output");
    }

    /// The next line it prints, if one comes within `within`.
    pub fn next_line(&self, within: Duration) -> Option<String> {
        self.lines.recv_timeout(within).ok()
    }

    /// Sends SIGTERM.
    pub fn send_term(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// SIGTERM, then the exit status and what it printed after.
    pub fn terminate(&mut self) -> (ExitStatus, Vec<String>) {
        self.send_term();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, self.lines.try_iter().collect());
            }
            assert!(Instant::now() < deadline, "still running 30s after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `/health` answers 200 (every watch has listed: the API's own
    /// readiness signal), polling with `status_of` (the test's own HTTP client).
    pub fn wait_live(&self, status_of: impl Fn(&str) -> Option<u16>) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status = status_of(&self.url("/health"));
            if status == Some(200) {
                return;
            }
            assert!(Instant::now() < deadline, "never live: {status:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "serve's stderr:\n{}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            );
        }
    }
}
