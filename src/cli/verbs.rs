//! What the parsed command line means: the clusters it names, how to connect to one,
//! and what each subcommand is as a verb (for `--readonly`) and where its values are.

use std::borrow::Cow;

use super::args::{Cli, Command};
use super::values;
use crate::cluster::connect::ConnectOptions;
use crate::cluster::fleet::Clusters;
use crate::domain::verb::Verb;

impl Cli {
    /// How to connect to the one cluster of a single-cluster command (`clusters`
    /// refuses several first).
    pub(super) fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.first().cloned(),
            watch_list: env_is_one("STORECTL_WATCH_LIST") && !env_is_one("STORECTL_NO_WATCH_LIST"),
        }
    }
}

/// Whether environment variable `name` is `1`.
fn env_is_one(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v == "1")
}

impl Cli {
    /// The clusters this run works with.
    pub fn clusters(&self) -> Clusters {
        Clusters::from_flags(&self.context, self.all_contexts)
    }
}

impl Command {
    /// Whether the command can work with several clusters at once (the others act in
    /// one cluster, named by a single `--context`).
    pub fn spans_clusters(&self) -> bool {
        matches!(self, Self::List(_) | Self::Status(_) | Self::Serve(_))
    }

    /// The verb the subcommand runs, if it runs one (`--readonly` removes those that
    /// change something; reading commands have none or one that changes nothing).
    pub fn verb(&self) -> Option<Verb> {
        Some(match self {
            Self::Create(_) => Verb::Create,
            Self::Delete(_) => Verb::Delete,
            Self::Pause(_) => Verb::Pause,
            Self::Resume(_) => Verb::Resume,
            Self::Diff(_) => Verb::Diff,
            Self::Upgrade(_) => Verb::Upgrade,
            Self::Rollback(_) => Verb::Rollback,
            Self::Backup(_) => Verb::Backup,
            Self::Restore(_) => Verb::Restore,
            Self::Clone(_) => Verb::Clone,
            Self::History(_) => Verb::History,
            Self::MailTest(_) => Verb::MailTest,
            Self::Render(_)
            | Self::List(_)
            | Self::Status(_)
            | Self::Backups(_)
            | Self::Logs(_)
            | Self::Events(_)
            | Self::Serve(_)
            | Self::Completions { .. }
            | Self::Man => return None,
        })
    }

    /// The subcommand's own `-f`/`--set` layers.
    pub fn values(&self) -> Cow<'_, values::ValuesArgs> {
        Cow::Borrowed(match self {
            Self::Render(a) => &a.values,
            Self::Create(a) => &a.values,
            Self::Delete(a) => &a.values,
            Self::Pause(a) => &a.values,
            Self::History(a) => &a.values,
            Self::MailTest(a) => &a.values,
            Self::Diff(a) => &a.values,
            Self::Upgrade(a) => &a.values,
            Self::Rollback(a) => &a.values,
            Self::Backup(a) => &a.values,
            Self::Backups(a) => &a.values,
            Self::Restore(a) => &a.values,
            Self::Clone(a) => &a.values,
            Self::Resume(a) => &a.values,
            Self::List(a) => &a.values,
            Self::Status(a) => &a.values,
            Self::Events(a) => &a.values,
            Self::Serve(a) => &a.values,
            Self::Logs(a) => return Cow::Owned(values::ValuesArgs::from(&a.values)),
            Self::Completions { .. } | Self::Man => return Cow::Owned(Default::default()),
        })
    }
}
