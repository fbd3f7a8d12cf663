//! The client against a real gateway (in-process, embedded store): every typed call creates,
//! reads, updates and deletes real objects, and refusals come back as typed errors.

mod common;

use std::net::{IpAddr, Ipv4Addr};

use common::connected;
use midonet_client::{
    ClientError, MidonetClient, Operation, SubnetKey, ADMIN_HOSTS, BATCH, CHANGES,
};
use serde_json::json;
use topology::{
    BgpNetwork, BgpPeer, Bridge, Chain, Condition, DhcpExtraOption, DhcpHost, DhcpSubnet, Host,
    Interface, Ip4Mac, IpAddrGroup, MacPort, NatTarget, Opt121Route, Port, PortGroup, PortRange,
    Route, RouteType, Router, Rule, RuleType, SystemState, TunnelZone, TunnelZoneType,
};
use uuid::Uuid;

const TENANT: &str = "euca_tenant_1";

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

async fn router(c: &MidonetClient, name: &str) -> Router {
    c.create_router(&Router::named(Uuid::new_v4(), name, TENANT))
        .await
        .unwrap()
}

async fn bridge(c: &MidonetClient, name: &str) -> Bridge {
    c.create_bridge(&Bridge::named(Uuid::new_v4(), name, TENANT))
        .await
        .unwrap()
}

async fn chain_named(c: &MidonetClient, name: &str) -> Chain {
    c.create_chain(&Chain {
        id: Uuid::new_v4(),
        tenant_id: None,
        name: Some(name.into()),
    })
    .await
    .unwrap()
}

async fn router_port(c: &MidonetClient, r: Uuid, addr: &str, net: &str, len: u8) -> Port {
    let p = Port::router_port(Uuid::new_v4(), r, ip(addr), ip(net), len);
    c.create_router_port(r, &p).await.unwrap()
}

async fn bridge_port(c: &MidonetClient, b: Uuid) -> Port {
    c.create_bridge_port(b, &Port::bridge_port(Uuid::new_v4(), b))
        .await
        .unwrap()
}

fn ids(ports: &[Port]) -> Vec<Uuid> {
    ports.iter().map(|p| p.id).collect()
}

fn rule(rule_type: RuleType, position: u32, condition: Condition) -> Rule {
    Rule {
        position,
        ..Rule::new(Uuid::new_v4(), rule_type, condition)
    }
}

#[tokio::test]
async fn connect_reads_the_root_and_advertised_extensions() {
    let (gw, c) = connected().await;
    assert_eq!(c.root().version(), Some("v5.0"));
    assert_eq!(c.root().url(), gw.url);
    assert_eq!(
        c.root().get("routerTemplate"),
        Some(format!("{}/routers/{{id}}", gw.url).as_str())
    );
    assert!(c.supports(ADMIN_HOSTS), "our gateway advertises adminHosts");
    assert!(
        c.supports(BATCH),
        "our gateway advertises its batch endpoint"
    );
    assert!(
        c.supports(CHANGES),
        "our gateway advertises its changes feed"
    );
    assert!(format!("{c:?}").contains(&gw.url));
}

#[tokio::test]
async fn routers_are_created_read_filtered_updated_and_deleted() {
    let (_gw, c) = connected().await;
    let id = Uuid::new_v4();
    let created = c
        .create_router(&Router::named(id, "vr_vpc-1_rtb-1", TENANT))
        .await
        .unwrap();
    assert_eq!(created.id, id, "the client's id is kept");
    assert_eq!(created.name.as_deref(), Some("vr_vpc-1_rtb-1"));
    assert!(created.admin_state_up);
    c.create_router(&Router::named(Uuid::new_v4(), "other", "t2"))
        .await
        .unwrap();

    assert_eq!(c.routers().await.unwrap().len(), 2);
    let mine = c.routers_of_tenant(TENANT).await.unwrap();
    assert_eq!(mine.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);

    let mut changed = created.clone();
    changed.name = Some("renamed".into());
    changed.admin_state_up = false;
    changed.as_number = 65000;
    c.update_router(&changed).await.unwrap();
    let read = c.router(id).await.unwrap();
    assert_eq!(read, changed);

    let dup = c
        .create_router(&Router::named(id, "again", TENANT))
        .await
        .unwrap_err();
    assert!(dup.is_conflict(), "{dup}");

    c.delete_router(id).await.unwrap();
    let gone = c.router(id).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    assert!(c.delete_router(id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn bridges_chains_and_groups_have_their_top_level_calls() {
    let (_gw, c) = connected().await;
    let b = bridge(&c, "vb_vpc-1_subnet-1").await;
    let mut b2 = b.clone();
    b2.name = Some("renamed".into());
    c.update_bridge(&b2).await.unwrap();
    assert_eq!(
        c.bridge(b.id).await.unwrap().name.as_deref(),
        Some("renamed")
    );
    assert_eq!(c.bridges_of_tenant(TENANT).await.unwrap().len(), 1);
    assert_eq!(c.bridges_of_tenant("nobody").await.unwrap().len(), 0);

    let chain = Chain {
        id: Uuid::new_v4(),
        tenant_id: Some(TENANT.into()),
        name: Some("sg_ingress_sg-1".into()),
    };
    assert_eq!(c.create_chain(&chain).await.unwrap(), chain);
    assert_eq!(c.chain(chain.id).await.unwrap(), chain);
    assert_eq!(c.chains().await.unwrap(), vec![chain.clone()]);
    assert_eq!(
        c.chains_of_tenant(TENANT).await.unwrap(),
        vec![chain.clone()]
    );

    let group = IpAddrGroup {
        id: Uuid::new_v4(),
        name: Some("sg_priv_sg-1".into()),
    };
    assert_eq!(c.create_ip_addr_group(&group).await.unwrap(), group);
    assert_eq!(c.ip_addr_group(group.id).await.unwrap(), group);
    assert_eq!(c.ip_addr_groups().await.unwrap(), vec![group.clone()]);

    let pg = PortGroup {
        id: Uuid::new_v4(),
        tenant_id: Some(TENANT.into()),
        name: Some("pg1".into()),
        stateful: false,
    };
    c.create_port_group(&pg).await.unwrap();
    let mut stateful = pg.clone();
    stateful.stateful = true;
    c.update_port_group(&stateful).await.unwrap();
    assert!(c.port_group(pg.id).await.unwrap().stateful);
    assert_eq!(c.port_groups().await.unwrap().len(), 1);
    assert_eq!(c.port_groups_of_tenant(TENANT).await.unwrap().len(), 1);

    c.delete_chain(chain.id).await.unwrap();
    c.delete_ip_addr_group(group.id).await.unwrap();
    c.delete_port_group(pg.id).await.unwrap();
    c.delete_bridge(b.id).await.unwrap();
    assert!(c.chains().await.unwrap().is_empty());
    assert!(c.ip_addr_groups().await.unwrap().is_empty());
    assert!(c.port_groups().await.unwrap().is_empty());
    assert!(c.bridges().await.unwrap().is_empty());
}

#[tokio::test]
async fn ports_link_unlink_and_a_relink_is_a_typed_conflict() {
    let (_gw, c) = connected().await;
    let r = router(&c, "vr").await;
    let b = bridge(&c, "vb").await;
    let rp = router_port(&c, r.id, "172.31.0.1", "172.31.0.0", 20).await;
    assert_eq!(rp.device_id, Some(r.id));
    assert_eq!(rp.port_address, Some(ip("172.31.0.1")));
    assert!(
        rp.port_mac.as_deref().unwrap().starts_with("ac:ca:ba:"),
        "the server fills a MAC: {rp:?}"
    );
    let bp = bridge_port(&c, b.id).await;
    assert_eq!(bp.vlan_id, Some(0));
    let bp2 = bridge_port(&c, b.id).await;

    assert_eq!(c.router_ports(r.id).await.unwrap(), vec![rp.clone()]);
    assert_eq!(c.bridge_ports(b.id).await.unwrap().len(), 2);
    assert_eq!(c.ports().await.unwrap().len(), 3);

    c.link_ports(rp.id, bp.id).await.unwrap();
    assert_eq!(c.port(bp.id).await.unwrap().peer_id, Some(rp.id));
    assert_eq!(c.port(rp.id).await.unwrap().peer_id, Some(bp.id));
    assert_eq!(ids(&c.router_peer_ports(r.id).await.unwrap()), [bp.id]);
    assert_eq!(ids(&c.bridge_peer_ports(b.id).await.unwrap()), [rp.id]);

    let relink = c.link_ports(bp2.id, rp.id).await.unwrap_err();
    assert!(relink.is_conflict(), "{relink}");
    let shown = relink.to_string();
    assert!(
        shown.starts_with(&format!(
            "409 Conflict on POST {}/link: Ports are not linkable",
            c.uri_of::<Port>(bp2.id).unwrap()
        )),
        "{shown}"
    );

    // A port update keeps the link: only the link endpoint changes peerId.
    let mut port = c.port(bp.id).await.unwrap();
    port.admin_state_up = false;
    port.peer_id = None;
    c.update_port(&port).await.unwrap();
    let read = c.port(bp.id).await.unwrap();
    assert_eq!((read.admin_state_up, read.peer_id), (false, Some(rp.id)));

    c.unlink_port(rp.id).await.unwrap();
    assert_eq!(c.port(bp.id).await.unwrap().peer_id, None);
    assert_eq!(c.port(rp.id).await.unwrap().peer_id, None);
    c.link_ports(bp2.id, rp.id).await.unwrap();
    assert_eq!(c.port(rp.id).await.unwrap().peer_id, Some(bp2.id));

    c.delete_port(bp2.id).await.unwrap();
    assert_eq!(c.port(rp.id).await.unwrap().peer_id, None);
    assert!(c.port(bp2.id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn routes_include_the_local_route_and_are_created_and_deleted() {
    let (_gw, c) = connected().await;
    let r = router(&c, "vr").await;
    let p = router_port(&c, r.id, "172.31.0.1", "172.31.0.0", 20).await;
    let routes = c.router_routes(r.id).await.unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].route_type, RouteType::Local);
    assert_eq!(
        (routes[0].dst_network_addr, routes[0].dst_network_length),
        (ip("172.31.0.1"), 32)
    );

    let route = Route {
        id: Uuid::new_v4(),
        router_id: None,
        src_network_addr: Ipv4Addr::UNSPECIFIED,
        src_network_length: 0,
        dst_network_addr: ip("172.31.0.0"),
        dst_network_length: 20,
        next_hop_port: Some(p.id),
        next_hop_gateway: None,
        weight: 100,
        route_type: RouteType::Normal,
        attributes: None,
        learned: false,
    };
    let created = c.create_route(r.id, &route).await.unwrap();
    assert_eq!(created.router_id, Some(r.id));
    assert_eq!(created.weight, 100);
    assert_eq!(c.route(route.id).await.unwrap(), created);
    assert_eq!(c.router_routes(r.id).await.unwrap().len(), 2);

    let other = router(&c, "other").await;
    let foreign = router_port(&c, other.id, "10.0.0.1", "10.0.0.0", 24).await;
    let bad = Route {
        id: Uuid::new_v4(),
        next_hop_port: Some(foreign.id),
        ..route.clone()
    };
    let refused = c.create_route(r.id, &bad).await.unwrap_err();
    assert!(refused.is_bad_request(), "{refused}");
    assert_eq!(refused.violations()[0].0, "nextHopPort");

    c.delete_route(route.id).await.unwrap();
    assert!(c.route(route.id).await.unwrap_err().is_not_found());
    assert_eq!(c.router_routes(r.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn rules_keep_midonet_position_order() {
    let (_gw, c) = connected().await;
    let chain = chain_named(&c, "sg_ingress_sg-1").await;
    let target = chain_named(&c, "target").await;
    let ssh = Condition {
        nw_proto: Some(6),
        tp_dst: Some(PortRange::single(22)),
        ..Condition::default()
    };
    // Default position 1 inserts at the top: created second, listed first.
    let first = c
        .create_rule(chain.id, &rule(RuleType::Accept, 1, ssh))
        .await
        .unwrap();
    let top = c
        .create_rule(chain.id, &rule(RuleType::Drop, 1, Condition::default()))
        .await
        .unwrap();
    let mut jump = rule(RuleType::Jump, 3, Condition::default());
    jump.jump_chain_id = Some(target.id);
    let jump = c.create_rule(chain.id, &jump).await.unwrap();
    let mut snat = rule(RuleType::Snat, 2, Condition::default());
    snat.flow_action = Some(topology::FlowAction::Accept);
    snat.nat_targets = Some(vec![NatTarget {
        address_from: ip("203.0.113.5"),
        address_to: ip("203.0.113.5"),
        port_from: 1024,
        port_to: 65535,
    }]);
    let snat = c.create_rule(chain.id, &snat).await.unwrap();

    let listed = c.chain_rules(chain.id).await.unwrap();
    let order: Vec<Uuid> = listed.iter().map(|r| r.id).collect();
    assert_eq!(order, [top.id, snat.id, first.id, jump.id]);
    let positions: Vec<u32> = listed.iter().map(|r| r.position).collect();
    assert_eq!(positions, [1, 2, 3, 4]);
    assert_eq!(listed[2].condition.tp_dst, Some(PortRange::single(22)));
    assert_eq!(
        listed[2].condition.fragment_policy,
        Some(topology::FragmentPolicy::Header),
        "the server's default comes back"
    );
    assert_eq!(listed[3].jump_chain_name.as_deref(), Some("target"));
    assert_eq!(c.rule(first.id).await.unwrap().position, 3);
    assert_eq!(c.rule(first.id).await.unwrap().chain_id, Some(chain.id));

    c.delete_rule(snat.id).await.unwrap();
    assert_eq!(c.rule(first.id).await.unwrap().position, 2);
    assert!(c.rule(snat.id).await.unwrap_err().is_not_found());

    let past_end = c
        .create_rule(chain.id, &rule(RuleType::Accept, 9, Condition::default()))
        .await
        .unwrap_err();
    assert!(past_end.is_bad_request(), "{past_end}");
    assert_eq!(past_end.violations()[0].0, "position");
}

#[tokio::test]
async fn a_bad_rule_is_a_400_with_violations() {
    let (_gw, c) = connected().await;
    let chain = chain_named(&c, "c").await;
    // Port 0 is no port: MidoNet refuses 0-65535 (Eucalyptus' "zero port rule").
    let zero = Condition {
        nw_proto: Some(6),
        tp_dst: Some(PortRange::new(0, 65535)),
        ..Condition::default()
    };
    let e = c
        .create_rule(chain.id, &rule(RuleType::Accept, 1, zero))
        .await
        .unwrap_err();
    let ClientError::Api {
        status,
        violations,
        method,
        url,
        ..
    } = &e
    else {
        panic!("not an API error: {e}");
    };
    assert_eq!((*status, method.as_str()), (400, "POST"));
    assert!(
        url.ends_with(&format!("/chains/{}/rules", chain.id)),
        "{url}"
    );
    assert!(
        violations
            .iter()
            .any(|(p, m)| p == "tpDst" && m.contains("0-65535")),
        "{violations:?}"
    );
    assert!(e.to_string().contains("tpDst"), "{e}");
    assert!(c.chain_rules(chain.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn ip_address_groups_hold_v4_and_v6_addresses() {
    let (_gw, c) = connected().await;
    let g = c
        .create_ip_addr_group(&IpAddrGroup {
            id: Uuid::new_v4(),
            name: Some("sg_priv_sg-1".into()),
        })
        .await
        .unwrap();
    let v4: IpAddr = "172.31.0.5".parse().unwrap();
    let v6: IpAddr = "2001:db8::5".parse().unwrap();
    let added = c.add_ip_addr_group_addr(g.id, v4).await.unwrap();
    assert_eq!(
        (added.addr, added.version, added.ip_addr_group_id),
        (v4, Some(4), Some(g.id))
    );
    let added6 = c.add_ip_addr_group_addr(g.id, v6).await.unwrap();
    assert_eq!(added6.version, Some(6));
    let mut addrs: Vec<IpAddr> = c
        .ip_addr_group_addrs(g.id)
        .await
        .unwrap()
        .iter()
        .map(|a| a.addr)
        .collect();
    addrs.sort();
    assert_eq!(addrs, [v4, v6]);

    assert_eq!(c.ip_addr_group_addr(g.id, v6).await.unwrap(), added6);
    c.remove_ip_addr_group_addr(g.id, v6).await.unwrap();
    let left: Vec<IpAddr> = c
        .ip_addr_group_addrs(g.id)
        .await
        .unwrap()
        .iter()
        .map(|a| a.addr)
        .collect();
    assert_eq!(left, [v4]);
    assert!(c
        .ip_addr_group_addr(g.id, v6)
        .await
        .unwrap_err()
        .is_not_found());
    let missing = c.remove_ip_addr_group_addr(g.id, v6).await.unwrap_err();
    assert!(
        missing.is_not_found() && matches!(missing, ClientError::NotListed { .. }),
        "{missing}"
    );
}

#[tokio::test]
async fn port_groups_hold_ports() {
    let (_gw, c) = connected().await;
    let b = bridge(&c, "b").await;
    let p = bridge_port(&c, b.id).await;
    let pg = c
        .create_port_group(&PortGroup {
            id: Uuid::new_v4(),
            tenant_id: Some(TENANT.into()),
            name: Some("pg".into()),
            stateful: true,
        })
        .await
        .unwrap();
    let member = c.add_port_group_port(pg.id, p.id).await.unwrap();
    assert_eq!((member.port_group_id, member.port_id), (Some(pg.id), p.id));
    assert_eq!(
        c.port_group_ports(pg.id).await.unwrap(),
        vec![member.clone()]
    );
    assert_eq!(c.port_group_port(pg.id, p.id).await.unwrap(), member);
    assert_eq!(c.port_port_groups(p.id).await.unwrap(), [member]);

    c.remove_port_group_port(pg.id, p.id).await.unwrap();
    assert!(c.port_group_ports(pg.id).await.unwrap().is_empty());
    assert!(c
        .port_group_port(pg.id, p.id)
        .await
        .unwrap_err()
        .is_not_found());
    assert!(c.port_port_groups(p.id).await.unwrap().is_empty());
}

fn node(name: &str) -> Host {
    Host {
        id: Uuid::new_v4(),
        name: Some(name.into()),
        addresses: vec!["10.111.1.11".into()],
        alive: true,
        flooding_proxy_weight: 1,
        container_weight: 1,
        container_limit: -1,
        enforce_container_limit: false,
        host_interfaces: vec![Interface {
            mac: Some("52:54:00:00:00:01".into()),
            addresses: vec!["10.111.1.11".into()],
            ..Interface::named("eth0")
        }],
    }
}

#[tokio::test]
async fn ports_bind_to_hosts_only_through_a_tunnel_zone() {
    let (_gw, c) = connected().await;
    let host = c.register_host(&node("node1")).await.unwrap();
    assert_eq!((host.name.as_deref(), host.alive), (Some("node1"), true));
    assert_eq!(c.hosts().await.unwrap().len(), 1);
    assert_eq!(c.host(host.id).await.unwrap(), host);
    let ifaces = c.host_interfaces(host.id).await.unwrap();
    assert_eq!(ifaces.len(), 1);
    assert_eq!(
        (ifaces[0].name.as_str(), ifaces[0].mac.as_deref()),
        ("eth0", Some("52:54:00:00:00:01"))
    );
    let eth0 = c.host_interface(host.id, "eth0").await.unwrap();
    assert_eq!(eth0.host_id, Some(host.id));
    assert!(c
        .host_interface(host.id, "eth9")
        .await
        .unwrap_err()
        .is_not_found());

    let b = bridge(&c, "b").await;
    let p = bridge_port(&c, b.id).await;
    let p2 = bridge_port(&c, b.id).await;
    let outside = c.bind_port(host.id, p.id, "vn_i-1").await.unwrap_err();
    assert!(
        outside.is_conflict() && outside.to_string().contains("tunnel zone"),
        "{outside}"
    );

    let tz = c
        .create_tunnel_zone(&TunnelZone {
            id: Uuid::new_v4(),
            name: Some("mido-tz".into()),
            zone_type: TunnelZoneType::Gre,
        })
        .await
        .unwrap();
    let underlay: IpAddr = "10.111.1.11".parse().unwrap();
    let member = c
        .add_tunnel_zone_member(tz.id, host.id, underlay)
        .await
        .unwrap();
    assert_eq!(
        (member.tunnel_zone_id, member.host_id, member.ip_address),
        (Some(tz.id), host.id, underlay)
    );
    assert!(c
        .add_tunnel_zone_member(tz.id, host.id, underlay)
        .await
        .unwrap_err()
        .is_conflict());
    assert_eq!(
        c.tunnel_zone_members(tz.id).await.unwrap(),
        vec![member.clone()]
    );
    assert_eq!(c.tunnel_zone_member(tz.id, host.id).await.unwrap(), member);

    let binding = c.bind_port(host.id, p.id, "vn_i-1").await.unwrap();
    assert_eq!(
        (
            binding.host_id,
            binding.port_id,
            binding.interface_name.as_str()
        ),
        (Some(host.id), p.id, "vn_i-1")
    );
    let bound = c.port(p.id).await.unwrap();
    assert_eq!(
        (bound.host_id, bound.interface_name.as_deref()),
        (Some(host.id), Some("vn_i-1"))
    );
    assert_eq!(
        c.host_bindings(host.id).await.unwrap(),
        vec![binding.clone()]
    );
    assert_eq!(c.host_binding(host.id, p.id).await.unwrap(), binding);
    let taken = c.bind_port(host.id, p2.id, "vn_i-1").await.unwrap_err();
    assert!(
        taken.is_conflict() && taken.to_string().contains("already bound"),
        "{taken}"
    );

    c.unbind_port(host.id, p.id).await.unwrap();
    assert_eq!(c.port(p.id).await.unwrap().host_id, None);
    assert!(c.host_bindings(host.id).await.unwrap().is_empty());
    assert!(c
        .host_binding(host.id, p.id)
        .await
        .unwrap_err()
        .is_not_found());

    let mut weighted = c.host(host.id).await.unwrap();
    weighted.flooding_proxy_weight = 7;
    c.update_host(&weighted).await.unwrap();
    let read = c.host(host.id).await.unwrap();
    assert_eq!(read.flooding_proxy_weight, 7);
    assert_eq!(
        read.host_interfaces.len(),
        1,
        "interfaces belong to the host"
    );

    let mut renamed = tz.clone();
    renamed.name = Some("mido-tz-2".into());
    c.update_tunnel_zone(&renamed).await.unwrap();
    assert_eq!(c.tunnel_zone(tz.id).await.unwrap(), renamed);
    assert_eq!(c.tunnel_zones().await.unwrap(), [renamed]);

    c.remove_tunnel_zone_member(tz.id, host.id).await.unwrap();
    assert!(c.tunnel_zone_members(tz.id).await.unwrap().is_empty());
    c.delete_tunnel_zone(tz.id).await.unwrap();
    c.delete_host(host.id).await.unwrap();
    assert!(c.hosts().await.unwrap().is_empty());
}

#[tokio::test]
async fn registering_a_host_again_refreshes_it() {
    let (_gw, c) = connected().await;
    let mut host = node("node1");
    c.register_host(&host).await.unwrap();
    host.host_interfaces = vec![Interface::named("eth1")];
    let again = c.register_host(&host).await.unwrap();
    assert_eq!(again.id, host.id);
    assert_eq!(c.host_interfaces(host.id).await.unwrap()[0].name, "eth1");
}

#[tokio::test]
async fn dhcp_subnets_hold_static_hosts() {
    let (_gw, c) = connected().await;
    let b = bridge(&c, "vb_vpc-1_subnet-1").await;
    let subnet = DhcpSubnet {
        subnet_prefix: ip("172.31.0.0"),
        subnet_length: 20,
        default_gateway: Some(ip("172.31.0.1")),
        server_addr: Some(ip("172.31.0.2")),
        dns_server_addrs: vec![ip("172.31.0.2")],
        interface_mtu: Some(1450),
        opt121_routes: vec![Opt121Route {
            destination_prefix: ip("169.254.169.254"),
            destination_length: 32,
            gateway_addr: ip("172.31.0.1"),
        }],
        enabled: true,
    };
    let key = SubnetKey::from(&subnet);
    assert_eq!(c.create_dhcp_subnet(b.id, &subnet).await.unwrap(), subnet);
    assert_eq!(c.dhcp_subnet(b.id, key).await.unwrap(), subnet);
    assert_eq!(c.dhcp_subnets(b.id).await.unwrap(), vec![subnet.clone()]);
    assert!(c
        .create_dhcp_subnet(b.id, &subnet)
        .await
        .unwrap_err()
        .is_conflict());

    let host = DhcpHost {
        mac_addr: "D0:0D:12:34:56:78".into(),
        ip_addr: ip("172.31.0.10"),
        name: Some("i-12345678".into()),
        extra_dhcp_opts: vec![DhcpExtraOption {
            opt_name: "26".into(),
            opt_value: "1450".into(),
        }],
    };
    let created = c.create_dhcp_host(b.id, key, &host).await.unwrap();
    assert_eq!(created.mac_addr, "d0:0d:12:34:56:78", "MidoNet's MAC form");
    assert_eq!(created.extra_dhcp_opts, host.extra_dhcp_opts);
    assert_eq!(
        c.dhcp_host(b.id, key, "d0-0d-12-34-56-78").await.unwrap(),
        created
    );
    let moved = DhcpHost {
        ip_addr: ip("172.31.0.12"),
        ..created.clone()
    };
    c.update_dhcp_host(b.id, key, &moved).await.unwrap();
    assert_eq!(c.dhcp_hosts(b.id, key).await.unwrap(), [moved]);

    let mut changed = subnet.clone();
    changed.dns_server_addrs = vec![ip("8.8.8.8")];
    c.update_dhcp_subnet(b.id, &changed).await.unwrap();
    assert_eq!(c.dhcp_subnet(b.id, key).await.unwrap(), changed);
    assert_eq!(
        c.dhcp_hosts(b.id, key).await.unwrap().len(),
        1,
        "hosts survive a subnet update"
    );

    c.delete_dhcp_host(b.id, key, "D0:0D:12:34:56:78")
        .await
        .unwrap();
    assert!(c.dhcp_hosts(b.id, key).await.unwrap().is_empty());
    c.delete_dhcp_subnet(b.id, key).await.unwrap();
    assert!(c.dhcp_subnets(b.id).await.unwrap().is_empty());
    assert!(c.dhcp_subnet(b.id, key).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn bridges_keep_mac_and_arp_entries() {
    let (_gw, c) = connected().await;
    let b = bridge(&c, "b").await;
    let p = bridge_port(&c, b.id).await;
    let untagged = MacPort {
        mac_addr: "02:00:00:00:00:01".into(),
        port_id: p.id,
        vlan_id: None,
    };
    let added = c.add_mac_entry(b.id, &untagged).await.unwrap();
    assert_eq!(
        (added.mac_addr.as_str(), added.port_id, added.vlan_id),
        ("02:00:00:00:00:01", p.id, Some(0))
    );
    let tagged = MacPort {
        mac_addr: "02:00:00:00:00:02".into(),
        port_id: p.id,
        vlan_id: Some(7),
    };
    assert_eq!(c.add_mac_entry(b.id, &tagged).await.unwrap(), tagged);
    assert_eq!(c.mac_table(b.id).await.unwrap().len(), 2);
    assert_eq!(
        c.vlan_mac_table(b.id, 7).await.unwrap(),
        vec![tagged.clone()]
    );
    assert_eq!(c.mac_entry(b.id, &tagged).await.unwrap(), tagged);
    assert_eq!(c.mac_entry(b.id, &untagged).await.unwrap(), added);
    c.delete_mac_entry(b.id, &untagged).await.unwrap();
    assert!(c
        .mac_entry(b.id, &untagged)
        .await
        .unwrap_err()
        .is_not_found());
    c.delete_mac_entry(b.id, &tagged).await.unwrap();
    assert!(c.mac_table(b.id).await.unwrap().is_empty());

    let other = bridge(&c, "other").await;
    let foreign = bridge_port(&c, other.id).await;
    let refused = c
        .add_mac_entry(
            b.id,
            &MacPort {
                port_id: foreign.id,
                ..untagged.clone()
            },
        )
        .await
        .unwrap_err();
    assert!(refused.is_bad_request(), "{refused}");

    let arp = Ip4Mac {
        ip: ip("172.31.0.2"),
        mac: "02:00:00:00:00:09".into(),
    };
    assert_eq!(c.add_arp_entry(b.id, &arp).await.unwrap(), arp);
    assert_eq!(c.arp_table(b.id).await.unwrap(), vec![arp.clone()]);
    assert_eq!(c.arp_entry(b.id, &arp).await.unwrap(), arp);
    c.delete_arp_entry(b.id, &arp).await.unwrap();
    assert!(c.arp_table(b.id).await.unwrap().is_empty());
    assert!(c.arp_entry(b.id, &arp).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn routers_speak_bgp() {
    let (_gw, c) = connected().await;
    let mut eucart = Router::named(Uuid::new_v4(), "eucart", TENANT);
    eucart.as_number = 65000;
    let r = c.create_router(&eucart).await.unwrap();
    let peer = BgpPeer {
        id: Uuid::new_v4(),
        router_id: None,
        address: ip("10.0.0.254"),
        as_number: 65001,
        keep_alive: Some(30),
        hold_time: None,
        connect_retry: None,
        password: None,
    };
    let created = c.create_bgp_peer(r.id, &peer).await.unwrap();
    assert_eq!(created.router_id, Some(r.id));
    assert_eq!(c.bgp_peers(r.id).await.unwrap(), vec![created.clone()]);
    let mut slower = created.clone();
    slower.hold_time = Some(180);
    c.update_bgp_peer(&slower).await.unwrap();
    assert_eq!(c.bgp_peer(peer.id).await.unwrap(), slower);

    let net = BgpNetwork {
        id: Uuid::new_v4(),
        router_id: None,
        subnet_address: ip("203.0.113.0"),
        subnet_length: 24,
    };
    let created_net = c.create_bgp_network(r.id, &net).await.unwrap();
    assert_eq!(
        c.bgp_networks(r.id).await.unwrap(),
        vec![created_net.clone()]
    );
    assert_eq!(c.bgp_network(net.id).await.unwrap(), created_net);
    c.delete_bgp_network(net.id).await.unwrap();
    assert!(c.bgp_networks(r.id).await.unwrap().is_empty());
    c.delete_bgp_peer(peer.id).await.unwrap();
    assert!(c.bgp_peer(peer.id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn system_state_and_tenants() {
    let (_gw, c) = connected().await;
    let state = c.system_state().await.unwrap();
    assert_eq!(state, SystemState::default());
    let upgrading = SystemState {
        state: "UPGRADE".into(),
        availability: "READONLY".into(),
        write_version: None,
        information: Some("maintenance until 18:00".into()),
    };
    c.update_system_state(&upgrading).await.unwrap();
    assert_eq!(c.system_state().await.unwrap(), upgrading);
    let bad = SystemState {
        state: "ASLEEP".into(),
        ..SystemState::default()
    };
    assert!(c
        .update_system_state(&bad)
        .await
        .unwrap_err()
        .is_bad_request());

    router(&c, "r").await;
    let tenants = c.tenants().await.unwrap();
    assert_eq!(
        tenants.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [TENANT]
    );
    assert_eq!(c.tenant(TENANT).await.unwrap().name, TENANT);
    assert!(c.tenant("nobody").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn sub_resources_of_a_missing_parent_are_not_found() {
    let (_gw, c) = connected().await;
    let missing = Uuid::new_v4();
    let e = c.router_ports(missing).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert!(
        e.to_string().starts_with(&format!(
            "404 Not Found on GET {}",
            c.uri_of::<Router>(missing).unwrap()
        )),
        "{e}"
    );
    assert!(c
        .link_ports(missing, Uuid::new_v4())
        .await
        .unwrap_err()
        .is_not_found());
    assert!(c.dhcp_subnets(missing).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn clones_issue_requests_in_parallel() {
    let (_gw, c) = connected().await;
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                let b = c
                    .create_bridge(&Bridge::named(Uuid::new_v4(), &format!("b{i}"), TENANT))
                    .await?;
                c.create_bridge_port(b.id, &Port::bridge_port(Uuid::new_v4(), b.id))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(c.bridges().await.unwrap().len(), 24);
    assert_eq!(c.ports().await.unwrap().len(), 24);
}

#[tokio::test]
async fn an_unreachable_server_is_named_without_a_trace() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/midonet-api", listener.local_addr().unwrap());
    drop(listener);
    let e = MidonetClient::connect(&url).await.unwrap_err();
    let ClientError::Unreachable { url: named, .. } = &e else {
        panic!("not Unreachable: {e:?}");
    };
    assert_eq!(named, &url);
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("cannot reach the MidoNet API at {url}: ")),
        "{shown}"
    );
    assert!(
        shown.to_lowercase().contains("refused"),
        "the root cause is shown: {shown}"
    );
    assert!(!shown.contains('\n'), "one line: {shown}");
    assert!(e.is_unavailable());
}

#[tokio::test]
async fn a_url_that_is_not_a_midonet_api_is_a_clear_error() {
    let (gw, _c) = connected().await;
    let wrong = gw.url.replace("/midonet-api", "/nothing-here");
    let e = MidonetClient::connect(&wrong).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert!(e.to_string().contains(&wrong), "{e}");
}

#[tokio::test]
async fn a_batch_goes_through_the_gateways_endpoint_in_one_transaction() {
    let (_gw, c) = connected().await;
    let before = c.changes_revision().await.unwrap().expect("a change feed");
    let router = Uuid::new_v4();
    let ops = [
        Operation::create("/routers", json!({"id": router, "name": "batched"})),
        Operation::create(
            format!("/routers/{router}/ports"),
            json!({"portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}),
        ),
    ];
    let outcome = c.batch(&ops).await.unwrap();
    assert_eq!(outcome.transactions, 1);
    assert_eq!(
        outcome.results.iter().map(|r| r.status).collect::<Vec<_>>(),
        [201, 201]
    );
    assert_eq!(outcome.revisions.len(), 1);
    assert!(outcome.revisions_known());
    let (now, since) = c.changes_revisions(before).await.unwrap();
    assert_eq!(since, outcome.revisions, "only the batch wrote since");
    assert!(now >= outcome.revisions[0]);
    let gone = c.changes_revisions(now + 1_000_000).await.unwrap_err();
    assert_eq!(gone.status(), Some(410), "{gone}");
    assert_eq!(
        c.router(router).await.unwrap().name.as_deref(),
        Some("batched")
    );
    assert_eq!(c.router_ports(router).await.unwrap().len(), 1);

    // A failing operation names itself, and nothing of the batch is written.
    let other = Uuid::new_v4();
    let bad = [
        Operation::create("/routers", json!({"id": other, "name": "never"})),
        Operation::create(
            "/chains/00000000-0000-4000-8000-000000000001/rules",
            json!({"type": "accept"}),
        ),
    ];
    let err = c.batch(&bad).await.unwrap_err();
    assert_eq!((err.index, err.applied), (1, 0), "{err}");
    assert!(err.source.is_not_found(), "{err}");
    assert!(
        c.router(other).await.unwrap_err().is_not_found(),
        "the first operation was not applied"
    );
}
