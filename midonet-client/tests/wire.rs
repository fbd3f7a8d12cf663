//! What the client puts on the wire, checked against a scripted server that records every
//! request: vendor media types, create = POST then GET `Location`, paths only from the root and
//! from links, optional endpoints only when advertised, MidoNet's error bodies read back.

mod common;

use common::{Reply, Scripted, Seen};
use midonet_client::{ClientError, MidonetClient, BATCH};
use serde_json::json;
use topology::{Host, Port, Router};
use uuid::Uuid;

const ROUTER_ID: &str = "6b1f7f8e-0000-4000-8000-000000000001";
const PORT_ID: &str = "6b1f7f8e-0000-4000-8000-000000000002";
const PEER_ID: &str = "6b1f7f8e-0000-4000-8000-000000000003";

fn ok(body: serde_json::Value) -> Reply {
    (200, vec![], body.to_string())
}

fn router_json(base: &str) -> serde_json::Value {
    // The links deliberately point to paths no client could guess.
    json!({"id": ROUTER_ID, "name": "r", "adminStateUp": true, "asNumber": 0,
           "uri": format!("{base}/routers/{ROUTER_ID}"),
           "ports": format!("{base}/odd/place/for/ports")})
}

fn port_json(base: &str, id: &str) -> serde_json::Value {
    json!({"id": id, "type": "Router", "deviceId": ROUTER_ID, "adminStateUp": true,
           "portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24,
           "uri": format!("{base}/ports/{id}"), "link": format!("{base}/ports/{id}/somewhere")})
}

/// A small MidoNet: a root, one router with its ports, ports with links.
fn midonet(root_extra: serde_json::Value) -> impl Fn(&Seen, &str) -> Reply {
    move |req, base| {
        let path = req.path.strip_prefix("/midonet-api").unwrap_or(&req.path);
        match (req.method.as_str(), path) {
            ("GET", "") => {
                let mut root = json!({
                    "uri": base, "version": "v5.0",
                    "routers": format!("{base}/routers"),
                    "routerTemplate": format!("{base}/routers/{{id}}"),
                    "portTemplate": format!("{base}/ports/{{id}}"),
                });
                if let (Some(root), Some(extra)) = (root.as_object_mut(), root_extra.as_object()) {
                    root.extend(extra.clone());
                }
                ok(root)
            }
            ("POST", "/routers") => (
                201,
                // Relative on purpose: the client resolves it against the request.
                vec![(
                    "Location".into(),
                    format!("/midonet-api/routers/{ROUTER_ID}"),
                )],
                String::new(),
            ),
            ("GET", "/routers") => ok(json!([router_json(base)])),
            ("GET", p) if p == format!("/routers/{ROUTER_ID}") => ok(router_json(base)),
            ("GET", "/odd/place/for/ports") => ok(json!([port_json(base, PORT_ID)])),
            ("POST", "/odd/place/for/ports") => (
                201,
                vec![("Location".into(), format!("{base}/ports/{PORT_ID}"))],
                String::new(),
            ),
            ("GET", p) if p.starts_with("/ports/") => {
                ok(port_json(base, p.trim_start_matches("/ports/")))
            }
            ("POST", p) if p.ends_with("/somewhere") => (
                201,
                vec![("Location".into(), format!("{base}{p}"))],
                String::new(),
            ),
            _ => (
                404,
                vec![],
                json!({"message": "no such resource", "code": 404}).to_string(),
            ),
        }
    }
}

fn summary(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|s| {
            let media = s
                .content_type
                .as_deref()
                .map(|c| format!("Content-Type {c}"))
                .or(s.accept.as_deref().map(|a| format!("Accept {a}")))
                .unwrap_or_default();
            format!("{} {} {media}", s.method, s.path)
        })
        .collect()
}

#[tokio::test]
async fn requests_carry_v5_vendor_media_types_and_creates_read_their_location() {
    let server = Scripted::start(midonet(json!({}))).await;
    let c = MidonetClient::connect(&server.url).await.unwrap();
    let r = c
        .create_router(&Router::named(ROUTER_ID.parse().unwrap(), "r", ""))
        .await
        .unwrap();
    assert_eq!(r.name.as_deref(), Some("r"));
    assert_eq!(c.routers().await.unwrap(), [r]);
    let seen = server.seen();
    assert_eq!(
        summary(&seen),
        [
            "GET /midonet-api Accept application/vnd.org.midonet.Application-v5+json".to_string(),
            "POST /midonet-api/routers Content-Type application/vnd.org.midonet.Router-v3+json"
                .to_string(),
            format!(
                "GET /midonet-api/routers/{ROUTER_ID} Accept application/vnd.org.midonet.Router-v3+json"
            ),
            "GET /midonet-api/routers Accept application/vnd.org.midonet.collection.Router-v3+json"
                .to_string(),
        ]
    );
    let posted: serde_json::Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(posted["id"], ROUTER_ID);
    assert_eq!(posted["name"], "r");
    assert_eq!(
        seen[1].accept.as_deref(),
        Some("*/*"),
        "a POST asks for no particular body (reqwest's default Accept)"
    );
}

#[tokio::test]
async fn sub_resources_follow_links_and_read_the_parent_once() {
    let server = Scripted::start(midonet(json!({}))).await;
    let c = MidonetClient::connect(&server.url).await.unwrap();
    let router: Uuid = ROUTER_ID.parse().unwrap();
    assert_eq!(c.router_ports(router).await.unwrap().len(), 1);
    assert_eq!(c.router_ports(router).await.unwrap().len(), 1);
    let port = Port::router_port(
        PORT_ID.parse().unwrap(),
        router,
        "10.0.0.1".parse().unwrap(),
        "10.0.0.0".parse().unwrap(),
        24,
    );
    c.create_router_port(router, &port).await.unwrap();
    c.link_ports(PORT_ID.parse().unwrap(), PEER_ID.parse().unwrap())
        .await
        .unwrap();

    let seen = server.seen();
    let router_gets = seen
        .iter()
        .filter(|s| s.method == "GET" && s.path.ends_with(ROUTER_ID))
        .count();
    assert_eq!(router_gets, 1, "the router's links are remembered");
    let paths: Vec<String> = summary(&seen).into_iter().skip(2).collect();
    assert_eq!(
        paths,
        [
            "GET /midonet-api/odd/place/for/ports Accept application/vnd.org.midonet.collection.Port-v3+json".to_string(),
            "GET /midonet-api/odd/place/for/ports Accept application/vnd.org.midonet.collection.Port-v3+json".to_string(),
            "POST /midonet-api/odd/place/for/ports Content-Type application/vnd.org.midonet.Port-v3+json".to_string(),
            format!("GET /midonet-api/ports/{PORT_ID} Accept application/vnd.org.midonet.Port-v3+json"),
            format!("POST /midonet-api/ports/{PORT_ID}/somewhere Content-Type application/vnd.org.midonet.PortLink-v1+json"),
        ],
        "the port's link came from the port read after its create"
    );
    let link: serde_json::Value = serde_json::from_str(&seen.last().unwrap().body).unwrap();
    assert_eq!(link, json!({"portId": PORT_ID, "peerId": PEER_ID}));
}

#[tokio::test]
async fn optional_endpoints_are_used_only_when_the_root_advertises_them() {
    let plain = Scripted::start(midonet(json!({}))).await;
    let c = MidonetClient::connect(&plain.url).await.unwrap();
    assert!(!c.supports(BATCH));
    let host = Host {
        id: Uuid::new_v4(),
        name: Some("node1".into()),
        addresses: vec![],
        alive: true,
        flooding_proxy_weight: 1,
        container_weight: 1,
        container_limit: -1,
        enforce_container_limit: false,
        host_interfaces: vec![],
    };
    let e = c.register_host(&host).await.unwrap_err();
    assert!(matches!(e, ClientError::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains("adminHosts"), "{e}");
    assert_eq!(plain.seen().len(), 1, "nothing but the root was asked");

    let extended = Scripted::start(midonet(
        json!({"batch": "http://x/batch", "adminHosts": "http://x/h"}),
    ))
    .await;
    let c = MidonetClient::connect(&extended.url).await.unwrap();
    assert!(c.supports(BATCH));
    assert_eq!(c.root().get(BATCH), Some("http://x/batch"));
}

#[tokio::test]
async fn midonet_v5_validation_errors_are_read_with_their_properties() {
    let server = Scripted::start(|req: &Seen, base: &str| match req.method.as_str() {
        "POST" => (
            400,
            vec![(
                "Content-Type".into(),
                "application/vnd.org.midonet.Error-v1+json".into(),
            )],
            json!({"message": "Validation error(s) found", "code": 400,
                   "violations": [{"property": "name", "message": "size must be between 0 and 255"}]})
            .to_string(),
        ),
        _ => ok(json!({"routers": format!("{base}/routers")})),
    })
    .await;
    let c = MidonetClient::connect(&server.url).await.unwrap();
    let e = c
        .create_router(&Router::named(Uuid::new_v4(), &"x".repeat(256), ""))
        .await
        .unwrap_err();
    assert!(e.is_bad_request());
    assert_eq!(
        e.violations(),
        [(
            "name".to_string(),
            "size must be between 0 and 255".to_string()
        )]
    );
    assert_eq!(
        e.to_string(),
        format!(
            "400 Bad Request on POST {}/routers: Validation error(s) found \
             (name: size must be between 0 and 255)",
            server.url
        )
    );
}

#[tokio::test]
async fn broken_answers_are_protocol_and_decode_errors_naming_the_url() {
    let server =
        Scripted::start(
            |req: &Seen, base: &str| match (req.method.as_str(), req.path.as_str()) {
                ("POST", _) => (201, vec![], String::new()),
                ("GET", "/midonet-api") => ok(json!({
                    "routers": format!("{base}/routers"),
                    "routerTemplate": format!("{base}/routers/{{id}}"),
                })),
                _ => ok(json!({"id": "not-a-uuid"})),
            },
        )
        .await;
    let c = MidonetClient::connect(&server.url).await.unwrap();
    let e = c
        .create_router(&Router::named(Uuid::new_v4(), "r", ""))
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Protocol { .. }), "{e}");
    assert!(e.to_string().contains("without a Location"), "{e}");

    let id = Uuid::new_v4();
    let e = c.router(id).await.unwrap_err();
    let ClientError::Decode { url, .. } = &e else {
        panic!("not a decode error: {e}");
    };
    assert_eq!(url, &format!("{}/routers/{id}", server.url));

    let e = c.bridges().await.unwrap_err();
    assert!(
        matches!(e, ClientError::Unsupported { .. }) && e.to_string().contains("`bridges`"),
        "{e}"
    );
}

#[tokio::test]
async fn without_a_batch_endpoint_a_batch_is_sent_as_plain_calls_in_order() {
    let server = Scripted::start(midonet(json!({}))).await;
    let c = MidonetClient::connect(&server.url).await.unwrap();
    let ops = [
        midonet_client::Operation::create("/routers", json!({"name": "r"})),
        midonet_client::Operation::create("/routers", json!({"name": "s"})),
    ];
    let outcome = c.batch(&ops).await.unwrap();
    assert_eq!(outcome.results.len(), 2);
    assert_eq!(outcome.results[0].status, 201);
    assert!(outcome.revisions.is_empty());
    assert!(
        !outcome.revisions_known(),
        "plain calls report no revisions"
    );
    assert!(outcome.results[0]
        .location
        .as_deref()
        .is_some_and(|l| l.ends_with(&format!("/routers/{ROUTER_ID}"))));
    let seen: Vec<(String, String)> = server
        .seen()
        .into_iter()
        .skip(1)
        .map(|s| (s.method, s.path))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST".to_string(), "/midonet-api/routers".to_string()),
            ("POST".to_string(), "/midonet-api/routers".to_string()),
        ],
        "no request to a batch endpoint the server does not have"
    );
}

#[tokio::test]
async fn a_batch_answer_without_revisions_reports_none_known() {
    let server = Scripted::start(|req: &Seen, base: &str| {
        let path = req.path.strip_prefix("/midonet-api").unwrap_or(&req.path);
        match (req.method.as_str(), path) {
            ("POST", "/batch") => ok(json!({"results": [{"status": 204}], "transactions": 1})),
            _ => ok(json!({"uri": base, "version": "v5.0", "batch": format!("{base}/batch")})),
        }
    })
    .await;
    let c = MidonetClient::connect(&server.url).await.unwrap();
    let ops = [midonet_client::Operation::delete(format!(
        "/routers/{ROUTER_ID}"
    ))];
    let outcome = c.batch(&ops).await.unwrap();
    assert_eq!(outcome.transactions, 1);
    assert!(outcome.revisions.is_empty());
    assert!(
        !outcome.revisions_known(),
        "a gateway that does not say cannot vouch for the feed"
    );
}
