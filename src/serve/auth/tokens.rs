//! `--token-file`: the bearer tokens the server accepts, one a line (blank lines and
//! `#` comments ignored), reread whenever the file changes, compared in constant time.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use subtle::ConstantTimeEq;

/// What tells one version of the file from the next without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    len: u64,
    modified_ns: i128,
    changed_ns: i128,
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let m = std::fs::metadata(path)?;
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    Ok(Stamp {
        inode: m.ino(),
        len: m.len(),
        modified_ns: ns(m.mtime(), m.mtime_nsec()),
        changed_ns: ns(m.ctime(), m.ctime_nsec()),
    })
}

struct Loaded {
    stamp: Stamp,
    tokens: Vec<Vec<u8>>,
}

pub struct TokenFile {
    path: PathBuf,
    loaded: RwLock<Loaded>,
}

impl TokenFile {
    /// Reads the file; an unreadable file or one without a token is an error (nobody
    /// could get in).
    pub fn open(path: &Path) -> Result<Self, String> {
        let loaded = load(path)?;
        if loaded.tokens.is_empty() {
            return Err(format!(
                "token file {} holds no token (one a line)",
                path.display()
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            loaded: RwLock::new(loaded),
        })
    }

    /// Whether `presented` is one of the tokens. Every token is compared, each in
    /// constant time, so the time taken says nothing about which came close.
    pub fn accepts(&self, presented: &str) -> bool {
        self.refresh();
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        let mut found = subtle::Choice::from(0);
        for token in &loaded.tokens {
            found |= token.as_slice().ct_eq(presented.as_bytes());
        }
        found.into()
    }

    /// Rereads the file if it changed; a file that cannot be read keeps the old tokens.
    fn refresh(&self) {
        let current = match stamp(&self.path) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(
                    "token file {}: {e}; keeping the tokens read before",
                    self.path.display()
                );
                return;
            }
        };
        if self.loaded.read().unwrap_or_else(|e| e.into_inner()).stamp == current {
            return;
        }
        match load(&self.path) {
            Ok(fresh) => {
                if fresh.tokens.is_empty() {
                    tracing::warn!(
                        "token file {} now holds no token: every request is refused",
                        self.path.display()
                    );
                }
                tracing::info!(
                    "token file {} reread: {} token(s)",
                    self.path.display(),
                    fresh.tokens.len()
                );
                *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = fresh;
            }
            Err(e) => tracing::warn!("{e}; keeping the tokens read before"),
        }
    }
}

fn load(path: &Path) -> Result<Loaded, String> {
    let unreadable = |e: std::io::Error| format!("cannot read token file {}: {e}", path.display());
    let stamp = stamp(path).map_err(unreadable)?;
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    let tokens = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.as_bytes().to_vec())
        .collect();
    Ok(Loaded { stamp, tokens })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("tokens");
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        (dir, path)
    }

    #[test]
    fn only_listed_tokens_pass_and_comments_are_not_tokens() {
        let (_dir, path) = file("# operators\nalpha-token\n\n  beta-token  \n");
        let tokens = TokenFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(tokens.accepts("alpha-token"));
        assert!(tokens.accepts("beta-token"));
        assert!(!tokens.accepts("# operators"));
        assert!(!tokens.accepts("alpha"));
        assert!(!tokens.accepts(""));
    }

    #[test]
    fn a_changed_file_is_read_again() {
        let (_dir, path) = file("old-token\n");
        let tokens = TokenFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(tokens.accepts("old-token"));
        std::fs::write(&path, "new-token-with-another-length\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(tokens.accepts("new-token-with-another-length"));
        assert!(!tokens.accepts("old-token"));
    }

    #[test]
    fn a_file_without_tokens_is_refused_at_start() {
        let (_dir, path) = file("# nobody yet\n");
        let error = TokenFile::open(&path).err().unwrap_or_default();
        assert!(error.contains("holds no token"), "{error}");
    }
}
