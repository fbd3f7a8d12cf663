//! The root resource as the client keeps it: the API version, one URI per collection and one
//! `<collection>/{id}` template per resource. Every path the client uses starts here or at a link
//! of an object reached from here; none is written into the client.

use serde_json::{Map, Value};

use crate::ClientError;

/// Root key of a batch endpoint, should a server offer one (see [`Root::supports`]).
pub const BATCH: &str = "batch";
/// Root key of a change feed, should a server offer one.
pub const CHANGES: &str = "changes";
/// Root key of our gateway's host registration extension (`POST` a `Host`).
pub const ADMIN_HOSTS: &str = "adminHosts";

/// The root document (`GET <api url>`, `Application-v5`).
#[derive(Debug, Clone)]
pub struct Root {
    url: String,
    document: Map<String, Value>,
}

impl Root {
    pub(crate) fn new(url: &str, document: Value) -> Result<Self, ClientError> {
        match document {
            Value::Object(document) => Ok(Root {
                url: url.to_string(),
                document,
            }),
            other => Err(ClientError::Protocol {
                method: "GET".into(),
                url: url.into(),
                problem: format!(
                    "the root resource is not a JSON object but {}",
                    kind_of(&other)
                ),
            }),
        }
    }

    /// A root with nothing advertised yet, until the real one is read.
    pub(crate) fn empty(url: &str) -> Self {
        Root {
            url: url.to_string(),
            document: Map::new(),
        }
    }

    /// The URL the client was given (where the root resource was read).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `version`: `v5.0` on MidoNet 5.x, `v1.9` on 1.x.
    pub fn version(&self) -> Option<&str> {
        self.get("version")
    }

    /// The string under `key` (a collection URI or a template), if advertised.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.document.get(key).and_then(Value::as_str)
    }

    /// Whether the server advertises `key` (e.g. [`BATCH`], [`ADMIN_HOSTS`]). Optional
    /// endpoints are found this way, so the same client runs against a real MidoNet, which
    /// advertises none of our extensions, and falls back to plain calls there.
    pub fn supports(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The whole document, for keys this crate has no method for.
    pub fn document(&self) -> &Map<String, Value> {
        &self.document
    }

    /// The URI under `key`, or `Unsupported` naming the key.
    pub(crate) fn uri(&self, key: &str) -> Result<&str, ClientError> {
        self.get(key).ok_or_else(|| ClientError::Unsupported {
            what: format!("`{key}` (not in the root resource at {})", self.url),
        })
    }

    /// The template under `key` with `{id}` replaced, as MidoNet's own clients do.
    pub(crate) fn expand(&self, key: &str, id: &str) -> Result<String, ClientError> {
        Ok(self.uri(key)?.replace("{id}", id))
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_expand_and_missing_keys_are_unsupported() {
        let root = Root::new(
            "http://h/midonet-api",
            json!({"version": "v5.0", "routerTemplate": "http://h/midonet-api/routers/{id}"}),
        )
        .unwrap();
        assert_eq!(root.version(), Some("v5.0"));
        assert_eq!(
            root.expand("routerTemplate", "r1").unwrap(),
            "http://h/midonet-api/routers/r1"
        );
        assert!(!root.supports(BATCH));
        let e = root.uri("bridges").unwrap_err();
        assert!(matches!(e, ClientError::Unsupported { .. }), "{e}");
        assert!(e.to_string().contains("`bridges`"), "{e}");
    }

    #[test]
    fn a_root_that_is_not_an_object_is_a_protocol_error() {
        let e = Root::new("http://h/", json!([1])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unexpected answer to GET http://h/: the root resource is not a JSON object but an array"
        );
    }
}
