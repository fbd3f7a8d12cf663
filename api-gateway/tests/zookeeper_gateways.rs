//! Gateways sharing one real ZooKeeper: each sees the others' writes, concurrent writers
//! resolve through version checks, and a ZooKeeper restart (which expires sessions and
//! drops watches) is survived.

mod common;

use std::time::{Duration, Instant};

use api_gateway::StoreConfig;
use common::Gateway;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn zk_config(zk: &api_gateway::testing::ZkServer) -> StoreConfig {
    StoreConfig::ZooKeeper {
        connect: zk.connect_string(),
        root: "/midonet".into(),
    }
}

/// Polls `path` on `gw` until `check` holds on its status and body, or fails after 10 s.
async fn eventually(
    gw: &Gateway,
    path: &str,
    what: &str,
    check: impl Fn(StatusCode, &serde_json::Value) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let a = gw.call(Method::GET, path, None).await;
        if check(a.status, &a.body) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: last answer {} {}",
            a.status,
            a.body
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn two_gateways_see_each_others_writes() {
    let Some(zk) = api_gateway::testing::zookeeper_or_skip().await else {
        return;
    };
    let a = Gateway::start(zk_config(&zk)).await;
    let b = Gateway::start(zk_config(&zk)).await;
    let r = a.create("/routers", json!({"name": "shared"})).await;
    eventually(&b, &format!("/routers/{r}"), "B sees A's router", |s, v| {
        s == StatusCode::OK && v["name"] == "shared"
    })
    .await;
    let p = b
        .create(
            &format!("/routers/{r}/ports"),
            json!({"portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}),
        )
        .await;
    eventually(
        &a,
        &format!("/routers/{r}/ports"),
        "A sees B's port",
        |_, v| v[0]["id"] == p.as_str(),
    )
    .await;
    eventually(
        &a,
        &format!("/routers/{r}/routes"),
        "A sees the Local route",
        |_, v| v[0]["type"] == "Local",
    )
    .await;
    b.delete(&format!("/routers/{r}")).await;
    eventually(&a, &format!("/routers/{r}"), "A sees the delete", |s, _| {
        s == StatusCode::NOT_FOUND
    })
    .await;
    eventually(&a, &format!("/ports/{p}"), "A sees the cascade", |s, _| {
        s == StatusCode::NOT_FOUND
    })
    .await;
    // A gateway started now loads everything there is.
    let kept = a.create("/bridges", json!({"name": "kept"})).await;
    let c = Gateway::start(zk_config(&zk)).await;
    assert_eq!(c.get(&format!("/bridges/{kept}")).await["name"], "kept");
}

#[tokio::test]
async fn concurrent_writers_to_one_chain_both_land_in_order() {
    let Some(zk) = api_gateway::testing::zookeeper_or_skip().await else {
        return;
    };
    let a = Gateway::start(zk_config(&zk)).await;
    let b = Gateway::start(zk_config(&zk)).await;
    let c = a.create("/chains", json!({"name": "contended"})).await;
    eventually(&b, &format!("/chains/{c}"), "B sees the chain", |s, _| {
        s == StatusCode::OK
    })
    .await;
    let rules = format!("/chains/{c}/rules");
    let per_side = 15;
    let (ra, rb) = tokio::join!(
        async {
            for i in 0..per_side {
                a.create(&rules, json!({"type": "accept", "nwProto": 6, "tpDst": {"start": 1000 + i, "end": 1000 + i}})).await;
            }
        },
        async {
            for i in 0..per_side {
                b.create(&rules, json!({"type": "drop", "nwProto": 17, "tpDst": {"start": 2000 + i, "end": 2000 + i}})).await;
            }
        }
    );
    let _ = (ra, rb);
    let expected = 2 * per_side as usize;
    eventually(
        &a,
        &rules,
        "every rule of both writers is in the chain",
        |_, v| v.as_array().is_some_and(|r| r.len() == expected),
    )
    .await;
    let listed = a.get(&rules).await;
    let positions: Vec<u64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, (1..=expected as u64).collect::<Vec<_>>());
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|r| r.iter().map(|x| x["id"].to_string()).collect())
            .unwrap_or_default()
    };
    let order = ids(&listed);
    eventually(&b, &rules, "B agrees on the order", |_, v| ids(v) == order).await;
}

#[tokio::test]
async fn a_zookeeper_restart_is_survived() {
    let Some(mut zk) = api_gateway::testing::zookeeper_or_skip().await else {
        return;
    };
    let a = Gateway::start(zk_config(&zk)).await;
    let b = Gateway::start(zk_config(&zk)).await;
    let before = a.create("/routers", json!({"name": "before"})).await;
    eventually(
        &b,
        &format!("/routers/{before}"),
        "B sees the first router",
        |s, _| s == StatusCode::OK,
    )
    .await;

    zk.stop();
    // While ZooKeeper is down reads are still served from the mirror, and writes fail cleanly.
    assert_eq!(a.get(&format!("/routers/{before}")).await["name"], "before");
    let down = a
        .call(Method::POST, "/routers", Some(&json!({"name": "during"})))
        .await;
    assert!(
        down.status.is_server_error(),
        "a write without ZooKeeper fails: {} {}",
        down.status,
        down.body
    );
    assert!(
        a.get("/routers").await.as_array().unwrap().len() == 1,
        "the failed write left nothing"
    );
    zk.restart().await.expect("restart ZooKeeper");

    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let r = a
            .call(Method::POST, "/routers", Some(&json!({"name": "after"})))
            .await;
        if r.status == StatusCode::CREATED {
            break r.location.unwrap().rsplit('/').next().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "writes resume after the restart: {} {}",
            r.status,
            r.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eventually(
        &b,
        &format!("/routers/{after}"),
        "B's watch came back",
        |s, _| s == StatusCode::OK,
    )
    .await;
    // A write that went out just as ZooKeeper stopped may have been applied, and then the
    // answer said so; any other failed write left nothing.
    let may_have_landed = down.body["message"]
        .as_str()
        .is_some_and(|m| m.contains("may have been applied"));
    let names = |body: &serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        names
    };
    // The router can show through a read of its own before the resync lists it: wait for all.
    eventually(&b, "/routers", "B lists every router", |s, body| {
        let listed = names(body);
        s == StatusCode::OK
            && (listed == ["after", "before"]
                || may_have_landed && listed == ["after", "before", "during"])
    })
    .await;
}
