//! History and flow state through the API: writes recorded off the request path with their
//! before and after, the translator's version reports, the change feed answering old windows
//! from history, and flow state that a later gateway's trace of the reply sees. On the
//! embedded state store, and on ZooKeeper with Cassandra (the in-memory CQL server).

mod common;

use std::time::Duration;

use api_gateway::state::config::{CassandraConfig, DEFAULT_FLOW_TTL};
use api_gateway::state::StateConfig;
use api_gateway::{StateOptions, StoreConfig};
use common::Gateway;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn embedded_state(dir: &std::path::Path) -> StateOptions {
    StateOptions {
        store: StateConfig::Embedded {
            dir: dir.to_path_buf(),
        },
        history: true,
        flow_ttl: DEFAULT_FLOW_TTL,
    }
}

fn cassandra_state(server: &cql_test_server::CqlTestServer) -> StateOptions {
    StateOptions {
        store: StateConfig::Cassandra(CassandraConfig::new(vec![server.addr().to_string()])),
        history: true,
        flow_ttl: DEFAULT_FLOW_TTL,
    }
}

/// A gateway over `config` with `state` attached.
async fn gateway(config: &StoreConfig, state: &StateOptions) -> Gateway {
    let store = api_gateway::open_store(config).await.expect("open store");
    api_gateway::attach_state(&store, state)
        .await
        .expect("attach state");
    Gateway::serve(store, None).await
}

async fn embedded_gateway() -> (Gateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig::Embedded {
        dir: dir.path().to_path_buf(),
    };
    (gateway(&config, &embedded_state(dir.path())).await, dir)
}

/// Waits until the history writer stored everything committed so far.
async fn flushed(gw: &Gateway) {
    let writer = gw
        .store
        .state()
        .and_then(|s| s.writer.as_ref())
        .expect("history on");
    writer.flush().await;
}

#[tokio::test]
async fn every_write_is_recorded_with_its_before_after_and_tenant() {
    let (gw, _dir) = embedded_gateway().await;
    let r = gw
        .create("/routers", json!({"name": "r1", "tenantId": "acme"}))
        .await;
    gw.put(
        &format!("/routers/{r}"),
        json!({"name": "r2", "tenantId": "acme"}),
    )
    .await;
    let p = gw
        .create(
            &format!("/routers/{r}/ports"),
            json!({"portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}),
        )
        .await;
    gw.delete(&format!("/routers/{r}")).await;
    flushed(&gw).await;

    let history = gw.get(&format!("/history/objects/{r}")).await;
    let changes = history["changes"].as_array().expect("changes");
    let ops: Vec<&str> = changes
        .iter()
        .map(|c| c["operation"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["create", "update", "update", "delete"], "{history:#}");
    assert_eq!(changes[0]["before"], Value::Null);
    assert_eq!(changes[0]["after"]["name"], "r1");
    assert_eq!(changes[1]["before"]["name"], "r1");
    assert_eq!(changes[1]["after"]["name"], "r2");
    assert_eq!(changes[3]["after"], Value::Null);
    assert!(changes
        .iter()
        .all(|c| c["tenant"] == "acme" && c["class"] == "Router"));
    let revisions: Vec<i64> = changes
        .iter()
        .map(|c| c["revision"].as_i64().unwrap())
        .collect();
    assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");
    // The port was created and then deleted by the router's cascade; it has no tenant.
    let port = gw.get(&format!("/history/objects/{p}")).await;
    let port_ops: Vec<&str> = port["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["operation"].as_str().unwrap())
        .collect();
    assert_eq!(port_ops, ["create", "delete"]);
    assert_eq!(port["changes"][0]["tenant"], "");
    // A limit keeps the newest.
    let last = gw.get(&format!("/history/objects/{r}?limit=1")).await;
    assert_eq!(last["changes"][0]["operation"], "delete");
    gw.refused(
        Method::GET,
        &format!("/history/objects/{r}?limit=0"),
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let status = gw.get("/history").await;
    assert_eq!(status["history"], true);
    assert_eq!(status["dropped"], 0);
    assert!(status["recorded"].as_u64().unwrap() >= 6, "{status}");
}

#[tokio::test]
async fn a_gateway_without_a_state_store_says_it_keeps_no_history() {
    let gw = Gateway::embedded().await;
    let msg = gw
        .refused(Method::GET, "/history", None, StatusCode::NOT_FOUND)
        .await;
    assert!(msg.contains("no state store"), "{msg}");
}

#[tokio::test]
async fn translator_version_reports_are_listed_by_version() {
    let (gw, _dir) = embedded_gateway().await;
    for (at, version, errors) in [
        (1000, "7", json!([])),
        (2000, "8", json!(["POST /routers: 503"])),
        (3000, "8", json!([])),
    ] {
        let body = json!({"atMs": at, "version": version, "operations": 4, "durationMs": 12, "errors": errors});
        let a = gw
            .call(Method::POST, "/history/versions", Some(&body))
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert_eq!(a.body["version"], version);
    }
    let all = gw.get("/history/versions").await;
    assert_eq!(all["applies"].as_array().unwrap().len(), 3);
    let eight = gw.get("/history/versions?version=8").await;
    let eight = eight["applies"].as_array().unwrap();
    assert_eq!(eight.len(), 2);
    assert_eq!(eight[0]["errors"], json!(["POST /routers: 503"]));
    assert_eq!(eight[1]["atMs"], 3000);
    let latest = gw.get("/history/versions?limit=1").await;
    assert_eq!(latest["applies"][0]["atMs"], 3000);
    // Bad reports change nothing.
    gw.refused(
        Method::POST,
        "/history/versions",
        Some(json!({"version": " ", "operations": 1, "durationMs": 1})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    gw.refused(
        Method::POST,
        "/history/versions",
        Some(json!({"version": "9", "operations": -1, "durationMs": 1})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        gw.get("/history/versions").await["applies"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

/// Two exterior ports on a bridge whose inbound chain accepts return flow first, so the
/// simulator tracks connections; answers (bridge, port a, port b).
async fn two_bound_ports(gw: &Gateway) -> (String, String, String) {
    let host = gw
        .call(
            Method::POST,
            "/admin/hosts",
            Some(&json!({"name": "node1", "addresses": ["10.111.1.11"],
                "hostInterfaces": [{"name": "eth0", "mac": "52:54:00:00:00:01", "addresses": ["10.111.1.11"]}]})),
        )
        .await;
    assert_eq!(host.status, StatusCode::CREATED, "{}", host.body);
    let h = host
        .location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let tz = gw
        .create("/tunnel_zones", json!({"name": "tz", "type": "gre"}))
        .await;
    gw.create(
        &format!("/tunnel_zones/{tz}/hosts"),
        json!({"hostId": h, "ipAddress": "10.111.1.11"}),
    )
    .await;
    let chain = gw.create("/chains", json!({"name": "in"})).await;
    gw.create(
        &format!("/chains/{chain}/rules"),
        json!({"type": "accept", "matchReturnFlow": true, "position": 1}),
    )
    .await;
    let b = gw
        .create("/bridges", json!({"name": "b", "inboundFilterId": chain}))
        .await;
    let pa = gw.create(&format!("/bridges/{b}/ports"), json!({})).await;
    let pb = gw.create(&format!("/bridges/{b}/ports"), json!({})).await;
    for (p, iface, mac) in [
        (&pa, "vn_a", "02:00:00:00:00:0a"),
        (&pb, "vn_b", "02:00:00:00:00:0b"),
    ] {
        gw.create(
            &format!("/hosts/{h}/ports"),
            json!({"portId": p, "interfaceName": iface}),
        )
        .await;
        gw.create(
            &format!("/bridges/{b}/mac_table"),
            json!({"macAddr": mac, "portId": p}),
        )
        .await;
    }
    (b, pa, pb)
}

fn trace(from: &str, src: (&str, &str, u16), dst: (&str, &str, u16)) -> Value {
    json!({
        "ingressPortId": from,
        "ethSrc": src.0, "nwSrc": src.1, "tpSrc": src.2,
        "ethDst": dst.0, "nwDst": dst.1, "tpDst": dst.2,
        "proto": "tcp",
    })
}

/// The request traced on `first`, its reply on `second` (a later process over the same
/// stores): the reply is return flow only through the stored flow state.
async fn reply_sees_the_stored_request(first: &Gateway, second: &Gateway, pa: &str, pb: &str) {
    let a = ("02:00:00:00:00:0a", "10.0.0.10", 40000);
    let b = ("02:00:00:00:00:0b", "10.0.0.11", 22);
    let request = first
        .call(Method::POST, "/simulations", Some(&trace(pa, a, b)))
        .await;
    assert_eq!(request.status, StatusCode::OK, "{}", request.body);
    let verdict = request.body["request"]["verdict"]
        .as_str()
        .unwrap_or_default();
    assert!(verdict.starts_with("delivered"), "{:#}", request.body);
    assert!(request.body["flowState"]["stored"].as_u64().unwrap() > 0);
    // Without the stored state the reply is a new connection ...
    let mut alone = trace(pb, b, a);
    alone["flowState"] = json!(false);
    let fresh = second
        .call(Method::POST, "/simulations", Some(&alone))
        .await;
    assert_eq!(
        fresh.body["request"]["returnFlow"], false,
        "{:#}",
        fresh.body
    );
    // ... with it, return flow.
    let reply = second
        .call(Method::POST, "/simulations", Some(&trace(pb, b, a)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.body["request"]["returnFlow"], true,
        "{:#}",
        reply.body
    );
    assert!(reply.body["flowState"]["loaded"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn flow_state_outlives_the_gateway_that_traced_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig::Embedded {
        dir: dir.path().join("topology"),
    };
    let state = embedded_state(&dir.path().join("state"));
    // The topology in one gateway; the request traced by a gateway over a separate topology
    // file but the same state file is not possible (both files are locked), so the second
    // "process" is a fresh gateway after the first is gone.
    let (pa, pb) = {
        let gw = gateway(&config, &state).await;
        let (_, pa, pb) = two_bound_ports(&gw).await;
        let a = ("02:00:00:00:00:0a", "10.0.0.10", 40000);
        let b = ("02:00:00:00:00:0b", "10.0.0.11", 22);
        let request = gw
            .call(Method::POST, "/simulations", Some(&trace(&pa, a, b)))
            .await;
        assert!(
            request.body["flowState"]["stored"].as_u64().unwrap() > 0,
            "{:#}",
            request.body
        );
        (pa, pb)
    };
    // The first gateway's files are released once its tasks end.
    let later = loop {
        let store = api_gateway::open_store(&config).await;
        if let Ok(store) = store {
            if api_gateway::attach_state(&store, &state).await.is_ok() {
                break Gateway::serve(store, None).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let a = ("02:00:00:00:00:0a", "10.0.0.10", 40000);
    let b = ("02:00:00:00:00:0b", "10.0.0.11", 22);
    let reply = later
        .call(Method::POST, "/simulations", Some(&trace(&pb, b, a)))
        .await;
    assert_eq!(
        reply.body["request"]["returnFlow"], true,
        "{:#}",
        reply.body
    );
    let _ = pa;
}

#[tokio::test]
async fn on_zookeeper_and_cassandra_a_second_gateway_answers_from_history_and_flow_state() {
    let Some(zk) = api_gateway::testing::zookeeper_or_skip().await else {
        return;
    };
    let cql = cql_test_server::CqlTestServer::start().expect("CQL test server");
    let config = StoreConfig::ZooKeeper {
        connect: zk.connect_string(),
        root: "/midonet".into(),
    };
    let state = cassandra_state(&cql);
    let first = gateway(&config, &state).await;
    let start = first.get("/changes").await["revision"].as_i64().unwrap();
    let r1 = first.create("/routers", json!({"name": "r1"})).await;
    let r2 = first.create("/routers", json!({"name": "r2"})).await;
    first.delete(&format!("/routers/{r1}")).await;
    let (_, pa, pb) = two_bound_ports(&first).await;
    flushed(&first).await;

    // The second gateway loaded after those writes: its mirror cannot say what happened
    // since `start`, its history can.
    let second = gateway(&config, &state).await;
    let plain = Gateway::start(config.clone()).await;
    plain
        .refused(
            Method::GET,
            &format!("/changes?since={start}"),
            None,
            StatusCode::GONE,
        )
        .await;
    let answer = second.get(&format!("/changes?since={start}")).await;
    assert_eq!(answer["more"], true, "{answer:#}");
    let changed = answer["changed"].as_array().unwrap();
    let of = |id: &str| -> Vec<(bool, i64)> {
        changed
            .iter()
            .filter(|c| c["id"] == id)
            .map(|c| {
                (
                    c["deleted"].as_bool().unwrap(),
                    c["revision"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let r1_changes = of(&r1);
    assert_eq!(
        r1_changes.iter().map(|c| c.0).collect::<Vec<_>>(),
        [false, true],
        "created then deleted: {answer:#}"
    );
    assert_eq!(of(&r2).len(), 1);
    // Following on from the answer's revision reaches the mirror and the present.
    let revision = answer["revision"].as_i64().unwrap();
    let next = second.get(&format!("/changes?since={revision}")).await;
    assert_eq!(next["more"], false, "{next:#}");

    reply_sees_the_stored_request(&first, &second, &pa, &pb).await;

    // Both gateways read one history.
    let seen_by_second = second.get(&format!("/history/objects/{r1}")).await;
    assert_eq!(seen_by_second["changes"].as_array().unwrap().len(), 2);
}
