//! Reports each cycle to the gateway's history (`POST /history/versions`: the GNI version,
//! operations sent, how long, what failed), so `translator history` can later say what a
//! version did; and prints those records. A gateway that keeps no history (a real MidoNet)
//! is skipped quietly; a failed report is logged and never fails the cycle.

use std::time::Duration;

use midonet_client::{utc, MidonetClient};
use serde_json::{json, Value};

use crate::engine::CycleReport;

/// The record of one cycle: `report` when it ran, `error` when it could not.
pub fn record(
    version: &str,
    elapsed: Duration,
    report: Option<&CycleReport>,
    error: Option<String>,
) -> Value {
    let mut errors: Vec<String> = report
        .map(|r| {
            r.apply
                .failed
                .iter()
                .map(|(op, e)| format!("{op}: {e}"))
                .collect()
        })
        .unwrap_or_default();
    errors.extend(error);
    json!({
        "version": version,
        "operations": report.map_or(0, |r| r.apply.sent),
        "durationMs": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        "errors": errors,
    })
}

/// Sends `record` to the gateway's history; logs what went wrong.
pub async fn report(client: &MidonetClient, record: &Value) {
    match client.report_gni_apply(record).await {
        Ok(true) => {}
        Ok(false) => tracing::debug!("the API keeps no history; cycle not recorded"),
        Err(e) => tracing::warn!("cannot record the cycle in the gateway's history: {e}"),
    }
}

/// One recorded cycle as a line: `2026-11-22T09:30:00.123Z version 42: 12 operations in
/// 340 ms, ok` (or the errors).
pub fn line(a: &Value) -> String {
    let at = a["atMs"].as_i64().map_or_else(|| "?".into(), utc);
    let errors: Vec<&str> = a["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let outcome = if errors.is_empty() {
        "ok".to_string()
    } else {
        format!("{} errors: {}", errors.len(), errors.join("; "))
    };
    format!(
        "{at} version {}: {} operations in {} ms, {outcome}",
        a["version"].as_str().unwrap_or("?"),
        a["operations"],
        a["durationMs"],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_says_when_what_and_how_it_ended() {
        let ok =
            json!({"atMs": 0, "version": "42", "operations": 12, "durationMs": 340, "errors": []});
        assert_eq!(
            line(&ok),
            "1970-01-01T00:00:00.000Z version 42: 12 operations in 340 ms, ok"
        );
        let failed = json!({"atMs": 0, "version": "43", "operations": 0, "durationMs": 5,
            "errors": ["cannot reach the MidoNet API"]});
        assert!(line(&failed).ends_with("1 errors: cannot reach the MidoNet API"));
    }

    #[test]
    fn a_record_without_a_report_carries_the_error() {
        let r = record(
            "7",
            Duration::from_millis(15),
            None,
            Some("unreachable".into()),
        );
        assert_eq!(
            r,
            json!({"version": "7", "operations": 0, "durationMs": 15, "errors": ["unreachable"]})
        );
    }
}
