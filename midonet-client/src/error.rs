//! What can go wrong talking to a MidoNet API, as one typed error: the server's own refusal
//! (status, message, violations), an unreachable server, an unreadable answer, or a feature the
//! server does not offer. Decisions are made on the variant and the status, never on the text.

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a non-2xx status and (usually) MidoNet's error body
    /// `{"message", "code", "violations"}`.
    #[error("{}", api_line(*.status, .method, .url, .message, .violations))]
    Api {
        status: u16,
        message: String,
        /// `(property, message)` pairs of a validation failure (400), empty otherwise.
        violations: Vec<(String, String)>,
        method: String,
        url: String,
        /// The answer's body as the server sent it (lossy UTF-8): `midonet-cli` prints it
        /// verbatim, as MidoNet's own CLI does.
        body: String,
    },
    /// No answer: connection refused, DNS failure, timeout, or the connection dropped mid-answer.
    #[error("cannot reach the MidoNet API at {url}: {}", root_cause(.source))]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx answer whose body is not the JSON the resource should have.
    #[error("cannot decode the answer from {url}: {source}")]
    Decode {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    /// The server does not advertise what the call needs (a root key, a link, an extension).
    #[error("the MidoNet API does not offer {what}")]
    Unsupported { what: String },
    /// A member looked up in a listing (an address of an IP address group) is not there.
    #[error("{what} is not listed at {url}")]
    NotListed { what: String, url: String },
    /// A 2xx answer that breaks the protocol, such as a create without a `Location`.
    #[error("unexpected answer to {method} {url}: {problem}")]
    Protocol {
        method: String,
        url: String,
        problem: String,
    },
}

impl ClientError {
    /// The HTTP status of a server refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The object (or member) does not exist: a 404, or absent from the listing it belongs to.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404) || matches!(self, ClientError::NotListed { .. })
    }

    /// 409: a duplicate id, a port already linked or bound, a store-level write conflict.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// 400: the request body was refused; [`ClientError::violations`] names the fields.
    pub fn is_bad_request(&self) -> bool {
        self.status() == Some(400)
    }

    /// The server could not be asked, or said it cannot answer now (503): worth a retry later.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ClientError::Unreachable { .. }) || self.status() == Some(503)
    }

    /// `(property, message)` pairs of a validation failure.
    pub fn violations(&self) -> &[(String, String)] {
        match self {
            ClientError::Api { violations, .. } => violations,
            _ => &[],
        }
    }

    /// Builds the error for a non-2xx answer from its status and body. MidoNet's body is
    /// `{"message", "code", "violations"}`; anything else is kept as the message text.
    pub(crate) fn from_answer(method: &str, url: &str, status: u16, body: &[u8]) -> Self {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let message = parsed
            .as_ref()
            .and_then(|v| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                // A proxy's HTML page can be long: keep the start, enough to recognise it.
                text.chars().take(300).collect()
            });
        let violations = parsed
            .as_ref()
            .and_then(|v| v.get("violations"))
            .and_then(Value::as_array)
            .map(|list| list.iter().flat_map(violation_pairs).collect())
            .unwrap_or_default();
        ClientError::Api {
            status,
            message,
            violations,
            method: method.to_string(),
            url: url.to_string(),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    /// The body of a server refusal exactly as it was sent (empty for other errors).
    pub fn body(&self) -> &str {
        match self {
            ClientError::Api { body, .. } => body,
            _ => "",
        }
    }
}

/// One entry of `violations`. MidoNet v5 writes `{"property": p, "message": m}`
/// (`ResponseUtils.buildValidationErrorResponse`); some servers write `{p: m}`. Both are read.
fn violation_pairs(entry: &Value) -> Vec<(String, String)> {
    let Some(map) = entry.as_object() else {
        return Vec::new();
    };
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    if let (Some(p), Some(m)) = (map.get("property"), map.get("message")) {
        return vec![(text(p), text(m))];
    }
    map.iter().map(|(p, m)| (p.clone(), text(m))).collect()
}

/// `409 Conflict on POST <url>: <message> (<violations it does not spell out>)`.
fn api_line(
    status: u16,
    method: &str,
    url: &str,
    message: &str,
    violations: &[(String, String)],
) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    let detail = detail(message, violations);
    if detail.is_empty() {
        format!("{status}{reason} on {method} {url}")
    } else {
        format!("{status}{reason} on {method} {url}: {detail}")
    }
}

/// The message, followed by the violations it does not already spell out.
fn detail(message: &str, violations: &[(String, String)]) -> String {
    let missing: Vec<String> = violations
        .iter()
        .filter(|(p, m)| !(message.contains(p.as_str()) && message.contains(m.as_str())))
        .map(|(p, m)| format!("{p}: {m}"))
        .collect();
    match (message.is_empty(), missing.is_empty()) {
        (_, true) => message.to_string(),
        (true, false) => missing.join("; "),
        (false, false) => format!("{message} ({})", missing.join("; ")),
    }
}

/// The innermost cause of a transport error ("Connection refused (os error 111)"): reqwest's
/// own text only says a request failed, which tells an operator nothing.
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_timeout() {
        format!("timed out ({cause})")
    } else {
        cause.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midonet_error_bodies_become_status_message_and_violations() {
        let body = br#"{"message": "Validation error(s) found", "code": 400,
            "violations": [{"property": "tpDst", "message": "port range 0-65535 is outside 1..65535"}]}"#;
        let e = ClientError::from_answer("POST", "http://h/midonet-api/chains/c/rules", 400, body);
        assert!(e.is_bad_request());
        assert_eq!(
            e.violations(),
            [(
                "tpDst".to_string(),
                "port range 0-65535 is outside 1..65535".to_string()
            )]
        );
        assert_eq!(
            e.to_string(),
            "400 Bad Request on POST http://h/midonet-api/chains/c/rules: Validation error(s) found \
             (tpDst: port range 0-65535 is outside 1..65535)"
        );
    }

    #[test]
    fn property_keyed_violations_are_read_and_not_repeated() {
        let body = br#"{"message": "position: must be at most 3", "code": 400,
            "violations": [{"position": "must be at most 3"}]}"#;
        let e = ClientError::from_answer("POST", "http://h/r", 400, body);
        assert_eq!(e.violations()[0].0, "position");
        assert_eq!(
            e.to_string(),
            "400 Bad Request on POST http://h/r: position: must be at most 3"
        );
    }

    #[test]
    fn conflicts_read_like_an_operator_expects() {
        let body = br#"{"message": "Ports are not linkable: port a is already linked to port b", "code": 409}"#;
        let e = ClientError::from_answer("POST", "http://h/midonet-api/ports/a/link", 409, body);
        assert!(e.is_conflict() && !e.is_not_found());
        assert_eq!(
            e.to_string(),
            "409 Conflict on POST http://h/midonet-api/ports/a/link: \
             Ports are not linkable: port a is already linked to port b"
        );
    }

    #[test]
    fn a_body_that_is_not_midonet_json_is_kept_as_the_message() {
        let e = ClientError::from_answer("GET", "http://h/x", 502, b"  Bad Gateway from proxy \n");
        assert_eq!(
            e.to_string(),
            "502 Bad Gateway on GET http://h/x: Bad Gateway from proxy"
        );
        let empty = ClientError::from_answer("DELETE", "http://h/x", 404, b"");
        assert!(empty.is_not_found());
        assert_eq!(empty.to_string(), "404 Not Found on DELETE http://h/x");
    }
}
