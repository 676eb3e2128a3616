//! The lengths DNS (RFC 1123) allows the names Kubernetes objects and hosts carry: a leaf
//! that store names and configuration checks both measure against.

/// Longest Kubernetes label (and Service name, and namespace name).
pub const DNS_LABEL_MAX: usize = 63;

/// Longest host name (a DNS subdomain), which `<store>.<domain>` must fit.
pub const HOST_MAX: usize = 253;
