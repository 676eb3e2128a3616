//! create: a store rendered from the configuration and applied (a half-made one of
//! storectl's completed); the result says what was done.

use crate::cluster::apply::{self, CreateError};
use crate::cluster::connect::Connection;
use crate::domain::config::Config;
use crate::domain::layout::StoreLayout;
use crate::domain::manifests::Manifest;
use crate::domain::name::StoreName;

/// What create did.
pub struct Created {
    pub layout: StoreLayout,
    /// Objects that already existed (a half-made store being completed).
    pub already_present: usize,
    pub applied: usize,
    /// Whether an existing Secret was kept rather than created.
    pub kept_secret: bool,
    /// The objects as rendered.
    pub objects: Vec<Manifest>,
}

impl Created {
    /// The result in a sentence, as every front end says it.
    pub fn summary(&self) -> String {
        let name = self.layout.name();
        if self.already_present > 0 {
            format!(
                "completed half-made store {name}: {} of {} objects were already there{}",
                self.already_present,
                self.applied,
                if self.kept_secret {
                    " (existing credentials kept)"
                } else {
                    ""
                }
            )
        } else {
            format!(
                "created store {name} in namespace {} ({} objects)",
                self.layout.namespace, self.applied
            )
        }
    }
}

/// Creates store `name` as `config` renders it.
pub async fn run(
    conn: &Connection,
    name: &StoreName,
    config: &Config,
) -> Result<Created, CreateError> {
    let layout = StoreLayout::new(name, config);
    let apply::StoreCreated { created, objects } =
        apply::create_store(conn, &layout, config).await?;
    Ok(Created {
        layout,
        already_present: created.already_present,
        applied: created.applied,
        kept_secret: created.kept_secret,
        objects,
    })
}
