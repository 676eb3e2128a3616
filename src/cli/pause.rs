//! `storectl pause NAME` and `storectl resume NAME [--wait]`: `ops::pause`, its result
//! printed.

use super::{StartArgs, create, find};
use crate::cluster::connect::Connection;
use crate::domain::config::Config;
use crate::domain::name::StoreName;
use crate::ops;

pub async fn pause(conn: &Connection, config: &Config, name: &StoreName) -> anyhow::Result<()> {
    let find::Located { store, layout } = find::to_act_on(conn, name, config).await?;
    let outcome = ops::pause::pause(conn, &store, &layout, config).await?;
    println!("{}", outcome.summary(name.as_str()));
    Ok(())
}

pub async fn resume(
    conn: &Connection,
    args: &StartArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let find::Located { store, layout } = find::to_act_on(conn, name, config).await?;
    let outcome = ops::pause::resume(conn, &store, &layout, config).await?;
    println!("{}", outcome.summary(name.as_str()));
    if outcome == ops::pause::Outcome::Resumed && args.until.wait {
        create::wait_until_settled(conn, &layout, config, args.until.timeout).await?;
    }
    Ok(())
}
