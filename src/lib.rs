//! storectl: provision, watch and delete isolated WooCommerce stores on Kubernetes.

// The house rule of docs/architecture.md: no function over 80 lines (clippy.toml sets the
// threshold); tests, which read as one scenario each, are left out.
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

pub mod app;
pub mod cli;
pub mod cluster;
pub mod domain;
pub mod ops;
pub mod serve;
pub mod tui;
pub mod ui;
