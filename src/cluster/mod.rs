//! Every call to the Kubernetes API: connecting, applying and deleting stores, watching
//! them into domain objects, logs and events. Never imports the UI.

pub mod access;
pub mod apply;
pub mod audit;
pub mod backups;
pub mod connect;
pub mod creation;
pub mod credentials;
pub mod delete;
pub mod diff;
pub mod error;
pub mod events;
pub mod fleet;
pub mod fleet_watch;
pub mod health;
pub mod logs;
pub mod mail;
pub mod mirror;
pub mod mirrors;
pub mod objects;
pub mod pacing;
pub mod pause;
pub mod per_store;
pub mod plan;
pub mod protobuf;
pub mod reflector;
pub mod revisions;
pub mod rollout;
pub mod slim;
pub mod snapshot;
pub mod touched;
pub mod upgrade;
pub mod upgrade_error;
pub mod version;
pub mod volumes;
pub mod watch;
