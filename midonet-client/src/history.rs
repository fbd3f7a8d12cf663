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
        let url =
            reqwest::Url::parse_with_params(&url, query).map_err(|e| ClientError::Unsupported {
                what: format!("a history URL from {url}: {e}"),
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
        let query: Vec<(&str, String)> = limit
            .map(|n| ("limit", n.to_string()))
            .into_iter()
            .collect();
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

/// Milliseconds since the epoch as an RFC 3339 UTC time.
pub fn utc(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(utc(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59.999Z");
    }
}
