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
//!
//! With history recorded (`/history`), a full (not `summary`) question older than the mirror
//! remembers is answered from the state store instead, as far as the mirror's horizon, with
//! `more: true`: each change as it was written then (a deletion as deleted), so a client that
//! applies them in order and then follows from the answer's `revision` misses nothing. Only
//! revisions after the earliest point any gateway began recording can be answered so.

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
use crate::store::{Change, Changes};

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
    let answer = match s.store.changes_since(since, limit) {
        Ok(answer) => answer,
        Err(g) => match from_history(&s, &g, limit).await? {
            Some(answer) => answer,
            None => return Err(gone(g)),
        },
    };
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

/// The changes of an answer the mirror cannot give, from recorded history: `None` unless
/// history covers every revision from `gone.since` up to the mirror's horizon.
async fn from_history(
    s: &AppState,
    gone: &crate::store::Gone,
    limit: usize,
) -> ApiResult<Option<Changes>> {
    let Some(service) = s.store.state().filter(|st| st.writer.is_some()) else {
        return Ok(None);
    };
    if gone.since >= gone.horizon {
        return Ok(None);
    }
    let from = service
        .state
        .recording_from()
        .await
        .map_err(super::history::state_error)?;
    if from.is_none_or(|from| gone.since < from) {
        return Ok(None);
    }
    let recorded = service
        .state
        .changes_between(gone.since, gone.horizon, limit)
        .await
        .map_err(super::history::state_error)?;
    let revision = match recorded.last() {
        Some(last) if recorded.len() >= limit => last.revision,
        _ => gone.horizon,
    };
    let changes = recorded
        .into_iter()
        .filter_map(|c| {
            Some(Change {
                class: topology::Class::from_name(&c.class)?,
                id: c.id,
                rev: c.revision,
                value: c.after,
            })
        })
        .collect();
    Ok(Some(Changes {
        revision,
        changes,
        more: true,
    }))
}
