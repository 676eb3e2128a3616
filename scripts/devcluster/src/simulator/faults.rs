//! Faults the simulator injects on request. They are requested the way a user would cause
//! them on a real cluster, through the image reference or the storage class, so tests need
//! nothing but storectl's own `--set` (see docs/testing.md).

/// What happens when the simulated kubelet starts a container with a given image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFault {
    /// Starts and runs normally.
    None,
    /// The registry cannot be reached: the image's registry host ends in `.invalid`
    /// (RFC 2606's reserved TLD), e.g. `registry.invalid/mysql:8.4`.
    PullFails,
    /// The reference is malformed (uppercase letters, spaces), as kubelet would report.
    InvalidName,
    /// The process exits with status 1: the tag contains `sim-exit-1`.
    ExitsWithError,
    /// The process exits with status 1 after writing the termination message storectl's
    /// restore script writes when it failed before changing anything
    /// (`{"error":…,"unchanged":true}`): the tag contains `sim-exit-1-unchanged`.
    ExitsUnchanged,
    /// Runs but never passes its readiness probe: the tag contains `sim-never-ready`.
    NeverReady,
    /// A Job's container runs and is ready (as one without a probe) and never exits: a
    /// migration in flight. Elsewhere (init containers, Deployments) it runs normally.
    /// The tag contains `sim-runs-forever`.
    RunsForever,
}

pub fn image_fault(image: &str) -> ImageFault {
    if image.is_empty()
        || image
            .chars()
            .any(|c| c.is_ascii_uppercase() || c.is_whitespace())
    {
        return ImageFault::InvalidName;
    }
    let host = image.split('/').next().unwrap_or_default();
    let has_registry_host = image.contains('/') && (host.contains('.') || host.contains(':'));
    if has_registry_host
        && host
            .split(':')
            .next()
            .is_some_and(|h| h.ends_with(".invalid"))
    {
        return ImageFault::PullFails;
    }
    if image.contains("sim-exit-1-unchanged") {
        return ImageFault::ExitsUnchanged;
    }
    if image.contains("sim-exit-1") {
        return ImageFault::ExitsWithError;
    }
    if image.contains("sim-never-ready") {
        return ImageFault::NeverReady;
    }
    if image.contains("sim-runs-forever") {
        return ImageFault::RunsForever;
    }
    ImageFault::None
}

/// A StorageClass name for which no volume is ever provisioned: PVCs stay Pending.
pub const UNBOUND_STORAGE_CLASS: &str = "sim-unbound";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_follow_the_image_reference() {
        assert_eq!(image_fault("mysql:8.4"), ImageFault::None);
        assert_eq!(
            image_fault("docker.io/library/wordpress:6.8-apache"),
            ImageFault::None
        );
        assert_eq!(
            image_fault("registry.invalid/mysql:8.4"),
            ImageFault::PullFails
        );
        assert_eq!(
            image_fault("registry.invalid:5000/mysql:8.4"),
            ImageFault::PullFails
        );
        assert_eq!(image_fault("Mysql:8.4"), ImageFault::InvalidName);
        assert_eq!(image_fault("mysql:sim-exit-1"), ImageFault::ExitsWithError);
        assert_eq!(
            image_fault("wordpress:cli-sim-exit-1-unchanged"),
            ImageFault::ExitsUnchanged
        );
        assert_eq!(
            image_fault("wordpress:cli-sim-runs-forever"),
            ImageFault::RunsForever
        );
        assert_eq!(
            image_fault("wordpress:cli-sim-never-ready"),
            ImageFault::NeverReady
        );
    }
}
