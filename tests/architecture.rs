//! The house rules of docs/architecture.md, read off the sources: each layer imports only
//! the layers its row of "Who may depend on whom" allows (and none of the crates its row
//! names as forbidden), the layers import each other in no circle, and no file of src/
//! is longer than 400 lines outside its test modules. The table below is the one place
//! the rules are written for the code; a test holds it equal to the document's table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Each layer (a folder of src/, or main.rs) and the layers it may use.
const MAY_USE: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("cluster", &["domain"]),
    ("app", &["domain"]),
    ("ui", &["app", "domain"]),
    ("ops", &["cluster", "domain"]),
    ("tui", &["app", "ui", "ops", "cluster", "domain"]),
    ("serve", &["ops", "cluster", "domain"]),
    ("cli", &["domain", "ops", "cluster", "tui", "serve"]),
    ("main.rs", &["cli"]),
];

/// Crates (and parts of std) a layer must not use, as its row names them.
const MUST_NOT_USE: &[(&str, &[&str])] = &[
    (
        "domain",
        &["tokio", "kube", "ratatui", "crossterm", "std::env"],
    ),
    ("app", &["tokio", "kube", "ratatui"]),
];

/// The longest a file of src/ may be, test modules aside.
const MAX_LINES: usize = 400;

/// Files still over `MAX_LINES`, each with the issue that splits it. A file that has
/// come under the limit must leave this list (the test says so).
const TOO_LONG_FOR_NOW: &[(&str, &str)] = &[];

struct Source {
    /// From the package root: `src/app/keys.rs`.
    path: String,
    layer: String,
    text: String,
}

fn sources() -> Vec<Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(ROOT).join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|file| {
            let path = file
                .strip_prefix(ROOT)
                .unwrap_or(&file)
                .to_string_lossy()
                .replace('\\', "/");
            let mut parts = path.split('/').skip(1);
            let first = parts.next()?.to_string();
            // lib.rs only declares the layers.
            let layer = match (first.as_str(), parts.next()) {
                ("lib.rs", None) => return None,
                (_, None) => first,
                (folder, Some(_)) => folder.to_string(),
            };
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
            Some(Source { path, layer, text })
        })
        .collect()
}

/// The lines of a file outside its test modules (files named tests.rs, `#[cfg(test)]
/// mod ... { }` blocks and `#[cfg(test)] mod ...;` declarations).
fn lines_outside_tests(source: &Source) -> Vec<&str> {
    if source.path.ends_with("/tests.rs") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut lines = source.text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        // A test module in a file of its own: its declaration is test code too.
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.ends_with(';'))
        {
            lines.next();
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.ends_with('{'))
        {
            // Skip the module: up to the brace that closes it.
            let mut depth = 0i32;
            for inner in lines.by_ref() {
                depth += brace_balance(inner);
                if depth <= 0 && inner.contains('}') {
                    break;
                }
            }
            continue;
        }
        out.push(line);
    }
    out
}

fn brace_balance(line: &str) -> i32 {
    let opened = line.matches('{').count();
    let closed = line.matches('}').count();
    i32::try_from(opened).unwrap_or(i32::MAX) - i32::try_from(closed).unwrap_or(i32::MAX)
}

/// The layers a line names: `crate::cluster::...` (`storectl::cli::...` in main.rs).
fn layers_named(line: &str, root: &str) -> Vec<String> {
    let needle = format!("{root}::");
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        out.push(name);
    }
    out
}

/// Every layer-to-layer import: (from, to) -> the first place it is made.
fn imports() -> BTreeMap<(String, String), String> {
    let layers: BTreeSet<&str> = MAY_USE.iter().map(|(layer, _)| *layer).collect();
    let mut found = BTreeMap::new();
    for source in sources() {
        let root = if source.layer == "main.rs" {
            "storectl"
        } else {
            "crate"
        };
        // Test modules may drive other layers (`ops/tests.rs` runs the TUI's model and
        // the CLI's parser to prove them thin); the rules hold for the code they test.
        for (number, line) in lines_outside_tests(&source).into_iter().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for to in layers_named(line, root) {
                if to != source.layer && layers.contains(to.as_str()) {
                    found
                        .entry((source.layer.clone(), to))
                        .or_insert_with(|| format!("{}:{}", source.path, number + 1));
                }
            }
        }
    }
    found
}

#[test]
fn each_layer_imports_only_the_layers_its_row_allows() {
    let allowed: BTreeMap<&str, &[&str]> = MAY_USE.iter().copied().collect();
    let wrong: Vec<String> = imports()
        .into_iter()
        .filter(|((from, to), _)| {
            !allowed
                .get(from.as_str())
                .is_some_and(|may| may.contains(&to.as_str()))
        })
        .map(|((from, to), place)| format!("{from} imports {to} ({place})"))
        .collect();
    assert!(
        wrong.is_empty(),
        "imports docs/architecture.md does not allow:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn no_layer_uses_a_crate_its_row_forbids() {
    let mut wrong = Vec::new();
    for source in sources() {
        let Some((_, forbidden)) = MUST_NOT_USE.iter().find(|(l, _)| *l == source.layer) else {
            continue;
        };
        for (number, line) in source.text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for name in *forbidden {
                if layers_named(line, name).is_empty() && !line.contains(&format!("use {name};")) {
                    continue;
                }
                wrong.push(format!(
                    "{} uses {name} ({}:{})",
                    source.layer,
                    source.path,
                    number + 1
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "forbidden crates:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn the_layers_import_each_other_in_no_circle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in imports().into_keys() {
        edges.entry(from).or_default().insert(to);
    }
    // Depth first: a layer met again while it is still on the path closes a circle.
    fn visit(
        layer: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|l| l == layer) {
            let mut circle = path[at..].to_vec();
            circle.push(layer.to_string());
            return Some(circle);
        }
        if done.contains(layer) {
            return None;
        }
        path.push(layer.to_string());
        for next in edges.get(layer).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(layer.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for layer in edges.keys() {
        if let Some(circle) = visit(layer, &edges, &mut Vec::new(), &mut done) {
            panic!(
                "the layers import each other in a circle: {}",
                circle.join(" -> ")
            );
        }
    }
}

#[test]
fn no_file_is_longer_than_400_lines_outside_its_test_modules() {
    let known: BTreeMap<&str, &str> = TOO_LONG_FOR_NOW.iter().copied().collect();
    let mut too_long = Vec::new();
    let mut no_longer = Vec::new();
    for source in sources() {
        let lines = lines_outside_tests(&source).len();
        match (lines > MAX_LINES, known.get(source.path.as_str())) {
            (true, None) => too_long.push(format!("{} has {lines} lines", source.path)),
            (false, Some(issue)) => no_longer.push(format!(
                "{} has {lines} lines now: take it off TOO_LONG_FOR_NOW ({issue})",
                source.path
            )),
            _ => {}
        }
    }
    assert!(
        too_long.is_empty() && no_longer.is_empty(),
        "files over {MAX_LINES} lines (test modules aside):\n  {}",
        too_long
            .into_iter()
            .chain(no_longer)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// The rows of docs/architecture.md's "Who may depend on whom": layer -> (may use, must
/// not use), as the document writes them.
fn documented_rows() -> BTreeMap<String, (String, String)> {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/architecture.md"))
        .unwrap_or_else(|e| panic!("cannot read docs/architecture.md: {e}"));
    let table = doc
        .split("## Who may depend on whom")
        .nth(1)
        .unwrap_or_else(|| panic!("docs/architecture.md has no 'Who may depend on whom'"));
    table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let layer = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((
                layer.to_string(),
                (cells.get(2)?.to_string(), cells.get(3)?.to_string()),
            ))
        })
        .collect()
}

/// The layers a cell names in backticks.
fn layers_in(cell: &str) -> BTreeSet<String> {
    let layers: BTreeSet<&str> = MAY_USE.iter().map(|(layer, _)| *layer).collect();
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| layers.contains(name))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_rules_here_are_the_documents_table() {
    let rows = documented_rows();
    for (layer, may) in MAY_USE {
        let (documented_may, documented_must_not) = rows
            .get(*layer)
            .unwrap_or_else(|| panic!("docs/architecture.md has no row for `{layer}`"));
        let ours: BTreeSet<String> = may.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            layers_in(documented_may),
            ours,
            "`{layer}` may use: docs/architecture.md and MAY_USE differ"
        );
        if let Some((_, forbidden)) = MUST_NOT_USE.iter().find(|(l, _)| l == layer) {
            for name in *forbidden {
                assert!(
                    documented_must_not.contains(name),
                    "`{layer}` must not use {name}, which its row in docs/architecture.md does not say"
                );
            }
        }
    }
    for layer in rows.keys().filter(|l| l.as_str() != "scripts/devcluster") {
        assert!(
            MAY_USE.iter().any(|(l, _)| l == layer),
            "docs/architecture.md has a row for `{layer}` that MAY_USE does not"
        );
    }
}
