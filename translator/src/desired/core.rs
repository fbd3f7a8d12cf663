//! Builds the objects every cloud shares (`reference/eucanetd.md` §2.3): `euca_version`, the core
//! router `eucart` with its transit port and one port per gateway, the gateway port group
//! `eucapg`, BGP peers and networks, the transit bridge `eucabr` guarded by `eucabr_infilter`, and
//! `metadata_ip`.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use topology::{BgpNetwork, BgpPeer, Condition, PortGroup, RuleType};

use super::names::{
    CORE_BRIDGE, CORE_BRIDGE_INFILTER, CORE_ROUTER, GATEWAY_PORT_GROUP, METADATA_IP_GROUP,
    VERSION_GROUP,
};
use super::{
    any_network, host_network, plain_rule, Binding, Build, ConditionExt, DesiredPortGroup,
    TranslateError, CONFIGURATION, ETH_IPV4,
};
use crate::gni::Uplink;

/// The metadata service address.
pub(super) const METADATA_IP: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// The key of `eucart`'s transit port; other stages route through it.
pub(super) fn transit_port_key() -> String {
    format!("{CORE_ROUTER}/transit")
}

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    let owner = CONFIGURATION;
    let version = b.env.version_address()?;
    b.ip_addr_group(VERSION_GROUP, owner, [IpAddr::V4(version)])?;

    let eucart = b.router(CORE_ROUTER, owner)?;
    let transit = b.env.constants.intrt_cidr;
    let address = b.env.constants.transit_address(1)?;
    let transit_port = b.router_port(transit_port_key(), owner, eucart, address, transit, None)?;
    b.route(owner, eucart, any_network(), transit, transit_port, None, 0)?;

    let port_group = b.record(GATEWAY_PORT_GROUP.to_owned(), owner)?;
    let mut gateway_ports = BTreeSet::new();
    for gateway in &b.gni.config.gateways {
        let key = format!("{CORE_ROUTER}/gateway/{}", gateway.external_ip);
        let cidr = gateway.external_cidr;
        let port = b.router_port(key, owner, eucart, gateway.external_ip, cidr, None)?;
        let peer = gateway.uplink.peer_ip();
        b.route(owner, eucart, any_network(), cidr, port, None, 0)?;
        b.route(
            owner,
            eucart,
            any_network(),
            host_network(peer),
            port,
            None,
            0,
        )?;
        b.route(
            owner,
            eucart,
            any_network(),
            any_network(),
            port,
            Some(peer),
            0,
        )?;
        match b.env.host_with(gateway.host_ip) {
            Some(host) => {
                let binding = Binding {
                    host_id: host.id,
                    interface_name: gateway.external_device.clone(),
                };
                if let Some(p) = b.out.ports.get_mut(&port).map(Arc::make_mut) {
                    p.binding = Some(binding);
                }
            }
            None => b.diagnose(
                owner,
                format!(
                    "gateway {}: no MidoNet host has address {}; its port stays unbound",
                    gateway.external_ip, gateway.host_ip
                ),
            ),
        }
        gateway_ports.insert(port);
    }
    let group = PortGroup {
        id: port_group,
        tenant_id: Some(b.tenant().to_owned()),
        name: Some(GATEWAY_PORT_GROUP.to_owned()),
        stateful: true,
    };
    b.out.port_groups.insert(
        port_group,
        DesiredPortGroup {
            group,
            ports: gateway_ports,
        }
        .into(),
    );
    bgp(b, eucart)?;

    let eucabr = b.bridge(CORE_BRIDGE, owner)?;
    let bridge_port = b.bridge_port(format!("{CORE_BRIDGE}/port/{CORE_ROUTER}"), owner, eucabr)?;
    b.link(transit_port, bridge_port);
    b.ip_addr_group(METADATA_IP_GROUP, owner, [IpAddr::V4(METADATA_IP)])?;

    // Tenants must not reach the transit addresses of the routers.
    let infilter = b.chain(CORE_BRIDGE_INFILTER, owner)?;
    if let Some(bridge) = b.out.bridges.get_mut(&eucabr).map(Arc::make_mut) {
        bridge.inbound_filter_id = Some(infilter);
    }
    let guard = Condition::default()
        .dl_type(ETH_IPV4, false)
        .dst(transit, false);
    b.rule(
        infilter,
        "drop_transit",
        owner,
        plain_rule(RuleType::Drop, guard),
    )?;
    Ok(())
}

/// BGP on `eucart` (API v5 form): the AS number, one peer per BGP gateway, one network per
/// distinct announced route. Needs `bgpAsn`; a BGP gateway without it is a diagnostic.
fn bgp(b: &mut Build, eucart: uuid::Uuid) -> Result<(), TranslateError> {
    let owner = CONFIGURATION;
    let mut networks = BTreeSet::new();
    let mut peers = Vec::new();
    for gateway in &b.gni.config.gateways {
        if let Uplink::Bgp {
            peer_ip,
            peer_asn,
            ad_routes,
        } = &gateway.uplink
        {
            peers.push((*peer_ip, *peer_asn));
            networks.extend(ad_routes.iter().copied());
        }
    }
    if peers.is_empty() {
        return Ok(());
    }
    let Some(asn) = b.gni.config.bgp_asn else {
        b.diagnose(
            owner,
            "gateways peer with BGP but bgpAsn is not set; no BGP is configured".to_owned(),
        );
        return Ok(());
    };
    if let Some(router) = b.out.routers.get_mut(&eucart).map(Arc::make_mut) {
        router.as_number = asn;
    }
    for (address, as_number) in peers {
        let id = b.record(format!("{CORE_ROUTER}/bgp_peer/{address}"), owner)?;
        b.out.bgp_peers.insert(
            id,
            BgpPeer {
                id,
                router_id: Some(eucart),
                address,
                as_number,
                keep_alive: None,
                hold_time: None,
                connect_retry: None,
                password: None,
            }
            .into(),
        );
    }
    for net in networks {
        let id = b.record(format!("{CORE_ROUTER}/bgp_network/{net}"), owner)?;
        b.out.bgp_networks.insert(
            id,
            BgpNetwork {
                id,
                router_id: Some(eucart),
                subnet_address: net.network(),
                subnet_length: net.prefix(),
            }
            .into(),
        );
    }
    Ok(())
}
