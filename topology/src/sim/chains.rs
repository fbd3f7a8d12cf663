//! Evaluates filter lists and chains (`reference/midonet.md` §4.4): rules in order, the first
//! final result wins; a jump evaluates its target (a chain already on the stack is ignored),
//! whose end or `return` continues in the caller; the end of a top-level chain, or a `return`
//! there, accepts. A filter list runs its chains in order until one does not accept.

use uuid::Uuid;

use super::conditions::{Compiled, Index, MatchContext};
use super::record::{DropReason, Hop, RuleResult, Verdict};
use super::walk::{is_return, Walk};
use crate::{FlowAction, RuleType};

/// What a chain made of the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Continue,
    Return,
    Accept,
    Drop { chain: Uuid, rule: Uuid },
    Reject { chain: Uuid, rule: Uuid },
}

impl Walk<'_> {
    /// Runs a filter list at `at` (a port or device); `None` when every chain accepted.
    pub(crate) fn filters(&mut self, chains: &[Index], at: Uuid) -> Option<Verdict> {
        for &c in chains {
            self.chain_stack.clear();
            match self.chain(c) {
                Action::Continue | Action::Return | Action::Accept => {}
                Action::Drop { chain, rule } => {
                    return Some(self.drop_at(at, DropReason::Rule { chain, rule }))
                }
                Action::Reject { chain, rule } => {
                    return Some(self.drop_at(at, DropReason::Rejected { chain, rule }))
                }
            }
        }
        None
    }

    fn chain(&mut self, c: Index) -> Action {
        let snap = self.snap;
        let chain = &snap.chains[c as usize];
        self.chain_stack.push(c);
        let mut action = Action::Continue;
        for rule in &chain.rules {
            let matched = self.rule_matches(&rule.condition);
            let hop = |walk: &mut Self, result| {
                walk.hops.push(Hop::Rule {
                    chain: chain.id,
                    rule: rule.id,
                    rule_type: rule.kind,
                    result,
                })
            };
            if !matched {
                hop(self, RuleResult::NoMatch);
                continue;
            }
            let (chain_id, rule_id) = (chain.id, rule.id);
            let step = match rule.kind {
                RuleType::Accept => Some(Action::Accept),
                RuleType::Drop => Some(Action::Drop {
                    chain: chain_id,
                    rule: rule_id,
                }),
                RuleType::Reject => Some(Action::Reject {
                    chain: chain_id,
                    rule: rule_id,
                }),
                RuleType::Return => Some(Action::Return),
                RuleType::Jump => {
                    // Every jump has a target: `SnapshotBuilder::build` refuses one without.
                    let target = rule.jump;
                    if self.chain_stack.contains(&target) {
                        hop(self, RuleResult::JumpIgnored);
                        continue;
                    }
                    hop(self, RuleResult::Jump);
                    match self.chain(target) {
                        Action::Continue | Action::Return => continue,
                        other => {
                            action = other;
                            break;
                        }
                    }
                }
                RuleType::Dnat | RuleType::Snat | RuleType::RevDnat | RuleType::RevSnat => {
                    let (step, result) = match rule.flow_action {
                        FlowAction::Accept => (Some(Action::Accept), RuleResult::Accept),
                        FlowAction::Return => (Some(Action::Return), RuleResult::Return),
                        FlowAction::Continue => (None, RuleResult::Continue),
                    };
                    // The rule's line first, then the rewrite it made, as a trace reads.
                    hop(self, result);
                    self.nat(rule);
                    if let Some(a) = step {
                        action = a;
                        break;
                    }
                    continue;
                }
            };
            let result = match step {
                None => RuleResult::Continue,
                Some(Action::Accept) => RuleResult::Accept,
                Some(Action::Drop { .. }) => RuleResult::Drop,
                Some(Action::Reject { .. }) => RuleResult::Reject,
                Some(Action::Return) => RuleResult::Return,
                Some(Action::Continue) => RuleResult::Continue,
            };
            hop(self, result);
            if let Some(a) = step {
                action = a;
                break;
            }
        }
        self.chain_stack.pop();
        action
    }

    /// Matches a condition against the walk's context, asking connection tracking lazily.
    fn rule_matches(&mut self, cond: &Compiled) -> bool {
        let Walk {
            snap,
            state,
            pkt,
            in_port,
            out_port,
            origin,
            nw_dst_rewritten,
            traversed,
            direction,
            ingress_device,
            orig_tuple,
            ..
        } = self;
        let groups = |p: Option<Index>| {
            p.map(|p| snap.ports[p as usize].groups.as_slice())
                .unwrap_or(&[])
        };
        let m = MatchContext {
            packet: pkt,
            in_port: *in_port,
            out_port: *out_port,
            origin_groups: &snap.ports[*origin as usize].groups,
            in_port_groups: groups(*in_port),
            out_port_groups: groups(*out_port),
            traversed,
            nw_dst_rewritten: *nw_dst_rewritten,
        };
        let mut ask = || is_return(direction, state, pkt, *orig_tuple, *ingress_device);
        cond.matches(&snap.predicates, &m, &snap.ip_groups, &mut ask)
    }
}
