//! Builds DHCP service (`reference/eucanetd.md` §2.5, §2.6): one DHCP subnet per subnet bridge
//! (default gateway `.1`, DNS servers) and one static host per interface (name `<if>`, MAC, IP,
//! search domain). Unlike eucanetd, the VPC's DHCP option set is applied: its
//! `domain-name-servers` (`AmazonProvidedDNS` meaning `instanceDNSServers`) replace the cloud's
//! DNS servers, its `domain-name` the search domain and domain name, its `ntp-servers` become
//! option 42.

use std::net::Ipv4Addr;

use topology::{DhcpExtraOption, DhcpHost, DhcpSubnet};

use super::names;
use super::subnet_bridge::gateway_address;
use super::{Build, DesiredDhcpHost, DesiredDhcpSubnet, TranslateError};
use crate::gni::{DhcpOptionSet, DnsServer, Vpc};

/// eucanetd's DNS server when the GNI names none (`mido_create_dhcp`).
const FALLBACK_DNS: Ipv4Addr = Ipv4Addr::new(8, 8, 8, 8);

/// The option eucanetd hands every host (by name, as eucanetd sends it).
const DOMAIN_SEARCH: &str = "domain_search";
/// DHCP option codes (RFC 2132), MidoNet's `optName` form.
const DOMAIN_NAME: &str = "15";
const NTP_SERVERS: &str = "42";

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    for vpc in b.vpcs() {
        let options = vpc
            .dhcp_option_set
            .as_ref()
            .and_then(|id| b.gni.dhcp_option_sets.get(id));
        for subnet in vpc.subnets.values() {
            let owner = subnet.id.as_str();
            let bridge = names::object_id(&names::subnet_bridge(&vpc.id, &subnet.id));
            let dhcp = DhcpSubnet {
                subnet_prefix: subnet.cidr.network(),
                subnet_length: subnet.cidr.prefix(),
                default_gateway: Some(gateway_address(subnet)?),
                server_addr: None,
                dns_server_addrs: dns_servers(b, options),
                interface_mtu: None,
                opt121_routes: Vec::new(),
                enabled: true,
            };
            // The store's id for the subnet, so desired and actual compare by id; recorded under
            // its own key for origins and dumps.
            let key = format!(
                "{}/dhcp/{}",
                names::subnet_bridge(&vpc.id, &subnet.id),
                dhcp.key()
            );
            let id = DhcpSubnet::object_id(bridge, &dhcp.key());
            b.record_as(id, key, owner)?;
            b.out.dhcp_subnets.insert(
                id,
                DesiredDhcpSubnet {
                    bridge,
                    subnet: dhcp,
                }
                .into(),
            );
        }
        hosts(b, vpc, options)?;
    }
    Ok(())
}

/// One DHCP host per interface of the VPC, on its subnet's bridge.
fn hosts(b: &mut Build, vpc: &Vpc, options: Option<&DhcpOptionSet>) -> Result<(), TranslateError> {
    let extra = host_options(b, options);
    for (_, interface) in b.interfaces_of(&vpc.id) {
        let Some(subnet) = vpc.subnets.get(&interface.subnet) else {
            return Err(TranslateError::Reference {
                layer: "interface",
                id: interface.name.to_string(),
                reason: format!("subnet {} is not in vpc {}", interface.subnet, vpc.id),
            });
        };
        let bridge_name = names::subnet_bridge(&vpc.id, &subnet.id);
        let bridge = names::object_id(&bridge_name);
        let dhcp_key = format!("{}_{}", subnet.cidr.network(), subnet.cidr.prefix());
        let mac = interface.mac.to_string();
        let id = b.record(
            format!("{bridge_name}/dhcp/{dhcp_key}/host/{mac}"),
            interface.name.as_str(),
        )?;
        b.out.dhcp_hosts.insert(
            id,
            DesiredDhcpHost {
                bridge,
                dhcp_subnet: DhcpSubnet::object_id(bridge, &dhcp_key),
                host: DhcpHost {
                    mac_addr: mac,
                    ip_addr: interface.private_ip,
                    name: Some(interface.name.to_string()),
                    extra_dhcp_opts: extra.clone(),
                },
            }
            .into(),
        );
    }
    Ok(())
}

/// The option set's DNS servers, else the cloud's, else eucanetd's fallback; duplicates dropped.
fn dns_servers(b: &Build, options: Option<&DhcpOptionSet>) -> Vec<Ipv4Addr> {
    let cloud = &b.gni.config.dns_servers;
    let mut servers: Vec<Ipv4Addr> = match options {
        Some(set) if !set.domain_name_servers.is_empty() => set
            .domain_name_servers
            .iter()
            .flat_map(|s| match s {
                DnsServer::AmazonProvided => cloud.clone(),
                DnsServer::Address(a) => vec![*a],
            })
            .collect(),
        _ => cloud.clone(),
    };
    let mut seen = std::collections::BTreeSet::new();
    servers.retain(|s| seen.insert(*s));
    if servers.is_empty() {
        servers.push(FALLBACK_DNS);
    }
    servers
}

/// The per-host options: search domain (the option set's domain names, else
/// `instanceDNSDomain`), domain name and NTP servers from the option set.
fn host_options(b: &Build, options: Option<&DhcpOptionSet>) -> Vec<DhcpExtraOption> {
    let option = |name: &str, value: String| DhcpExtraOption {
        opt_name: name.to_owned(),
        opt_value: value,
    };
    let mut out = Vec::new();
    let domains = options.map(|o| o.domain_name.as_slice()).unwrap_or(&[]);
    if let Some(first) = domains.first() {
        out.push(option(DOMAIN_SEARCH, domains.join(" ")));
        out.push(option(DOMAIN_NAME, first.clone()));
    } else if let Some(domain) = &b.gni.config.dns_domain {
        out.push(option(DOMAIN_SEARCH, domain.clone()));
    }
    let ntp = options.map(|o| o.ntp_servers.as_slice()).unwrap_or(&[]);
    if !ntp.is_empty() {
        let list: Vec<String> = ntp.iter().map(|a| a.to_string()).collect();
        out.push(option(NTP_SERVERS, list.join(",")));
    }
    out
}
