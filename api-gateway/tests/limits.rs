//! The gateway's limits answer clearly and change nothing: a body over the limit is 413 in
//! MidoNet's error format (the batch endpoint's larger limit too), and a change-feed page size
//! out of range is 400 naming the allowed range.

mod common;

use api_gateway::api::changes::MAX_LIMIT;
use common::Gateway;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn bodies_over_the_limit_are_413_and_change_nothing() {
    let gw = Gateway::embedded().await;
    let before = gw.snapshot().await;
    let padding = "y".repeat(api_gateway::http::MAX_BODY + 1);
    let msg = gw
        .refused(
            Method::POST,
            "/bridges",
            Some(json!({"name": "b", "padding": padding})),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    assert_eq!(
        msg,
        format!(
            "request body is larger than {} bytes",
            api_gateway::http::MAX_BODY
        )
    );
    // A batch may be larger than one object's body, but not unbounded.
    let op = json!({"op": "create", "path": "/bridges", "body": {"name": "x".repeat(1024)}});
    let big_batch = json!({"operations": vec![op; 34 * 1024]});
    let msg = gw
        .refused(
            Method::POST,
            "/batch",
            Some(big_batch),
            StatusCode::PAYLOAD_TOO_LARGE,
        )
        .await;
    assert!(msg.starts_with("request body is larger than "), "{msg}");
    assert_eq!(gw.snapshot().await, before, "nothing was written");
}

#[tokio::test]
async fn a_change_page_size_out_of_range_is_refused_with_the_range() {
    let gw = Gateway::embedded().await;
    for limit in ["0".to_string(), (MAX_LIMIT + 1).to_string()] {
        let msg = gw
            .refused(
                Method::GET,
                &format!("/changes?since=0&limit={limit}"),
                None,
                StatusCode::BAD_REQUEST,
            )
            .await;
        assert_eq!(
            msg,
            format!("limit: {limit} is not a page size; ask for 1 to {MAX_LIMIT} changes")
        );
    }
    let msg = gw
        .refused(
            Method::GET,
            "/changes?since=0&limit=many",
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(msg.contains("limit"), "{msg}");
    let page = gw.get(&format!("/changes?since=0&limit={MAX_LIMIT}")).await;
    assert_eq!(page["more"], false, "{page}");
}
