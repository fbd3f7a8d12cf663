//! Our extension `/history`: what the state store keeps, for operators.
//!
//! - `GET /history`: which state store, whether history is recorded, from which revision, and
//!   the writer's counts (recorded, dropped, failed).
//! - `GET /history/objects/{id}?limit=N`: the last N changes of one object (default 100),
//!   oldest first: time, tenant, operation, class, before and after.
//! - `GET /history/versions?version=X&limit=N`: the last N GNI versions the translator applied
//!   (or failed to), of version X only when given.
//! - `POST /history/versions`: the translator reports one cycle (a [`GniApply`]).
//!
//! Without a state store every path answers 404 saying so; an unreachable state store is 503.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{AppState, P, Q};
use crate::error::{ApiError, ApiResult};
use crate::http::Body;
use crate::state::history::StateService;
use crate::state::{now_ms, GniApply, StateError};

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 10_000;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/history", get(history_status))
        .route("/history/objects/{id}", get(object_history_list))
        .route("/history/versions", get(versions_list).post(version_record))
}

/// The state store's error at the HTTP edge: unreachable is 503 with its reason (it names the
/// nodes, which an operator needs); anything else is logged and answered 500.
pub fn state_error(e: StateError) -> ApiError {
    match e {
        StateError::Unavailable(reason) => {
            tracing::warn!(%reason, "state store unavailable");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reason)
        }
        other => {
            tracing::error!(error = %other, "state store failure");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: state store failure",
            )
        }
    }
}

fn service(s: &AppState) -> ApiResult<&StateService> {
    s.store.state().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "this gateway keeps no history: it has no state store",
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitQuery {
    limit: Option<usize>,
    version: Option<String>,
}

impl LimitQuery {
    fn limit(&self) -> ApiResult<usize> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::bad_request(format!(
                "limit: {n} is not in 1..={MAX_LIMIT}"
            ))),
        }
    }
}

async fn history_status(State(s): State<AppState>) -> ApiResult<Response> {
    let service = service(&s)?;
    let recording_from = service.state.recording_from().await.map_err(state_error)?;
    let mut answer = json!({
        "stateStore": service.state.describe(),
        "history": service.writer.is_some(),
        "recordingFrom": recording_from,
        "flowStateTtlSeconds": service.flow_ttl.as_secs(),
    });
    if let Some(w) = &service.writer {
        let stats = w.stats();
        answer["recorded"] = stats.recorded.load(Ordering::Relaxed).into();
        answer["dropped"] = stats.dropped.load(Ordering::Relaxed).into();
        answer["failed"] = stats.failed.load(Ordering::Relaxed).into();
    }
    Ok(Json(answer).into_response())
}

async fn object_history_list(
    State(s): State<AppState>,
    P(id): P<Uuid>,
    Q(q): Q<LimitQuery>,
) -> ApiResult<Response> {
    let service = service(&s)?;
    if q.version.is_some() {
        return Err(ApiError::bad_request(
            "version: an object's history takes only limit",
        ));
    }
    let changes = service
        .state
        .object_history(id, q.limit()?)
        .await
        .map_err(state_error)?;
    Ok(Json(json!({"id": id, "changes": changes})).into_response())
}

async fn versions_list(State(s): State<AppState>, Q(q): Q<LimitQuery>) -> ApiResult<Response> {
    let service = service(&s)?;
    let limit = q.limit()?;
    let applies = service
        .state
        .gni_applies(q.version, limit)
        .await
        .map_err(state_error)?;
    Ok(Json(json!({"applies": applies})).into_response())
}

/// A reported cycle; the time defaults to when the report arrives.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VersionReport {
    at_ms: Option<i64>,
    version: String,
    operations: u64,
    duration_ms: u64,
    #[serde(default)]
    errors: Vec<String>,
}

async fn version_record(State(s): State<AppState>, body: Body) -> ApiResult<Response> {
    let service = service(&s)?;
    let report: VersionReport = body.parse(&["GniApply"])?;
    if report.version.trim().is_empty() {
        return Err(ApiError::violation("version", "must not be empty"));
    }
    let apply = GniApply {
        at_ms: report.at_ms.unwrap_or_else(now_ms),
        version: report.version,
        operations: report.operations,
        duration_ms: report.duration_ms,
        errors: report.errors,
    };
    service
        .state
        .record_gni_apply(apply.clone())
        .await
        .map_err(state_error)?;
    Ok((StatusCode::CREATED, Json(apply)).into_response())
}
