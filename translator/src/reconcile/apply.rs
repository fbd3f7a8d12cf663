//! Sends a `Plan` to MidoNet through `midonet-client`, level by level.
//!
//! Contract of `apply`: the operations of one level run concurrently (at most
//! `APPLY_CONCURRENCY` in flight), except those sharing a lane (the children of one parent),
//! which run in plan order; a level starts when the one before it is done. A write refused
//! with a conflict (a store race) is retried a few times at once. A failed operation does not stop
//! the others: what needs its object (`Operation::needs`), directly or through another
//! skipped operation, is not sent (so a chain's rules stop at the first failed one). Deletes of something
//! already gone (404, usually MidoNet's own cascade) succeed. It never panics and never
//! retries: the report lists every failure by object name, and the next cycle's fresh diff
//! sends again what is still missing.
//!
//! Where the server advertises a batch endpoint (`MidonetClient::supports(BATCH)`, our
//! gateway), the plan goes as batches of `BATCH_SIZE` operations in batch order
//! (`order::for_batches`: every object with its children, needs first, so a parent is
//! rewritten in few batches); a cycle's usual plan is one batch. What a refused batch did not
//! apply is sent again level by level, as batches per level and, for a batch refused there, as
//! the plain calls above, which apply what can be applied and name what cannot. Elsewhere
//! (MidoNet itself) plain calls only.
//!
//! The report keeps the store revisions the batches committed at (`ApplyReport::revisions`) and
//! says whether every write is among them (`ApplyReport::revisions_known`): then any other
//! revision in the change feed is someone else's write.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use midonet_client::{ClientError, MidonetClient, BATCH};
use uuid::Uuid;

use super::plan::{Action, Change, Operation, Plan};

/// Writes in flight at once.
pub const APPLY_CONCURRENCY: usize = 16;
/// Operations per batch request: large enough to amortise the request, small enough that a
/// refused batch costs little to replay as plain calls.
pub const BATCH_SIZE: usize = 1000;
/// Retries of a write refused with a conflict, and the pause before the first (growing).
const CONFLICT_RETRIES: u32 = 3;
const CONFLICT_PAUSE: Duration = Duration::from_millis(20);

/// Why an operation was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// MidoNet refused it or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The plan built the operation without a field its request needs: a translator bug,
    /// reported like a refusal rather than a panic.
    #[error("the operation lacks {field}")]
    Incomplete { field: &'static str },
    /// Not sent: something it needs failed earlier in this apply.
    #[error("not sent: it needs {needs}, which failed")]
    Skipped { needs: String },
}

impl ApplyError {
    /// The client error behind the failure, if the operation was sent.
    pub fn client(&self) -> Option<&ClientError> {
        match self {
            ApplyError::Client(e) => Some(e),
            ApplyError::Incomplete { .. } | ApplyError::Skipped { .. } => None,
        }
    }
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Operations sent (each is one write, plus the read-back of a create).
    pub sent: usize,
    /// Operations that failed or were not sent because of one that did: `(operation, error)`,
    /// the operation as the plan prints it.
    pub failed: Vec<(String, ApplyError)>,
    pub elapsed: Duration,
    /// The store revisions the batches committed at, as the gateway reported them.
    pub revisions: Vec<i64>,
    /// Operations sent without a reported revision: plain calls (no batch endpoint, a refused
    /// batch replayed, what a batch cannot carry) and batches whose answer did not give every
    /// transaction's revision.
    pub unrevisioned: usize,
}

impl ApplyReport {
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
    }

    /// Whether every operation sent went in a transaction whose revision is in `revisions`.
    pub fn revisions_known(&self) -> bool {
        self.unrevisioned == 0
    }
}

/// What the batches of an apply committed: the revisions, and how many operations they carried.
#[derive(Default)]
struct Committed {
    revisions: Vec<i64>,
    operations: usize,
}

/// Applies `plan`; see the module's contract.
pub async fn apply(client: &MidonetClient, plan: &Plan) -> ApplyReport {
    apply_with(client, plan, APPLY_CONCURRENCY).await
}

/// `apply` with at most `concurrency` writes in flight.
pub async fn apply_with(client: &MidonetClient, plan: &Plan, concurrency: usize) -> ApplyReport {
    let started = Instant::now();
    let mut report = ApplyReport::default();
    // Objects whose operation failed or was skipped, with that operation's text.
    let mut failed: Vec<(Uuid, String)> = Vec::new();
    let mut committed = Committed::default();
    let ops = &plan.operations;
    let mut rest: Vec<&Operation> = ops.iter().collect();
    if client.supports(BATCH)
        && ops
            .iter()
            .all(|op| super::batch::operation(&op.change).is_some())
    {
        // Parents with their children (`order`), so each is written in as few batches as
        // possible; a cycle's usual plan of a few dozen writes is one batch, one store commit.
        let order = super::order::for_batches(ops);
        let as_batch = |chunk: &[&Operation]| -> Vec<midonet_client::Operation> {
            chunk
                .iter()
                .filter_map(|op| super::batch::operation(&op.change))
                .collect()
        };
        let mut applied = 0;
        let mut chunks = order.chunks(BATCH_SIZE);
        let mut next = chunks.next().map(|c| (c.len(), as_batch(c)));
        while let Some((len, operations)) = next.take() {
            // The next batch is built while this one is in the gateway's and the store's hands
            // (`biased`: this one is sent first).
            let (outcome, following) = tokio::join!(biased; client.batch(&operations), async {
                chunks.next().map(|c| (c.len(), as_batch(c)))
            });
            match outcome {
                Ok(outcome) => {
                    if outcome.revisions_known() {
                        committed.revisions.extend(outcome.revisions);
                        committed.operations += len;
                    }
                    applied += len;
                    next = following;
                }
                Err(e) => {
                    applied += e.applied.min(len);
                    break;
                }
            }
        }
        report.sent += applied;
        // The rest goes level by level below, where failures are isolated and named: what is
        // left of each level still follows everything it needs.
        rest = order[applied..].to_vec();
        rest.sort_by_key(|op| op.level);
    }
    let mut start = 0;
    while start < rest.len() {
        let level = rest[start].level;
        let end = start
            + rest[start..]
                .iter()
                .take_while(|o| o.level == level)
                .count();
        let level_ops = &rest[start..end];
        let outcomes = if client.supports(BATCH) {
            run_level_batched(client, level_ops, &failed, concurrency, &mut committed).await
        } else {
            run_level(client, level_ops, &failed, concurrency).await
        };
        for (op, outcome) in outcomes {
            match outcome {
                Outcome::Done => report.sent += 1,
                Outcome::Failed(e) => {
                    report.sent += 1;
                    failed.push((op.object, op.to_string()));
                    report.failed.push((op.to_string(), e));
                }
                Outcome::Skipped(needs) => {
                    failed.push((op.object, op.to_string()));
                    report
                        .failed
                        .push((op.to_string(), ApplyError::Skipped { needs }));
                }
            }
        }
        start = end;
    }
    report.unrevisioned = report.sent.saturating_sub(committed.operations);
    report.revisions = committed.revisions;
    report.elapsed = started.elapsed();
    report
}

enum Outcome {
    Done,
    Failed(ApplyError),
    /// Not sent; names what it needed.
    Skipped(String),
}

/// Runs one level's operations: lanes in plan order, everything else at once.
async fn run_level<'a>(
    client: &MidonetClient,
    ops: &[&'a Operation],
    failed: &[(Uuid, String)],
    concurrency: usize,
) -> Vec<(&'a Operation, Outcome)> {
    let mut groups: Vec<Vec<&Operation>> = Vec::new();
    let mut lanes: Vec<(Uuid, usize)> = Vec::new();
    for &op in ops {
        match op.lane {
            Some(lane) => match lanes.iter().find(|(l, _)| *l == lane) {
                Some((_, i)) => groups[*i].push(op),
                None => {
                    lanes.push((lane, groups.len()));
                    groups.push(vec![op]);
                }
            },
            None => groups.push(vec![op]),
        }
    }
    let failed_ids: BTreeSet<Uuid> = failed.iter().map(|(id, _)| *id).collect();
    let blocker = |op: &Operation| blocker(op, failed, &failed_ids);
    let results: Vec<Vec<(&Operation, Outcome)>> = stream::iter(groups)
        .map(|group| {
            let client = client.clone();
            let blocker = &blocker;
            async move {
                let mut out = Vec::with_capacity(group.len());
                // Failures earlier in this lane (a chain's earlier rules).
                let mut here: Vec<(Uuid, String)> = Vec::new();
                for op in group {
                    let local = op
                        .needs
                        .iter()
                        .find_map(|n| here.iter().find(|(f, _)| f == n))
                        .map(|(_, text)| text.clone());
                    if let Some(by) = local.or_else(|| blocker(op)) {
                        here.push((op.object, op.to_string()));
                        out.push((op, Outcome::Skipped(by)));
                        continue;
                    }
                    match send(&client, &op.change).await {
                        Ok(()) => out.push((op, Outcome::Done)),
                        Err(e) => {
                            here.push((op.object, op.to_string()));
                            out.push((op, Outcome::Failed(e)));
                        }
                    }
                }
                out
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().flatten().collect()
}

/// The failed operation `op` needs, if any, as the plan prints it.
fn blocker(
    op: &Operation,
    failed: &[(Uuid, String)],
    failed_ids: &BTreeSet<Uuid>,
) -> Option<String> {
    let id = op.needs.iter().find(|n| failed_ids.contains(n))?;
    failed
        .iter()
        .find(|(f, _)| f == id)
        .map(|(_, text)| text.clone())
}

/// Runs one level's operations as batches; what a refused batch did not apply goes again as
/// plain calls (`run_level`), so failures are isolated and named exactly as without batches.
/// Batches that report every transaction's revision are added to `committed`.
async fn run_level_batched<'a>(
    client: &MidonetClient,
    ops: &[&'a Operation],
    failed: &[(Uuid, String)],
    concurrency: usize,
    committed: &mut Committed,
) -> Vec<(&'a Operation, Outcome)> {
    let failed_ids: BTreeSet<Uuid> = failed.iter().map(|(id, _)| *id).collect();
    let mut out = Vec::with_capacity(ops.len());
    let mut ready: Vec<&'a Operation> = Vec::with_capacity(ops.len());
    for &op in ops {
        match blocker(op, failed, &failed_ids) {
            Some(by) => out.push((op, Outcome::Skipped(by))),
            None => ready.push(op),
        }
    }
    // A skipped operation can block later ones of its lane (a chain's rules): those go plain.
    let skipped: BTreeSet<Uuid> = out.iter().map(|(op, _)| op.object).collect();
    let (plain, batched): (Vec<&Operation>, Vec<&Operation>) = ready.into_iter().partition(|op| {
        op.needs.iter().any(|n| skipped.contains(n))
            || super::batch::operation(&op.change).is_none()
    });
    for chunk in batched.chunks(BATCH_SIZE) {
        let operations: Vec<_> = chunk
            .iter()
            .filter_map(|op| super::batch::operation(&op.change))
            .collect();
        let applied = match client.batch(&operations).await {
            Ok(outcome) => {
                if outcome.revisions_known() {
                    committed.revisions.extend(outcome.revisions);
                    committed.operations += chunk.len();
                }
                chunk.len()
            }
            // What the refused batch did not apply goes again as plain calls below.
            Err(e) => e.applied.min(chunk.len()),
        };
        out.extend(chunk[..applied].iter().map(|&op| (op, Outcome::Done)));
        let replayed = run_level(client, &chunk[applied..], failed, concurrency).await;
        out.extend(replayed);
    }
    let mut now_failed: Vec<(Uuid, String)> = failed.to_vec();
    now_failed.extend(
        out.iter()
            .filter(|(_, o)| !matches!(o, Outcome::Done))
            .map(|(op, _)| (op.object, op.to_string())),
    );
    out.extend(run_level(client, &plain, &now_failed, concurrency).await);
    out
}

/// Sends one change, again after a pause when refused with a conflict (409): two writes to
/// one object (a group several rules match) raced in the store. A 409 that means "exists
/// already" is refused again, which costs `CONFLICT_RETRIES` requests and nothing else. A
/// delete of something already gone is done.
async fn send(c: &MidonetClient, change: &Change) -> Result<(), ApplyError> {
    let mut attempt = 0;
    let result = loop {
        let result = request(c, change).await;
        let conflict = matches!(&result, Err(ApplyError::Client(e)) if e.is_conflict());
        if !conflict || attempt == CONFLICT_RETRIES {
            break result;
        }
        attempt += 1;
        tokio::time::sleep(CONFLICT_PAUSE * attempt).await;
    };
    match result {
        Err(ApplyError::Client(e)) if e.is_not_found() && change.action() == Action::Delete => {
            Ok(())
        }
        other => other,
    }
}

async fn request(c: &MidonetClient, change: &Change) -> Result<(), ApplyError> {
    use Change::*;
    match change {
        CreateChain(x) => {
            c.create_chain(x).await?;
        }
        DeleteChain(id) => c.delete_chain(*id).await?,
        CreateRule { chain, rule } => {
            c.create_rule(*chain, rule).await?;
        }
        DeleteRule(id) => c.delete_rule(*id).await?,
        CreateIpAddrGroup(x) => {
            c.create_ip_addr_group(x).await?;
        }
        DeleteIpAddrGroup(id) => c.delete_ip_addr_group(*id).await?,
        AddAddr { group, addr } => {
            c.add_ip_addr_group_addr(*group, *addr).await?;
        }
        RemoveAddr { group, addr } => c.remove_ip_addr_group_addr(*group, *addr).await?,
        CreatePortGroup(x) => {
            c.create_port_group(x).await?;
        }
        UpdatePortGroup(x) => c.update_port_group(x).await?,
        DeletePortGroup(id) => c.delete_port_group(*id).await?,
        AddMember { group, port } => {
            c.add_port_group_port(*group, *port).await?;
        }
        RemoveMember { group, port } => c.remove_port_group_port(*group, *port).await?,
        CreateRouter(x) => {
            c.create_router(x).await?;
        }
        UpdateRouter(x) => c.update_router(x).await?,
        DeleteRouter(id) => c.delete_router(*id).await?,
        CreateBridge(x) => {
            c.create_bridge(x).await?;
        }
        UpdateBridge(x) => c.update_bridge(x).await?,
        DeleteBridge(id) => c.delete_bridge(*id).await?,
        CreatePort(port) => create_port(c, port).await?,
        UpdatePort(x) => c.update_port(x).await?,
        DeletePort(id) => c.delete_port(*id).await?,
        Link { port, peer } => c.link_ports(*port, *peer).await?,
        Unlink { port } => c.unlink_port(*port).await?,
        Bind { port, binding } => {
            let (host, interface) = (binding.host_id, &binding.interface_name);
            {
                c.bind_port(host, *port, interface).await?;
            }
        }
        Unbind { port, host } => c.unbind_port(*host, *port).await?,
        CreateRoute(route) => match route.router_id {
            Some(router) => {
                c.create_route(router, route).await?;
            }
            None => return Err(missing("routerId")),
        },
        DeleteRoute(id) => c.delete_route(*id).await?,
        CreateDhcpSubnet { bridge, subnet } => {
            c.create_dhcp_subnet(*bridge, subnet).await?;
        }
        UpdateDhcpSubnet { bridge, subnet } => c.update_dhcp_subnet(*bridge, subnet).await?,
        DeleteDhcpSubnet { bridge, key } => c.delete_dhcp_subnet(*bridge, *key).await?,
        CreateDhcpHost {
            bridge,
            subnet,
            host,
        } => {
            c.create_dhcp_host(*bridge, *subnet, host).await?;
        }
        UpdateDhcpHost {
            bridge,
            subnet,
            host,
        } => c.update_dhcp_host(*bridge, *subnet, host).await?,
        DeleteDhcpHost {
            bridge,
            subnet,
            mac,
        } => c.delete_dhcp_host(*bridge, *subnet, mac).await?,
        AddArpEntry { bridge, entry } => {
            c.add_arp_entry(*bridge, entry).await?;
        }
        DeleteArpEntry { bridge, entry } => c.delete_arp_entry(*bridge, entry).await?,
        AddMacEntry { bridge, entry } => {
            c.add_mac_entry(*bridge, entry).await?;
        }
        DeleteMacEntry { bridge, entry } => c.delete_mac_entry(*bridge, entry).await?,
        CreateBgpPeer(peer) => match peer.router_id {
            Some(router) => {
                c.create_bgp_peer(router, peer).await?;
            }
            None => return Err(missing("routerId")),
        },
        UpdateBgpPeer(x) => c.update_bgp_peer(x).await?,
        DeleteBgpPeer(id) => c.delete_bgp_peer(*id).await?,
        CreateBgpNetwork(net) => match net.router_id {
            Some(router) => {
                c.create_bgp_network(router, net).await?;
            }
            None => return Err(missing("routerId")),
        },
        DeleteBgpNetwork(id) => c.delete_bgp_network(*id).await?,
    }
    Ok(())
}

async fn create_port(c: &MidonetClient, port: &topology::Port) -> Result<(), ApplyError> {
    let Some(device) = port.device_id else {
        return Err(missing("deviceId"));
    };
    match port.port_type {
        topology::PortType::Router => {
            c.create_router_port(device, port).await?;
        }
        topology::PortType::Bridge => {
            c.create_bridge_port(device, port).await?;
        }
    }
    Ok(())
}

fn missing(field: &'static str) -> ApplyError {
    ApplyError::Incomplete { field }
}
