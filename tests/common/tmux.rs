//! The real binary in a real terminal: a tmux session running storectl, driven by keys
//! and read from the screen.

use std::process::Command;
use std::time::{Duration, Instant};

use super::unique;

/// A tmux session running storectl; killed when dropped.
pub struct Session {
    /// The tmux session's name (`-t` of tmux commands).
    pub name: String,
}

impl Session {
    pub fn start(kubeconfig: &std::path::Path, width: u16, height: u16) -> Self {
        Self::start_as(kubeconfig, "devcluster-admin", width, height)
    }

    pub fn start_as(kubeconfig: &std::path::Path, context: &str, width: u16, height: u16) -> Self {
        Self::launch(
            kubeconfig,
            &format!("--context {context}"),
            (width, height),
            "",
            "",
        )
    }

    /// storectl with its cluster flags (`--context NAME ...`, `--all-contexts`), `env`
    /// (`NAME=value ...`) added to its environment, and the shell commands `after` run in
    /// the same terminal once it has exited.
    pub fn launch(
        kubeconfig: &std::path::Path,
        clusters: &str,
        (width, height): (u16, u16),
        env: &str,
        after: &str,
    ) -> Self {
        let name = unique("storectl-e2e");
        // In the cluster's folder: removed with it.
        let home = kubeconfig
            .parent()
            .unwrap_or_else(|| std::path::Path::new("/tmp"))
            .join(format!("{name}-home"));
        let command = format!(
            "env -i HOME={} PATH=/usr/bin:/bin TERM=xterm-256color KUBECONFIG={} {env} {} {clusters}; echo STORECTL-EXITED-$?; {after} sleep 30",
            home.display(),
            kubeconfig.display(),
            env!("CARGO_BIN_EXE_storectl")
        );
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                &command,
            ])
            .status()
            .expect("tmux is installed (scripts/test installs it)");
        assert!(status.success(), "tmux new-session failed");
        // Accept OSC 52 from the application into tmux's paste buffer (the clipboard).
        let _ = Command::new("tmux")
            .args(["set-option", "-s", "set-clipboard", "on"])
            .status();
        Self { name }
    }

    /// Whether the pane shows the alternate screen (tmux tracks the terminal mode).
    pub fn alternate_screen_on(&self) -> bool {
        self.flag("#{alternate_on}")
    }

    /// One of tmux's flags of the pane (`#{alternate_on}`, `#{cursor_flag}`, ...).
    pub fn flag(&self, format: &str) -> bool {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, format])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn text(&self, text: &str) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", text])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `check`; panics with the screen after `secs`.
    pub fn wait(&self, what: &str, secs: u64, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "screen never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}
