//! Property tests of the integrity table through the API, on both store backends: any random
//! sequence of creates, links, bindings, memberships, filters, jumps and deletes (many of them
//! refused: linking a linked port, deleting what is gone) leaves a store that `fsck` finds
//! clean, a gateway mirror equal to what the backend holds, and no 5xx answer on the way.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use api_gateway::fsck;
use api_gateway::store::backend::Backend;
use api_gateway::store::embedded::Embedded;
use api_gateway::store::Store;
use api_gateway::StoreConfig;
use common::Gateway;
use proptest::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};
use topology::Class;

/// One step; indices pick among the objects made so far (modulo their number).
#[derive(Debug, Clone)]
enum Step {
    Router,
    Bridge,
    Chain,
    PortGroup,
    RouterPort(usize),
    BridgePort(usize),
    Link(usize, usize),
    Unlink(usize),
    Bind(usize),
    Unbind(usize),
    Member(usize, usize),
    Filter(usize, usize),
    Rule(usize, Option<usize>),
    Delete(Kind, usize),
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Router,
    Bridge,
    Port,
    Chain,
    PortGroup,
    Rule,
    Host,
}

fn step() -> impl Strategy<Value = Step> {
    let i = || 0usize..8;
    let kind = prop_oneof![
        Just(Kind::Router),
        Just(Kind::Bridge),
        Just(Kind::Port),
        Just(Kind::Chain),
        Just(Kind::PortGroup),
        Just(Kind::Rule),
        Just(Kind::Host),
    ];
    prop_oneof![
        2 => Just(Step::Router),
        2 => Just(Step::Bridge),
        1 => Just(Step::Chain),
        1 => Just(Step::PortGroup),
        3 => i().prop_map(Step::RouterPort),
        3 => i().prop_map(Step::BridgePort),
        3 => (i(), i()).prop_map(|(a, b)| Step::Link(a, b)),
        1 => i().prop_map(Step::Unlink),
        2 => i().prop_map(Step::Bind),
        1 => i().prop_map(Step::Unbind),
        2 => (i(), i()).prop_map(|(g, p)| Step::Member(g, p)),
        2 => (i(), i()).prop_map(|(d, c)| Step::Filter(d, c)),
        2 => (i(), proptest::option::of(i())).prop_map(|(c, j)| Step::Rule(c, j)),
        3 => (kind, i()).prop_map(|(k, n)| Step::Delete(k, n)),
    ]
}

/// The ids made so far, by kind (deleted ones stay: using them is a refused request).
#[derive(Default)]
struct Made {
    routers: Vec<String>,
    bridges: Vec<String>,
    ports: Vec<String>,
    chains: Vec<String>,
    groups: Vec<String>,
    rules: Vec<String>,
    host: String,
}

fn pick(list: &[String], n: usize) -> Option<&String> {
    (!list.is_empty()).then(|| &list[n % list.len()])
}

/// Sends one request; answers the new id on 201. Refusals are expected, server errors not.
async fn send(gw: &Gateway, method: Method, path: &str, body: Option<Value>) -> Option<String> {
    let a = gw.call(method.clone(), path, body.as_ref()).await;
    assert!(
        !a.status.is_server_error(),
        "{method} {path} {body:?}: {} {}",
        a.status,
        a.body
    );
    if a.status.is_client_error() {
        assert!(
            a.body["message"].is_string(),
            "MidoNet's error body: {}",
            a.body
        );
    }
    a.location
        .map(|l| l.rsplit('/').next().unwrap_or_default().to_string())
}

async fn run(gw: &Gateway, steps: &[Step]) {
    let host = send(
        gw,
        Method::POST,
        "/admin/hosts",
        Some(json!({"name": "node", "addresses": ["10.1.1.1"],
                    "hostInterfaces": [{"name": "eth0"}]})),
    )
    .await
    .expect("host");
    let tz = send(
        gw,
        Method::POST,
        "/tunnel_zones",
        Some(json!({"name": "tz", "type": "gre"})),
    )
    .await
    .expect("tunnel zone");
    send(
        gw,
        Method::POST,
        &format!("/tunnel_zones/{tz}/hosts"),
        Some(json!({"hostId": host, "ipAddress": "10.1.1.1"})),
    )
    .await;
    let mut m = Made {
        host,
        ..Made::default()
    };
    for (n, s) in steps.iter().enumerate() {
        match s {
            Step::Router => m
                .routers
                .extend(send(gw, Method::POST, "/routers", Some(json!({"name": "r"}))).await),
            Step::Bridge => m
                .bridges
                .extend(send(gw, Method::POST, "/bridges", Some(json!({"name": "b"}))).await),
            Step::Chain => m
                .chains
                .extend(send(gw, Method::POST, "/chains", Some(json!({"name": "c"}))).await),
            Step::PortGroup => m
                .groups
                .extend(send(gw, Method::POST, "/port_groups", Some(json!({"name": "g"}))).await),
            Step::RouterPort(r) => {
                if let Some(r) = pick(&m.routers, *r) {
                    let body = json!({"portAddress": format!("10.{}.0.1", n % 250),
                                      "networkAddress": format!("10.{}.0.0", n % 250),
                                      "networkLength": 24});
                    let path = format!("/routers/{r}/ports");
                    m.ports
                        .extend(send(gw, Method::POST, &path, Some(body)).await);
                }
            }
            Step::BridgePort(b) => {
                if let Some(b) = pick(&m.bridges, *b) {
                    let path = format!("/bridges/{b}/ports");
                    m.ports
                        .extend(send(gw, Method::POST, &path, Some(json!({}))).await);
                }
            }
            Step::Link(a, b) => {
                if let (Some(a), Some(b)) = (pick(&m.ports, *a), pick(&m.ports, *b)) {
                    let path = format!("/ports/{a}/link");
                    send(gw, Method::POST, &path, Some(json!({"peerId": b}))).await;
                }
            }
            Step::Unlink(p) => {
                if let Some(p) = pick(&m.ports, *p) {
                    send(gw, Method::DELETE, &format!("/ports/{p}/link"), None).await;
                }
            }
            Step::Bind(p) => {
                if let Some(p) = pick(&m.ports, *p) {
                    let path = format!("/hosts/{}/ports", m.host);
                    let body = json!({"portId": p, "interfaceName": format!("if{n}")});
                    send(gw, Method::POST, &path, Some(body)).await;
                }
            }
            Step::Unbind(p) => {
                if let Some(p) = pick(&m.ports, *p) {
                    let path = format!("/hosts/{}/ports/{p}", m.host);
                    send(gw, Method::DELETE, &path, None).await;
                }
            }
            Step::Member(g, p) => {
                if let (Some(g), Some(p)) = (pick(&m.groups, *g), pick(&m.ports, *p)) {
                    let path = format!("/port_groups/{g}/ports");
                    send(gw, Method::POST, &path, Some(json!({"portId": p}))).await;
                }
            }
            Step::Filter(d, c) => {
                let devices: Vec<(&str, &String)> = m
                    .routers
                    .iter()
                    .map(|r| ("routers", r))
                    .chain(m.bridges.iter().map(|b| ("bridges", b)))
                    .collect();
                if let (false, Some(c)) = (devices.is_empty(), pick(&m.chains, *c)) {
                    let (kind, id) = devices[d % devices.len()];
                    let body = json!({"name": "f", "inboundFilterId": c});
                    send(gw, Method::PUT, &format!("/{kind}/{id}"), Some(body)).await;
                }
            }
            Step::Rule(c, jump) => {
                if let Some(c) = pick(&m.chains, *c) {
                    let body = match jump.and_then(|j| pick(&m.chains, j)) {
                        Some(j) => json!({"type": "jump", "jumpChainId": j}),
                        None => json!({"type": "accept"}),
                    };
                    let path = format!("/chains/{c}/rules");
                    m.rules
                        .extend(send(gw, Method::POST, &path, Some(body)).await);
                }
            }
            Step::Delete(kind, n) => {
                let (collection, list) = match kind {
                    Kind::Router => ("routers", &m.routers),
                    Kind::Bridge => ("bridges", &m.bridges),
                    Kind::Port => ("ports", &m.ports),
                    Kind::Chain => ("chains", &m.chains),
                    Kind::PortGroup => ("port_groups", &m.groups),
                    Kind::Rule => ("rules", &m.rules),
                    Kind::Host => ("hosts", &vec![m.host.clone()]),
                };
                if let Some(id) = pick(list, *n) {
                    send(gw, Method::DELETE, &format!("/{collection}/{id}"), None).await;
                }
            }
        }
    }
}

/// The store is consistent, and the gateway's mirror holds exactly what the backend holds.
async fn assert_consistent(backend: &dyn Backend, store: &Store, steps: &[Step]) {
    let report = fsck::run(backend).await.expect("fsck");
    assert!(report.is_clean(), "after {steps:?}:\n{report}");
    let entries = backend.load().await.expect("load");
    let mut stored: BTreeMap<(Class, String), Value> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| e.path.starts_with("zoom/0/models/"))
    {
        let v: Value = serde_json::from_slice(&e.data).expect("json");
        let class = Class::from_name(e.path.split('/').nth(3).unwrap()).unwrap();
        stored.insert((class, v["id"].as_str().unwrap().to_string()), v);
    }
    let mut mirrored = BTreeMap::new();
    for class in Class::ALL {
        for v in store.list(class) {
            mirrored.insert((class, v["id"].as_str().unwrap().to_string()), (*v).clone());
        }
    }
    assert_eq!(mirrored, stored, "the mirror agrees with the backend");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_writes_leave_the_embedded_store_consistent(steps in proptest::collection::vec(step(), 1..60)) {
        runtime().block_on(async {
            let dir = tempfile::tempdir().expect("temp dir");
            let backend: Arc<dyn Backend> = Arc::new(Embedded::open(dir.path()).expect("open"));
            let store = Store::open(backend.clone()).await.expect("load");
            let gw = Gateway::serve(store.clone(), None).await;
            run(&gw, &steps).await;
            assert_consistent(backend.as_ref(), &store, &steps).await;
        });
    }
}

/// The same on ZooKeeper: one server, each case under its own root.
#[test]
fn random_writes_leave_a_zookeeper_store_consistent() {
    let rt = runtime();
    let Some(zk) = rt.block_on(api_gateway::testing::zookeeper_or_skip()) else {
        return;
    };
    let case = std::sync::atomic::AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 16,
        ..ProptestConfig::default()
    });
    runner
        .run(&proptest::collection::vec(step(), 1..60), |steps| {
            rt.block_on(async {
                let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let config = StoreConfig::ZooKeeper {
                    connect: zk.connect_string(),
                    root: format!("/prop{n}"),
                };
                let store = api_gateway::open_store(&config).await.expect("store");
                let gw = Gateway::serve(store.clone(), None).await;
                run(&gw, &steps).await;
                let backend = api_gateway::open_backend(&config).await.expect("backend");
                // Another connection reads what was committed; the gateway's own writes are
                // in its mirror before their answers, so nothing is in flight.
                assert_consistent(backend.as_ref(), &store, &steps).await;
            });
            Ok(())
        })
        .expect("every sequence leaves the store consistent");
}
