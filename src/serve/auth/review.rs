//! Delegated authentication and authorization, as kube-rbac-proxy and aggregated API
//! servers do it: the bearer token goes to the cluster in a TokenReview, and each action
//! in a SubjectAccessReview, so the cluster's RBAC decides who may do what. Actions on
//! stores are checked as verbs on the resource `stores` of the group `storectl.io`;
//! `/metrics` as a non-resource URL. Tokens must be issued for storectl's audience (a
//! token for the API server itself is refused), answers are cached for a few seconds,
//! and reviews of new tokens and actions are rate-limited.

use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec, UserInfo};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::Api;
use kube::api::PostParams;

use super::Access;
use super::cache::{Cache, Key, key_of, key_of_fields};
use super::limit::RateLimit;
use crate::cluster::connect::Connection;
use crate::cluster::error::ClusterError;
use crate::serve::caller::Caller;

/// The API group RBAC rules name to grant access to stores through the server.
pub const API_GROUP: &str = "storectl.io";
/// How long an answer of the cluster is reused.
const CACHE_FOR: Duration = Duration::from_secs(10);
/// Answers kept in each cache (the oldest go first).
const CACHE_MAX: usize = 4096;
/// TokenReviews (and, separately, SubjectAccessReviews) sent a second, after a burst.
const REVIEWS_PER_SECOND: u32 = 20;
const REVIEWS_BURST: u32 = 50;

/// Why the cluster did not let a request through.
#[derive(Debug)]
pub enum Refusal {
    /// The token is not valid (401).
    Unauthenticated(String),
    /// The user may not do this (403).
    Forbidden(String),
    /// Too many new tokens or actions to review this second (429).
    Busy(String),
    /// The cluster could not be asked (503).
    Unavailable(String),
}

pub struct ClusterReview {
    conn: Connection,
    /// The audience a token must be issued for (`--token-audience`).
    audience: String,
    /// SHA-256 of the token -> the user it authenticates (None: not valid).
    users: Cache<Option<UserInfo>>,
    /// SHA-256 of (the whole identity, the action) -> allowed, or why not.
    decisions: Cache<Result<(), String>>,
    token_reviews: RateLimit,
    access_reviews: RateLimit,
}

impl ClusterReview {
    pub fn new(conn: Connection, audience: String) -> Self {
        Self {
            conn,
            audience,
            users: Cache::new(CACHE_FOR, CACHE_MAX),
            decisions: Cache::new(CACHE_FOR, CACHE_MAX),
            token_reviews: RateLimit::new(REVIEWS_PER_SECOND, REVIEWS_BURST),
            access_reviews: RateLimit::new(REVIEWS_PER_SECOND, REVIEWS_BURST),
        }
    }

    /// The context of the cluster that reviews tokens and actions.
    #[cfg(test)]
    pub fn context(&self) -> &str {
        &self.conn.endpoint.context
    }

    /// Who the caller is, if the cluster lets the request through; or why not.
    pub async fn check(&self, token: &str, access: &Access) -> Result<Caller, Refusal> {
        let user = self.authenticate(token).await?;
        let caller = Caller::from_user(&user);
        let key = decision_key(&user, access);
        let decision = match self.decisions.get(&key) {
            Some(d) => d,
            None => {
                if !self.access_reviews.try_take() {
                    return Err(busy("actions"));
                }
                let d = self.authorize(user, access).await?;
                self.decisions.put(key, d.clone());
                d
            }
        };
        decision.map(|()| caller.clone()).map_err(|why| {
            Refusal::Forbidden(format!("{} may not {access}{}", caller.name, suffix(&why)))
        })
    }

    async fn authenticate(&self, token: &str) -> Result<UserInfo, Refusal> {
        let key = key_of(token.as_bytes());
        let user = match self.users.get(&key) {
            Some(user) => user,
            None => {
                if !self.token_reviews.try_take() {
                    return Err(busy("tokens"));
                }
                let review = TokenReview {
                    spec: TokenReviewSpec {
                        token: Some(token.to_string()),
                        audiences: Some(vec![self.audience.clone()]),
                    },
                    ..TokenReview::default()
                };
                let api: Api<TokenReview> = Api::all(self.conn.client.clone());
                let answer = api
                    .create(&PostParams::default(), &review)
                    .await
                    .map_err(|e| unavailable(&self.conn, "reviewing a token", e))?;
                let status = answer.status.unwrap_or_default();
                // The audience is checked here too: an authenticator that ignores the
                // requested audiences must not let an API server token through.
                let for_us = status
                    .audiences
                    .as_ref()
                    .is_some_and(|a| a.contains(&self.audience));
                let user = (status.authenticated.unwrap_or(false) && for_us)
                    .then(|| status.user.unwrap_or_default());
                self.users.put(key, user.clone());
                user
            }
        };
        user.ok_or_else(|| {
            Refusal::Unauthenticated(format!(
                "the cluster does not accept this token for the audience '{}'",
                self.audience
            ))
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

/// The answer to a caller when the cluster cannot be asked: the cause goes to the log
/// only (it names the API server).
fn unavailable(conn: &Connection, action: &str, e: kube::Error) -> Refusal {
    let error = ClusterError::from_kube(e, action, &conn.endpoint);
    tracing::warn!("cannot ask the cluster who a caller is: {error}");
    Refusal::Unavailable(
        "the cluster could not be asked who this is; try again in a moment".to_string(),
    )
}

fn busy(what: &str) -> Refusal {
    Refusal::Busy(format!(
        "too many new {what} to check with the cluster this second; try again in a second"
    ))
}

/// The decision cache's key: the whole identity the SubjectAccessReview carries (user,
/// uid, groups in order, extra) and the action.
fn decision_key(user: &UserInfo, access: &Access) -> Key {
    let text = |s: &Option<String>| s.as_deref().unwrap_or_default().as_bytes().to_vec();
    let mut groups = user.groups.clone().unwrap_or_default();
    groups.sort();
    let mut fields: Vec<Vec<u8>> = vec![
        text(&user.username),
        text(&user.uid),
        groups.len().to_le_bytes().to_vec(),
    ];
    fields.extend(groups.into_iter().map(String::into_bytes));
    for (key, values) in user.extra.iter().flatten() {
        fields.push(key.clone().into_bytes());
        fields.push(values.len().to_le_bytes().to_vec());
        fields.extend(values.iter().map(|v| v.clone().into_bytes()));
    }
    let (verb, name) = match access {
        Access::Stores { verb, name } => (*verb, name.clone()),
        Access::Metrics => ("get /metrics", None),
    };
    fields.push(verb.as_bytes().to_vec());
    fields.push(name.map(String::into_bytes).unwrap_or_default());
    key_of_fields(fields.iter().map(Vec::as_slice))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(groups: &[&str]) -> UserInfo {
        UserInfo {
            username: Some("twin".to_string()),
            uid: Some("7".to_string()),
            groups: Some(groups.iter().map(|g| (*g).to_string()).collect()),
            extra: None,
        }
    }

    #[test]
    fn decisions_are_keyed_by_the_whole_identity_and_the_action() {
        let list = Access::Stores {
            verb: "list",
            name: None,
        };
        let admins = decision_key(&user(&["a", "b"]), &list);
        assert_eq!(admins, decision_key(&user(&["b", "a"]), &list));
        assert_ne!(admins, decision_key(&user(&["a"]), &list));
        assert_ne!(admins, decision_key(&user(&[]), &list));
        let mut scoped = user(&["a", "b"]);
        scoped.extra = Some([("scopes".to_string(), vec!["user:info".to_string()])].into());
        assert_ne!(admins, decision_key(&scoped, &list));
        let mut other_uid = user(&["a", "b"]);
        other_uid.uid = Some("8".to_string());
        assert_ne!(admins, decision_key(&other_uid, &list));
        let get = Access::Stores {
            verb: "get",
            name: Some("shop".to_string()),
        };
        assert_ne!(admins, decision_key(&user(&["a", "b"]), &get));
    }
}
