//! Access control, as MidoNet's API does it: `POST /login` with HTTP Basic credentials answers
//! a session token (in the body as `{"key", "expires"}` and in `Set-Cookie: sessionId=`), and
//! every later request shows it in `X-Auth-Token`. Users, their Argon2 password hashes and
//! roles come from a credentials file ([`credentials`]); a tenant's token is confined to its
//! tenant's objects ([`tenancy`]); a tenant user may only read.
//!
//! The gateway checks tokens unless it is started with authentication explicitly disabled
//! ([`Access::Open`]: `api-gateway serve --no-auth`, and in-process gateways of tests and the
//! translator), where every request is the admin's and `/login` accepts anything, as MidoNet's
//! mock auth provider does.

pub mod credentials;
pub mod sessions;
pub mod tenancy;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::store::Store;
use credentials::{Credentials, Role};
use sessions::Sessions;

/// The header a token travels in, and the cookie `POST /login` sets.
pub const TOKEN_HEADER: &str = "X-Auth-Token";
pub const SESSION_COOKIE: &str = "sessionId";
const TOKEN_MEDIA: &str = "application/vnd.org.midonet.Token-v1+json";

/// Who may do what.
#[derive(Clone)]
pub enum Access {
    /// No authentication: every request is the admin's. Only when asked for explicitly.
    Open,
    /// Tokens from `POST /login` against these credentials.
    Checked(Arc<Credentials>),
}

/// What the middleware and `/login` share.
#[derive(Clone)]
pub struct Guard {
    access: Access,
    sessions: Arc<Sessions>,
    store: Arc<Store>,
}

impl Guard {
    pub fn new(access: Access, store: Arc<Store>) -> Guard {
        Guard {
            access,
            sessions: Arc::default(),
            store,
        }
    }
}

/// The paths anyone may reach without a token: logging in, and the API's description.
fn public(path: &str) -> bool {
    matches!(path, "/login" | "/openapi.json")
}

fn unauthorized(message: &str) -> Response {
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"midonet-api\""),
    );
    response
}

/// The token a request shows: `X-Auth-Token`, else the `sessionId` cookie `/login` set.
fn token(headers: &HeaderMap) -> Option<&str> {
    if let Some(t) = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(t.trim());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then_some(value)
        })
}

/// The middleware in front of every route: authenticates the token, then confines a tenant's.
pub async fn authorize(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let Access::Checked(_) = &guard.access else {
        return next.run(request).await;
    };
    let path = request.uri().path().to_string();
    if public(&path) {
        return next.run(request).await;
    }
    let Some(token) = token(request.headers()) else {
        return unauthorized(&format!(
            "authentication required: log in with POST /login and send the token as {TOKEN_HEADER}"
        ));
    };
    let Some(session) = guard.sessions.lookup(token) else {
        return unauthorized("the token is unknown or has expired: log in again");
    };
    let tenant = match &session.role {
        Role::Admin => return next.run(request).await,
        Role::TenantAdmin { tenant } | Role::TenantUser { tenant } => tenant.clone(),
    };
    let reading = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !reading && matches!(session.role, Role::TenantUser { .. }) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "user {} (tenant_user of {tenant}) may only read",
                session.user
            ),
        )
        .into_response();
    }
    match confined(&guard.store, &tenant, &path, reading, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

/// Runs a tenant's request: its path and body checked, its list answers filtered.
async fn confined(
    store: &Store,
    tenant: &str,
    path: &str,
    reading: bool,
    request: Request,
    next: Next,
) -> Result<Response, Response> {
    let refuse = |e: ApiError| e.into_response();
    tenancy::check_path(store, tenant, path).map_err(refuse)?;
    let request = if reading {
        request
    } else {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, crate::http::MAX_BODY)
            .await
            .map_err(|_| {
                refuse(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "request body is larger than {} bytes",
                        crate::http::MAX_BODY
                    ),
                ))
            })?;
        // A body that is not JSON goes on unchanged, for the handler to refuse as it would.
        let bytes = match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut value) => {
                if tenancy::check_body(store, tenant, path, &mut value).map_err(refuse)? {
                    bytes::Bytes::from(value.to_string())
                } else {
                    bytes
                }
            }
            Err(_) => bytes,
        };
        let mut parts = parts;
        parts.headers.remove(header::CONTENT_LENGTH);
        Request::from_parts(parts, Body::from(bytes))
    };
    let response = next.run(request).await;
    if !reading || response.status() != StatusCode::OK {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|_| {
        refuse(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        ))
    })?;
    let bytes = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(mut items)) => {
            tenancy::filter_list(store, tenant, path, &mut items);
            bytes::Bytes::from(Value::Array(items).to_string())
        }
        _ => bytes,
    };
    let mut parts = parts;
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// `POST /login`: Basic credentials in, a token out (body and cookie), as MidoNet answers.
pub async fn login(State(guard): State<Guard>, headers: HeaderMap) -> Response {
    let role = match &guard.access {
        // MidoNet's mock auth: any credentials, or none, are the admin.
        Access::Open => Some(("admin".to_string(), Role::Admin)),
        Access::Checked(credentials) => {
            let Some((user, password)) = basic_credentials(&headers) else {
                return unauthorized(
                    "log in with HTTP Basic credentials (Authorization: Basic ...)",
                );
            };
            credentials
                .verify(&user, &password)
                .map(|role| (user, role))
        }
    };
    let Some((user, role)) = role else {
        return unauthorized("invalid credentials: wrong user name or password");
    };
    let (token, expires) = guard.sessions.issue(&user, role);
    let expires = httpdate::fmt_http_date(expires);
    let cookie = format!("{SESSION_COOKIE}={token}; Expires={expires}; Path=/; HttpOnly");
    let body = json!({"key": token, "expires": expires});
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, TOKEN_MEDIA)],
        body.to_string(),
    )
        .into_response();
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The user and password of an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_header_or_the_session_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; sessionId=tok"),
        );
        assert_eq!(token(&headers), Some("tok"));
        headers.insert(TOKEN_HEADER, HeaderValue::from_static("hdr"));
        assert_eq!(token(&headers), Some("hdr"));
        assert_eq!(token(&HeaderMap::new()), None);
    }

    #[test]
    fn basic_credentials_are_decoded_and_others_refused() {
        let mut headers = HeaderMap::new();
        // "alice:pa:ss" — a password may hold ':'.
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YWxpY2U6cGE6c3M="),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some(("alice".into(), "pa:ss".into()))
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&headers), None);
    }
}
