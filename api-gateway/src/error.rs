//! The one API error type: every failure leaves the gateway as MidoNet's error body
//! `{"message", "code", "violations"}` with the status MidoNet would answer.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use topology::integrity::IntegrityError;
use topology::{Class, Invalid};

use crate::store::backend::BackendError;
use crate::store::StoreError;

pub const ERROR_MEDIA: &str = topology::media::ERROR.one;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// `(property, message)` pairs for validation failures.
    pub violations: Vec<(String, String)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            violations: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn not_found(class: Class, id: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            format!("{} {id} does not exist", class.noun()),
        )
    }

    pub fn missing(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, what)
    }

    /// A single rejected property.
    pub fn violation(property: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: format!("{property}: {message}"),
            violations: vec![(property.to_string(), message)],
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: format!("validation failed: {e}"),
            violations: e
                .violations
                .into_iter()
                .map(|v| (v.property, v.message))
                .collect(),
        }
    }
}

impl From<IntegrityError> for ApiError {
    fn from(e: IntegrityError) -> Self {
        let status = match &e {
            IntegrityError::NotFound { .. } | IntegrityError::MissingReference { .. } => {
                StatusCode::NOT_FOUND
            }
            IntegrityError::AlreadyExists { .. }
            | IntegrityError::AlreadyReferenced { .. }
            | IntegrityError::StillReferenced { .. } => StatusCode::CONFLICT,
            IntegrityError::BadPosition { .. } => {
                return ApiError::violation("position", e.to_string());
            }
            IntegrityError::Corrupt { .. } => {
                tracing::error!(error = %e, "corrupt stored object");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error: corrupt stored object",
                );
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Contended { .. } => ApiError::conflict(e.to_string()),
            StoreError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            StoreError::Backend(BackendError::Unavailable(_)) => {
                tracing::warn!(error = %e, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the topology store is unavailable; retry later",
                )
            }
            StoreError::Backend(BackendError::Indeterminate(_)) => {
                tracing::warn!(error = %e, "store lost during a write");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the topology store stopped answering after the write was sent, so it may \
                     have been applied: read the object before writing it again",
                )
            }
            StoreError::Backend(BackendError::Conflict { path }) => {
                ApiError::conflict(format!("concurrent modification of {path}"))
            }
            StoreError::Backend(BackendError::Failed(_)) | StoreError::Corrupt { .. } => {
                tracing::error!(error = %e, "store failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error: store failure",
                )
            }
        }
    }
}

impl ApiError {
    pub fn body(&self) -> Value {
        let mut body = json!({ "message": self.message, "code": self.status.as_u16() });
        if !self.violations.is_empty() {
            body["violations"] = Value::Array(
                self.violations
                    .iter()
                    .map(|(p, m)| json!({"property": p, "message": m}))
                    .collect(),
            );
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, ERROR_MEDIA)],
            self.body().to_string(),
        )
            .into_response()
    }
}
