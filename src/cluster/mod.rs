//! Every call to the Kubernetes API: connecting, applying and deleting stores, watching
//! them into domain objects, logs and events. Never imports the UI.

pub mod connect;
pub mod error;
