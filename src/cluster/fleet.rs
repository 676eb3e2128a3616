//! Several clusters as one fleet: `--context` given more than once, or `--all-contexts`.
//! Which contexts a run works with, and a connection to each (opening one only reads
//! the kubeconfig: an unreachable cluster fails at its first request, not here).

use super::connect::{ConnectOptions, Connection, contexts};
use super::error::ClusterError;

/// The clusters a run asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Clusters {
    /// `--context` not given: the kubeconfig's current context (or the pod's account).
    #[default]
    Current,
    /// `--context` given once or more, in that order.
    Named(Vec<String>),
    /// `--all-contexts`: every context of the kubeconfig, in its order.
    All,
}

impl Clusters {
    /// From the command line: `--all-contexts`, else the `--context`s given (repeats
    /// dropped).
    pub fn from_flags(named: &[String], all: bool) -> Self {
        if all {
            return Self::All;
        }
        let mut unique: Vec<String> = Vec::new();
        for name in named {
            if !unique.contains(name) {
                unique.push(name.clone());
            }
        }
        if unique.is_empty() {
            Self::Current
        } else {
            Self::Named(unique)
        }
    }

    /// Whether more than one cluster may be meant (a single-cluster verb refuses this).
    pub fn several(&self) -> bool {
        match self {
            Self::Current => false,
            Self::Named(names) => names.len() > 1,
            Self::All => true,
        }
    }

    /// The one context asked for, if exactly one was named.
    pub fn single(&self) -> Option<&str> {
        match self {
            Self::Named(names) if names.len() == 1 => Some(&names[0]),
            _ => None,
        }
    }
}

/// Opens a connection to each cluster of `clusters`, in order. `options.context` is
/// ignored: the contexts come from `clusters`.
pub async fn open(
    options: &ConnectOptions,
    clusters: &Clusters,
) -> Result<Vec<Connection>, ClusterError> {
    let names = match clusters {
        Clusters::Current => return Ok(vec![Connection::open(options).await?]),
        Clusters::Named(names) => names.clone(),
        Clusters::All => contexts(options)?,
    };
    if names.is_empty() {
        return Err(ClusterError::BadKubeconfig(
            "the kubeconfig has no context".to_string(),
        ));
    }
    let mut opened = Vec::with_capacity(names.len());
    for name in names {
        let one = ConnectOptions {
            context: Some(name),
            ..options.clone()
        };
        opened.push(Connection::open(&one).await?);
    }
    Ok(opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_name_the_clusters_once_each_in_the_order_given() {
        assert_eq!(Clusters::from_flags(&[], false), Clusters::Current);
        assert_eq!(
            Clusters::from_flags(&names(&["east", "west", "east"]), false),
            Clusters::Named(names(&["east", "west"]))
        );
        assert_eq!(Clusters::from_flags(&names(&["east"]), true), Clusters::All);
    }

    #[test]
    fn several_means_more_than_one_possible_cluster() {
        assert!(!Clusters::Current.several());
        assert!(!Clusters::from_flags(&names(&["east", "east"]), false).several());
        assert!(Clusters::from_flags(&names(&["east", "west"]), false).several());
        assert!(Clusters::All.several());
        assert_eq!(
            Clusters::from_flags(&names(&["east"]), false).single(),
            Some("east")
        );
        assert_eq!(Clusters::All.single(), None);
    }
}
