//! Our extension `GET /changes?since=N`: the objects written or deleted since store revision N,
//! served from the mirror, so a client that read everything once can follow changes instead of
//! reading everything again.
//!
//! `GET /changes` alone answers the current revision: take it before a full read, then follow
//! from it. An unanswerable `since` (older than the tombstones kept, before this gateway
//! loaded, or ahead of it) is 410 Gone: read everything again. Answers hold at most `limit`
//! changes (default [`DEFAULT_LIMIT`]) unless one revision holds more; `more: true` says to
//! ask again from the answer's `revision`.
//!
//! `summary=true` answers only `{"revision": R, "revisions": [...]}`: the distinct revisions
//! of the changes after N, ascending, deletions included, no objects and no paging. A writer
//! that knows which revisions its own writes committed at (`POST /batch` says) learns from one
//! small answer whether anyone else wrote since N.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{AppState, Q};
use crate::error::{ApiError, ApiResult};
use crate::http::{reply, Accept, Base};
use crate::render::render;

pub const DEFAULT_LIMIT: usize = 1000;
/// The most changes one answer may be asked for.
pub const MAX_LIMIT: usize = 100_000;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/changes", get(changes_list))
}

#[derive(Deserialize)]
struct ChangesQuery {
    since: Option<i64>,
    limit: Option<usize>,
    #[serde(default)]
    summary: bool,
}

fn gone(gone: crate::store::Gone) -> ApiError {
    let mut e = ApiError::new(StatusCode::GONE, gone.to_string());
    e.violations.clear();
    e
}

async fn changes_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    Q(q): Q<ChangesQuery>,
) -> ApiResult<Response> {
    let media = accept.negotiate(&["Changes"], false)?;
    let Some(since) = q.since else {
        let revision = s.store.revision();
        let answer = if q.summary {
            json!({"revision": revision, "revisions": []})
        } else {
            json!({"revision": revision, "changed": [], "more": false})
        };
        return Ok(reply(media, &answer));
    };
    if q.summary {
        let (revision, revisions) = s.store.revisions_since(since).map_err(gone)?;
        return Ok(reply(
            media,
            &json!({"revision": revision, "revisions": revisions}),
        ));
    }
    let limit = match q.limit {
        None => DEFAULT_LIMIT,
        Some(limit @ 1..=MAX_LIMIT) => limit,
        Some(limit) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("limit: {limit} is not a page size; ask for 1 to {MAX_LIMIT} changes"),
            ))
        }
    };
    let answer = s.store.changes_since(since, limit).map_err(gone)?;
    let changed: Vec<Value> = answer
        .changes
        .iter()
        .map(|c| {
            let mut item = json!({
                "class": c.class.name(),
                "id": c.id,
                "revision": c.rev,
                "deleted": c.value.is_none(),
            });
            if let Some(v) = &c.value {
                item["object"] = render(&base, c.class, v);
            }
            item
        })
        .collect();
    Ok(reply(
        media,
        &json!({"revision": answer.revision, "changed": changed, "more": answer.more}),
    ))
}
