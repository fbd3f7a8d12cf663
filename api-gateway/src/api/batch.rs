//! Our extension `POST /batch`: a list of writes applied in order as one store transaction,
//! or, when they do not fit in one ZooKeeper multi, as consecutive transactions each under
//! [`MAX_MULTI_BYTES`].
//!
//! Contract: every operation runs the same write function its plain HTTP request runs
//! ([`super::writes`]), against the transaction as the operations before it left it. If all
//! fit one multi, the batch is atomic: a failing operation answers its own MidoNet error with
//! `"operation": <index>` and `"applied": 0`, and nothing is written. If not, the batch is cut
//! into chunks at operation boundaries, each chunk atomic, applied in order; the answer says
//! `"transactions": n`, and a failure says in `"applied"` how many operations (all those
//! before the failing chunk) were written.
//!
//! A success also says in `"revisions"` the store revision each chunk committed at, in order,
//! one per chunk that changed something (a chunk whose writes all equal what is stored
//! commits nothing and has none). Every object the batch wrote or deleted carries one of them
//! in the change feed, so a writer that finds only these revisions after its own starting
//! point (`GET /changes?summary=true`) knows nobody else wrote in between.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::writes::{self, Call, Found, Written};
use super::AppState;
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base, Body};
use crate::store::{StoreError, Tx, MAX_MULTI_BYTES};

/// Largest batch body: a batch may carry thousands of operations, more than one plain body.
pub const MAX_BATCH_BODY: usize = 32 * 1024 * 1024;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/batch",
        post(batch_apply).layer(DefaultBodyLimit::max(MAX_BATCH_BODY)),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    operations: Vec<Operation>,
}

#[derive(Deserialize)]
struct Operation {
    /// `create` (POST), `update` (PUT) or `delete` (DELETE).
    op: String,
    /// An API path relative to the API root, e.g. `/routers/<id>/ports`.
    path: String,
    /// Kept as sent: its write parses it (`Body::parse`), as the plain request's would be.
    #[serde(default)]
    body: Option<Box<RawValue>>,
}

/// An operation resolved to its write, ready to run (any number of times, on conflicts).
struct Prepared {
    found: Found,
    body: Option<Body>,
}

fn prepare(index: usize, op: &Operation) -> Result<Prepared, Failure> {
    let at = |error| Failure::Op { index, error };
    let method = match op.op.as_str() {
        "create" => Method::POST,
        "update" => Method::PUT,
        "delete" => Method::DELETE,
        other => {
            return Err(at(ApiError::violation(
                "op",
                format!("'{other}' is not one of create, update, delete"),
            )))
        }
    };
    let found = writes::find(&method, &op.path).map_err(at)?;
    Ok(Prepared {
        found,
        body: op.body.as_deref().map(Body::from_json),
    })
}

/// Why a batch stopped.
enum Failure {
    /// Operation `index` was refused.
    Op { index: usize, error: ApiError },
    /// The store failed a whole chunk (unavailable, contended).
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

/// Where a chunk is cut. The transaction's estimate leaves out what the backend adds to every
/// op (ZooKeeper's root prefix and framing); with thousands of small writes that came to over
/// 1 % more than the estimate and a chunk ZooKeeper refused (seen at 364,000 operations), so
/// chunks stop well short of the limit.
const CHUNK_BYTES: usize = MAX_MULTI_BYTES * 3 / 4;

/// Runs operations from the start of `ops` into `tx` until one fails or the multi would grow
/// past [`CHUNK_BYTES`]; the operation that would overflow is undone and left for the next
/// chunk. Answers what each included operation wrote.
fn run_chunk(
    tx: &mut Tx<'_>,
    base: &Base,
    ops: &[Prepared],
    offset: usize,
) -> Result<Vec<Written>, Failure> {
    let mut done = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let point = tx.savepoint();
        let call = Call {
            base,
            params: &op.found.params,
            body: op.body.as_ref(),
        };
        let written = (op.found.run)(tx, &call).map_err(|error| Failure::Op {
            index: offset + i,
            error,
        })?;
        let size = tx.multi_bytes();
        if i == 0 && size > MAX_MULTI_BYTES {
            return Err(Failure::Op {
                index: offset,
                error: StoreError::TooLarge { size }.into(),
            });
        }
        if i > 0 && size > CHUNK_BYTES {
            tx.rollback(point);
            break;
        }
        done.push(written);
    }
    Ok(done)
}

async fn batch_apply(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    body: Body,
) -> ApiResult<Response> {
    let request: BatchRequest = body.parse_strict(&["Batch"])?;
    let media = accept.negotiate(&["Batch"], false)?;
    let mut prepared = Vec::with_capacity(request.operations.len());
    for (index, op) in request.operations.iter().enumerate() {
        match prepare(index, op) {
            Ok(p) => prepared.push(p),
            Err(failure) => return Ok(refusal(failure, 0)),
        }
    }
    let mut results: Vec<Written> = Vec::with_capacity(prepared.len());
    let mut transactions = 0;
    let mut revisions: Vec<i64> = Vec::new();
    while results.len() < prepared.len() {
        let start = results.len();
        let chunk = s
            .store
            .transact_at(|tx| run_chunk(tx, &base, &prepared[start..], start))
            .await;
        match chunk {
            Ok((done, revision)) => {
                transactions += 1;
                revisions.extend(revision);
                results.extend(done);
            }
            Err(failure) => return Ok(refusal(failure, start)),
        }
    }
    if transactions > 1 {
        tracing::info!(
            operations = results.len(),
            transactions,
            "batch split to stay under the store's multi limit"
        );
    }
    let results: Vec<Value> = results
        .iter()
        .map(|w| match w.location() {
            Some(location) => json!({"status": w.status().as_u16(), "location": location}),
            None => json!({"status": w.status().as_u16()}),
        })
        .collect();
    Ok(crate::http::reply(
        media,
        &json!({"results": results, "transactions": transactions, "revisions": revisions}),
    ))
}

/// The error answer of a stopped batch: the refusal's MidoNet body, which operation it was,
/// and how many operations were written before it.
fn refusal(failure: Failure, applied: usize) -> Response {
    let (error, index) = match failure {
        Failure::Op { index, error } => (error, Some(index)),
        Failure::Store(e) => (ApiError::from(e), None),
    };
    let mut body = error.body();
    if let Some(index) = index {
        body["operation"] = json!(index);
        body["message"] = json!(format!("operation {index}: {}", error.message));
    }
    body["applied"] = json!(applied);
    let status = if error.status.is_success() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        error.status
    };
    (
        status,
        [(axum::http::header::CONTENT_TYPE, crate::error::ERROR_MEDIA)],
        body.to_string(),
    )
        .into_response()
}
