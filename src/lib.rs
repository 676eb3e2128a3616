//! storectl: provision, watch and delete isolated WooCommerce stores on Kubernetes.

pub mod app;
pub mod cli;
pub mod cluster;
pub mod domain;
pub mod ops;
pub mod serve;
pub mod tui;
pub mod ui;
