//! `storectl render`: a store's objects as multi-document YAML, without a cluster.

use std::io::Write as _;

use anyhow::Context;

use super::RenderArgs;
use crate::domain::config::Config;
use crate::domain::credentials::Credentials;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests;
use crate::domain::name::StoreName;

pub fn run(args: &RenderArgs, config: &Config) -> anyhow::Result<()> {
    let name = StoreName::parse_for(&args.name, config)?;
    let credentials = if args.show_secrets {
        Credentials::generate().context("the system random number generator failed")?
    } else {
        Credentials::placeholder()
    };
    let layout = StoreLayout::new(&name, config);
    let yaml = manifests::to_yaml_stream(&manifests::render(&layout, config, &credentials))?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(yaml.as_bytes())?;
    stdout.flush()?;
    Ok(())
}
