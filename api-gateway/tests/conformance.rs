//! The API conformance suite, run against both store backends: the embedded file and a real
//! ZooKeeper. Each case states the MidoNet behaviour it guards.

mod common;

use common::Gateway;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Generates one test per case and backend.
macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let gw = super::Gateway::embedded().await;
                    super::$case(&gw).await;
                }
            )+
        }
        mod zookeeper {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(zk) = api_gateway::testing::zookeeper_or_skip().await else { return };
                    let gw = super::Gateway::start(api_gateway::StoreConfig::ZooKeeper {
                        connect: zk.connect_string(),
                        root: "/midonet".into(),
                    })
                    .await;
                    super::$case(&gw).await;
                    drop(gw);
                    drop(zk);
                }
            )+
        }
    };
}

conformance!(
    root_resource_advertises_collections_templates_and_version,
    routers_are_created_listed_filtered_updated_and_deleted,
    router_ports_get_a_mac_and_a_local_route,
    links_join_two_ports_and_refuse_a_third,
    deleting_a_bridge_cascades_to_ports_dhcp_and_peers,
    rules_are_ordered_by_position_and_die_with_their_chain,
    invalid_rules_are_refused_and_change_nothing,
    immutable_resources_refuse_put,
    ip_address_groups_hold_addresses,
    port_groups_hold_ports,
    hosts_bind_ports_only_through_a_tunnel_zone,
    dhcp_subnets_hold_static_hosts,
    bridges_keep_mac_and_arp_tables,
    bad_requests_get_midonet_errors_and_change_nothing,
    media_types_are_negotiated,
    system_state_and_tenants,
    routers_speak_bgp,
    openapi_lists_every_served_endpoint,
    batch_creates_across_resources_in_one_transaction,
    batch_with_an_invalid_fifth_operation_applies_nothing,
    batch_links_binds_and_adds_members,
    batch_over_one_multi_is_split_and_all_applied,
    changes_report_creates_updates_and_deletions_since_a_revision,
    changes_are_paged_by_limit_and_refuse_unknown_revisions,
    a_batch_names_its_revisions_and_the_summary_shows_whose_changes_came_since,
);

async fn root_resource_advertises_collections_templates_and_version(gw: &Gateway) {
    let root = gw.get("/").await;
    assert_eq!(root["version"], "v5.0");
    for key in [
        "routers",
        "bridges",
        "ports",
        "chains",
        "hosts",
        "tunnelZones",
        "portGroups",
        "ipAddrGroups",
        "systemState",
        "tenants",
    ] {
        let uri = root[key]
            .as_str()
            .unwrap_or_else(|| panic!("root lacks {key}"));
        assert_eq!(
            gw.call(Method::GET, uri, None).await.status,
            StatusCode::OK,
            "{key} -> {uri}"
        );
    }
    let template = root["routerTemplate"].as_str().unwrap();
    assert!(template.ends_with("/routers/{id}"), "{template}");
    for key in [
        "bridgeTemplate",
        "chainTemplate",
        "portTemplate",
        "ruleTemplate",
        "routeTemplate",
        "hostTemplate",
        "tunnelZoneTemplate",
        "portGroupTemplate",
        "ipAddrGroupTemplate",
    ] {
        assert!(
            root[key].as_str().is_some_and(|t| t.ends_with("/{id}")),
            "{key}"
        );
    }
}

async fn routers_are_created_listed_filtered_updated_and_deleted(gw: &Gateway) {
    let a = gw
        .create(
            "/routers",
            json!({"name": "vr_vpc-1_rtb-1", "tenantId": "euca_tenant_1"}),
        )
        .await;
    let b = gw
        .create("/routers", json!({"name": "other", "tenantId": "t2"}))
        .await;
    let r = gw.get(&format!("/routers/{a}")).await;
    assert_eq!(r["name"], "vr_vpc-1_rtb-1");
    assert_eq!(r["adminStateUp"], true);
    assert_eq!(r["uri"], gw.url(&format!("/routers/{a}")));
    assert_eq!(r["ports"], gw.url(&format!("/routers/{a}/ports")));
    assert!(r.get("portIds").is_none(), "back-references stay internal");

    let mine = gw.get("/routers?tenant_id=euca_tenant_1").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(gw.get("/routers").await.as_array().unwrap().len(), 2);

    let mut changed = r.clone();
    changed["name"] = json!("renamed");
    changed["adminStateUp"] = json!(false);
    gw.put(&format!("/routers/{a}"), changed).await;
    let r = gw.get(&format!("/routers/{a}")).await;
    assert_eq!(
        (r["name"].as_str(), r["adminStateUp"].as_bool()),
        (Some("renamed"), Some(false))
    );

    gw.delete(&format!("/routers/{b}")).await;
    gw.refused(
        Method::GET,
        &format!("/routers/{b}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    gw.refused(
        Method::DELETE,
        &format!("/routers/{b}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    // A client-chosen id is kept, and a duplicate is a conflict.
    let id = "6b1f7f8e-0000-4000-8000-000000000001";
    assert_eq!(
        gw.create("/routers", json!({"id": id, "name": "fixed"}))
            .await,
        id
    );
    gw.refused(
        Method::POST,
        "/routers",
        Some(json!({"id": id, "name": "again"})),
        StatusCode::CONFLICT,
    )
    .await;
}

async fn router_ports_get_a_mac_and_a_local_route(gw: &Gateway) {
    let r = gw.create("/routers", json!({"name": "r"})).await;
    let p = gw
        .create(
            &format!("/routers/{r}/ports"),
            json!({"type": "Router", "portAddress": "172.31.0.1", "networkAddress": "172.31.0.0", "networkLength": 20}),
        )
        .await;
    let port = gw.get(&format!("/ports/{p}")).await;
    assert_eq!(port["deviceId"], r);
    assert_eq!(port["type"], "Router");
    assert!(
        port["portMac"].as_str().unwrap().starts_with("ac:ca:ba:"),
        "{port}"
    );
    let routes = gw.get(&format!("/routers/{r}/routes")).await;
    let routes = routes.as_array().unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0]["type"], "Local");
    assert_eq!(routes[0]["dstNetworkAddr"], "172.31.0.1");
    assert_eq!(routes[0]["dstNetworkLength"], 32);
    assert_eq!(routes[0]["nextHopPort"], p);
    // A Normal route through the port, as eucanetd adds for every subnet.
    let route = gw
        .create(
            &format!("/routers/{r}/routes"),
            json!({"type": "Normal", "srcNetworkAddr": "0.0.0.0", "srcNetworkLength": 0,
                   "dstNetworkAddr": "172.31.0.0", "dstNetworkLength": 20, "nextHopPort": p, "weight": 0}),
        )
        .await;
    assert_eq!(gw.get(&format!("/routes/{route}")).await["routerId"], r);
    gw.delete(&format!("/ports/{p}")).await;
    assert_eq!(
        gw.get(&format!("/routers/{r}/routes")).await,
        json!([]),
        "a port's routes go with it"
    );
    // A route through another router's port is refused.
    let other = gw.create("/routers", json!({"name": "o"})).await;
    let op = gw
        .create(&format!("/routers/{other}/ports"), json!({"type": "Router", "portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}))
        .await;
    let msg = gw
        .refused(
            Method::POST,
            &format!("/routers/{r}/routes"),
            Some(json!({"type": "Normal", "dstNetworkAddr": "10.0.0.0", "dstNetworkLength": 24, "nextHopPort": op})),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(msg.contains("is not a port of router"), "{msg}");
}

async fn links_join_two_ports_and_refuse_a_third(gw: &Gateway) {
    let r = gw.create("/routers", json!({"name": "r"})).await;
    let b = gw.create("/bridges", json!({"name": "b"})).await;
    let rp = gw
        .create(&format!("/routers/{r}/ports"), json!({"type": "Router", "portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}))
        .await;
    let bp = gw
        .create(&format!("/bridges/{b}/ports"), json!({"type": "Bridge"}))
        .await;
    let bp2 = gw.create(&format!("/bridges/{b}/ports"), json!({})).await;
    let a = gw
        .call(
            Method::POST,
            &format!("/ports/{rp}/link"),
            Some(&json!({"peerId": bp})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(gw.get(&format!("/ports/{bp}")).await["peerId"], rp);
    assert_eq!(
        gw.get(&format!("/ports/{rp}")).await["peer"],
        gw.url(&format!("/ports/{bp}"))
    );
    assert_eq!(
        gw.get(&format!("/routers/{r}/peer_ports")).await[0]["id"],
        bp
    );
    let msg = gw
        .refused(
            Method::POST,
            &format!("/ports/{bp2}/link"),
            Some(json!({"peerId": rp})),
            StatusCode::CONFLICT,
        )
        .await;
    assert!(msg.contains("already linked"), "{msg}");
    gw.refused(
        Method::POST,
        &format!("/ports/{bp2}/link"),
        Some(json!({"peerId": bp2})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Two untagged bridge ports cannot be linked.
    let b2 = gw.create("/bridges", json!({"name": "b2"})).await;
    let other = gw.create(&format!("/bridges/{b2}/ports"), json!({})).await;
    gw.refused(
        Method::POST,
        &format!("/ports/{bp2}/link"),
        Some(json!({"peerId": other})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    // A port update cannot unlink: the link endpoint owns peerId.
    let mut port = gw.get(&format!("/ports/{bp}")).await;
    port["peerId"] = Value::Null;
    gw.put(&format!("/ports/{bp}"), port).await;
    assert_eq!(gw.get(&format!("/ports/{bp}")).await["peerId"], rp);
    gw.delete(&format!("/ports/{rp}/link")).await;
    assert_eq!(gw.get(&format!("/ports/{bp}")).await["peerId"], Value::Null);
    assert_eq!(gw.get(&format!("/ports/{rp}")).await["peerId"], Value::Null);
}

async fn deleting_a_bridge_cascades_to_ports_dhcp_and_peers(gw: &Gateway) {
    let r = gw.create("/routers", json!({"name": "r"})).await;
    let b = gw.create("/bridges", json!({"name": "b"})).await;
    let rp = gw
        .create(&format!("/routers/{r}/ports"), json!({"type": "Router", "portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}))
        .await;
    let bp = gw.create(&format!("/bridges/{b}/ports"), json!({})).await;
    gw.create(&format!("/ports/{rp}/link"), json!({"peerId": bp}))
        .await;
    gw.create(
        &format!("/bridges/{b}/dhcp"),
        json!({"subnetPrefix": "10.0.0.0", "subnetLength": 24}),
    )
    .await;
    gw.delete(&format!("/bridges/{b}")).await;
    gw.refused(
        Method::GET,
        &format!("/ports/{bp}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    gw.refused(
        Method::GET,
        &format!("/bridges/{b}/dhcp"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(gw.get(&format!("/ports/{rp}")).await["peerId"], Value::Null);
    assert_eq!(gw.get("/ports").await.as_array().unwrap().len(), 1);
}

async fn rules_are_ordered_by_position_and_die_with_their_chain(gw: &Gateway) {
    let c = gw
        .create("/chains", json!({"name": "sg_ingress_sg-1"}))
        .await;
    let target = gw.create("/chains", json!({"name": "target"})).await;
    let rules = format!("/chains/{c}/rules");
    let first = gw
        .create(
            &rules,
            json!({"type": "accept", "nwProto": 6, "tpDst": {"start": 22, "end": 22}}),
        )
        .await;
    let last = gw
        .create(
            &rules,
            json!({"type": "drop", "position": 2, "dlType": 2054, "invDlType": true}),
        )
        .await;
    let top = gw
        .create(
            &rules,
            json!({"type": "accept", "matchReturnFlow": true, "position": 1}),
        )
        .await;
    let jump = gw
        .create(
            &rules,
            json!({"type": "jump", "jumpChainId": target, "position": 4}),
        )
        .await;
    let nat = gw
        .create(&rules, json!({"type": "snat", "position": 5, "flowAction": "accept",
            "natTargets": [{"addressFrom": "203.0.113.5", "addressTo": "203.0.113.5", "portFrom": 1024, "portTo": 65535}]}))
        .await;
    let listed = gw.get(&rules).await;
    let order: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            top.as_str(),
            first.as_str(),
            last.as_str(),
            jump.as_str(),
            nat.as_str()
        ]
    );
    let positions: Vec<u64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    assert_eq!(
        listed[1]["fragmentPolicy"], "header",
        "L4 match defaults to header"
    );
    assert_eq!(listed[2]["fragmentPolicy"], "any");
    assert_eq!(
        listed[4]["fragmentPolicy"], "unfragmented",
        "dynamic NAT defaults to unfragmented"
    );
    assert_eq!(listed[3]["jumpChainName"], "target");
    assert_eq!(gw.get(&format!("/rules/{jump}")).await["position"], 4);
    gw.refused(
        Method::POST,
        &rules,
        Some(json!({"type": "accept", "position": 9})),
        StatusCode::BAD_REQUEST,
    )
    .await;

    // A chain used as a router filter: deleting it clears the filter, and jumps into it go.
    let r = gw
        .create("/routers", json!({"name": "r", "inboundFilterId": target}))
        .await;
    gw.delete(&format!("/chains/{target}")).await;
    assert_eq!(
        gw.get(&format!("/routers/{r}")).await["inboundFilterId"],
        Value::Null
    );
    gw.refused(
        Method::GET,
        &format!("/rules/{jump}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(gw.get(&rules).await.as_array().unwrap().len(), 4);
    gw.delete(&format!("/chains/{c}")).await;
    gw.refused(
        Method::GET,
        &format!("/rules/{first}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn invalid_rules_are_refused_and_change_nothing(gw: &Gateway) {
    let c = gw.create("/chains", json!({"name": "c"})).await;
    let rules = format!("/chains/{c}/rules");
    gw.create(&rules, json!({"type": "accept"})).await;
    let before = gw.snapshot().await;
    let cases = [
        (
            json!({"type": "accept", "nwProto": 6, "tpDst": {"start": 0, "end": 65535}}),
            "tpDst",
        ),
        (
            json!({"type": "accept", "tpSrc": {"start": 80, "end": 22}}),
            "tpSrc",
        ),
        (
            json!({"type": "accept", "tpDst": {"start": 22, "end": 22}, "fragmentPolicy": "any"}),
            "fragmentPolicy",
        ),
        (json!({"type": "jump"}), "jumpChainId"),
        (
            json!({"type": "dnat", "flowAction": "accept"}),
            "natTargets",
        ),
        (
            json!({"type": "snat", "natTargets": [{"addressFrom": "1.1.1.1", "addressTo": "1.1.1.1"}]}),
            "flowAction",
        ),
        (json!({"type": "accept", "dlType": 12}), "dlType"),
        (
            json!({"type": "accept", "nwSrcAddress": "10.0.0.0", "nwSrcLength": 33}),
            "nwSrcLength",
        ),
        (json!({"type": "accept", "dlSrc": "not-a-mac"}), "dlSrc"),
        (json!({"type": "teleport"}), "type"),
        (
            json!({"type": "accept", "nwSrcAddress": "10.0.0.300"}),
            "nwSrcAddress",
        ),
    ];
    for (body, field) in cases {
        let a = gw.call(Method::POST, &rules, Some(&body)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{body}: {}", a.body);
        let named = a.body["violations"]
            .as_array()
            .map(|v| v.iter().any(|x| x.get(field).is_some()))
            .unwrap_or(false)
            || a.body["message"]
                .as_str()
                .unwrap_or_default()
                .contains(field);
        assert!(named, "the error for {body} names {field}: {}", a.body);
    }
    // ICMP type 0 (echo reply) rides in tpSrc and is a real value, unlike port 0.
    gw.create(
        &rules,
        json!({"type": "accept", "nwProto": 1, "tpSrc": {"start": 0, "end": 0}, "position": 2}),
    )
    .await;
    let missing = "00000000-0000-4000-8000-0000000000aa";
    gw.refused(
        Method::POST,
        &rules,
        Some(json!({"type": "jump", "jumpChainId": missing})),
        StatusCode::NOT_FOUND,
    )
    .await;
    let after = gw.snapshot().await;
    assert_eq!(
        before[..3],
        after[..3],
        "routers, bridges and ports untouched"
    );
    assert_eq!(gw.get(&rules).await.as_array().unwrap().len(), 2);
}

async fn immutable_resources_refuse_put(gw: &Gateway) {
    let c = gw.create("/chains", json!({"name": "c"})).await;
    let rule = gw
        .create(&format!("/chains/{c}/rules"), json!({"type": "accept"}))
        .await;
    let g = gw.create("/ip_addr_groups", json!({"name": "g"})).await;
    for path in [
        format!("/chains/{c}"),
        format!("/rules/{rule}"),
        format!("/ip_addr_groups/{g}"),
    ] {
        gw.refused(
            Method::PUT,
            &path,
            Some(json!({"name": "x"})),
            StatusCode::METHOD_NOT_ALLOWED,
        )
        .await;
    }
    gw.refused(
        Method::PATCH,
        &format!("/chains/{c}"),
        Some(json!({})),
        StatusCode::METHOD_NOT_ALLOWED,
    )
    .await;
}

async fn ip_address_groups_hold_addresses(gw: &Gateway) {
    let g = gw
        .create("/ip_addr_groups", json!({"name": "sg_priv_sg-1"}))
        .await;
    let addrs = format!("/ip_addr_groups/{g}/ip_addrs");
    gw.create(&addrs, json!({"addr": "172.31.0.5", "version": 4}))
        .await;
    gw.create(&addrs, json!({"addr": "172.31.0.6"})).await;
    gw.create(&addrs, json!({"addr": "fd00::1", "version": 6}))
        .await;
    let listed = gw.get(&addrs).await;
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[0]["ipAddrGroupId"], g);
    let one = gw
        .get(&format!(
            "/ip_addr_groups/{g}/versions/4/ip_addrs/172.31.0.5"
        ))
        .await;
    assert_eq!(one["addr"], "172.31.0.5");
    gw.delete(&format!(
        "/ip_addr_groups/{g}/versions/4/ip_addrs/172.31.0.5"
    ))
    .await;
    gw.refused(
        Method::DELETE,
        &format!("/ip_addr_groups/{g}/versions/4/ip_addrs/172.31.0.5"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    gw.refused(
        Method::POST,
        &addrs,
        Some(json!({"addr": "10.0.0.1", "version": 6})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(gw.get(&addrs).await.as_array().unwrap().len(), 2);
    gw.refused(
        Method::POST,
        "/ip_addr_groups",
        Some(json!({})),
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn port_groups_hold_ports(gw: &Gateway) {
    let pg = gw
        .create(
            "/port_groups",
            json!({"name": "eucapg", "stateful": true, "tenantId": "t"}),
        )
        .await;
    let b = gw.create("/bridges", json!({"name": "b"})).await;
    let p = gw.create(&format!("/bridges/{b}/ports"), json!({})).await;
    gw.create(&format!("/port_groups/{pg}/ports"), json!({"portId": p}))
        .await;
    let members = gw.get(&format!("/port_groups/{pg}/ports")).await;
    assert_eq!(members[0]["portId"], p);
    assert_eq!(
        gw.get(&format!("/ports/{p}/port_groups")).await[0]["portGroupId"],
        pg
    );
    gw.get(&format!("/port_groups/{pg}/ports/{p}")).await;
    assert_eq!(
        gw.get(&format!("/port_groups/{pg}")).await["stateful"],
        true
    );
    gw.delete(&format!("/ports/{p}")).await;
    assert_eq!(gw.get(&format!("/port_groups/{pg}/ports")).await, json!([]));
    let missing = "00000000-0000-4000-8000-0000000000bb";
    gw.refused(
        Method::POST,
        &format!("/port_groups/{pg}/ports"),
        Some(json!({"portId": missing})),
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn register_host(gw: &Gateway, name: &str) -> String {
    let a = gw
        .call(
            Method::POST,
            "/admin/hosts",
            Some(&json!({"name": name, "addresses": ["10.111.1.11"],
                "hostInterfaces": [{"name": "eth0", "mac": "52:54:00:00:00:01", "addresses": ["10.111.1.11"]}]})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.location.unwrap().rsplit('/').next().unwrap().to_string()
}

async fn hosts_bind_ports_only_through_a_tunnel_zone(gw: &Gateway) {
    let h = register_host(gw, "node1").await;
    let host = gw.get(&format!("/hosts/{h}")).await;
    assert_eq!(
        (host["name"].as_str(), host["alive"].as_bool()),
        (Some("node1"), Some(true))
    );
    assert_eq!(
        gw.get(&format!("/hosts/{h}/interfaces")).await[0]["name"],
        "eth0"
    );
    assert_eq!(
        gw.get(&format!("/hosts/{h}/interfaces/eth0")).await["hostId"],
        h
    );

    let b = gw.create("/bridges", json!({"name": "b"})).await;
    let p = gw.create(&format!("/bridges/{b}/ports"), json!({})).await;
    let p2 = gw.create(&format!("/bridges/{b}/ports"), json!({})).await;
    let binding = json!({"portId": p, "interfaceName": "vn_i-1"});
    let msg = gw
        .refused(
            Method::POST,
            &format!("/hosts/{h}/ports"),
            Some(binding.clone()),
            StatusCode::CONFLICT,
        )
        .await;
    assert!(msg.contains("tunnel zone"), "{msg}");

    let tz = gw
        .create("/tunnel_zones", json!({"name": "mido-tz", "type": "gre"}))
        .await;
    gw.create(
        &format!("/tunnel_zones/{tz}/hosts"),
        json!({"hostId": h, "ipAddress": "10.111.1.11"}),
    )
    .await;
    gw.refused(
        Method::POST,
        &format!("/tunnel_zones/{tz}/hosts"),
        Some(json!({"hostId": h, "ipAddress": "10.111.1.11"})),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        gw.get(&format!("/tunnel_zones/{tz}/hosts")).await[0]["ipAddress"],
        "10.111.1.11"
    );
    assert_eq!(
        gw.get(&format!("/tunnel_zones/{tz}/hosts/{h}")).await["tunnelZoneId"],
        tz
    );

    gw.create(&format!("/hosts/{h}/ports"), binding.clone())
        .await;
    let port = gw.get(&format!("/ports/{p}")).await;
    assert_eq!(
        (port["hostId"].as_str(), port["interfaceName"].as_str()),
        (Some(h.as_str()), Some("vn_i-1"))
    );
    assert_eq!(gw.get(&format!("/hosts/{h}/ports")).await[0]["portId"], p);
    gw.refused(
        Method::POST,
        &format!("/hosts/{h}/ports"),
        Some(binding),
        StatusCode::CONFLICT,
    )
    .await;
    let msg = gw
        .refused(
            Method::POST,
            &format!("/hosts/{h}/ports"),
            Some(json!({"portId": p2, "interfaceName": "vn_i-1"})),
            StatusCode::CONFLICT,
        )
        .await;
    assert!(msg.contains("already bound"), "{msg}");
    // A bound port cannot be linked.
    let r = gw.create("/routers", json!({"name": "r"})).await;
    let rp = gw
        .create(&format!("/routers/{r}/ports"), json!({"type": "Router", "portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}))
        .await;
    gw.refused(
        Method::POST,
        &format!("/ports/{rp}/link"),
        Some(json!({"peerId": p})),
        StatusCode::CONFLICT,
    )
    .await;

    gw.delete(&format!("/hosts/{h}/ports/{p}")).await;
    assert_eq!(gw.get(&format!("/ports/{p}")).await["hostId"], Value::Null);
    // Registering again refreshes the host instead of failing.
    let again = gw
        .call(
            Method::POST,
            "/admin/hosts",
            Some(&json!({"id": h, "name": "node1", "hostInterfaces": [{"name": "eth1"}]})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        gw.get(&format!("/hosts/{h}/interfaces")).await[0]["name"],
        "eth1"
    );
    gw.delete(&format!("/hosts/{h}")).await;
    assert_eq!(
        gw.get(&format!("/tunnel_zones/{tz}/hosts")).await,
        json!([])
    );
}

async fn dhcp_subnets_hold_static_hosts(gw: &Gateway) {
    let b = gw
        .create("/bridges", json!({"name": "vb_vpc-1_subnet-1"}))
        .await;
    let key = gw
        .create(
            &format!("/bridges/{b}/dhcp"),
            json!({"subnetPrefix": "172.31.0.0", "subnetLength": 20, "defaultGateway": "172.31.0.1",
                   "serverAddr": "172.31.0.2", "dnsServerAddrs": ["172.31.0.2"], "interfaceMTU": 1450,
                   "opt121Routes": [{"destinationPrefix": "169.254.169.254", "destinationLength": 32, "gatewayAddr": "172.31.0.1"}]}),
        )
        .await;
    assert_eq!(key, "172.31.0.0_20");
    let subnet = gw.get(&format!("/bridges/{b}/dhcp/{key}")).await;
    assert_eq!(subnet["defaultGateway"], "172.31.0.1");
    assert_eq!(subnet["interfaceMTU"], 1450);
    assert!(
        subnet.get("hosts").unwrap().is_string(),
        "hosts is a link, not data: {subnet}"
    );
    gw.refused(
        Method::POST,
        &format!("/bridges/{b}/dhcp"),
        Some(json!({"subnetPrefix": "172.31.0.0", "subnetLength": 20})),
        StatusCode::CONFLICT,
    )
    .await;
    let hosts = format!("/bridges/{b}/dhcp/{key}/hosts");
    let mac = gw
        .create(
            &hosts,
            json!({"macAddr": "D0:0D:12:34:56:78", "ipAddr": "172.31.0.10", "name": "i-12345678",
            "extraDhcpOpts": [{"optName": "26", "optValue": "1450"}]}),
        )
        .await;
    assert_eq!(mac, "d0-0d-12-34-56-78");
    let h = gw.get(&format!("{hosts}/{mac}")).await;
    assert_eq!(
        (h["macAddr"].as_str(), h["ipAddr"].as_str()),
        (Some("d0:0d:12:34:56:78"), Some("172.31.0.10"))
    );
    gw.refused(
        Method::POST,
        &hosts,
        Some(json!({"macAddr": "d0:0d:12:34:56:78", "ipAddr": "172.31.0.11", "name": "x"})),
        StatusCode::CONFLICT,
    )
    .await;
    gw.put(
        &format!("{hosts}/{mac}"),
        json!({"macAddr": "d0:0d:12:34:56:78", "ipAddr": "172.31.0.12", "name": "i-12345678"}),
    )
    .await;
    assert_eq!(
        gw.get(&format!("{hosts}/{mac}")).await["ipAddr"],
        "172.31.0.12"
    );
    let mut subnet = subnet;
    subnet["dnsServerAddrs"] = json!(["8.8.8.8"]);
    gw.put(&format!("/bridges/{b}/dhcp/{key}"), subnet).await;
    assert_eq!(
        gw.get(&format!("/bridges/{b}/dhcp/{key}")).await["dnsServerAddrs"],
        json!(["8.8.8.8"])
    );
    assert_eq!(
        gw.get(&hosts).await.as_array().unwrap().len(),
        1,
        "hosts survive a subnet update"
    );
    gw.delete(&format!("{hosts}/{mac}")).await;
    gw.delete(&format!("/bridges/{b}/dhcp/{key}")).await;
    assert_eq!(gw.get(&format!("/bridges/{b}/dhcp")).await, json!([]));
}

async fn bridges_keep_mac_and_arp_tables(gw: &Gateway) {
    let b = gw.create("/bridges", json!({"name": "b"})).await;
    let p = gw.create(&format!("/bridges/{b}/ports"), json!({})).await;
    let entry = gw
        .create(
            &format!("/bridges/{b}/mac_table"),
            json!({"macAddr": "02:00:00:00:00:01", "portId": p}),
        )
        .await;
    assert_eq!(entry, format!("02-00-00-00-00-01_{p}"));
    assert_eq!(
        gw.get(&format!("/bridges/{b}/mac_table")).await[0]["portId"],
        p
    );
    gw.get(&format!("/bridges/{b}/mac_table/{entry}")).await;
    gw.create(
        &format!("/bridges/{b}/vlans/7/mac_table"),
        json!({"macAddr": "02:00:00:00:00:02", "portId": p}),
    )
    .await;
    assert_eq!(
        gw.get(&format!("/bridges/{b}/vlans/7/mac_table"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        gw.get(&format!("/bridges/{b}/mac_table"))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    gw.delete(&format!("/bridges/{b}/mac_table/{entry}")).await;
    let arp = gw
        .create(
            &format!("/bridges/{b}/arp_table"),
            json!({"ip": "172.31.0.2", "mac": "02:00:00:00:00:09"}),
        )
        .await;
    assert_eq!(arp, "172.31.0.2_02-00-00-00-00-09");
    assert_eq!(
        gw.get(&format!("/bridges/{b}/arp_table/{arp}")).await["mac"],
        "02:00:00:00:00:09"
    );
    let other = gw.create("/bridges", json!({"name": "other"})).await;
    let foreign = gw
        .create(&format!("/bridges/{other}/ports"), json!({}))
        .await;
    gw.refused(
        Method::POST,
        &format!("/bridges/{b}/mac_table"),
        Some(json!({"macAddr": "02:00:00:00:00:03", "portId": foreign})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    gw.delete(&format!("/bridges/{b}")).await;
    assert!(
        gw.store
            .table(
                topology::Class::Network,
                b.parse().unwrap(),
                "ip4_mac_table"
            )
            .is_empty(),
        "tables go with the bridge"
    );
}

async fn bad_requests_get_midonet_errors_and_change_nothing(gw: &Gateway) {
    let b = gw.create("/bridges", json!({"name": "b"})).await;
    let before = gw.snapshot().await;
    let raw = gw
        .client
        .post(gw.url("/routers"))
        .header("Content-Type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let body: Value = raw.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("malformed JSON"),
        "{body}"
    );
    let msg = gw
        .refused(
            Method::POST,
            "/routers",
            Some(json!({"name": 5})),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(msg.contains("name"), "{msg}");
    gw.refused(
        Method::POST,
        "/routers",
        Some(json!([1, 2])),
        StatusCode::BAD_REQUEST,
    )
    .await;
    gw.refused(
        Method::POST,
        "/routers",
        Some(json!({"name": "x".repeat(256)})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    let missing = "00000000-0000-4000-8000-0000000000cc";
    let msg = gw
        .refused(
            Method::POST,
            "/routers",
            Some(json!({"name": "r", "inboundFilterId": missing})),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert!(msg.contains("inboundFilterId"), "{msg}");
    gw.refused(
        Method::POST,
        &format!("/bridges/{missing}/ports"),
        Some(json!({})),
        StatusCode::NOT_FOUND,
    )
    .await;
    gw.refused(
        Method::POST,
        &format!("/routers/{b}/ports"),
        Some(json!({"portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24})),
        StatusCode::NOT_FOUND,
    )
    .await;
    gw.refused(
        Method::GET,
        "/routers/not-a-uuid",
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    gw.refused(Method::GET, "/no/such/thing", None, StatusCode::NOT_FOUND)
        .await;
    let msg = gw
        .refused(
            Method::POST,
            &format!("/bridges/{b}/ports"),
            Some(json!({"vlanId": 5000})),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert!(msg.contains("vlanId"), "{msg}");
    let huge = json!({"name": "x", "padding": "y".repeat(2 * 1024 * 1024)});
    gw.refused(
        Method::POST,
        "/routers",
        Some(huge),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let wrong_type = gw
        .client
        .post(gw.url("/routers"))
        .header("Content-Type", "application/xml")
        .body("<router/>")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        gw.snapshot().await,
        before,
        "no refused request left anything behind"
    );
}

async fn media_types_are_negotiated(gw: &Gateway) {
    let r = gw.create("/routers", json!({"name": "r"})).await;
    for accept in [
        "application/vnd.org.midonet.Router-v3+json",
        "application/vnd.org.midonet.Router-v2+json",
        "application/json",
        "*/*",
    ] {
        let resp = gw
            .client
            .get(gw.url(&format!("/routers/{r}")))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{accept}");
    }
    let resp = gw
        .client
        .get(gw.url("/routers"))
        .header(
            "Accept",
            "application/vnd.org.midonet.collection.Router-v2+json",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.org.midonet.collection.Router-v2+json"
    );
    let resp = gw
        .client
        .get(gw.url(&format!("/routers/{r}")))
        .header("Accept", "application/vnd.org.midonet.Bridge-v3+json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_ACCEPTABLE);
    // eucanetd's v1.9 create: vendor content type, then GET by Location.
    let created = gw
        .client
        .post(gw.url("/bridges"))
        .header("Content-Type", "application/vnd.org.midonet.Bridge-v2+json")
        .body(json!({"name": "b", "tenantId": "euca_tenant_1"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let loc = created.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(gw.get(&loc).await["name"], "b");
}

async fn system_state_and_tenants(gw: &Gateway) {
    let s = gw.get("/system_state").await;
    assert_eq!(
        (s["state"].as_str(), s["availability"].as_str()),
        (Some("ACTIVE"), Some("READWRITE"))
    );
    gw.put(
        "/system_state",
        json!({"state": "UPGRADE", "availability": "READONLY"}),
    )
    .await;
    assert_eq!(gw.get("/system_state").await["state"], "UPGRADE");
    gw.refused(
        Method::PUT,
        "/system_state",
        Some(json!({"state": "ASLEEP"})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    gw.create(
        "/routers",
        json!({"name": "r", "tenantId": "euca_tenant_1"}),
    )
    .await;
    let tenants = gw.get("/tenants").await;
    assert_eq!(tenants[0]["id"], "euca_tenant_1");
    gw.get("/tenants/euca_tenant_1").await;
    gw.refused(Method::GET, "/tenants/nobody", None, StatusCode::NOT_FOUND)
        .await;
}

async fn routers_speak_bgp(gw: &Gateway) {
    let r = gw
        .create("/routers", json!({"name": "eucart", "asNumber": 65000}))
        .await;
    let peer = gw
        .create(
            &format!("/routers/{r}/bgp_peers"),
            json!({"address": "10.0.0.254", "asNumber": 65001}),
        )
        .await;
    let net = gw
        .create(
            &format!("/routers/{r}/bgp_networks"),
            json!({"subnetAddress": "203.0.113.0", "subnetLength": 24}),
        )
        .await;
    assert_eq!(gw.get(&format!("/bgp_peers/{peer}")).await["routerId"], r);
    assert_eq!(
        gw.get(&format!("/routers/{r}/bgp_networks")).await[0]["id"],
        net
    );
    gw.delete(&format!("/routers/{r}")).await;
    gw.refused(
        Method::GET,
        &format!("/bgp_peers/{peer}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    gw.refused(
        Method::GET,
        &format!("/bgp_networks/{net}"),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn openapi_lists_every_served_endpoint(gw: &Gateway) {
    let doc = gw.get("/openapi.json").await;
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() > 40);
    let dummy = "00000000-0000-4000-8000-0000000000dd";
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", dummy)
                .replace("{port}", dummy)
                .replace("{host}", dummy)
                .replace("{subnet}", "10.0.0.0_24")
                .replace("{mac}", "02-00-00-00-00-01")
                .replace("{entry}", "x")
                .replace("{vlan}", "1")
                .replace("{version}", "4")
                .replace("{addr}", "10.0.0.1")
                .replace("{name}", "eth0");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = gw.call(m, &concrete, Some(&json!({}))).await;
            assert_ne!(
                a.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not served"
            );
            assert_ne!(
                a.body["message"], "no such resource",
                "{method} {path} is documented but not routed"
            );
        }
    }
}

/// A fixed id for objects a batch creates and later operations refer to.
fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

async fn batch(gw: &Gateway, operations: Value) -> common::Answer {
    gw.call(
        Method::POST,
        "/batch",
        Some(&json!({ "operations": operations })),
    )
    .await
}

async fn batch_creates_across_resources_in_one_transaction(gw: &Gateway) {
    let root = gw.get("/").await;
    assert!(root["batch"].as_str().unwrap().ends_with("/batch"));
    let (r, b, c) = (id(1), id(2), id(3));
    let a = batch(
        gw,
        json!([
            {"op": "create", "path": "/routers", "body": {"id": r, "name": "eucart"}},
            {"op": "create", "path": "/bridges", "body": {"id": b, "name": "vb"}},
            {"op": "create", "path": format!("/routers/{r}/ports"), "body": {"id": id(4), "portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}},
            {"op": "create", "path": format!("/bridges/{b}/ports"), "body": {"id": id(5)}},
            {"op": "create", "path": "/chains", "body": {"id": c, "name": "sg"}},
            {"op": "create", "path": format!("/chains/{c}/rules"), "body": {"type": "accept", "nwProto": 6}},
            {"op": "create", "path": format!("/chains/{c}/rules"), "body": {"type": "drop", "position": 1}},
            {"op": "create", "path": format!("/bridges/{b}/dhcp"), "body": {"subnetPrefix": "10.0.0.0", "subnetLength": 24, "defaultGateway": "10.0.0.1"}},
            {"op": "create", "path": format!("/bridges/{b}/dhcp/10.0.0.0_24/hosts"), "body": {"macAddr": "02:00:00:00:00:01", "ipAddr": "10.0.0.5"}},
            {"op": "update", "path": format!("/routers/{r}"), "body": {"name": "renamed"}},
        ]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["transactions"], 1);
    let results = a.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 10);
    assert_eq!(results[0]["status"], 201);
    assert!(results[0]["location"].as_str().unwrap().ends_with(&r));
    assert_eq!(results[9], json!({"status": 204}));
    assert_eq!(gw.get(&format!("/routers/{r}")).await["name"], "renamed");
    assert_eq!(gw.get(&format!("/routers/{r}/ports")).await[0]["id"], id(4));
    assert_eq!(gw.get(&format!("/bridges/{b}/ports")).await[0]["id"], id(5));
    let rules = gw.get(&format!("/chains/{c}/rules")).await;
    assert_eq!(
        (rules[0]["type"].as_str(), rules[1]["type"].as_str()),
        (Some("drop"), Some("accept"))
    );
    let hosts = gw
        .get(&format!("/bridges/{b}/dhcp/10.0.0.0_24/hosts"))
        .await;
    assert_eq!(hosts[0]["ipAddr"], "10.0.0.5");
}

async fn batch_with_an_invalid_fifth_operation_applies_nothing(gw: &Gateway) {
    let before = gw.snapshot().await;
    let a = batch(
        gw,
        json!([
            {"op": "create", "path": "/routers", "body": {"id": id(11), "name": "r"}},
            {"op": "create", "path": "/bridges", "body": {"id": id(12), "name": "b"}},
            {"op": "create", "path": "/chains", "body": {"id": id(13), "name": "c"}},
            {"op": "create", "path": format!("/bridges/{}/ports", id(12)), "body": {"id": id(14)}},
            {"op": "create", "path": format!("/routers/{}/ports", id(11)), "body": {"portAddress": "10.0.0.300"}},
            {"op": "create", "path": "/port_groups", "body": {"name": "pg"}},
        ]),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(a.body["operation"], 4);
    assert_eq!(a.body["applied"], 0);
    assert_eq!(a.body["code"], 400);
    assert_eq!(a.body["violations"][0]["property"], "portAddress");
    assert_eq!(
        gw.snapshot().await,
        before,
        "a refused batch wrote something"
    );
    gw.refused(
        Method::GET,
        &format!("/routers/{}", id(11)),
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    let a = batch(gw, json!([{"op": "delete", "path": "/routers/not-an-id"}])).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let a = batch(gw, json!([{"op": "update", "path": "/rules/x"}])).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{}", a.body);
}

async fn batch_links_binds_and_adds_members(gw: &Gateway) {
    let h = register_host(gw, "node1").await;
    let (r, b, rp, bp, vm, tz, pg) = (id(21), id(22), id(23), id(24), id(25), id(26), id(27));
    let a = batch(
        gw,
        json!([
            {"op": "create", "path": "/routers", "body": {"id": r, "name": "r"}},
            {"op": "create", "path": "/bridges", "body": {"id": b, "name": "b"}},
            {"op": "create", "path": format!("/routers/{r}/ports"), "body": {"id": rp, "portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}},
            {"op": "create", "path": format!("/bridges/{b}/ports"), "body": {"id": bp}},
            {"op": "create", "path": format!("/ports/{rp}/link"), "body": {"peerId": bp}},
            {"op": "create", "path": format!("/bridges/{b}/ports"), "body": {"id": vm}},
            {"op": "create", "path": "/tunnel_zones", "body": {"id": tz, "name": "tz", "type": "gre"}},
            {"op": "create", "path": format!("/tunnel_zones/{tz}/hosts"), "body": {"hostId": h, "ipAddress": "10.111.1.11"}},
            {"op": "create", "path": format!("/hosts/{h}/ports"), "body": {"portId": vm, "interfaceName": "vn_i-1"}},
            {"op": "create", "path": "/port_groups", "body": {"id": pg, "name": "pg"}},
            {"op": "create", "path": format!("/port_groups/{pg}/ports"), "body": {"portId": vm}},
        ]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(gw.get(&format!("/ports/{bp}")).await["peerId"], rp);
    assert_eq!(gw.get(&format!("/ports/{vm}")).await["hostId"], h);
    assert_eq!(
        gw.get(&format!("/port_groups/{pg}/ports")).await[0]["portId"],
        vm
    );
    let a = batch(
        gw,
        json!([
            {"op": "delete", "path": format!("/port_groups/{pg}/ports/{vm}")},
            {"op": "delete", "path": format!("/hosts/{h}/ports/{vm}")},
            {"op": "delete", "path": format!("/ports/{rp}/link")},
        ]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(gw.get(&format!("/ports/{bp}")).await["peerId"].is_null());
    assert!(gw.get(&format!("/ports/{vm}")).await["hostId"].is_null());
}

async fn batch_over_one_multi_is_split_and_all_applied(gw: &Gateway) {
    let chains = 20;
    let per_chain = 150;
    let mut ops: Vec<Value> = (0..chains)
        .map(|c| json!({"op": "create", "path": "/chains", "body": {"id": id(1000 + c), "name": format!("sg_ingress_{c}")}}))
        .collect();
    for c in 0..chains {
        for n in 0..per_chain {
            ops.push(
                json!({"op": "create", "path": format!("/chains/{}/rules", id(1000 + c)),
                "body": {"type": "accept", "nwProto": 6, "position": n + 1,
                    "tpDst": {"start": 1000 + n, "end": 1000 + n},
                    "nwSrcAddress": "10.0.0.0", "nwSrcLength": 16}}),
            );
        }
    }
    let start = gw.get("/changes").await["revision"].as_i64().unwrap();
    let a = batch(gw, Value::Array(ops)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let transactions = a.body["transactions"].as_u64().unwrap();
    assert!(
        transactions > 1,
        "a batch of {} rules fit in one multi",
        chains * per_chain
    );
    let revisions = revisions_of(&a.body["revisions"]);
    assert_eq!(revisions.len() as u64, transactions, "one revision a chunk");
    assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");
    let summary = changes_since(gw, &format!("?since={start}&summary=true")).await;
    assert_eq!(
        revisions_of(&summary.body["revisions"]),
        revisions,
        "every chunk wrote objects, and nobody else did"
    );
    assert_eq!(
        a.body["results"].as_array().unwrap().len() as u32,
        chains + chains * per_chain
    );
    for c in 0..chains {
        let rules = gw.get(&format!("/chains/{}/rules", id(1000 + c))).await;
        let ports: Vec<u64> = rules
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["tpDst"]["start"].as_u64().unwrap())
            .collect();
        assert_eq!(ports, (1000..1000 + per_chain as u64).collect::<Vec<_>>());
    }
}

async fn changes_since(gw: &Gateway, query: &str) -> common::Answer {
    gw.call(Method::GET, &format!("/changes{query}"), None)
        .await
}

async fn changes_report_creates_updates_and_deletions_since_a_revision(gw: &Gateway) {
    assert!(gw.get("/").await["changes"]
        .as_str()
        .unwrap()
        .ends_with("/changes"));
    gw.create("/routers", json!({"name": "before"})).await;
    let start = gw.get("/changes").await["revision"].as_i64().unwrap();
    let r = gw.create("/routers", json!({"name": "r"})).await;
    let b = gw.create("/bridges", json!({"name": "b"})).await;
    gw.put(&format!("/routers/{r}"), json!({"name": "r2"}))
        .await;
    gw.delete(&format!("/bridges/{b}")).await;
    let a = changes_since(gw, &format!("?since={start}")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let changed = a.body["changed"].as_array().unwrap();
    let seen: Vec<(&str, &str, bool)> = changed
        .iter()
        .map(|c| {
            (
                c["class"].as_str().unwrap(),
                c["id"].as_str().unwrap(),
                c["deleted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![("Router", r.as_str(), false), ("Network", b.as_str(), true)]
    );
    assert_eq!(changed[0]["object"]["name"], "r2");
    assert!(changed[1].get("object").is_none());
    assert_eq!(a.body["more"], false);
    let now = a.body["revision"].as_i64().unwrap();
    let a = changes_since(gw, &format!("?since={now}")).await;
    assert_eq!(a.body["changed"], json!([]));
    assert_eq!(a.body["revision"], now);
}

async fn changes_are_paged_by_limit_and_refuse_unknown_revisions(gw: &Gateway) {
    let start = gw.get("/changes").await["revision"].as_i64().unwrap();
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(
            gw.create("/routers", json!({"name": format!("r{n}")}))
                .await,
        );
    }
    let mut since = start;
    let mut seen = Vec::new();
    for _ in 0..10 {
        let a = changes_since(gw, &format!("?since={since}&limit=2")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        for c in a.body["changed"].as_array().unwrap() {
            seen.push(c["id"].as_str().unwrap().to_string());
        }
        since = a.body["revision"].as_i64().unwrap();
        if a.body["more"] == false {
            break;
        }
        assert!(a.body["changed"].as_array().unwrap().len() <= 2);
    }
    assert_eq!(seen, made);
    let msg = gw
        .refused(Method::GET, "/changes?since=-5", None, StatusCode::GONE)
        .await;
    assert!(msg.contains("read everything"), "{msg}");
    gw.refused(
        Method::GET,
        &format!("/changes?since={}", since + 1_000_000),
        None,
        StatusCode::GONE,
    )
    .await;
}

fn revisions_of(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|r| r.as_i64().unwrap())
        .collect()
}

async fn a_batch_names_its_revisions_and_the_summary_shows_whose_changes_came_since(gw: &Gateway) {
    let start = gw.get("/changes").await["revision"].as_i64().unwrap();
    let a = batch(
        gw,
        json!([
            {"op": "create", "path": "/routers", "body": {"id": id(21), "name": "mine"}},
            {"op": "create", "path": "/bridges", "body": {"id": id(22), "name": "mine"}},
        ]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let ours = revisions_of(&a.body["revisions"]);
    assert_eq!(ours.len(), 1, "{}", a.body);
    let summary = changes_since(gw, &format!("?since={start}&summary=true")).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
    assert_eq!(revisions_of(&summary.body["revisions"]), ours);
    assert!(
        summary.body.get("changed").is_none(),
        "no objects in a summary"
    );
    let now = summary.body["revision"].as_i64().unwrap();
    assert!(now >= ours[0]);

    // Someone else's write, and a deletion of ours: both show, in order.
    let theirs = gw.create("/routers", json!({"name": "theirs"})).await;
    gw.delete(&format!("/bridges/{}", id(22))).await;
    let summary = changes_since(gw, &format!("?since={start}&summary=true")).await;
    let seen = revisions_of(&summary.body["revisions"]);
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0], ours[0], "the router is still at our revision");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let feed = changes_since(gw, &format!("?since={start}")).await;
    let feed_revisions: std::collections::BTreeSet<i64> = feed.body["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(
        feed_revisions.into_iter().collect::<Vec<_>>(),
        seen,
        "the feed's revisions"
    );
    assert!(feed.body["changed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == theirs.as_str()));

    // A write of what is stored commits nothing, so has no revision.
    let again = batch(
        gw,
        json!([{"op": "update", "path": format!("/routers/{}", id(21)), "body": {"name": "mine"}}]),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["transactions"], 1);
    assert_eq!(again.body["revisions"], json!([]));

    let latest = summary.body["revision"].as_i64().unwrap();
    let empty = changes_since(gw, &format!("?since={latest}&summary=true")).await;
    assert_eq!(empty.body["revisions"], json!([]));
    let bare = changes_since(gw, "?summary=true").await;
    assert_eq!(bare.body["revisions"], json!([]));
    assert!(bare.body["revision"].as_i64().unwrap() >= latest);
    gw.refused(
        Method::GET,
        "/changes?since=-5&summary=true",
        None,
        StatusCode::GONE,
    )
    .await;
}
