//! A rule in a chain (MidoNet `Rule`), polymorphic on `type`: literal verdicts, jumps and NAT.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::condition::{Condition, FragmentPolicy};
use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleType {
    Accept,
    Drop,
    Reject,
    Return,
    Jump,
    Dnat,
    Snat,
    RevDnat,
    RevSnat,
}

impl RuleType {
    pub fn is_nat(self) -> bool {
        matches!(
            self,
            RuleType::Dnat | RuleType::Snat | RuleType::RevDnat | RuleType::RevSnat
        )
    }

    pub fn is_forward_nat(self) -> bool {
        matches!(self, RuleType::Dnat | RuleType::Snat)
    }
}

/// What a chain does after a NAT rule rewrote the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowAction {
    Accept,
    Continue,
    Return,
}

/// A NAT target: addresses `addressFrom..=addressTo`, ports `portFrom..=portTo` (0-0 = keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NatTarget {
    pub address_from: Ipv4Addr,
    pub address_to: Ipv4Addr,
    #[serde(default)]
    pub port_from: u16,
    #[serde(default)]
    pub port_to: u16,
}

impl NatTarget {
    /// A 1:1 address rewrite that keeps ports, as for elastic IPs.
    pub fn address(addr: Ipv4Addr) -> Self {
        NatTarget {
            address_from: addr,
            address_to: addr,
            port_from: 0,
            port_to: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub chain_id: Option<Uuid>,
    /// 1-based place in the chain; on create it is where to insert, on read where it stands.
    #[serde(default = "Rule::first")]
    pub position: u32,
    #[serde(rename = "type")]
    pub rule_type: RuleType,
    #[serde(flatten)]
    pub condition: Condition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jump_chain_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jump_chain_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_action: Option<FlowAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_targets: Option<Vec<NatTarget>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter_name: Option<String>,
}

impl Rule {
    fn first() -> u32 {
        1
    }

    /// A rule of `rule_type` matching `condition`, appended by position `position`.
    pub fn new(id: Uuid, rule_type: RuleType, condition: Condition) -> Self {
        Rule {
            id,
            chain_id: None,
            position: 1,
            rule_type,
            condition,
            jump_chain_id: None,
            jump_chain_name: None,
            flow_action: None,
            nat_targets: None,
            meter_name: None,
        }
    }

    /// A floating-IP style forward NAT: one address, ports kept, no L4 match.
    fn is_static_nat(&self) -> bool {
        matches!(self.nat_targets.as_deref(), Some([t]) if t.address_from == t.address_to && t.port_from == 0 && t.port_to == 0)
            && !self.condition.has_l4_fields()
    }

    /// Fills the defaults MidoNet fills: the fragment policy, by rule kind.
    pub fn normalize(&mut self) {
        if self.condition.fragment_policy.is_none() {
            let policy = if self.rule_type.is_forward_nat() && !self.is_static_nat() {
                FragmentPolicy::Unfragmented
            } else {
                self.condition.default_fragment_policy()
            };
            self.condition.fragment_policy = Some(policy);
        }
    }
}

impl Resource for Rule {
    const CLASS: Class = Class::Rule;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        let mut c = Checker::new();
        self.condition.check(&mut c);
        c.require(
            self.position >= 1,
            "position",
            "must be greater than or equal to 1",
        );
        match self.rule_type {
            RuleType::Jump => {
                c.require(
                    self.jump_chain_id.is_some(),
                    "jumpChainId",
                    "may not be null",
                );
            }
            RuleType::Dnat | RuleType::Snat => {
                c.require(self.flow_action.is_some(), "flowAction", "may not be null");
                match &self.nat_targets {
                    None => {
                        c.require(false, "natTargets", "may not be null");
                    }
                    Some(targets) => {
                        c.require(
                            !targets.is_empty(),
                            "natTargets",
                            "needs at least one target",
                        );
                        for t in targets {
                            c.require(
                                u32::from(t.address_from) <= u32::from(t.address_to),
                                "natTargets",
                                format!(
                                    "address range {}-{} is reversed",
                                    t.address_from, t.address_to
                                ),
                            )
                            .require(
                                t.port_from <= t.port_to,
                                "natTargets",
                                format!("port range {}-{} is reversed", t.port_from, t.port_to),
                            );
                        }
                    }
                }
            }
            RuleType::RevDnat | RuleType::RevSnat => {
                c.require(self.flow_action.is_some(), "flowAction", "may not be null");
            }
            _ => {}
        }
        if self.rule_type.is_forward_nat() && !self.is_static_nat() {
            c.require(
                self.condition
                    .fragment_policy
                    .is_none_or(|p| p == FragmentPolicy::Unfragmented),
                "fragmentPolicy",
                "must be unfragmented for a dynamic NAT rule",
            );
        }
        c.finish()
    }
}
