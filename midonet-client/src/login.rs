//! Logging in to a MidoNet API that checks credentials: `POST <api>/login` with HTTP Basic
//! (and `X-Auth-Project` for a Keystone project) answers a session token in
//! `Set-Cookie: sessionId=<token>` and in the body (`{"key": <token>, "expires": ...}`); every
//! later request carries it as `X-Auth-Token`. MidoNet v5's default auth provider accepts any
//! credentials; our gateway has no auth yet, so callers skip this (`midonet-cli -A`).

use reqwest::header::{HeaderValue, SET_COOKIE};
use serde_json::Value;

use crate::ClientError;

/// The header that carries a session token on every request after [`login`].
pub const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";

/// Logs `user` in at `<api_url>/login` and returns the session token. A refusal (401 for bad
/// credentials) is [`ClientError::Api`]; an answer without a token is a protocol error.
pub async fn login(
    http: &reqwest::Client,
    api_url: &str,
    user: &str,
    password: &str,
    project: Option<&str>,
) -> Result<String, ClientError> {
    let url = format!("{}/login", api_url.trim_end_matches('/'));
    let unreachable = |source| ClientError::Unreachable {
        url: url.clone(),
        source,
    };
    let mut request = http
        .post(&url)
        .basic_auth(user, Some(password))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body("{}");
    if let Some(project) = project {
        request = request.header("X-Auth-Project", project);
    }
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .find_map(session_cookie);
    let body = response.bytes().await.map_err(unreachable)?;
    if !status.is_success() {
        return Err(ClientError::from_answer(
            "POST",
            &url,
            status.as_u16(),
            &body,
        ));
    }
    cookie
        .or_else(|| token_in_body(&body))
        .ok_or_else(|| ClientError::Protocol {
            method: "POST".into(),
            url,
            problem: "the login answer has no session token (no Set-Cookie, no `key`)".into(),
        })
}

/// The value of a `Set-Cookie: <name>=<token>; ...` header, as MidoNet's Python client reads
/// it (the text between the first `=` and the first `;`).
fn session_cookie(header: &HeaderValue) -> Option<String> {
    let text = header.to_str().ok()?;
    let pair = text.split(';').next()?;
    let (_, token) = pair.split_once('=')?;
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// The `key` of a Token body (`application/vnd.org.midonet.Token-v1+json`).
fn token_in_body(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    Some(value.get("key")?.as_str()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_the_cookie_value_or_the_body_key() {
        let header =
            HeaderValue::from_static("sessionId=abc123; Expires=Wed, 09 Jun 2021 10:18:14 GMT");
        assert_eq!(session_cookie(&header).as_deref(), Some("abc123"));
        assert_eq!(
            session_cookie(&HeaderValue::from_static("sessionId=")),
            None
        );
        assert_eq!(
            token_in_body(br#"{"key": "k1", "expires": "x"}"#).as_deref(),
            Some("k1")
        );
        assert_eq!(token_in_body(b"not json"), None);
    }
}
