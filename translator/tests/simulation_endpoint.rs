//! The gateway's `POST /simulations` on a topology the translator applied: the stored topology
//! (not a fresh translation) behaves as the translated one, from the store's own tables.

mod common;

use common::Cloud;
use serde_json::json;
use translator::desired::interface_port_id;
use translator::engine::Engine;
use translator::gni;
use translator::trace::Proto;

const TWO_VPCS: &str = include_str!("../testdata/gni/two-vpcs.xml");

#[tokio::test]
async fn the_stored_topology_answers_traces_like_the_translated_one() {
    let cloud = Cloud::start().await;
    let gni = gni::parse(TWO_VPCS).expect("a valid GNI");
    let mut engine = Engine::new(cloud.client.clone(), cloud.env.clone());
    let report = engine.cycle(gni.clone()).await.expect("a cycle");
    assert!(report.apply.failed.is_empty(), "{:#?}", report.apply.failed);

    let (_, a01) = gni.interface_by_eni("eni-00000a01").expect("i-00000a01");
    // VPC b's router has a 10.20.1.1 too: find VPC a's port by its key.
    let desired = engine.desired();
    let gateway_mac = desired
        .ports
        .iter()
        .find(|(id, _)| desired.key(**id) == Some("vr_vpc-0000000a_2/subnet/subnet-000000a1"))
        .and_then(|(_, p)| p.port.port_mac.clone())
        .expect("the VPC router's port on subnet a1");
    let request = |port: u16| {
        json!({
            "ingressPortId": interface_port_id(a01),
            "ethSrc": a01.mac.to_string(),
            "ethDst": gateway_mac,
            "nwSrc": "10.20.1.10",
            "nwDst": "10.20.2.20",
            "proto": "tcp",
            "tpSrc": 40000,
            "tpDst": port,
            "reply": true,
        })
    };
    // sg-a2 allows tcp/5432 from sg-a1's members: delivered, and the reply is return flow.
    let answer = cloud
        .client
        .simulate(&request(5432))
        .await
        .expect("a simulation");
    let verdict = answer["request"]["verdict"].as_str().unwrap_or_default();
    assert!(verdict.starts_with("delivered to port"), "{answer:#}");
    assert_eq!(
        answer["request"]["devices"].as_array().map(Vec::len),
        Some(3)
    );
    let trace: Vec<&str> = answer["request"]["trace"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        trace
            .iter()
            .any(|l| l.starts_with("router vr_vpc-0000000a_")),
        "{trace:#?}"
    );
    // Ports are named by device and interface (or address), rules by chain and position.
    assert!(
        verdict.contains("vb_vpc-0000000a_subnet-000000a2/vn_i-00000a02"),
        "{answer:#}"
    );
    assert!(
        answer["request"]["trace"]
            .to_string()
            .contains("sg_ingress_sg-000000a2#"),
        "{answer:#}"
    );
    assert_eq!(answer["reply"]["returnFlow"], json!(true), "{answer:#}");
    assert!(
        answer["reply"]["verdict"]
            .as_str()
            .unwrap_or_default()
            .starts_with("delivered"),
        "{answer:#}"
    );
    // tcp/22 is not allowed: dropped by i-00000a02's interface chain.
    let answer = cloud
        .client
        .simulate(&request(22))
        .await
        .expect("a simulation");
    let verdict = answer["request"]["verdict"].as_str().unwrap_or_default();
    assert!(verdict.starts_with("dropped by rule"), "{answer:#}");
    // A port the store does not hold is a 404.
    let mut unknown = request(22);
    unknown["ingressPortId"] = json!(uuid::Uuid::nil());
    assert!(cloud.client.simulate(&unknown).await.is_err());
}

#[tokio::test]
async fn stored_and_translated_topologies_give_the_same_verdicts() {
    use topology::sim::packet::MacDisplay;
    use topology::sim::{simulate, ConnectionState};
    let cloud = Cloud::start().await;
    let gni = gni::parse(TWO_VPCS).expect("a valid GNI");
    let mut engine = Engine::new(cloud.client.clone(), cloud.env.clone());
    let report = engine.cycle(gni.clone()).await.expect("a cycle");
    assert!(report.apply.failed.is_empty(), "{:#?}", report.apply.failed);
    let tracer = translator::trace::Tracer::new(&gni, &cloud.env).expect("translates");
    let interfaces: Vec<_> = gni.interfaces().map(|(_, i)| i).collect();
    let mut compared = 0;
    for from in &interfaces {
        for to in &interfaces {
            for proto in [
                Proto::Tcp(22),
                Proto::Tcp(80),
                Proto::Tcp(5432),
                Proto::Udp(53),
            ] {
                let Ok(p) = tracer.packet_from(from.name.as_str(), to.private_ip, proto) else {
                    continue;
                };
                let port = interface_port_id(from);
                let local = simulate(&tracer.snapshot, &mut ConnectionState::new(), port, p)
                    .expect("a port of the snapshot");
                let request = json!({
                    "ingressPortId": port,
                    "ethSrc": MacDisplay(p.eth_src).to_string(),
                    "ethDst": MacDisplay(p.eth_dst).to_string(),
                    "nwSrc": p.nw_src.to_string(),
                    "nwDst": p.nw_dst.to_string(),
                    "proto": if p.nw_proto == 6 { "tcp" } else { "udp" },
                    "tpSrc": p.tp_src,
                    "tpDst": p.tp_dst,
                });
                let answer = cloud.client.simulate(&request).await.expect("a simulation");
                let stored = answer["request"]["verdict"].as_str().unwrap_or_default();
                let delivered = matches!(local.verdict, topology::sim::Verdict::Delivered { .. });
                assert_eq!(
                    delivered,
                    stored.starts_with("delivered"),
                    "{} -> {} {proto:?}: translated {:?}, stored {stored}",
                    from.name,
                    to.private_ip,
                    local.verdict
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 50, "{compared}");
}
