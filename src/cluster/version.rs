//! The Kubernetes releases storectl supports and what a server's version means for it.
//! The range is that of the k8s-openapi feature in Cargo.toml (`v1_33`, the oldest API
//! compiled against) up to the newest release tested; outside it storectl still runs,
//! after one line of warning.

use k8s_openapi::apimachinery::pkg::version::Info;

/// Oldest and newest supported minor versions of Kubernetes 1.x.
pub const OLDEST_MINOR: u32 = 33;
pub const NEWEST_MINOR: u32 = 37;
/// The first release whose API servers stream lists (watch-list) by default.
const WATCH_LIST_MINOR: u32 = 34;

/// What the API server said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    /// As reported, e.g. `v1.37.2`.
    pub git: String,
    /// The 1.x minor, when it can be read.
    pub minor: Option<u32>,
}

impl ServerVersion {
    pub fn from_info(info: &Info) -> Self {
        // Distributions report minors like "33+".
        let minor = info
            .minor
            .trim_end_matches('+')
            .parse()
            .ok()
            .filter(|_| info.major == "1");
        Self {
            git: info.git_version.clone(),
            minor,
        }
    }

    /// One line for a server outside the supported range, else nothing.
    pub fn warning(&self) -> Option<String> {
        let supported = format!("1.{OLDEST_MINOR} to 1.{NEWEST_MINOR}");
        match self.minor {
            Some(m) if (OLDEST_MINOR..=NEWEST_MINOR).contains(&m) => None,
            Some(m) if m < OLDEST_MINOR => Some(format!(
                "the cluster runs Kubernetes {}, older than storectl supports ({supported}); some objects may be refused or read wrongly",
                self.git
            )),
            Some(_) => Some(format!(
                "the cluster runs Kubernetes {}, newer than storectl was tested with ({supported}); it should work, but upgrade storectl when you can",
                self.git
            )),
            None => Some(format!(
                "the cluster reports version {}, which storectl cannot place; it supports Kubernetes {supported}",
                self.git
            )),
        }
    }

    /// Whether watchers should ask for their first list as a stream (watch-list).
    pub fn streams_lists(&self) -> bool {
        self.minor.is_some_and(|m| m >= WATCH_LIST_MINOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(major: &str, minor: &str, git: &str) -> ServerVersion {
        ServerVersion::from_info(&Info {
            major: major.into(),
            minor: minor.into(),
            git_version: git.into(),
            ..Info::default()
        })
    }

    #[test]
    fn the_supported_range_warns_on_either_side_and_not_inside() {
        assert_eq!(version("1", "37", "v1.37.2").warning(), None);
        assert_eq!(version("1", "33+", "v1.33.4-eks").warning(), None);
        let old = version("1", "20", "v1.20.2").warning().unwrap_or_default();
        assert!(
            old.starts_with(
                "the cluster runs Kubernetes v1.20.2, older than storectl supports (1.33 to 1.37)"
            ),
            "{old}"
        );
        let new = version("1", "38", "v1.38.0").warning().unwrap_or_default();
        assert!(new.contains("newer than storectl was tested with"), "{new}");
        assert!(version("2", "0", "v2.0.0").warning().is_some());
    }

    #[test]
    fn lists_stream_from_1_34() {
        assert!(version("1", "37", "v1.37.2").streams_lists());
        assert!(!version("1", "33", "v1.33.1").streams_lists());
        assert!(!version("x", "y", "weird").streams_lists());
    }
}
