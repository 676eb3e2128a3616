//! `storectl pause NAME` and `storectl resume NAME [--wait]`: a store scaled to zero with
//! every volume and secret kept, and started again; resume also starts a WordPress that a
//! restore kept stopped (never while a restore Job still runs).

use k8s_openapi::jiff::Timestamp;

use super::{CliError, StartArgs, create, find};
use crate::cluster::connect::Connection;
use crate::cluster::pause::set_paused;
use crate::domain::config::Config;
use crate::domain::name::StoreName;
use crate::domain::status::{self, Phase};

pub async fn pause(conn: &Connection, config: &Config, name: &StoreName) -> anyhow::Result<()> {
    let (store, layout) = find::to_act_on(conn, name, config).await?;
    let now = status::derive(&store, &config.status_rules(), Timestamp::now());
    match now.phase {
        Phase::Paused => {
            println!("store {name} is already paused");
            return Ok(());
        }
        Phase::Provisioning | Phase::Deleting => {
            return Err(CliError::CannotPause {
                name: name.to_string(),
                status: now.phase,
                reason: now.reason,
            }
            .into());
        }
        Phase::Ready | Phase::Failed => {}
    }
    set_paused(conn, &layout, true).await?;
    println!(
        "paused store {name}: WordPress and MySQL scaled to zero; volumes and secrets kept (storectl resume {name})"
    );
    Ok(())
}

pub async fn resume(
    conn: &Connection,
    args: &StartArgs,
    config: &Config,
    name: &StoreName,
) -> anyhow::Result<()> {
    let (store, layout) = find::to_act_on(conn, name, config).await?;
    // A pause cut short (one Deployment labelled) is resumed too.
    if status::paused_deployments(&store) == 0 && status::restore_hold(&store).is_none() {
        let now = status::derive(&store, &config.status_rules(), Timestamp::now());
        println!("store {name} is not paused ({})", now.phase);
        return Ok(());
    }
    if let Some(job) = status::running_restore(&store) {
        return Err(CliError::RestoreRunning {
            name: name.to_string(),
            job,
        }
        .into());
    }
    set_paused(conn, &layout, false).await?;
    println!("resuming store {name}: MySQL and WordPress scaled back to one replica");
    if args.until.wait {
        create::wait_until_settled(conn, &layout, config, args.until.timeout).await?;
    }
    Ok(())
}
