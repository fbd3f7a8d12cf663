//! Our gateway's history (`/history`, an extension a real MidoNet does not have): the recorded
//! changes of one object, and the GNI versions the translator applied, which the translator
//! reports here after each cycle.

use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::rest::{decode_json, encode};
use crate::{ClientError, MidonetClient};

/// The root key advertising the history endpoints.
pub const HISTORY: &str = "history";

impl MidonetClient {
    fn history_uri(&self, path: &str, query: &[(&str, String)]) -> Result<String, ClientError> {
        let base = self.root().uri(HISTORY)?;
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let url = reqwest::Url::parse_with_params(&url, query).map_err(|e| {
            ClientError::Unsupported {
                what: format!("a history URL from {url}: {e}"),
            }
        })?;
        Ok(url.to_string())
    }

    async fn history_get(&self, uri: &str) -> Result<Value, ClientError> {
        let answer = self
            .send(Method::GET, uri, Some("application/json"), None)
            .await?;
        decode_json(uri, &answer.body)
    }

    /// The last `limit` (the gateway's default: 100) recorded changes of object `id`, oldest
    /// first: `{"id", "changes": [{"revision", "seq", "atMs", "tenant", "operation", "class",
    /// "id", "before", "after"}]}`.
    pub async fn object_history(
        &self,
        id: Uuid,
        limit: Option<usize>,
    ) -> Result<Value, ClientError> {
        let query: Vec<(&str, String)> = limit.map(|n| ("limit", n.to_string())).into_iter().collect();
        let uri = self.history_uri(&format!("/objects/{id}"), &query)?;
        self.history_get(&uri).await
    }

    /// The last `limit` GNI versions applied (or failed), of `version` only when given:
    /// `{"applies": [{"atMs", "version", "operations", "durationMs", "errors"}]}`.
    pub async fn gni_applies(
        &self,
        version: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Value, ClientError> {
        let mut query = Vec::new();
        if let Some(v) = version {
            query.push(("version", v.to_string()));
        }
        if let Some(n) = limit {
            query.push(("limit", n.to_string()));
        }
        let uri = self.history_uri("/versions", &query)?;
        self.history_get(&uri).await
    }

    /// Reports one translator cycle (`{"version", "operations", "durationMs", "errors"}`).
    /// `Ok(false)` when the API keeps no history (a MidoNet, or a gateway without a state
    /// store), so the caller can carry on.
    pub async fn report_gni_apply(&self, report: &Value) -> Result<bool, ClientError> {
        if !self.supports(HISTORY) {
            return Ok(false);
        }
        let uri = self.history_uri("/versions", &[])?;
        let body = encode("POST", &uri, report)?;
        let json = "application/json";
        match self
            .send(Method::POST, &uri, Some(json), Some((json, body)))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}
