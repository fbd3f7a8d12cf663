//! Builds each security group (`reference/eucanetd.md` §2.9, §2.6 "SG membership"): chains
//! `sg_ingress_<sg>` and `sg_egress_<sg>` with one accept per GNI rule (peers by CIDR or by the
//! referenced group's `sg_all_`), and the member address groups `sg_priv_<sg>` (private IPs of
//! member interfaces), `sg_pub_<sg>` (their public IPs) and `sg_all_<sg>` (both). No drop lives
//! here: the interface chains end with it.
//!
//! A rule's id derives from what it matches, not from its place, so adding a rule leaves the
//! others' ids alone; a rule listed twice is made once.

use std::collections::BTreeSet;
use std::net::IpAddr;

use topology::{Condition, PortRange, RuleType};

use super::names;
use super::{plain_rule, Build, ConditionExt, TranslateError};
use crate::gni::{Protocol, RulePeer, SecurityGroup, SecurityGroupRule};

const ICMP: u8 = 1;
const TCP: u8 = 6;
const UDP: u8 = 17;

/// What a protocol matches: TCP/UDP destination ports (a 0 bound becomes 1, as eucanetd 6.0
/// does, since MidoNet refuses port 0), ICMP type in `tpSrc` and code in `tpDst` (absent = any),
/// protocol -1 no protocol at all. `None` for protocol 0, which MidoNet reads as "any" and so
/// would open everything.
pub(super) fn protocol_condition(protocol: Protocol) -> Option<Condition> {
    let ports = |proto: u8, range: crate::gni::PortRange| Condition {
        nw_proto: Some(proto),
        tp_dst: Some(PortRange::new(range.from.max(1), range.to.max(1))),
        ..Condition::default()
    };
    match protocol {
        Protocol::All => Some(Condition::default()),
        Protocol::Tcp(range) => Some(ports(TCP, range)),
        Protocol::Udp(range) => Some(ports(UDP, range)),
        Protocol::Icmp { icmp_type, code } => Some(Condition {
            nw_proto: Some(ICMP),
            tp_src: icmp_type.map(|t| PortRange::single(t.into())),
            tp_dst: code.map(|c| PortRange::single(c.into())),
            ..Condition::default()
        }),
        Protocol::Other(0) => None,
        Protocol::Other(proto) => Some(Condition {
            nw_proto: Some(proto),
            ..Condition::default()
        }),
    }
}

/// A protocol as a key fragment: `all`, `tcp/22-22`, `icmp/8/any`, `proto/47`.
pub(super) fn protocol_key(protocol: Protocol) -> String {
    let opt = |v: Option<u8>| v.map_or("any".to_owned(), |v| v.to_string());
    match protocol {
        Protocol::All => "all".to_owned(),
        Protocol::Tcp(r) => format!("tcp/{}-{}", r.from, r.to),
        Protocol::Udp(r) => format!("udp/{}-{}", r.from, r.to),
        Protocol::Icmp { icmp_type, code } => format!("icmp/{}/{}", opt(icmp_type), opt(code)),
        Protocol::Other(p) => format!("proto/{p}"),
    }
}

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    for group in b.security_groups() {
        let owner = group.id.as_str();
        let (private, public) = b.members(&group.id).cloned().unwrap_or_default();
        let all: BTreeSet<IpAddr> = private.union(&public).copied().collect();
        b.ip_addr_group(
            &names::security_group_ips(&group.id, "priv"),
            owner,
            private,
        )?;
        b.ip_addr_group(&names::security_group_ips(&group.id, "pub"), owner, public)?;
        b.ip_addr_group(&names::security_group_ips(&group.id, "all"), owner, all)?;
        rules(b, group, "ingress", &group.ingress)?;
        rules(b, group, "egress", &group.egress)?;
    }
    Ok(())
}

fn rules(
    b: &mut Build,
    group: &SecurityGroup,
    direction: &str,
    rules: &[SecurityGroupRule],
) -> Result<(), TranslateError> {
    let owner = group.id.as_str();
    let chain = b.chain(&names::security_group_chain(&group.id, direction), owner)?;
    let ingress = direction == "ingress";
    let mut made = BTreeSet::new();
    for (n, rule) in rules.iter().enumerate() {
        let Some(condition) = protocol_condition(rule.protocol) else {
            b.diagnose(
                owner,
                format!(
                    "{direction} rule {}: protocol 0 is not supported; rule left out",
                    n + 1
                ),
            );
            continue;
        };
        let (condition, peer) = match &rule.peer {
            RulePeer::Cidr(net) => {
                let c = if ingress {
                    condition.src(*net, false)
                } else {
                    condition.dst(*net, false)
                };
                (c, net.to_string())
            }
            RulePeer::Group { id, .. } => {
                let members = names::object_id(&names::security_group_ips(id, "all"));
                let c = if ingress {
                    Condition {
                        ip_addr_group_src: Some(members),
                        ..condition
                    }
                } else {
                    Condition {
                        ip_addr_group_dst: Some(members),
                        ..condition
                    }
                };
                (c, id.to_string())
            }
        };
        let role = format!("{}/{peer}", protocol_key(rule.protocol));
        if made.insert(role.clone()) {
            b.rule(chain, &role, owner, plain_rule(RuleType::Accept, condition))?;
        }
    }
    Ok(())
}
