//! Printing rows: an aligned table (coloured and fitted to the width on a terminal, plain
//! and complete otherwise), or stable JSON / YAML.

use std::borrow::Borrow;
use std::io::IsTerminal;

use serde::Serialize;

use super::Format;
use crate::domain::status::Phase;
use crate::domain::summary::{StoreSummary, human_age};

/// Prints `value` as JSON or YAML (for `Format::Table` the caller prints a table instead).
pub fn structured<T: Serialize>(value: &T, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(value)?),
        Format::Yaml => print!("{}", serde_yaml_ng::to_string(value)?),
        Format::Table => {}
    }
    Ok(())
}

/// Whether stdout is a terminal (colours, truncation).
pub fn on_terminal() -> bool {
    std::io::stdout().is_terminal()
}

pub fn store_table(stores: &[impl Borrow<StoreSummary>]) -> String {
    stores_table(stores, false)
}

/// The table of stores from several clusters: `store_table` with the cluster's context
/// first.
pub fn fleet_table(stores: &[impl Borrow<StoreSummary>]) -> String {
    stores_table(stores, true)
}

fn stores_table(stores: &[impl Borrow<StoreSummary>], with_context: bool) -> String {
    let rows: Vec<Vec<String>> = stores
        .iter()
        .map(|s| {
            let s: &StoreSummary = s.borrow();
            let mut row = Vec::with_capacity(8);
            if with_context {
                row.push(s.context.clone());
            }
            row.extend([
                s.name.clone(),
                s.namespace.clone(),
                s.status.to_string(),
                s.reason.clone(),
                s.url.clone().unwrap_or_else(|| "-".to_string()),
                human_age(s.age_seconds),
                format!("{}/{}", s.pods_ready, s.pods_total),
            ]);
            row
        })
        .collect();
    let statuses: Vec<Phase> = stores.iter().map(|s| s.borrow().status).collect();
    let mut headers = Vec::with_capacity(8);
    if with_context {
        headers.push("CONTEXT");
    }
    headers.extend([
        "NAME",
        "NAMESPACE",
        "STATUS",
        "REASON",
        "URL",
        "AGE",
        "PODS",
    ]);
    let shift = usize::from(with_context);
    table(&headers, &rows, Some((2 + shift, &statuses)), 3 + shift)
}

/// An aligned table. `status` colours that column on a terminal; `flexible` is the column
/// cut to fit the terminal width (never cut when not on a terminal).
pub fn table(
    headers: &[&str],
    rows: &[Vec<String>],
    status: Option<(usize, &[Phase])>,
    flexible: usize,
) -> String {
    let terminal = on_terminal();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    if terminal {
        let total: usize = widths.iter().sum::<usize>() + 3 * widths.len().saturating_sub(1);
        let width = crossterm::terminal::size()
            .map(|(w, _)| usize::from(w))
            .unwrap_or(200);
        if total > width && flexible < widths.len() {
            let excess = total - width;
            widths[flexible] = widths[flexible]
                .saturating_sub(excess)
                .max(headers[flexible].len().max(10));
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<String>, colour: Option<Phase>, out: &mut String| {
        let last = cells.len().saturating_sub(1);
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let mut text: String = cell.clone();
            if terminal && text.chars().count() > *w {
                text = text.chars().take(w.saturating_sub(1)).collect::<String>() + "…";
            }
            let padded = if i == last {
                text.clone()
            } else {
                format!("{text:<w$}", w = *w)
            };
            match (colour, status) {
                (Some(phase), Some((col, _))) if terminal && col == i => {
                    out.push_str(&paint(phase, &padded))
                }
                _ => out.push_str(&padded),
            }
            if i != last {
                out.push_str("   ");
            }
        }
        out.push('\n');
    };
    line(
        headers.iter().map(|h| (*h).to_string()).collect(),
        None,
        &mut out,
    );
    for (i, row) in rows.iter().enumerate() {
        let colour = status.and_then(|(_, phases)| phases.get(i).copied());
        line(row.clone(), colour, &mut out);
    }
    out
}

fn paint(phase: Phase, text: &str) -> String {
    let code = match phase {
        Phase::Ready => "32",
        Phase::Provisioning => "33",
        Phase::Failed => "31",
        Phase::Paused => "34",
        Phase::Deleting => "35",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fleet_table_puts_the_context_first_and_the_single_table_has_none() {
        let mut east = StoreSummary::example("shop", Phase::Ready, "all components ready");
        east.context = "east".to_string();
        let mut west = StoreSummary::example("shop2", Phase::Failed, "setup failed");
        west.context = "west".to_string();
        let stores = [east, west];
        let fleet = fleet_table(&stores);
        let lines: Vec<Vec<&str>> = fleet
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(lines[0][..3], ["CONTEXT", "NAME", "NAMESPACE"]);
        assert_eq!(lines[1][..3], ["east", "shop", "store-shop"]);
        assert_eq!(lines[2][..3], ["west", "shop2", "store-shop2"]);
        let single = store_table(&stores);
        assert!(single.starts_with("NAME "), "{single}");
        assert!(!single.contains("east"), "{single}");
    }
}
