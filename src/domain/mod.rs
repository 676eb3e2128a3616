//! The pure core shared by every front end: store names, configuration, manifests and
//! status rules. No async runtime, no Kubernetes client, no terminal in here.

pub mod backup;
pub mod changes;
pub mod config;
pub mod credentials;
pub mod diff;
pub mod dns;
pub mod inventory;
pub mod labels;
pub mod layout;
pub mod leaves;
pub mod lookup;
pub mod managed_fields;
pub mod manifests;
pub mod name;
pub mod ownership;
pub mod presign;
pub mod report;
pub mod revision;
pub mod rollout;
pub mod status;
pub mod store_ref;
pub mod summary;
pub mod text;
pub mod upgrade;
pub mod verb;
pub mod watched;
