//! `storectl history NAME [-o table|json|yaml]`: the store's recorded revisions, one a
//! line starting with its number (the header only on a terminal, so scripts read lines).

use super::output::{self, on_terminal};
use super::{Format, OneStoreArgs, find};
use crate::cluster::connect::Connection;
use crate::domain::config::Config;
use crate::domain::name::StoreName;
use crate::domain::revision::Revision;
use crate::ops;

pub async fn run(
    conn: &Connection,
    args: &OneStoreArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let find::Located { layout, .. } = find::to_act_on(conn, name, config).await?;
    let history: Vec<Revision> = ops::history::run(conn, &layout).await?;
    if args.format != Format::Table {
        return output::structured(&history, args.format);
    }
    if history.is_empty() {
        eprintln!(
            "store {name} has no recorded revision (made before storectl recorded them, or by the original platform); its first upgrade records one"
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|r| {
            vec![
                r.revision.to_string(),
                r.recorded.clone(),
                r.user.clone(),
                format!("storectl {}", r.storectl),
                r.change.clone(),
            ]
        })
        .collect();
    let table = output::table(
        &["REVISION", "RECORDED", "USER", "BY", "CHANGE"],
        &rows,
        None,
        4,
    );
    let skip = usize::from(!on_terminal());
    for line in table.lines().skip(skip) {
        println!("{line}");
    }
    Ok(())
}
