//! Two clients writing the same port at once through two gateways on one ZooKeeper: optimistic
//! concurrency (a version check per key, re-run on conflict) lets each update land whole or be
//! refused whole, and both gateways end up showing the same port, with back-references that
//! match it; of two links of one port to different peers exactly one wins. The store is
//! fsck-clean after every round. (Concurrent rule inserts into one chain are in
//! `zookeeper_gateways.rs`.)

mod common;

use std::time::{Duration, Instant};

use api_gateway::StoreConfig;
use common::Gateway;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn zk_config(zk: &api_gateway::testing::ZkServer) -> StoreConfig {
    StoreConfig::ZooKeeper {
        connect: zk.connect_string(),
        root: "/midonet".into(),
    }
}

/// `v` with the gateway's own address taken out of its links, to compare two gateways' answers.
fn unaddressed(gw: &Gateway, v: Value) -> Value {
    serde_json::from_str(&v.to_string().replace(&gw.base, "")).expect("json")
}

/// Waits until both gateways answer the same body for `path`, and answers it.
async fn agreed(a: &Gateway, b: &Gateway, path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (x, y) = (
            a.call(Method::GET, path, None).await,
            b.call(Method::GET, path, None).await,
        );
        let (x, y) = (
            (x.status, unaddressed(a, x.body)),
            (y.status, unaddressed(b, y.body)),
        );
        if x == y && x.0 == StatusCode::OK {
            return x.1;
        }
        assert!(Instant::now() < deadline, "{path}: {x:?} vs {y:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn fsck_clean(config: &StoreConfig) {
    let backend = api_gateway::open_backend(config).await.expect("backend");
    let report = api_gateway::fsck::run(backend.as_ref())
        .await
        .expect("fsck");
    assert!(report.is_clean(), "{report}");
}

#[tokio::test]
async fn concurrent_updates_of_one_port_land_whole_and_both_gateways_agree() {
    let Some(zk) = api_gateway::testing::zookeeper_or_skip().await else {
        return;
    };
    let config = zk_config(&zk);
    let a = Gateway::start(config.clone()).await;
    let b = Gateway::start(config.clone()).await;
    let bridge = a.create("/bridges", json!({"name": "b"})).await;
    let port = a
        .create(&format!("/bridges/{bridge}/ports"), json!({}))
        .await;
    let chain_a = a.create("/chains", json!({"name": "a"})).await;
    let chain_b = a.create("/chains", json!({"name": "b"})).await;
    let path = format!("/ports/{port}");
    agreed(&a, &b, &path).await;
    agreed(&a, &b, &format!("/chains/{chain_b}")).await;

    for round in 0..20u16 {
        let body_a = json!({"type": "Bridge", "adminStateUp": false, "vlanId": 100 + round, "inboundFilterId": chain_a});
        let body_b = json!({"type": "Bridge", "adminStateUp": true, "vlanId": 200 + round, "inboundFilterId": chain_b});
        let (ra, rb) = tokio::join!(
            a.call(Method::PUT, &path, Some(&body_a)),
            b.call(Method::PUT, &path, Some(&body_b)),
        );
        for r in [&ra, &rb] {
            assert!(
                r.status == StatusCode::NO_CONTENT || r.status == StatusCode::CONFLICT,
                "round {round}: {} {}",
                r.status,
                r.body
            );
        }
        assert!(
            ra.status == StatusCode::NO_CONTENT || rb.status == StatusCode::NO_CONTENT,
            "round {round}: at least one update lands"
        );
        let shown = agreed(&a, &b, &path).await;
        // All of one writer's fields, none of the other's.
        let from_a = shown["vlanId"] == 100 + round;
        let from_b = shown["vlanId"] == 200 + round;
        assert!(from_a ^ from_b, "round {round}: {shown}");
        let (winner, loser) = if from_a {
            (&chain_a, &chain_b)
        } else {
            (&chain_b, &chain_a)
        };
        assert_eq!(shown["adminStateUp"], !from_a, "round {round}: {shown}");
        assert_eq!(shown["inboundFilterId"], winner.as_str(), "round {round}");
        assert_eq!(
            if from_a { &ra.status } else { &rb.status },
            &StatusCode::NO_CONTENT,
            "the version shown was acknowledged"
        );
        // The chains' back-references follow the winner, on both gateways.
        let stored = a
            .store
            .get(topology::Class::Chain, winner.parse().unwrap())
            .expect("winner chain");
        assert_eq!(stored["portInboundIds"], json!([port]), "round {round}");
        let stored = a
            .store
            .get(topology::Class::Chain, loser.parse().unwrap())
            .expect("loser chain");
        assert_eq!(stored["portInboundIds"], json!([]), "round {round}");
    }
    fsck_clean(&config).await;
}

#[tokio::test]
async fn of_two_concurrent_links_of_one_port_exactly_one_wins() {
    let Some(zk) = api_gateway::testing::zookeeper_or_skip().await else {
        return;
    };
    let config = zk_config(&zk);
    let a = Gateway::start(config.clone()).await;
    let b = Gateway::start(config.clone()).await;
    let router = a.create("/routers", json!({"name": "r"})).await;
    let bridge = a.create("/bridges", json!({"name": "b"})).await;
    for round in 0..10 {
        let port = a
            .create(&format!("/bridges/{bridge}/ports"), json!({}))
            .await;
        let mut peers = Vec::new();
        for side in 0..2 {
            let body = json!({"portAddress": format!("10.{round}.{side}.1"),
                              "networkAddress": format!("10.{round}.{side}.0"), "networkLength": 24});
            peers.push(a.create(&format!("/routers/{router}/ports"), body).await);
        }
        agreed(&a, &b, &format!("/ports/{}", peers[1])).await;
        agreed(&a, &b, &format!("/ports/{port}")).await;
        let link = format!("/ports/{port}/link");
        let (to_0, to_1) = (json!({"peerId": peers[0]}), json!({"peerId": peers[1]}));
        let (ra, rb) = tokio::join!(
            a.call(Method::POST, &link, Some(&to_0)),
            b.call(Method::POST, &link, Some(&to_1)),
        );
        let won: Vec<usize> = [&ra, &rb]
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == StatusCode::CREATED)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: {} {} / {} {}",
            ra.status,
            ra.body,
            rb.status,
            rb.body
        );
        let loser = if won[0] == 0 { &rb } else { &ra };
        assert_eq!(loser.status, StatusCode::CONFLICT, "{}", loser.body);
        let shown = agreed(&a, &b, &format!("/ports/{port}")).await;
        assert_eq!(shown["peerId"], peers[won[0]].as_str());
        let winner = agreed(&a, &b, &format!("/ports/{}", peers[won[0]])).await;
        assert_eq!(winner["peerId"], port.as_str());
        let other = agreed(&a, &b, &format!("/ports/{}", peers[1 - won[0]])).await;
        assert!(other["peerId"].is_null(), "{other}");
    }
    fsck_clean(&config).await;
}
