//! What tells one version of a watched file from the next without reading it: the
//! token file and the TLS pair are read again when theirs changes.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A file's identity and times: a Secret volume swaps a symlink (another inode), an
/// editor may keep the length, a copy may keep the modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    inode: u64,
    len: u64,
    modified_ns: i128,
    changed_ns: i128,
}

/// The stamp of `path` as it is now.
pub fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let m = std::fs::metadata(path)?;
    let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
    Ok(Stamp {
        inode: m.ino(),
        len: m.len(),
        modified_ns: ns(m.mtime(), m.mtime_nsec()),
        changed_ns: ns(m.ctime(), m.ctime_nsec()),
    })
}
