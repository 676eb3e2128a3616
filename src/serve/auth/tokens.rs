//! `--token-file`: the bearer tokens the server accepts, one a line (blank lines and
//! `#` comments ignored), at least 16 characters each, reread whenever the file changes;
//! a file that disappears or cannot be read revokes every token. Tokens are compared as
//! SHA-256 digests in constant time, so neither a token's content nor its length shows
//! in the time taken.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use subtle::ConstantTimeEq;

use super::cache::{Key, key_of};
use crate::serve::file_stamp::{Stamp, stamp};

/// Fewest characters of a token.
pub const MIN_TOKEN_LEN: usize = 16;

struct Loaded {
    /// None: the file could not be read (nothing is accepted).
    stamp: Option<Stamp>,
    /// The SHA-256 of each token.
    tokens: Vec<Key>,
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
        let presented = key_of(presented.as_bytes());
        let loaded = self.loaded.read().unwrap_or_else(|e| e.into_inner());
        let mut found = subtle::Choice::from(0);
        for token in &loaded.tokens {
            found |= token.ct_eq(&presented);
        }
        found.into()
    }

    /// Rereads the file if it changed; a file that cannot be read (deleted, say)
    /// revokes every token until it can be read again.
    fn refresh(&self) {
        let current = stamp(&self.path).ok();
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
            Err(e) => {
                tracing::warn!("{e}; every request is refused until it can be read");
                *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Loaded {
                    stamp: current,
                    tokens: Vec::new(),
                };
            }
        }
    }
}

fn load(path: &Path) -> Result<Loaded, String> {
    let unreadable = |e: std::io::Error| format!("cannot read token file {}: {e}", path.display());
    let stamp = stamp(path).map_err(unreadable)?;
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    let mut tokens = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let token = line.trim();
        if token.is_empty() || token.starts_with('#') {
            continue;
        }
        if token.chars().count() < MIN_TOKEN_LEN {
            return Err(format!(
                "token file {}: the token on line {} is shorter than {MIN_TOKEN_LEN} characters",
                path.display(),
                n + 1
            ));
        }
        tokens.push(key_of(token.as_bytes()));
    }
    Ok(Loaded {
        stamp: Some(stamp),
        tokens,
    })
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
        let (_dir, path) =
            file("# operators of the shop\nalpha-token-0123456\n\n  beta-token-0123456  \n");
        let tokens = TokenFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(tokens.accepts("alpha-token-0123456"));
        assert!(tokens.accepts("beta-token-0123456"));
        assert!(!tokens.accepts("# operators of the shop"));
        assert!(!tokens.accepts("alpha-token-012345"));
        assert!(!tokens.accepts(""));
    }

    #[test]
    fn a_changed_file_is_read_again() {
        let (_dir, path) = file("old-token-0123456\n");
        let tokens = TokenFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(tokens.accepts("old-token-0123456"));
        std::fs::write(&path, "new-token-with-another-length\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(tokens.accepts("new-token-with-another-length"));
        assert!(!tokens.accepts("old-token-0123456"));
    }

    #[test]
    fn a_deleted_file_revokes_every_token_until_it_is_back() {
        let (_dir, path) = file("kept-token-0123456\n");
        let tokens = TokenFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!tokens.accepts("kept-token-0123456"));
        std::fs::write(&path, "kept-token-0123456\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(tokens.accepts("kept-token-0123456"));
    }

    #[test]
    fn short_tokens_are_refused_at_start_and_revoke_the_file_later() {
        let (_dir, short) = file("short-token\n");
        let error = TokenFile::open(&short).err().unwrap_or_default();
        assert!(error.contains("line 1 is shorter than 16"), "{error}");
        let (_dir, path) = file("long-enough-token-0\n");
        let tokens = TokenFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, "long-enough-token-0\nshort\n").unwrap_or_else(|e| panic!("{e}"));
        assert!(!tokens.accepts("long-enough-token-0"));
    }

    #[test]
    fn a_file_without_tokens_is_refused_at_start() {
        let (_dir, path) = file("# nobody yet\n");
        let error = TokenFile::open(&path).err().unwrap_or_default();
        assert!(error.contains("holds no token"), "{error}");
    }
}
