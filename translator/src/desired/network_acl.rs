//! Builds network ACLs (`reference/eucanetd.md` §2.10): per ACL the chains
//! `acl_ingress_<vpc>_<acl>` (entries match the source) and `acl_egress_<vpc>_<acl>` (the
//! destination), entries in rule-number order (eucanetd kept document order) as accept or drop,
//! then a drop of the IPv4 traffic no entry allowed (AWS's `*` entry; ARP is left alone); and per
//! associated subnet the one jump from `sc_<subnet>_in`/`_out` into them. Stateless, as in AWS.

use topology::{Condition, RuleType};

use super::security_group::{protocol_condition, protocol_key};
use super::{jump_rule, names, plain_rule, Build, ConditionExt, TranslateError, ETH_IPV4};
use crate::gni::{AclAction, AclEntry, NetworkAcl, Vpc};

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    for vpc in b.vpcs() {
        for acl in vpc.network_acls.values() {
            entries(b, vpc, acl, "ingress", &acl.ingress)?;
            entries(b, vpc, acl, "egress", &acl.egress)?;
        }
        for subnet in vpc.subnets.values() {
            let Some(acl) = &subnet.network_acl else {
                continue;
            };
            let owner = subnet.id.as_str();
            for (direction, sc) in [("ingress", "in"), ("egress", "out")] {
                let chain = names::object_id(&names::subnet_chain(&subnet.id, sc));
                let target = names::network_acl_chain(&vpc.id, acl, direction);
                let jump = jump_rule(&target, Condition::default());
                b.rule(chain, &format!("jump/{acl}"), owner, jump)?;
            }
        }
    }
    Ok(())
}

fn entries(
    b: &mut Build,
    vpc: &Vpc,
    acl: &NetworkAcl,
    direction: &str,
    entries: &[AclEntry],
) -> Result<(), TranslateError> {
    let owner = acl.id.as_str();
    let chain = b.chain(
        &names::network_acl_chain(&vpc.id, &acl.id, direction),
        owner,
    )?;
    let mut sorted: Vec<&AclEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| e.number);
    for entry in sorted {
        let Some(condition) = protocol_condition(entry.protocol) else {
            b.diagnose(
                owner,
                format!(
                    "{direction} entry {}: protocol 0 is not supported; entry left out",
                    entry.number
                ),
            );
            continue;
        };
        let condition = if direction == "ingress" {
            condition.src(entry.cidr, false)
        } else {
            condition.dst(entry.cidr, false)
        };
        let rule_type = match entry.action {
            AclAction::Allow => RuleType::Accept,
            AclAction::Deny => RuleType::Drop,
        };
        let role = format!(
            "entry/{}/{}/{}/{}",
            entry.number,
            rule_type_key(rule_type),
            protocol_key(entry.protocol),
            entry.cidr
        );
        b.rule(chain, &role, owner, plain_rule(rule_type, condition))?;
    }
    let rest = Condition::default().dl_type(ETH_IPV4, false);
    b.rule(
        chain,
        "default_deny",
        owner,
        plain_rule(RuleType::Drop, rest),
    )?;
    Ok(())
}

fn rule_type_key(rule_type: RuleType) -> &'static str {
    match rule_type {
        RuleType::Accept => "allow",
        _ => "deny",
    }
}
