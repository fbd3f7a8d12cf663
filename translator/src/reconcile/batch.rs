//! A plan's changes as operations of the gateway's `POST /batch` (our extension): the same
//! writes the plain calls make, addressed by the gateway's paths under the API root.

use midonet_client::{Op, Operation};
use serde_json::{json, Value};
use topology::{mac_to_uri, PortType};

use super::plan::Change;

fn create(path: String, body: Value) -> Option<Operation> {
    Some(Operation {
        op: Op::Create,
        path,
        body: Some(body),
    })
}

fn update(path: String, body: Value) -> Option<Operation> {
    Some(Operation {
        op: Op::Update,
        path,
        body: Some(body),
    })
}

fn delete(path: String) -> Option<Operation> {
    Some(Operation {
        op: Op::Delete,
        path,
        body: None,
    })
}

fn body(value: &impl serde::Serialize) -> Option<Value> {
    serde_json::to_value(value).ok()
}

/// The batch operation for `change`; `None` when the change lacks what its path needs (the
/// plain call reports that precisely).
pub fn operation(change: &Change) -> Option<Operation> {
    use Change::*;
    match change {
        CreateChain(x) => create("/chains".into(), body(x)?),
        DeleteChain(id) => delete(format!("/chains/{id}")),
        CreateRule { chain, rule } => create(format!("/chains/{chain}/rules"), body(rule)?),
        DeleteRule(id) => delete(format!("/rules/{id}")),
        CreateIpAddrGroup(x) => create("/ip_addr_groups".into(), body(x)?),
        DeleteIpAddrGroup(id) => delete(format!("/ip_addr_groups/{id}")),
        AddAddr { group, addr } => create(
            format!("/ip_addr_groups/{group}/ip_addrs"),
            json!({"addr": addr.to_string(), "version": if addr.is_ipv4() { 4 } else { 6 }}),
        ),
        RemoveAddr { group, addr } => {
            let version = if addr.is_ipv4() { 4 } else { 6 };
            delete(format!(
                "/ip_addr_groups/{group}/versions/{version}/ip_addrs/{addr}"
            ))
        }
        CreatePortGroup(x) => create("/port_groups".into(), body(x)?),
        UpdatePortGroup(x) => update(format!("/port_groups/{}", x.id), body(x)?),
        DeletePortGroup(id) => delete(format!("/port_groups/{id}")),
        AddMember { group, port } => create(
            format!("/port_groups/{group}/ports"),
            json!({"portId": port}),
        ),
        RemoveMember { group, port } => delete(format!("/port_groups/{group}/ports/{port}")),
        CreateRouter(x) => create("/routers".into(), body(x)?),
        UpdateRouter(x) => update(format!("/routers/{}", x.id), body(x)?),
        DeleteRouter(id) => delete(format!("/routers/{id}")),
        CreateBridge(x) => create("/bridges".into(), body(x)?),
        UpdateBridge(x) => update(format!("/bridges/{}", x.id), body(x)?),
        DeleteBridge(id) => delete(format!("/bridges/{id}")),
        CreatePort(port) => {
            let device = port.device_id?;
            let collection = match port.port_type {
                PortType::Router => "routers",
                PortType::Bridge => "bridges",
            };
            create(format!("/{collection}/{device}/ports"), body(port)?)
        }
        UpdatePort(x) => update(format!("/ports/{}", x.id), body(x)?),
        DeletePort(id) => delete(format!("/ports/{id}")),
        Link { port, peer } => create(format!("/ports/{port}/link"), json!({"peerId": peer})),
        Unlink { port } => delete(format!("/ports/{port}/link")),
        Bind { port, binding } => create(
            format!("/hosts/{}/ports", binding.host_id),
            json!({"portId": port, "interfaceName": binding.interface_name}),
        ),
        Unbind { port, host } => delete(format!("/hosts/{host}/ports/{port}")),
        CreateRoute(route) => create(
            format!("/routers/{}/routes", route.router_id?),
            body(route)?,
        ),
        DeleteRoute(id) => delete(format!("/routes/{id}")),
        CreateDhcpSubnet { bridge, subnet } => {
            create(format!("/bridges/{bridge}/dhcp"), body(subnet)?)
        }
        UpdateDhcpSubnet { bridge, subnet } => update(
            format!(
                "/bridges/{bridge}/dhcp/{}_{}",
                subnet.subnet_prefix, subnet.subnet_length
            ),
            body(subnet)?,
        ),
        DeleteDhcpSubnet { bridge, key } => delete(format!("/bridges/{bridge}/dhcp/{key}")),
        CreateDhcpHost {
            bridge,
            subnet,
            host,
        } => create(
            format!("/bridges/{bridge}/dhcp/{subnet}/hosts"),
            body(host)?,
        ),
        UpdateDhcpHost {
            bridge,
            subnet,
            host,
        } => update(
            format!(
                "/bridges/{bridge}/dhcp/{subnet}/hosts/{}",
                mac_to_uri(&host.mac_addr)
            ),
            body(host)?,
        ),
        DeleteDhcpHost {
            bridge,
            subnet,
            mac,
        } => delete(format!(
            "/bridges/{bridge}/dhcp/{subnet}/hosts/{}",
            mac_to_uri(mac)
        )),
        AddArpEntry { bridge, entry } => {
            create(format!("/bridges/{bridge}/arp_table"), body(entry)?)
        }
        DeleteArpEntry { bridge, entry } => {
            delete(format!("/bridges/{bridge}/arp_table/{}", entry.uri_key()))
        }
        AddMacEntry { bridge, entry } => {
            create(format!("/bridges/{bridge}/mac_table"), body(entry)?)
        }
        DeleteMacEntry { bridge, entry } => match entry.vlan_id.filter(|v| *v != 0) {
            Some(vlan) => delete(format!(
                "/bridges/{bridge}/vlans/{vlan}/mac_table/{}",
                entry.uri_key()
            )),
            None => delete(format!("/bridges/{bridge}/mac_table/{}", entry.uri_key())),
        },
        CreateBgpPeer(peer) => create(
            format!("/routers/{}/bgp_peers", peer.router_id?),
            body(peer)?,
        ),
        UpdateBgpPeer(x) => update(format!("/bgp_peers/{}", x.id), body(x)?),
        DeleteBgpPeer(id) => delete(format!("/bgp_peers/{id}")),
        CreateBgpNetwork(net) => create(
            format!("/routers/{}/bgp_networks", net.router_id?),
            body(net)?,
        ),
        DeleteBgpNetwork(id) => delete(format!("/bgp_networks/{id}")),
    }
}
