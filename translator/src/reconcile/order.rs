//! The order a batched apply sends a plan in: each object followed at once by its children, so
//! that a batch holds whole subtrees of the topology.
//!
//! Why: every child written to the store rewrites its parent (a rule lands in its chain's rule
//! list, a port in its device's, a filter in the chain's referrers), and the gateway folds all
//! writes to one object within a batch into one. In level order (all chains, then all devices,
//! then all ports, ...) a chain is created in one batch and rewritten in each later batch that
//! holds one of its rules or referrers; in this order it is usually written once.
//!
//! Contract of [`for_batches`]: a permutation of the plan in which every operation comes after
//! the operations that make what it needs (`Operation::needs`, which also carries a chain's
//! rule order) wherever level order had them before it; operations that make room (`Detach`)
//! keep their place at the front and updates and deletes theirs at the back, in plan order.
//! Edits of an object the plan does not make (a port binding rewrites its host) that nothing
//! else needs go last, grouped by that object, so each such object is rewritten in as few
//! batches as possible. A hub (an object with more than [`HUB`] children) is not followed by
//! its children: they come with their other parents, or in plan order at the end.

use std::collections::HashMap;

use uuid::Uuid;

use super::plan::{Change, Level, Operation};

/// Children an object may have and still be followed by them at once: more, and they are
/// referrers from all over the cloud (every instance's metadata rule refers to one group).
const HUB: usize = 64;

/// The operations of `ops` (sorted by level, as `plan` returns them) in batch order.
pub fn for_batches(ops: &[Operation]) -> Vec<&Operation> {
    let start = ops.partition_point(|o| o.level == Level::Detach);
    let end = ops.partition_point(|o| o.level <= Level::Rules);
    let making = &ops[start..end];
    let mut order: Vec<&Operation> = Vec::with_capacity(ops.len());
    order.extend(&ops[..start]);
    order.extend(
        Subtrees::new(making)
            .order()
            .into_iter()
            .map(|i| &making[i]),
    );
    order.extend(&ops[end..]);
    order
}

/// What an edit of an existing object rewrites, for edits that are grouped by it.
fn edited(op: &Operation) -> Option<Uuid> {
    match &op.change {
        Change::Bind { binding, .. } => Some(binding.host_id),
        _ => None,
    }
}

/// The creating operations as a graph: `needs[i]` are the operations `i` must follow,
/// `children[i]` those that follow `i`, all by index into the slice.
struct Subtrees<'a> {
    ops: &'a [Operation],
    /// The operation that makes each object: the first naming it (a group's additions name it
    /// too, after its create).
    maker: HashMap<Uuid, usize>,
    needs: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    placed: Vec<bool>,
    order: Vec<usize>,
}

impl<'a> Subtrees<'a> {
    fn new(ops: &'a [Operation]) -> Self {
        let mut maker: HashMap<Uuid, usize> = HashMap::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            maker.entry(op.object).or_insert(i);
        }
        let mut needs = vec![Vec::new(); ops.len()];
        let mut children = vec![Vec::new(); ops.len()];
        for (i, op) in ops.iter().enumerate() {
            for need in &op.needs {
                // Only makers before `i`: level order satisfied nothing else either, and it
                // keeps the graph acyclic.
                if let Some(&m) = maker.get(need).filter(|&&m| m < i) {
                    if !needs[i].contains(&m) {
                        needs[i].push(m);
                        children[m].push(i);
                    }
                }
            }
        }
        Subtrees {
            ops,
            maker,
            needs,
            children,
            placed: vec![false; ops.len()],
            order: Vec::with_capacity(ops.len()),
        }
    }

    fn order(mut self) -> Vec<usize> {
        // Edits of objects the plan does not make, which nothing needs, wait for the end.
        let mut last: Vec<(Uuid, usize)> = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            let Some(object) = edited(op) else { continue };
            if self.children[i].is_empty() && !self.maker.contains_key(&object) {
                last.push((object, i));
                self.placed[i] = true;
            }
        }
        for i in 0..self.ops.len() {
            if !self.placed[i] {
                self.place_tree(i);
            }
        }
        // Stable: an object's edits stay in plan order.
        last.sort_by_key(|&(object, _)| object);
        self.order.extend(last.into_iter().map(|(_, i)| i));
        self.order
    }

    /// Places `root` and then, depth first, everything that can follow: each placed
    /// operation's children right after it (with whatever else they need first), then their
    /// children in turn.
    fn place_tree(&mut self, root: usize) {
        let mut expand: Vec<usize> = Vec::new();
        let from = self.order.len();
        self.place(root);
        // Reversed, so the first placed is expanded first.
        expand.extend(self.order[from..].iter().rev());
        while let Some(parent) = expand.pop() {
            if self.children[parent].len() > HUB {
                // Placing every referrer of a hub with what each needs would pull in the
                // whole cloud, out of order; they come with their other parents instead.
                continue;
            }
            let from = self.order.len();
            for k in 0..self.children[parent].len() {
                let child = self.children[parent][k];
                if !self.placed[child] {
                    self.place(child);
                }
            }
            expand.extend(self.order[from..].iter().rev());
        }
    }

    /// Places `i` after whatever it needs that is not placed yet, needs first.
    fn place(&mut self, i: usize) {
        // An explicit stack: needs can run deep (a chain's rules each need the one before).
        let mut stack: Vec<(usize, usize)> = vec![(i, 0)];
        self.placed[i] = true;
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            if let Some(&need) = self.needs[node].get(*next) {
                *next += 1;
                if !self.placed[need] {
                    self.placed[need] = true;
                    stack.push((need, 0));
                }
            } else {
                stack.pop();
                self.order.push(node);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;
    use crate::desired::{translate, Desired};
    use crate::gni::fixture::{cloud_xml, CloudSpec};
    use crate::gni::parse;
    use crate::reconcile::plan::plan;
    use crate::trace::offline_environment;

    fn desired(spec: &CloudSpec) -> Desired {
        let gni = parse(&cloud_xml(spec).expect("a valid spec")).expect("the fixture parses");
        translate(&gni, &offline_environment(&gni, "5.0.0.0")).expect("the fixture translates")
    }

    /// Where each operation of `order` stands, by address (operations can be equal).
    fn positions(order: &[&Operation]) -> HashMap<*const Operation, usize> {
        order
            .iter()
            .enumerate()
            .map(|(at, op)| (*op as *const Operation, at))
            .collect()
    }

    /// Asserts `order` is a permutation of `ops` in which everything an operation needs that
    /// an earlier operation of `ops` makes comes before it, with the ends of the plan in place.
    fn assert_valid(ops: &[Operation], order: &[&Operation]) {
        assert_eq!(order.len(), ops.len());
        let at = positions(order);
        assert_eq!(at.len(), ops.len(), "every operation exactly once");
        let mut maker: HashMap<Uuid, usize> = HashMap::new();
        for (i, op) in ops.iter().enumerate() {
            for need in &op.needs {
                if let Some(&m) = maker.get(need) {
                    assert!(
                        at[&(&ops[m] as *const _)] < at[&(op as *const _)],
                        "{op} comes before {}, which it needs",
                        ops[m]
                    );
                }
            }
            if op.level > Level::Detach {
                maker.entry(op.object).or_insert(i);
            }
        }
        for (i, op) in ops.iter().enumerate() {
            if op.level == Level::Detach || op.level > Level::Rules {
                assert_eq!(at[&(op as *const _)], i, "{op} keeps its place");
            }
        }
    }

    /// How many times objects are written again after their first write when `order` goes
    /// in batches of `size`: once per later batch that edits or refers to each (the gateway
    /// folds a batch's writes to one object into one).
    fn rewrites(order: &[&Operation], size: usize) -> usize {
        let mut seen: HashSet<Uuid> = HashSet::new();
        let mut writes = 0;
        for batch in order.chunks(size) {
            let touched: HashSet<Uuid> = batch
                .iter()
                .flat_map(|op| {
                    let edits = edited(op).into_iter().chain([op.object]);
                    edits.chain(op.needs.iter().copied())
                })
                .collect();
            writes += touched.len();
            seen.extend(touched);
        }
        writes - seen.len()
    }

    #[test]
    fn from_empty_every_need_comes_first_and_parents_are_written_in_fewer_batches() {
        let spec = CloudSpec::small();
        let p = plan(&desired(&spec), &Desired::default());
        let order = for_batches(&p.operations);
        assert_valid(&p.operations, &order);
        let level_order: Vec<&Operation> = p.operations.iter().collect();
        let (before, after) = (rewrites(&level_order, 100), rewrites(&order, 100));
        assert!(
            after * 2 < before,
            "{} operations: {before} rewrites in level order, {after} in batch order",
            p.len()
        );
    }

    #[test]
    fn bindings_go_last_by_host() {
        let p = plan(&desired(&CloudSpec::small()), &Desired::default());
        let order = for_batches(&p.operations);
        let making = order
            .iter()
            .filter(|o| o.level > Level::Detach && o.level <= Level::Rules)
            .collect::<Vec<_>>();
        let first_bind = making
            .iter()
            .position(|o| matches!(o.change, Change::Bind { .. }))
            .expect("bindings");
        let hosts: Vec<Uuid> = making[first_bind..]
            .iter()
            .map(|o| edited(o).expect("only bindings after the first"))
            .collect();
        assert!(hosts.windows(2).all(|w| w[0] <= w[1]), "grouped by host");
        // The nodes and the gateway host.
        assert_eq!(
            hosts.iter().collect::<BTreeSet<_>>().len(),
            CloudSpec::small().nodes + 1
        );
    }

    #[test]
    fn a_changed_cloud_keeps_room_making_first_and_deletes_last() {
        let before = desired(&CloudSpec::small());
        let after = desired(&CloudSpec {
            vpcs: 12,
            instances: 90,
            security_groups: 18,
            elastic_ips: 30,
            ..CloudSpec::small()
        });
        let p = plan(&after, &before);
        let levels: BTreeSet<Level> = p.operations.iter().map(|o| o.level).collect();
        assert!(levels.contains(&Level::Detach) && levels.contains(&Level::DeletePorts));
        assert_valid(&p.operations, &for_batches(&p.operations));
    }
}
