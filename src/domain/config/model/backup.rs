//! Where and how stores are backed up (the `backup` keys).

use serde::{Deserialize, Serialize};

use super::{Quantity, Setup};

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Backup {
    pub target: BackupTarget,
    pub prefix: String,
    pub s3: S3Target,
    pub cluster: ClusterTarget,
    pub schedule: String,
    pub keep: u32,
    pub image: String,
}

impl Backup {
    /// The image of the backup and restore Jobs.
    pub fn job_image<'a>(&'a self, setup: &'a Setup) -> &'a str {
        if self.image.is_empty() {
            &setup.image
        } else {
            &self.image
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupTarget {
    /// The S3-compatible server storectl runs in the platform namespace.
    Cluster,
    /// The operator's own bucket.
    S3,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3Target {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub credentials_secret: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterTarget {
    pub image: String,
    pub storage: Quantity,
}
