//! An API error: a status code and `{"error": "..."}` with the message the CLI would
//! print; the core's errors get the status of their kind (`ops::Kind`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::cluster::apply::CreateError;
use crate::cluster::delete::DeleteError;
use crate::cluster::error::ClusterError;
use crate::domain::lookup::LookupError;
use crate::domain::verb::ReadOnly;
use crate::ops::Kind;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!("{}: {}", self.status, self.message);
        }
        (
            self.status,
            Json(Body {
                error: &self.message,
            }),
        )
            .into_response()
    }
}

impl ApiError {
    /// An error of the core, with the status of its kind (`ops::Kind::http_status`, the
    /// one mapping) and its message.
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Self {
        let status = StatusCode::from_u16(Kind::of(error).http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, error.to_string())
    }
}

impl From<ClusterError> for ApiError {
    fn from(e: ClusterError) -> Self {
        Self::of(&e)
    }
}

impl From<LookupError> for ApiError {
    fn from(e: LookupError) -> Self {
        Self::of(&e)
    }
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> Self {
        Self::of(&e)
    }
}

impl From<DeleteError> for ApiError {
    fn from(e: DeleteError) -> Self {
        Self::of(&e)
    }
}

impl From<ReadOnly> for ApiError {
    fn from(e: ReadOnly) -> Self {
        Self::of(&e)
    }
}

/// 400 with `message`: a request this server cannot take as it is.
pub(super) fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::verb::Verb;

    #[test]
    fn the_core_errors_answer_with_the_status_of_their_kind() {
        let exists = CreateError::AlreadyExists {
            name: "shop".into(),
            namespace: "store-shop".into(),
            how: String::new(),
        };
        let message = exists.to_string();
        let api = ApiError::from(exists);
        assert_eq!((api.status, api.message), (StatusCode::CONFLICT, message));
        let refused = ApiError::from(ReadOnly(Verb::Delete));
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(
            refused.message.contains("deleting stores"),
            "{}",
            refused.message
        );
        let missing = ApiError::from(LookupError::NotFound("shop".into()));
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}
