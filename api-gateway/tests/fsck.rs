//! `api-gateway fsck` against both backends: a topology written through the API is clean, and
//! what a crash between two writes could leave (a deleted chain its router still filters with,
//! a port its bridge no longer lists) is reported by name with exit code 1.

mod common;

use std::process::Command;

use std::sync::Arc;

use api_gateway::fsck;
use api_gateway::store::backend::{Backend, KvOp, Observed};
use api_gateway::store::embedded::Embedded;
use api_gateway::store::{model_path, Store};
use api_gateway::StoreConfig;
use common::Gateway;
use serde_json::json;
use topology::Class;
use uuid::Uuid;

/// A router filtered by a chain with a rule, a bridge, and a bridge port linked to a router
/// port: every kind of binding the damage below breaks. Returns (router, chain, bridge port).
async fn small_topology(gw: &Gateway) -> (String, String, String) {
    let chain = gw
        .create("/chains", json!({"name": "in", "tenantId": "t"}))
        .await;
    gw.create(
        &format!("/chains/{chain}/rules"),
        json!({"type": "accept", "nwProto": 6}),
    )
    .await;
    let router = gw
        .create(
            "/routers",
            json!({"name": "r", "tenantId": "t", "inboundFilterId": chain}),
        )
        .await;
    let router_port = gw
        .create(
            &format!("/routers/{router}/ports"),
            json!({"portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}),
        )
        .await;
    let bridge = gw
        .create("/bridges", json!({"name": "b", "tenantId": "t"}))
        .await;
    let bridge_port = gw
        .create(&format!("/bridges/{bridge}/ports"), json!({}))
        .await;
    gw.create(
        &format!("/ports/{bridge_port}/link"),
        json!({"peerId": router_port}),
    )
    .await;
    (router, chain, bridge_port)
}

/// Deletes one key behind the integrity table's back, as a crash between two writes could.
async fn remove_key(backend: &dyn Backend, path: String) {
    let observed = backend.read(vec![path.clone()]).await.expect("read");
    let Some(Observed::Present(entry)) = observed.into_iter().next() else {
        panic!("{path} is not stored");
    };
    backend
        .multi(vec![KvOp::Delete {
            path,
            version: entry.stat.version,
        }])
        .await
        .expect("delete behind the table's back");
}

/// Runs `api-gateway fsck` with `args`; returns its exit code and stdout.
fn run_fsck(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_api-gateway"))
        .arg("fsck")
        .args(args)
        .output()
        .expect("run api-gateway fsck");
    let code = out.status.code().expect("exit code");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(code == 0 || code == 1, "fsck failed to check: {stderr}");
    (code, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn assert_damage_reported(code: i32, out: &str, router: &str, chain: &str, bridge_port: &str) {
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "dangling reference: router {router} inboundFilterId names chain {chain}, which does not exist"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "one-sided reference: port {bridge_port} deviceId names bridge"
        )),
        "{out}"
    );
    assert!(out.trim_end().ends_with("problems"), "{out}");
}

/// The embedded file is locked by the process that has it open, so this runs the check
/// in-process on the gateway's own backend; the ZooKeeper test below runs the binary.
#[tokio::test]
async fn fsck_of_the_embedded_store_is_clean_then_names_the_damage() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> =
        Arc::new(Embedded::open(dir.path()).expect("open embedded store"));
    let store = Store::open(backend.clone()).await.expect("load");
    let gw = Gateway::serve(store, None).await;
    let (router, chain, bridge_port) = small_topology(&gw).await;
    let report = fsck::run(backend.as_ref()).await.expect("fsck");
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.objects.get(&Class::Port), Some(&2), "{report}");

    damage(backend.as_ref(), &chain, &bridge_port).await;
    let report = fsck::run(backend.as_ref()).await.expect("fsck");
    assert_damage_reported(1, &report.to_string(), &router, &chain, &bridge_port);
}

#[tokio::test]
async fn fsck_of_a_zookeeper_store_is_clean_then_names_the_damage() {
    let Some(zk) = api_gateway::testing::zookeeper_or_skip().await else {
        return;
    };
    let config = StoreConfig::ZooKeeper {
        connect: zk.connect_string(),
        root: "/midonet".into(),
    };
    let gw = Gateway::start(config.clone()).await;
    let (router, chain, bridge_port) = small_topology(&gw).await;
    let connect = zk.connect_string();
    let args = ["--store", "zookeeper", "--zookeeper", connect.as_str()];
    let (code, out) = run_fsck(&args);
    assert_eq!(code, 0, "{out}");
    assert!(out.trim_end().ends_with(": clean"), "{out}");

    let backend = api_gateway::open_backend(&config).await.expect("backend");
    damage(backend.as_ref(), &chain, &bridge_port).await;
    let (code, out) = run_fsck(&args);
    assert_damage_reported(code, &out, &router, &chain, &bridge_port);
}

/// Removes the chain (its router still names it) and rewrites the bridge without its port.
async fn damage(backend: &dyn Backend, chain: &str, bridge_port: &str) {
    let chain: Uuid = chain.parse().unwrap();
    remove_key(backend, model_path(Class::Chain, chain)).await;
    let port: Uuid = bridge_port.parse().unwrap();
    let observed = backend
        .read(vec![model_path(Class::Port, port)])
        .await
        .expect("read port");
    let Some(Observed::Present(entry)) = observed.into_iter().next() else {
        panic!("the bridge port is stored");
    };
    let port: serde_json::Value = serde_json::from_slice(&entry.data).unwrap();
    let bridge: Uuid = port["deviceId"].as_str().unwrap().parse().unwrap();
    let path = model_path(Class::Network, bridge);
    let observed = backend.read(vec![path.clone()]).await.expect("read bridge");
    let Some(Observed::Present(entry)) = observed.into_iter().next() else {
        panic!("the bridge is stored");
    };
    let mut value: serde_json::Value = serde_json::from_slice(&entry.data).unwrap();
    value["portIds"] = json!([]);
    backend
        .multi(vec![KvOp::Set {
            path,
            data: serde_json::to_vec(&value).unwrap(),
            version: entry.stat.version,
        }])
        .await
        .expect("rewrite the bridge");
}
