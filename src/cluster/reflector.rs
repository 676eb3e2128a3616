//! One kind's objects, listed and then watched in protobuf (`protobuf.rs`), as the events
//! a mirror applies: client-go's reflector. The first list streams as watch events where
//! the server can (watch-list: `sendInitialEvents`, ended by a bookmark annotated
//! `k8s.io/initial-events-end`), else it is LISTed from the watch cache; the watch then goes on
//! from the last resource version seen, again after each server timeout, and a version
//! the server no longer has (410 Gone) starts over with a new list.

use std::marker::PhantomData;

use kube::Resource;
use kube::api::WatchParams;
use kube::runtime::watcher::Event;

use super::connect::Connection;
use super::error::ClusterError;
use super::protobuf::{self, Change, Reading, Watch};
use super::slim::SlimKind;

/// One kind's list-then-watch (see the module comment).
pub struct Reflector<K> {
    conn: Connection,
    url: String,
    selector: String,
    /// Whether the first list streams as watch events (the server can; not turned off).
    streaming: bool,
    kind: PhantomData<K>,
}

/// How following a watch ended without a failure.
enum Ended {
    /// The server no longer has the version: list again.
    Gone,
}

impl<K: SlimKind> Reflector<K> {
    /// The reflector of `K` matching `selector`, in `namespace` or every namespace.
    pub fn new(
        conn: &Connection,
        namespace: Option<&str>,
        selector: &str,
        streaming: bool,
    ) -> Self {
        Self {
            conn: conn.clone(),
            url: K::Api::url_path(&(), namespace),
            selector: selector.to_string(),
            streaming,
            kind: PhantomData,
        }
    }

    /// The kind's plural, what its messages name.
    pub fn kind() -> String {
        K::Api::plural(&()).to_string()
    }

    /// Lists and watches, handing each event to `apply`, until a request fails; gives
    /// that failure.
    pub async fn run(&mut self, apply: &mut impl FnMut(Event<K>)) -> ClusterError {
        loop {
            let followed = match self.first_list(apply).await {
                Ok((watch, version, listing)) => self.follow(watch, version, listing, apply).await,
                Err(e) => Err(e),
            };
            match followed {
                Ok(Ended::Gone) => tracing::debug!("{}: listing again", Self::kind()),
                Err(e) => return e,
            }
        }
    }

    /// Starts the first list: a watch that streams it (still listing), or a LIST
    /// applied whole and the watch from its version.
    async fn first_list(
        &mut self,
        apply: &mut impl FnMut(Event<K>),
    ) -> Result<(Watch, String, bool), ClusterError> {
        if self.streaming {
            let params = self.watch_params().initial_events();
            match self.watch(&params, "0").await {
                Ok(watch) => {
                    apply(Event::Init);
                    return Ok((watch, "0".to_string(), true));
                }
                Err(e) if matches!(e.code(), Some(400 | 422)) => {
                    tracing::info!(
                        "{}: the server does not stream lists ({e}); listing instead",
                        Self::kind()
                    );
                    self.streaming = false;
                }
                Err(e) => return Err(e),
            }
        }
        let version = self.list(apply).await?;
        let watch = self.watch(&self.watch_params(), &version).await?;
        Ok((watch, version, false))
    }

    /// LISTs from the watch cache into `Init`, `InitApply`s and `InitDone`; gives the list's
    /// resource version.
    async fn list(&self, apply: &mut impl FnMut(Event<K>)) -> Result<String, ClusterError> {
        apply(Event::Init);
        let version = protobuf::list_all::<K>(
            &self.conn,
            &self.url,
            &self.selector,
            Reading::Cached,
            |object| apply(Event::InitApply(object)),
        )
        .await?;
        apply(Event::InitDone);
        Ok(version.unwrap_or_else(|| "0".to_string()))
    }

    /// Applies the watch's changes, watching again from the last version seen whenever
    /// the server ends it; while `listing`, added objects belong to the first list.
    async fn follow(
        &self,
        mut watch: Watch,
        mut version: String,
        mut listing: bool,
        apply: &mut impl FnMut(Event<K>),
    ) -> Result<Ended, ClusterError> {
        loop {
            let Some(change) = watch.next::<K>().await? else {
                if listing {
                    return Err(ClusterError::Other {
                        action: format!("watching {}", Self::kind()),
                        detail: "the server ended the watch before the first list".to_string(),
                    });
                }
                watch = self.watch(&self.watch_params(), &version).await?;
                continue;
            };
            let mut event = match change {
                Change::Added(object) if listing => Event::InitApply(object),
                Change::Added(object) | Change::Modified(object) => Event::Apply(object),
                Change::Deleted(object) => Event::Delete(object),
                Change::Bookmark {
                    version: at,
                    initial_events_end,
                } => {
                    version = at;
                    if listing && initial_events_end {
                        listing = false;
                        apply(Event::InitDone);
                    }
                    continue;
                }
                Change::Failed(status) if status.code == 410 => return Ok(Ended::Gone),
                Change::Failed(status) => {
                    let action = format!("watching {}", Self::kind());
                    return Err(self.conn.error(&action)(kube::Error::Api(status)));
                }
            };
            if let Event::InitApply(object) | Event::Apply(object) | Event::Delete(object) =
                &mut event
                && let Some(at) = object.meta_mut().resource_version.take()
            {
                version = at.into();
            }
            apply(event);
        }
    }

    async fn watch(&self, params: &WatchParams, version: &str) -> Result<Watch, ClusterError> {
        let action = format!("watching {}", Self::kind());
        protobuf::watch(&self.conn, &self.url, params, version, &action).await
    }

    fn watch_params(&self) -> WatchParams {
        let params = WatchParams::default().labels(&self.selector);
        match K::FIELD_SELECTOR {
            Some(fields) => params.fields(fields),
            None => params,
        }
    }
}
