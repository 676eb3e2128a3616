//! An API error: a status code and `{"error": "..."}` with the message the CLI would
//! print, and how each of the core's errors maps to a status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::cluster::apply::CreateError;
use crate::cluster::delete::DeleteError;
use crate::cluster::error::ClusterError;
use crate::domain::lookup::LookupError;

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

impl From<ClusterError> for ApiError {
    fn from(e: ClusterError) -> Self {
        let status = match &e {
            ClusterError::Forbidden { .. } | ClusterError::Api { code: 403, .. } => {
                StatusCode::FORBIDDEN
            }
            ClusterError::Api { code: 409, .. } => StatusCode::CONFLICT,
            ClusterError::NoKubeconfig
            | ClusterError::BadKubeconfig(_)
            | ClusterError::NoContext { .. }
            | ClusterError::Unreachable { .. }
            | ClusterError::Unauthorized { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ClusterError::Api { .. } | ClusterError::Other { .. } => StatusCode::BAD_GATEWAY,
        };
        Self::new(status, e.to_string())
    }
}

impl From<LookupError> for ApiError {
    fn from(e: LookupError) -> Self {
        let status = match e {
            LookupError::NotFound(_) => StatusCode::NOT_FOUND,
            LookupError::Ambiguous { .. } => StatusCode::CONFLICT,
            LookupError::Unmarked { .. } => StatusCode::NOT_FOUND,
        };
        Self::new(status, e.to_string())
    }
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> Self {
        match e {
            CreateError::Cluster(e) => e.into(),
            CreateError::NoRandomness(_) | CreateError::Backups(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
            CreateError::AlreadyExists { .. }
            | CreateError::BeingDeleted { .. }
            | CreateError::NotOurs { .. }
            | CreateError::CredentialsLost { .. } => Self::new(StatusCode::CONFLICT, e.to_string()),
        }
    }
}

impl From<DeleteError> for ApiError {
    fn from(e: DeleteError) -> Self {
        match e {
            DeleteError::Cluster(e) => e.into(),
            DeleteError::NotOurs { .. } => Self::new(StatusCode::CONFLICT, e.to_string()),
        }
    }
}
