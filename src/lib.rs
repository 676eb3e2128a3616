//! storectl: provision, watch and delete isolated WooCommerce stores on Kubernetes.

pub mod cli;
pub mod cluster;
pub mod domain;
