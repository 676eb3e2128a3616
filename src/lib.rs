//! storectl: provision, watch and delete isolated WooCommerce stores on Kubernetes.

pub mod domain;
