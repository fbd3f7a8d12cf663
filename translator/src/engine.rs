//! The incremental translator: keeps MidoNet equal to a sequence of GNIs while redoing only
//! what changed, which is what lets one cycle take milliseconds at 10,000 instances.
//!
//! State between cycles: the last GNI, its translation kept by `Part` (core, each VPC, each
//! security group), which part made each object, and the actual topology, read in full once
//! and then followed through the server's change feed (`reconcile::follow`).
//!
//! One `cycle`:
//! 1. brings `actual` up to date: a full read when there is none (first cycle, after a failure,
//!    after `resync`, or when the server has no feed or cannot answer from our revision), else
//!    the feed since the last cycle; parts whose objects someone else changed become dirty;
//! 2. re-translates the parts whose inputs differ from the last GNI's (all of them when the
//!    configuration, the hosts or the constants changed);
//! 3. plans the dirty parts only (their old and new objects against the actual ones), or the
//!    whole topology after a full read, so orphans and strays are removed then;
//! 4. applies the plan and takes its own writes into `actual`.
//!
//! Taking its own writes: when every write went in a batch whose store revisions the gateway
//! reported, and the feed's summary since the revision `actual` was current to lists only
//! those revisions, nobody else changed an object meanwhile, so MidoNet holds what was planned:
//! `actual` becomes the planned topology (all of it after a full plan; the planned parts'
//! objects after a scoped one) without reading anything back. Otherwise (someone else wrote,
//! plain calls, a server without revisions or summary, any error) the feed is followed over
//! the cycle's writes, re-reading what it cannot carry, and the parts whose objects changed at
//! revisions not the cycle's own become dirty. Either way `actual` then equals what a full read
//! would give, up to what `plan` settles (server-filled fields; id-less members are keyed as a
//! read keys them).
//!
//! A failed write leaves the state asking for a full read and plan next cycle, as eucanetd
//! does after a failed update; a bad GNI never reaches `cycle` (the caller parses first).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use midonet_client::{ClientError, MidonetClient};
use uuid::Uuid;

use crate::desired::{
    self, allocation_from_names, Allocations, Desired, Environment, Index, Objects, Part,
    RegisteredHost, TranslateError,
};
use crate::gni::{differing, differing_keys, Changes, Gni};
use crate::reconcile::{self, actual, apply, plan, Actual, ApplyReport, Plan};

/// Why a cycle did nothing.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error("reading MidoNet: {0}")]
    Read(#[source] ClientError),
    #[error("following MidoNet's changes: {0}")]
    Follow(#[source] ClientError),
    #[error("translating the GNI: {0}")]
    Translate(#[from] TranslateError),
}

impl CycleError {
    /// Whether the GNI itself is at fault (retrying the same GNI cannot help).
    pub fn is_input(&self) -> bool {
        matches!(self, CycleError::Translate(_))
    }
}

/// What one cycle did, with the time of each phase.
#[derive(Debug, Default)]
pub struct CycleReport {
    /// Whether `actual` was read in full (else followed through the feed).
    pub full_read: bool,
    /// Whether the whole topology was planned (else only the dirty parts).
    pub full_plan: bool,
    pub parts_translated: usize,
    pub parts_planned: usize,
    /// Creates, updates and deletes planned.
    pub planned: (usize, usize, usize),
    pub apply: ApplyReport,
    /// Reading and parsing the GNI file, when the caller that did it says so.
    pub gni_read: Option<Duration>,
    pub read: Duration,
    pub translate: Duration,
    pub plan: Duration,
    pub follow: Duration,
    /// Whether the cycle's own writes were taken from the plan, the feed showing nobody else's
    /// (else the feed was followed over them, or the apply failed).
    pub follow_skipped: bool,
    pub diagnostics: Vec<String>,
}

/// The translator's state between cycles; see the module's contract.
pub struct Engine {
    client: MidonetClient,
    env: Environment,
    gni: Option<Gni>,
    parts: BTreeMap<Part, Desired>,
    owner: HashMap<Uuid, Part>,
    actual: Option<Actual>,
    revision: Option<i64>,
    /// Parts to plan next cycle whatever their inputs (someone else changed their objects).
    dirty: BTreeSet<Part>,
    full_plan: bool,
}

impl Engine {
    /// An engine writing through `client`; `env` gives tenant, version and constants (its
    /// hosts and allocations are read from MidoNet on the first cycle).
    pub fn new(client: MidonetClient, env: Environment) -> Self {
        Engine {
            client,
            env,
            gni: None,
            parts: BTreeMap::new(),
            owner: HashMap::new(),
            actual: None,
            revision: None,
            dirty: BTreeSet::new(),
            full_plan: true,
        }
    }

    /// Forgets what was read and translated: the next cycle reads, translates and plans
    /// everything (SIGHUP).
    pub fn resync(&mut self) {
        self.actual = None;
        self.gni = None;
        self.full_plan = true;
    }

    /// The objects of the last translation, put together.
    pub fn desired(&self) -> Desired {
        let mut whole = Desired {
            allocations: self.env.allocations.clone(),
            ..Desired::default()
        };
        for part in self.parts.values() {
            whole.absorb(part.clone());
        }
        whole
    }

    /// What the engine takes MidoNet to hold (read, then followed and kept by its own
    /// writes); `None` before the first read and after a failed apply, until the next read.
    pub fn actual(&self) -> Option<&Actual> {
        self.actual.as_ref()
    }

    /// The GNI of the last cycle.
    /// The API client the engine writes through.
    pub fn client(&self) -> &MidonetClient {
        &self.client
    }

    pub fn gni(&self) -> Option<&Gni> {
        self.gni.as_ref()
    }

    /// The allocations in force.
    pub fn allocations(&self) -> &Allocations {
        &self.env.allocations
    }

    /// Makes MidoNet hold `gni`'s translation; see the module's contract.
    pub async fn cycle(&mut self, gni: Gni) -> Result<CycleReport, CycleError> {
        let mut report = CycleReport::default();
        let started = Instant::now();
        let hosts_changed = self.sync_actual(&mut report).await?;
        report.read = started.elapsed();

        let started = Instant::now();
        // The last cycle's allocations are `allocate`'s for the last GNI: only what differs
        // needs ids given or freed.
        let changes = self.gni.as_ref().map(|old| Changes::between(old, &gni));
        let allocations = match &changes {
            Some(changes) => desired::reallocate(changes, &gni, &self.env)?,
            None => desired::allocate(&gni, &self.env)?,
        };
        let env = self.env.with_allocations(allocations);
        let stale = self.stale_parts(&gni, changes.as_ref(), &env, hosts_changed);
        let mut fresh = BTreeMap::new();
        if !stale.is_empty() {
            let index = Index::for_parts(&gni, &stale);
            for part in &stale {
                let made = desired::translate_part(&gni, &env, &env.allocations, &index, part)?;
                fresh.insert(part.clone(), made);
            }
        }
        report.parts_translated = fresh.len();
        report.translate = started.elapsed();

        let started = Instant::now();
        let mut planned: BTreeSet<Part> = stale.iter().cloned().collect();
        planned.extend(self.dirty.iter().cloned());
        let actual = self.actual.as_ref().expect("read above");
        // `target` is what MidoNet holds once the plan is applied: the whole topology, or
        // the planned parts in place of their objects in `scope`.
        let (plan, scope, target) = if self.full_plan {
            let mut whole = Desired::default();
            for (part, old) in &self.parts {
                if !fresh.contains_key(part) {
                    whole.absorb(old.clone());
                }
            }
            for made in fresh.values() {
                whole.absorb(made.clone());
            }
            (plan::plan(&whole, actual), None, whole)
        } else {
            let mut want = Desired::default();
            let mut ids: HashSet<Uuid> = HashSet::new();
            for part in &planned {
                let new = fresh.get(part).or_else(|| self.parts.get(part));
                if let Some(new) = new {
                    ids.extend(new.origins.keys());
                    want.absorb(new.clone());
                }
                if let Some(old) = self.parts.get(part) {
                    ids.extend(old.origins.keys());
                }
            }
            (plan::plan(&want, &subset(actual, &ids)), Some(ids), want)
        };
        report.full_plan = scope.is_none();
        report.parts_planned = if self.full_plan {
            self.parts.len().max(fresh.len())
        } else {
            planned.len()
        };
        report.planned = plan.counts();
        if report.full_read {
            if let Some(actual) = self.actual.as_mut() {
                actual::share(actual, &target);
            }
        }
        report.plan = started.elapsed();

        // `actual` is current to this revision: changes after it are this apply's or others'.
        let since = self.revision;
        report.apply = apply::apply(&self.client, &plan).await;

        // The new translation is the state now, whatever the apply did: what failed is sent
        // again by the full plan the failure asks for.
        for (part, made) in fresh {
            if let Some(old) = self.parts.remove(&part) {
                for id in old.origins.keys() {
                    self.owner.remove(id);
                }
            }
            if !in_gni(&gni, &part) {
                continue;
            }
            for id in made.origins.keys() {
                self.owner.insert(*id, part.clone());
            }
            self.parts.insert(part, made);
        }
        report.diagnostics = self
            .parts
            .values()
            .flat_map(|p| p.diagnostics.iter().map(ToString::to_string))
            .collect();
        // The last GNI and allocations are freed on a pool thread: tens of thousands of shared
        // values whose release would otherwise hold up the handshake.
        let last = (std::mem::replace(&mut self.env, env), self.gni.replace(gni));
        tokio::task::spawn_blocking(move || drop(last));
        self.dirty.clear();

        let started = Instant::now();
        if report.apply.is_success() {
            self.full_plan = false;
            report.follow_skipped = self
                .take_own_writes(since, &report.apply, &plan, scope.as_ref(), target)
                .await;
            if !report.follow_skipped {
                self.record_tables(&plan, scope.as_ref());
                self.follow_own_writes(&report.apply).await;
            }
        } else {
            self.actual = None;
            self.full_plan = true;
        }
        report.follow = started.elapsed();
        Ok(report)
    }

    /// The plan a first cycle of `gni` would send, sending nothing: a full read of MidoNet and
    /// a full translation, with the router ids recovered from MidoNet. `translator plan`
    /// prints it; an empty one proves MidoNet holds exactly `gni`'s translation.
    pub async fn dry_run(&mut self, gni: &Gni) -> Result<Plan, CycleError> {
        self.resync();
        self.sync_actual(&mut CycleReport::default()).await?;
        let want = desired::translate(gni, &self.env)?;
        Ok(plan::plan(&want, self.actual.as_ref().expect("read above")))
    }

    /// Reads or follows MidoNet; whether the hosts changed.
    async fn sync_actual(&mut self, report: &mut CycleReport) -> Result<bool, CycleError> {
        let tenant = self.env.tenant.clone();
        if self.actual.is_some() && self.revision.is_some() {
            match self.follow_feed(&tenant, None).await {
                Ok(followed) => {
                    for id in &followed.touched {
                        if let Some(part) = self.owner.get(id) {
                            self.dirty.insert(part.clone());
                        }
                    }
                    if followed.hosts_changed {
                        let hosts = self.read_hosts().await.map_err(CycleError::Read)?;
                        let changed = hosts != self.env.hosts;
                        self.env.hosts = hosts;
                        return Ok(changed);
                    }
                    return Ok(false);
                }
                Err(e) if e.status() == Some(410) => {}
                Err(e) => return Err(CycleError::Follow(e)),
            }
        }
        report.full_read = true;
        self.full_plan = true;
        let revision = self
            .client
            .changes_revision()
            .await
            .map_err(CycleError::Read)?;
        let (actual, hosts) =
            futures::try_join!(actual::read(&self.client, &tenant), self.read_hosts())
                .map_err(CycleError::Read)?;
        if self.gni.is_none() {
            // A restart: keep the router ids MidoNet's routers are named by.
            let recovered =
                allocation_from_names(actual.routers.values().filter_map(|r| r.name.as_deref()));
            for (owner, rtid) in recovered.rtids {
                self.env.allocations.rtids.entry(owner).or_insert(rtid);
            }
        }
        let changed = hosts != self.env.hosts;
        self.env.hosts = hosts;
        self.actual = Some(actual);
        self.revision = revision;
        Ok(changed)
    }

    async fn read_hosts(&self) -> Result<Vec<RegisteredHost>, ClientError> {
        let mut hosts: Vec<RegisteredHost> = self
            .client
            .hosts()
            .await?
            .into_iter()
            .map(|h| RegisteredHost {
                id: h.id,
                name: h.name.unwrap_or_default(),
                addresses: h.addresses.iter().filter_map(|a| a.parse().ok()).collect(),
            })
            .collect();
        hosts.sort_by_key(|h| h.id);
        Ok(hosts)
    }

    /// The parts whose inputs differ from the last translated GNI's, and those gone from it.
    ///
    /// A VPC's inputs are its element and extras, the interfaces in it and its allocations; a
    /// group's are its element and its members' addresses. Rather than compare those part by
    /// part (an index of the old GNI and every interface list, at 10,000 instances most of a
    /// no-op cycle), the instances that came, went or changed name the VPCs and groups they
    /// are in, before and after; unchanged elements from `GniParser` compare by pointer.
    fn stale_parts(
        &self,
        gni: &Gni,
        changes: Option<&Changes>,
        env: &Environment,
        hosts_changed: bool,
    ) -> Vec<Part> {
        let (Some(old), Some(changes)) = (self.gni.as_ref(), changes) else {
            return self.every_part(gni);
        };
        let same_setting = !hosts_changed
            && old.config.same_but_placement(&gni.config)
            && env.constants == self.env.constants
            && env.peerings == self.env.peerings
            && env.tenant == self.env.tenant
            && env.version == self.env.version;
        if !same_setting {
            return self.every_part(gni);
        }
        let mut stale: BTreeSet<Part> = BTreeSet::new();
        let mut moved: BTreeSet<&str> = BTreeSet::new();
        for instance in &changes.instances {
            for group in &instance.security_groups {
                stale.insert(Part::SecurityGroup(group.clone()));
            }
            for interface in instance.interfaces.values() {
                moved.insert(interface.name.as_str());
                stale.insert(Part::Vpc(interface.vpc.clone()));
                for group in &interface.security_groups {
                    stale.insert(Part::SecurityGroup(group.clone()));
                }
            }
        }
        let (was, now) = (&self.env.allocations, &env.allocations);
        // Unchanged VPC elements compare by pointer; what lives outside them is compared whole
        // first, as it rarely changes, and VPC by VPC only when it did.
        for vpc in &changes.vpcs {
            stale.insert(Part::Vpc(vpc.id.clone()));
        }
        let extras_same = old.dhcp_option_sets == gni.dhcp_option_sets
            && old.internet_gateways == gni.internet_gateways;
        let rtids_same = was.rtids == now.rtids;
        if !extras_same || !rtids_same {
            let rtid = |a: &Allocations, k: &str| a.rtids.get(k).copied();
            for (id, vpc) in &gni.vpcs {
                let same = same_vpc_extras(old, gni, id)
                    && rtid(was, id.as_str()) == rtid(now, id.as_str())
                    && vpc
                        .nat_gateways
                        .keys()
                        .all(|n| rtid(was, n.as_str()) == rtid(now, n.as_str()));
                if !same {
                    stale.insert(Part::Vpc(id.clone()));
                }
            }
        }
        // An unchanged interface keeps its id unless the allocation had to move it (a restart
        // that recovered less): find its VPC the slow way, as that is rare.
        if was.eniids != now.eniids {
            let renumbered: BTreeSet<&str> = differing_keys(&was.eniids, &now.eniids)
                .into_iter()
                .map(String::as_str)
                .filter(|name| !moved.contains(name) && now.eniids.contains_key(*name))
                .collect();
            for (_, interface) in gni.interfaces() {
                if renumbered.contains(interface.name.as_str()) {
                    stale.insert(Part::Vpc(interface.vpc.clone()));
                }
            }
        }
        for group in differing(&old.security_groups, &gni.security_groups) {
            stale.insert(Part::SecurityGroup(group.id.clone()));
        }
        // Every part of the last GNI was translated (a failed translation keeps the GNI
        // before it), so the VPCs and groups that came or went are the parts that came or went.
        // Check it cheaply, and fall back to comparing every part if it does not hold.
        let parts_of_old = 1 + old.vpcs.len() + old.security_groups.len();
        if self.parts.len() != parts_of_old {
            stale.extend(Part::all(gni).filter(|p| !self.parts.contains_key(p)));
            stale.extend(self.parts.keys().filter(|p| !in_gni(gni, p)).cloned());
        }
        stale.retain(|p| in_gni(gni, p) || self.parts.contains_key(p));
        stale.into_iter().collect()
    }

    /// Every part of `gni`, and those of the last GNI that left it.
    fn every_part(&self, gni: &Gni) -> Vec<Part> {
        let mut all: Vec<Part> = Part::all(gni).collect();
        all.extend(self.parts.keys().filter(|p| !in_gni(gni, p)).cloned());
        all
    }

    /// Keeps the ARP and MAC entries the plan wrote in `actual`: the feed does not carry them.
    fn record_tables(&mut self, plan: &Plan, scope: Option<&HashSet<Uuid>>) {
        let Some(actual) = self.actual.as_mut() else {
            return;
        };
        if plan.is_empty() {
            return;
        }
        let bridges: BTreeSet<Uuid> = match scope {
            Some(ids) => ids
                .iter()
                .copied()
                .filter(|id| actual.bridges.contains_key(id))
                .collect(),
            None => actual.bridges.keys().copied().collect(),
        };
        for &bridge in &bridges {
            actual::remove_members(&mut actual.ip4_macs, bridge, |e| e.bridge);
            actual::remove_members(&mut actual.mac_ports, bridge, |e| e.bridge);
        }
        let parts: BTreeSet<&Part> = match scope {
            Some(_) => bridges.iter().filter_map(|b| self.owner.get(b)).collect(),
            None => self.parts.keys().collect(),
        };
        for part in parts.into_iter().filter_map(|p| self.parts.get(p)) {
            for e in part.ip4_macs.values() {
                if bridges.contains(&e.bridge) {
                    actual
                        .ip4_macs
                        .insert(actual::arp_id(e.bridge, &e.entry), e.clone());
                }
            }
            for e in part.mac_ports.values() {
                if bridges.contains(&e.bridge) {
                    actual
                        .mac_ports
                        .insert(actual::mac_id(e.bridge, &e.entry), e.clone());
                }
            }
        }
    }

    /// Takes this cycle's own writes into `actual` from the plan, when the feed's summary shows
    /// that the applied batches (`apply.revisions`) are the only writes since `since`; whether
    /// it did (see the module's contract). `target` is what the plan made MidoNet hold, over
    /// `scope` (all of it when `None`).
    async fn take_own_writes(
        &mut self,
        since: Option<i64>,
        apply: &ApplyReport,
        plan: &Plan,
        scope: Option<&HashSet<Uuid>>,
        target: Desired,
    ) -> bool {
        let Some(since) = since else {
            return false;
        };
        if self.actual.is_none() || !apply.revisions_known() {
            return false;
        }
        let Ok((revision, seen)) = self.client.changes_revisions(since).await else {
            return false;
        };
        let ours: BTreeSet<i64> = apply.revisions.iter().copied().collect();
        // A gateway that has not seen all of our writes yet (another one behind a balancer)
        // cannot vouch that nobody else wrote before them.
        let caught_up = ours.last().is_none_or(|&last| revision >= last);
        if !caught_up || !seen.iter().all(|r| ours.contains(r)) {
            return false;
        }
        if !plan.is_empty() {
            let target = actual::from_desired(target);
            match (scope, self.actual.as_mut()) {
                (Some(ids), Some(actual)) => replace(actual, ids, target),
                _ => self.actual = Some(target),
            }
        }
        self.revision = Some(revision);
        true
    }

    /// Takes this cycle's own writes into `actual` from the feed; any trouble asks for a
    /// full read next cycle instead. When `apply` knows the revisions of all its writes, the
    /// parts whose objects changed at other revisions (someone else's write while this cycle
    /// planned and applied) are planned next cycle, as if the change had come before it.
    async fn follow_own_writes(&mut self, apply: &ApplyReport) {
        let tenant = self.env.tenant.clone();
        let ours: Option<BTreeSet<i64>> = apply
            .revisions_known()
            .then(|| apply.revisions.iter().copied().collect());
        match self.follow_feed(&tenant, ours.as_ref()).await {
            Ok(followed) => {
                for id in &followed.foreign {
                    if let Some(part) = self.owner.get(id) {
                        self.dirty.insert(part.clone());
                    }
                }
            }
            Err(_) => {
                self.actual = None;
                self.full_plan = true;
            }
        }
    }

    /// Folds the feed since `revision` into `actual`, a page at a time so that following a
    /// large apply (a whole cloud from empty) holds one page of changes in memory, not all.
    /// With `ours`, also names in `Fed::foreign` the objects changed at any other revision.
    async fn follow_feed(
        &mut self,
        tenant: &str,
        ours: Option<&BTreeSet<i64>>,
    ) -> Result<Fed, ClientError> {
        let mut seen = Fed::default();
        // A router written after its ports comes after them, maybe pages later: keep the
        // children of devices for when every device is known.
        let mut children = Vec::new();
        loop {
            let (Some(actual), Some(since)) = (self.actual.as_mut(), self.revision) else {
                return Ok(seen);
            };
            let (page, more) = self.client.changes_page(since, FEED_PAGE).await?;
            if let Some(ours) = ours {
                for change in page.changed.iter().filter(|c| !ours.contains(&c.revision)) {
                    seen.foreign.insert(change.id);
                    seen.foreign.extend(chain_of_rule(actual, change));
                }
            }
            let (kids, rest): (Vec<_>, Vec<_>) = page.changed.into_iter().partition(|c| {
                matches!(
                    c.class.as_str(),
                    "Port" | "Route" | "BgpPeer" | "BgpNetwork"
                )
            });
            children.extend(kids);
            let followed = reconcile::follow(&self.client, actual, tenant, &rest).await?;
            seen.touched.extend(followed.touched);
            seen.hosts_changed |= followed.hosts_changed;
            self.revision = Some(page.revision);
            if !more {
                let followed = reconcile::follow(&self.client, actual, tenant, &children).await?;
                seen.touched.extend(followed.touched);
                return Ok(seen);
            }
        }
    }
}

/// Changes asked for at once while following the feed.
const FEED_PAGE: usize = 2000;

/// What following the feed saw: what `reconcile::follow` reports, and the objects changed at
/// revisions other than the caller's own (when it named them).
#[derive(Default)]
struct Fed {
    touched: BTreeSet<Uuid>,
    hosts_changed: bool,
    foreign: BTreeSet<Uuid>,
}

/// The chain a changed rule is in (its object says; a deleted one is found in `actual`): a
/// rule someone else added to a part's chain is no part's, but its chain is.
fn chain_of_rule(actual: &Actual, change: &midonet_client::Change) -> Option<Uuid> {
    if change.class != "Rule" {
        return None;
    }
    let named = change
        .object
        .as_ref()
        .and_then(|o| o.get("chainId")?.as_str()?.parse().ok());
    named.or_else(|| {
        actual
            .chains
            .values()
            .find(|c| c.rules.iter().any(|r| r.id == change.id))
            .map(|c| c.chain.id)
    })
}

fn in_gni(gni: &Gni, part: &Part) -> bool {
    match part {
        Part::Core => true,
        Part::Vpc(id) => gni.vpcs.contains_key(id),
        Part::SecurityGroup(id) => gni.security_groups.contains_key(id),
    }
}

/// The VPC's DHCP option set and internet gateways, which live outside the `vpc` element.
fn same_vpc_extras<'g>(old: &'g Gni, new: &'g Gni, id: &crate::gni::VpcId) -> bool {
    let (Some(a), Some(b)) = (old.vpcs.get(id), new.vpcs.get(id)) else {
        return false;
    };
    let set = |g: &'g Gni, v: &crate::gni::Vpc| {
        v.dhcp_option_set
            .as_ref()
            .map(|s| g.dhcp_option_sets.get(s))
    };
    set(old, a) == set(new, b)
        && a.internet_gateways.len() == b.internet_gateways.len()
        && a.internet_gateways
            .iter()
            .zip(&b.internet_gateways)
            .all(|(x, y)| old.internet_gateways.get(x) == new.internet_gateways.get(y))
}

/// Puts `planned` in place of what `subset(actual, ids)` holds: `actual` once a plan of
/// `planned` against that subset is applied. Objects outside `ids` are untouched, as the plan
/// did not touch them.
fn replace(actual: &mut Actual, ids: &HashSet<Uuid>, planned: Actual) {
    for id in ids {
        actual.routers.remove(id);
        actual.bridges.remove(id);
        actual.ports.remove(id);
        actual.chains.remove(id);
        actual.routes.remove(id);
        actual.ip_addr_groups.remove(id);
        actual.port_groups.remove(id);
        actual.dhcp_subnets.remove(id);
        actual.bgp_peers.remove(id);
        actual.bgp_networks.remove(id);
    }
    for &id in ids {
        actual::remove_members(&mut actual.dhcp_hosts, id, |h| h.dhcp_subnet);
        actual::remove_members(&mut actual.ip4_macs, id, |e| e.bridge);
        actual::remove_members(&mut actual.mac_ports, id, |e| e.bridge);
    }
    actual.absorb(planned);
}

/// The actual objects with an id in `ids`, and the id-less members of those parents.
fn subset(actual: &Actual, ids: &HashSet<Uuid>) -> Actual {
    let mut out = Actual::default();
    for id in ids {
        if let Some(v) = actual.routers.get(id) {
            out.routers.insert(*id, v.clone());
        }
        if let Some(v) = actual.bridges.get(id) {
            out.bridges.insert(*id, v.clone());
        }
        if let Some(v) = actual.ports.get(id) {
            out.ports.insert(*id, v.clone());
        }
        if let Some(v) = actual.chains.get(id) {
            out.chains.insert(*id, v.clone());
        }
        if let Some(v) = actual.routes.get(id) {
            out.routes.insert(*id, v.clone());
        }
        if let Some(v) = actual.ip_addr_groups.get(id) {
            out.ip_addr_groups.insert(*id, v.clone());
        }
        if let Some(v) = actual.port_groups.get(id) {
            out.port_groups.insert(*id, v.clone());
        }
        if let Some(v) = actual.dhcp_subnets.get(id) {
            out.dhcp_subnets.insert(*id, v.clone());
        }
        if let Some(v) = actual.bgp_peers.get(id) {
            out.bgp_peers.insert(*id, v.clone());
        }
        if let Some(v) = actual.bgp_networks.get(id) {
            out.bgp_networks.insert(*id, v.clone());
        }
    }
    for &id in ids {
        copy_members(&actual.dhcp_hosts, &mut out.dhcp_hosts, id, |h| {
            h.dhcp_subnet
        });
        copy_members(&actual.ip4_macs, &mut out.ip4_macs, id, |e| e.bridge);
        copy_members(&actual.mac_ports, &mut out.mac_ports, id, |e| e.bridge);
    }
    out
}

fn copy_members<T>(
    from: &Objects<T>,
    to: &mut Objects<T>,
    parent: Uuid,
    parent_of: impl Fn(&T) -> Uuid,
) {
    for id in actual::members(from, parent, parent_of) {
        to.insert(id, Arc::clone(&from[&id]));
    }
}
