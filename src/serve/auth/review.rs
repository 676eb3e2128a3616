//! Delegated authentication and authorization, as kube-rbac-proxy and aggregated API
//! servers do it: the bearer token goes to the cluster in a TokenReview, and each action
//! in a SubjectAccessReview, so the cluster's RBAC decides who may do what. Actions on
//! stores are checked as verbs on the resource `stores` of the group `storectl.io`;
//! `/metrics` as a non-resource URL. Answers are cached for a few seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec, UserInfo};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::Api;
use kube::api::PostParams;

use super::Access;
use crate::cluster::connect::Connection;
use crate::cluster::error::ClusterError;

/// The API group RBAC rules name to grant access to stores through the server.
pub const API_GROUP: &str = "storectl.io";
/// How long an answer of the cluster is reused.
const CACHE_FOR: Duration = Duration::from_secs(10);
/// Entries kept before the caches start over (bounds memory under token guessing).
const CACHE_MAX: usize = 4096;

/// Why the cluster did not let a request through.
#[derive(Debug)]
pub enum Refusal {
    /// The token is not valid (401).
    Unauthenticated(String),
    /// The user may not do this (403).
    Forbidden(String),
    /// The cluster could not be asked (503).
    Unavailable(String),
}

struct Cached<T> {
    at: Instant,
    value: T,
}

/// A small map whose entries expire.
struct Cache<K, V>(Mutex<HashMap<K, Cached<V>>>);

impl<K: std::hash::Hash + Eq, V: Clone> Cache<K, V> {
    fn new() -> Self {
        Self(Mutex::new(HashMap::new()))
    }

    fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|c| c.at.elapsed() < CACHE_FOR)
            .map(|c| c.value.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHE_MAX {
            map.retain(|_, c| c.at.elapsed() < CACHE_FOR);
            if map.len() >= CACHE_MAX {
                map.clear();
            }
        }
        map.insert(
            key,
            Cached {
                at: Instant::now(),
                value,
            },
        );
    }
}

pub struct ClusterReview {
    conn: Connection,
    /// token -> the user it authenticates (None: not valid).
    users: Cache<String, Option<UserInfo>>,
    /// (user, action) -> allowed, with the reason when refused.
    decisions: Cache<(String, Access), Result<(), String>>,
}

impl ClusterReview {
    pub fn new(conn: Connection) -> Self {
        Self {
            conn,
            users: Cache::new(),
            decisions: Cache::new(),
        }
    }

    /// Lets the request through, or says why not.
    pub async fn check(&self, token: &str, access: &Access) -> Result<(), Refusal> {
        let user = self.authenticate(token).await?;
        let name = user.username.clone().unwrap_or_default();
        let key = (name.clone(), access.clone());
        let decision = match self.decisions.get(&key) {
            Some(d) => d,
            None => {
                let d = self.authorize(user, access).await?;
                self.decisions.put(key, d.clone());
                d
            }
        };
        decision
            .map_err(|why| Refusal::Forbidden(format!("{name} may not {access}{}", suffix(&why))))
    }

    async fn authenticate(&self, token: &str) -> Result<UserInfo, Refusal> {
        let user = match self.users.get(token) {
            Some(user) => user,
            None => {
                let review = TokenReview {
                    spec: TokenReviewSpec {
                        token: Some(token.to_string()),
                        audiences: None,
                    },
                    ..TokenReview::default()
                };
                let api: Api<TokenReview> = Api::all(self.conn.client.clone());
                let answer = api
                    .create(&PostParams::default(), &review)
                    .await
                    .map_err(|e| unavailable(&self.conn, "reviewing a token", e))?;
                let status = answer.status.unwrap_or_default();
                let user = status
                    .authenticated
                    .unwrap_or(false)
                    .then(|| status.user.unwrap_or_default());
                self.users.put(token.to_string(), user.clone());
                user
            }
        };
        user.ok_or_else(|| {
            Refusal::Unauthenticated("the cluster does not accept this token".to_string())
        })
    }

    async fn authorize(
        &self,
        user: UserInfo,
        access: &Access,
    ) -> Result<Result<(), String>, Refusal> {
        let (resource_attributes, non_resource_attributes) = match access {
            Access::Stores { verb, name } => (
                Some(ResourceAttributes {
                    group: Some(API_GROUP.to_string()),
                    resource: Some("stores".to_string()),
                    verb: Some((*verb).to_string()),
                    name: name.clone(),
                    ..ResourceAttributes::default()
                }),
                None,
            ),
            Access::Metrics => (
                None,
                Some(NonResourceAttributes {
                    path: Some("/metrics".to_string()),
                    verb: Some("get".to_string()),
                }),
            ),
        };
        let review = SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: user.username,
                groups: user.groups,
                uid: user.uid,
                extra: user.extra,
                resource_attributes,
                non_resource_attributes,
            },
            ..SubjectAccessReview::default()
        };
        let api: Api<SubjectAccessReview> = Api::all(self.conn.client.clone());
        let answer = api
            .create(&PostParams::default(), &review)
            .await
            .map_err(|e| unavailable(&self.conn, "reviewing an access", e))?;
        let status = answer.status.unwrap_or_default();
        Ok(if status.allowed {
            Ok(())
        } else {
            Err(status.reason.unwrap_or_default())
        })
    }
}

fn suffix(why: &str) -> String {
    if why.is_empty() {
        String::new()
    } else {
        format!(" ({why})")
    }
}

fn unavailable(conn: &Connection, action: &str, e: kube::Error) -> Refusal {
    let error = ClusterError::from_kube(e, action, &conn.target);
    Refusal::Unavailable(format!("cannot ask the cluster who this is: {error}"))
}
