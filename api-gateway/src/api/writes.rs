//! Every write the API serves (POST, PUT, DELETE) as one table of functions over a store
//! transaction. An HTTP request runs one of them in its own transaction; the batch endpoint
//! runs many in one. So a write's checks and effects are written once, whichever way it comes.
//!
//! A write function reads its path parameters and body from a [`Call`], changes the
//! transaction, and says what it did ([`Written`]); it never commits.

use std::sync::OnceLock;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use uuid::Uuid;

use super::AppState;
use crate::error::{ApiError, ApiResult};
use crate::http::{created, no_content, Base, Body};
use crate::store::Tx;

/// What a write did, and so how it is answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    /// 201 with the new resource's `Location`.
    Created(String),
    /// 200 with the resource's `Location`: an idempotent registration found it existing.
    Refreshed(String),
    /// 204: updated or deleted.
    Done,
}

impl Written {
    pub fn status(&self) -> StatusCode {
        match self {
            Written::Created(_) => StatusCode::CREATED,
            Written::Refreshed(_) => StatusCode::OK,
            Written::Done => StatusCode::NO_CONTENT,
        }
    }

    pub fn location(&self) -> Option<&str> {
        match self {
            Written::Created(l) | Written::Refreshed(l) => Some(l),
            Written::Done => None,
        }
    }
}

impl IntoResponse for Written {
    fn into_response(self) -> Response {
        match self {
            Written::Created(location) => created(location),
            Written::Refreshed(location) => {
                (StatusCode::OK, [(header::LOCATION, location)]).into_response()
            }
            Written::Done => no_content(),
        }
    }
}

/// One write request: the base URI links are built from, the path parameters, the body.
pub struct Call<'a> {
    pub base: &'a Base,
    pub params: &'a [(String, String)],
    pub body: Option<&'a Body>,
}

impl Call<'_> {
    /// The path parameter `name` as written in the URL.
    pub fn param(&self, name: &str) -> ApiResult<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::missing(format!("no such resource: no `{name}` in the path")))
    }

    /// A path parameter parsed as `T`; a malformed one means no such resource (404), as
    /// MidoNet answers for a malformed id.
    pub fn parsed<T: std::str::FromStr>(&self, name: &str) -> ApiResult<T> {
        let text = self.param(name)?;
        text.parse().map_err(|_| {
            ApiError::missing(format!("no such resource: cannot parse `{name}` ({text})"))
        })
    }

    /// The path parameter `name` as an object id.
    pub fn id(&self, name: &str) -> ApiResult<Uuid> {
        self.parsed(name)
    }

    /// The request body (an operation of a batch may lack one).
    pub fn body(&self) -> ApiResult<&Body> {
        self.body
            .ok_or_else(|| ApiError::bad_request("this operation needs a body"))
    }
}

/// A write function: see the module documentation.
pub type WriteFn = fn(&mut Tx<'_>, &Call<'_>) -> ApiResult<Written>;

/// One row of the write table: `path` is relative to the API root, in axum's `{param}` form.
pub struct Write {
    pub method: Method,
    pub path: &'static str,
    pub run: WriteFn,
}

/// Shorthands for the tables in each resource module.
pub const fn post(path: &'static str, run: WriteFn) -> Write {
    Write {
        method: Method::POST,
        path,
        run,
    }
}

pub const fn put(path: &'static str, run: WriteFn) -> Write {
    Write {
        method: Method::PUT,
        path,
        run,
    }
}

pub const fn delete(path: &'static str, run: WriteFn) -> Write {
    Write {
        method: Method::DELETE,
        path,
        run,
    }
}

/// Every write the API serves.
fn table() -> &'static [Write] {
    static TABLE: OnceLock<Vec<Write>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all = Vec::new();
        for part in super::WRITE_TABLES {
            all.extend(part());
        }
        all
    })
}

/// Runs one write in its own transaction and answers it.
async fn serve(
    store: &crate::store::Store,
    base: Base,
    params: Result<RawPathParams, RawPathParamsRejection>,
    body: Body,
    run: WriteFn,
) -> ApiResult<Response> {
    let params =
        params.map_err(|e| ApiError::missing(format!("no such resource: {}", e.body_text())))?;
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let call = Call {
        base: &base,
        params: &params,
        body: Some(&body),
    };
    let written = store.transact(|tx| run(tx, &call)).await?;
    Ok(written.into_response())
}

fn filter(method: &Method) -> MethodFilter {
    match *method {
        Method::PUT => MethodFilter::PUT,
        Method::DELETE => MethodFilter::DELETE,
        _ => MethodFilter::POST,
    }
}

/// The HTTP routes of every write in the table.
pub fn routes() -> axum::Router<AppState> {
    let mut router = axum::Router::new();
    for w in table() {
        let run = w.run;
        router = router.route(
            w.path,
            on(
                filter(&w.method),
                move |State(s): State<AppState>,
                      base: Base,
                      params: Result<RawPathParams, RawPathParamsRejection>,
                      body: Body| async move {
                    serve(&s.store, base, params, body, run).await
                },
            ),
        );
    }
    router
}

/// The write a batch operation names, found by method and path as the HTTP router would.
pub struct Found {
    pub run: WriteFn,
    pub params: Vec<(String, String)>,
}

/// Finds the write for `method` on `path` (relative to the API root, e.g. `/routers/<id>`).
pub fn find(method: &Method, path: &str) -> ApiResult<Found> {
    static ROUTER: OnceLock<Result<matchit::Router<Vec<usize>>, String>> = OnceLock::new();
    let router = ROUTER.get_or_init(|| {
        let mut paths: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, w) in table().iter().enumerate() {
            match paths.iter_mut().find(|(p, _)| *p == w.path) {
                Some((_, rows)) => rows.push(i),
                None => paths.push((w.path, vec![i])),
            }
        }
        let mut router = matchit::Router::new();
        for (path, rows) in paths {
            router
                .insert(path, rows)
                .map_err(|e| format!("{path}: {e}"))?;
        }
        Ok(router)
    });
    let router = router.as_ref().map_err(|e| {
        tracing::error!(error = %e, "the write table does not form a router");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error: write routes",
        )
    })?;
    let trimmed = path.split('?').next().unwrap_or_default();
    let trimmed = match trimmed.trim_end_matches('/') {
        "" => "/",
        t => t,
    };
    let matched = router
        .at(trimmed)
        .map_err(|_| ApiError::missing(format!("no such resource: {path}")))?;
    let row = matched
        .value
        .iter()
        .map(|&i| &table()[i])
        .find(|w| w.method == method)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{method} is not allowed on {path}"),
            )
        })?;
    Ok(Found {
        run: row.run,
        params: matched
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}
