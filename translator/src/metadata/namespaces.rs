//! Makes the host's namespaces and veth pairs match a `MetadataView` (`reference/eucanetd.md`
//! §3.1 "Host plumbing"): per VPC a namespace `vpc-…` joined to the bridge by
//! `vn2_<vpc8>`/`vn3_<vpc8>`, per subnet a pair `vn0_<sub8>`/`vn1_<sub8>` whose host end MidoNet
//! binds to the subnet bridge and whose namespace end holds the subnet's `.3`.
//!
//! Contract of `sync`: idempotent. It reads what exists (`ip -j`), creates only what is missing,
//! repairs what is wrong (a link down or off the bridge, a veth whose peer is in another
//! namespace, a missing address), and deletes the namespaces of VPCs that left the view (their
//! veths go with them). Changes go out as one `ip -batch` for the host namespace, then one per
//! VPC namespace that needs any, run from inside it by a few threads (`Ip::in_namespaces`).
//! Measured at 1,000 VPCs of 2 subnets (`tests/metadata_scale.rs`): about 5 s to create
//! everything, under a second for a sync that changes nothing, about 1 s to remove it all.
//!
//! Reads inside a namespace cost a process each, so a namespace is read when it is new to this
//! process, when its part of the view changed, when its host side looks wrong, and otherwise a
//! few per sync in turn (`REVERIFY_PER_SYNC`), so a change made by hand inside one is repaired
//! within some syncs rather than at once.
//!
//! Ownership: a namespace named like a VPC (`vpc-` and 8 or 17 hex digits) that is not in the view
//! is deleted only if its `vn2_` is enslaved to our bridge or absent (a half-built one); one whose
//! `vn2_` is on another bridge belongs to another plane and is left alone.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ipnetwork::Ipv4Network;

use super::ip::{parse_json, Ip, LinkEntry, NamespaceJob, NetnsEntry};
use super::{MetadataError, MetadataView, VpcMetadata};
use crate::desired::names;
use crate::gni::VpcId;

/// Namespaces re-read per sync although nothing says they changed.
const REVERIFY_PER_SYNC: usize = 16;

/// Host-side link prefixes that are ours: the subnet and VPC veth ends.
const HOST_PREFIXES: [&str; 2] = ["vn0_", "vn2_"];

/// `vn2_<vpc8>` (host end, on the bridge) or `vn3_<vpc8>` (namespace end).
pub(super) fn vpc_veth(vpc: &str, end: u8) -> String {
    format!("vn{end}_{}", names::short_id(vpc))
}

/// `vn0_<sub8>` (host end, bound by MidoNet) or `vn1_<sub8>` (namespace end, the proxy address).
pub(super) fn subnet_veth(subnet: &str, end: u8) -> String {
    format!("vn{end}_{}", names::short_id(subnet))
}

/// Whether `name` is named like a VPC namespace: `vpc-` and 8 or 17 hex digits.
pub(super) fn is_vpc_namespace(name: &str) -> bool {
    name.strip_prefix("vpc-").is_some_and(|digits| {
        matches!(digits.len(), 8 | 17) && digits.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// A veth pair as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pair {
    host: String,
    inner: String,
    /// The bridge the host end is enslaved to, if any.
    master: Option<String>,
    address: Option<Ipv4Network>,
}

fn pairs(vpc: &VpcMetadata, bridge: &str) -> Vec<Pair> {
    let mut out = vec![Pair {
        host: vpc_veth(vpc.id.as_str(), 2),
        inner: vpc_veth(vpc.id.as_str(), 3),
        master: Some(bridge.to_owned()),
        address: vpc.link_local_address(),
    }];
    out.extend(vpc.subnets.iter().map(|s| Pair {
        host: subnet_veth(s.id.as_str(), 0),
        inner: subnet_veth(s.id.as_str(), 1),
        master: None,
        address: Some(s.proxy),
    }));
    out
}

/// Refuses a view two of whose objects would share a host interface name (long ids that agree in
/// their first 8 digits), before anything changes.
pub(super) fn check_names(view: &MetadataView) -> Result<(), MetadataError> {
    let mut seen: HashMap<String, String> = HashMap::new();
    for vpc in view.vpcs.values() {
        let owners = std::iter::once((vpc_veth(vpc.id.as_str(), 2), vpc.id.to_string())).chain(
            vpc.subnets
                .iter()
                .map(|s| (subnet_veth(s.id.as_str(), 0), s.id.to_string())),
        );
        for (name, owner) in owners {
            if let Some(first) = seen.get(&name) {
                return Err(MetadataError::NameCollision {
                    name,
                    first: first.clone(),
                    second: owner,
                });
            }
            seen.insert(name, owner);
        }
    }
    Ok(())
}

/// The part of a VPC that its namespace shows: not the instances, which change often and only
/// the proxy's map holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plumbed {
    rtid: u32,
    subnets: Vec<(String, Ipv4Network)>,
}

impl Plumbed {
    fn of(vpc: &VpcMetadata) -> Plumbed {
        Plumbed {
            rtid: vpc.rtid,
            subnets: vpc
                .subnets
                .iter()
                .map(|s| (s.id.to_string(), s.proxy))
                .collect(),
        }
    }
}

/// What a sync changed.
#[derive(Debug, Default)]
pub(super) struct PlumbingReport {
    /// VPCs whose namespace this sync created (a listener there must be (re)opened).
    pub created: BTreeSet<VpcId>,
    /// Namespaces deleted.
    pub removed: Vec<String>,
    pub veth_pairs_created: usize,
    /// VPCs whose namespace could not be set up this time.
    pub failed: BTreeSet<VpcId>,
    /// The first of their errors; the others are logged.
    pub error: Option<MetadataError>,
}

/// The host side of the plane and what this process knows of it.
pub(super) struct Plumbing {
    ip: Ip,
    bridge: String,
    /// What each VPC's namespace was last made to hold, so it need not be re-read.
    verified: BTreeMap<VpcId, Plumbed>,
    /// Where the round of re-reads stands.
    cursor: Option<VpcId>,
}

impl Plumbing {
    pub(super) fn new(ip: Ip, bridge: String) -> Plumbing {
        Plumbing {
            ip,
            bridge,
            verified: BTreeMap::new(),
            cursor: None,
        }
    }

    /// See the module's contract. An `Err` is a failure of the host namespace's batch (or of a
    /// read), after which nothing else was tried; a VPC namespace's own failure is in the
    /// report's `failed` and `error`, the others done regardless. Either way the next sync reads
    /// again what it did not finish.
    pub(super) async fn sync(
        &mut self,
        view: &MetadataView,
    ) -> Result<PlumbingReport, MetadataError> {
        check_names(view)?;
        let started = std::time::Instant::now();
        let netns: Vec<NetnsEntry> = self.ip.json(&["netns", "list"]).await?;
        let links: Vec<LinkEntry> = self.ip.json(&["link", "show"]).await?;
        let nsids: HashMap<&str, Option<i64>> =
            netns.iter().map(|n| (n.name.as_str(), n.id)).collect();
        let links: HashMap<&str, &LinkEntry> =
            links.iter().map(|l| (l.ifname.as_str(), l)).collect();

        let reverify = self.next_reverify(view);
        let to_read: Vec<&VpcMetadata> = view
            .vpcs
            .values()
            .filter(|v| nsids.contains_key(v.id.as_str()))
            .filter(|v| {
                self.verified.get(&v.id) != Some(&Plumbed::of(v))
                    || reverify.contains(&v.id)
                    || !self.host_side_intact(v, &nsids, &links)
            })
            .collect();
        let inside = self.read_inside(&to_read).await?;
        let read = started.elapsed();

        let mut report = PlumbingReport::default();
        let mut root: Vec<String> = Vec::new();
        match links.get(self.bridge.as_str()) {
            None => {
                root.push(format!("link add name {} type bridge", self.bridge));
                root.push(format!("link set dev {} up", self.bridge));
            }
            Some(l) if !l.is_up() => root.push(format!("link set dev {} up", self.bridge)),
            Some(_) => {}
        }
        for ns in &netns {
            let ours = is_vpc_namespace(&ns.name)
                && !view.vpcs.contains_key(ns.name.as_str())
                && self.owns(&ns.name, &links);
            if !ours {
                continue;
            }
            // The namespace alone: when it dies its veths go with it, and the kernel deletes
            // them together, where one `link del` each waits for its own RCU grace periods
            // (tens of milliseconds: minutes at a thousand VPCs). Its listener is closed
            // already, so it dies as soon as nothing else holds it.
            root.push(format!("netns del {}", ns.name));
            report.removed.push(ns.name.clone());
        }
        let mut inner: Vec<(VpcId, Vec<String>)> = Vec::new();
        for vpc in view.vpcs.values() {
            let lines = self.plan_vpc(vpc, &nsids, &links, &inside, &mut root, &mut report);
            if !lines.is_empty() {
                inner.push((vpc.id.clone(), lines));
            }
        }

        if let Err(e) = self.ip.batch(None, &root).await {
            self.verified.clear();
            return Err(e);
        }
        let host_done = started.elapsed();
        let jobs = inner
            .into_iter()
            .map(|(vpc, lines)| NamespaceJob {
                netns: vpc.to_string(),
                args: vec!["-batch".into(), "-".into()],
                input: Some(lines),
            })
            .collect();
        let results = self.ip.in_namespaces(jobs).await;
        tracing::debug!(
            namespaces_read = to_read.len(),
            host_lines = root.len(),
            ?read,
            ?host_done,
            total = ?started.elapsed(),
            "metadata namespaces synced"
        );
        self.verified.retain(|id, _| view.vpcs.contains_key(id));
        for vpc in view.vpcs.values() {
            self.verified.insert(vpc.id.clone(), Plumbed::of(vpc));
        }
        for (netns, result) in results {
            if let Err(e) = result {
                let Some(vpc) = VpcId::parse(&netns) else {
                    continue;
                };
                self.verified.remove(&vpc);
                tracing::warn!(vpc = %vpc, error = %e, "metadata namespace not set up");
                report.failed.insert(vpc);
                report.error.get_or_insert(e);
            }
        }
        Ok(report)
    }

    /// Adds to `root` what the host namespace needs for `vpc` and returns the lines its own
    /// namespace needs.
    fn plan_vpc(
        &self,
        vpc: &VpcMetadata,
        nsids: &HashMap<&str, Option<i64>>,
        links: &HashMap<&str, &LinkEntry>,
        inside: &HashMap<VpcId, HashMap<String, LinkEntry>>,
        root: &mut Vec<String>,
        report: &mut PlumbingReport,
    ) -> Vec<String> {
        let name = vpc.id.as_str();
        let exists = nsids.contains_key(name);
        let nsid = nsids.get(name).copied().flatten();
        let inside = inside.get(&vpc.id);
        let mut lines = Vec::new();
        if !exists {
            root.push(format!("netns add {name}"));
            report.created.insert(vpc.id.clone());
            lines.push("link set dev lo up".to_owned());
        } else if inside
            .and_then(|m| m.get("lo"))
            .is_some_and(|lo| !lo.is_up())
        {
            lines.push("link set dev lo up".to_owned());
        }
        let pairs = pairs(vpc, &self.bridge);
        // Veths into this namespace that the view no longer has (a deleted subnet).
        let wanted: BTreeSet<&str> = pairs.iter().map(|p| p.host.as_str()).collect();
        if exists {
            for l in peers_in(nsid, links) {
                if !wanted.contains(l.ifname.as_str()) {
                    root.push(format!("link del dev {}", l.ifname));
                }
            }
        }
        for pair in &pairs {
            let host = links.get(pair.host.as_str());
            let paired =
                exists && host.is_some_and(|l| l.link_netnsid.is_some() && l.link_netnsid == nsid);
            let inner_link = inside.and_then(|m| m.get(&pair.inner));
            match host {
                Some(h) if paired && (inside.is_none() || inner_link.is_some()) => {
                    if pair.master.is_some() && h.master != pair.master {
                        let master = pair.master.as_deref().unwrap_or_default();
                        root.push(format!("link set dev {} master {master}", pair.host));
                    }
                    if !h.is_up() {
                        root.push(format!("link set dev {} up", pair.host));
                    }
                    if let Some(i) = inner_link {
                        if let Some(a) = pair.address.filter(|a| !i.has_address(*a)) {
                            lines.push(format!("addr replace {a} dev {}", pair.inner));
                        }
                        if !i.is_up() {
                            lines.push(format!("link set dev {} up", pair.inner));
                        }
                    }
                }
                _ => {
                    // Missing, or its peer is elsewhere (a namespace deleted behind our back):
                    // make the pair anew.
                    if host.is_some() {
                        root.push(format!("link del dev {}", pair.host));
                    }
                    root.push(format!(
                        "link add {} type veth peer name {} netns {name}",
                        pair.host, pair.inner
                    ));
                    let master = pair
                        .master
                        .as_deref()
                        .map(|m| format!(" master {m}"))
                        .unwrap_or_default();
                    root.push(format!("link set dev {}{master} up", pair.host));
                    if let Some(a) = pair.address {
                        lines.push(format!("addr replace {a} dev {}", pair.inner));
                    }
                    lines.push(format!("link set dev {} up", pair.inner));
                    report.veth_pairs_created += 1;
                }
            }
        }
        lines
    }

    /// Whether what the host namespace shows of `vpc` is as it should be: every host end there,
    /// up, peered into the VPC's namespace, on the bridge where it belongs.
    fn host_side_intact(
        &self,
        vpc: &VpcMetadata,
        nsids: &HashMap<&str, Option<i64>>,
        links: &HashMap<&str, &LinkEntry>,
    ) -> bool {
        let nsid = nsids.get(vpc.id.as_str()).copied().flatten();
        nsid.is_some()
            && pairs(vpc, &self.bridge).iter().all(|p| {
                links.get(p.host.as_str()).is_some_and(|l| {
                    l.is_up()
                        && l.link_netnsid == nsid
                        && (p.master.is_none() || l.master == p.master)
                })
            })
    }

    /// Whether a stale namespace is this plane's to delete (module doc, "Ownership").
    fn owns(&self, name: &str, links: &HashMap<&str, &LinkEntry>) -> bool {
        links
            .get(vpc_veth(name, 2).as_str())
            .is_none_or(|l| l.master.as_deref() == Some(self.bridge.as_str()))
    }

    /// The links inside each of `vpcs`' namespaces, by name.
    async fn read_inside(
        &self,
        vpcs: &[&VpcMetadata],
    ) -> Result<HashMap<VpcId, HashMap<String, LinkEntry>>, MetadataError> {
        let jobs = vpcs
            .iter()
            .map(|vpc| NamespaceJob {
                netns: vpc.id.to_string(),
                args: vec!["-j".into(), "addr".into(), "show".into()],
                input: None,
            })
            .collect();
        let mut out = HashMap::new();
        for (netns, result) in self.ip.in_namespaces(jobs).await {
            let command = format!("ip -n {netns} -j addr show");
            let links: Vec<LinkEntry> = parse_json(&command, &result?)?;
            let Some(vpc) = VpcId::parse(&netns) else {
                continue;
            };
            out.insert(
                vpc,
                links.into_iter().map(|l| (l.ifname.clone(), l)).collect(),
            );
        }
        Ok(out)
    }

    /// The next few VPCs of the view after the cursor, wrapping, to re-read this sync.
    fn next_reverify(&mut self, view: &MetadataView) -> BTreeSet<VpcId> {
        let after = self
            .cursor
            .as_ref()
            .map_or(view.vpcs.range::<VpcId, _>(..), |c| {
                view.vpcs
                    .range::<VpcId, _>((std::ops::Bound::Excluded(c), std::ops::Bound::Unbounded))
            });
        let picked: Vec<VpcId> = after
            .map(|(id, _)| id)
            .chain(view.vpcs.keys())
            .take(REVERIFY_PER_SYNC.min(view.vpcs.len()))
            .cloned()
            .collect();
        self.cursor = picked.last().cloned();
        picked.into_iter().collect()
    }
}

/// Our host-side links whose veth peer is in namespace `nsid`.
fn peers_in<'a>(
    nsid: Option<i64>,
    links: &'a HashMap<&str, &'a LinkEntry>,
) -> impl Iterator<Item = &'a LinkEntry> + 'a {
    let mut found: Vec<&LinkEntry> = links
        .values()
        .copied()
        .filter(move |l| nsid.is_some() && l.link_netnsid == nsid)
        .filter(|l| HOST_PREFIXES.iter().any(|p| l.ifname.starts_with(p)))
        .collect();
    // Name order, so batches read the same from one sync to the next.
    found.sort_by(|a, b| a.ifname.cmp(&b.ifname));
    found.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::SubnetMetadata;

    fn vpc(id: &str, subnets: &[&str]) -> VpcMetadata {
        VpcMetadata {
            id: VpcId::parse(id).expect("an id"),
            rtid: 2,
            subnets: subnets
                .iter()
                .map(|s| SubnetMetadata {
                    id: crate::gni::SubnetId::parse(s).expect("an id"),
                    cidr: "10.0.1.0/24".parse().expect("a network"),
                    proxy: "10.0.1.3/24".parse().expect("a network"),
                })
                .collect(),
            instances: BTreeMap::new(),
        }
    }

    fn view_of(vpcs: Vec<VpcMetadata>) -> MetadataView {
        MetadataView {
            vpcs: vpcs.into_iter().map(|v| (v.id.clone(), v)).collect(),
        }
    }

    #[test]
    fn vpc_namespaces_are_vpc_and_8_or_17_hex_digits() {
        assert!(is_vpc_namespace("vpc-0000000a"));
        assert!(is_vpc_namespace("vpc-0123456789abcdef0"));
        assert!(!is_vpc_namespace("vpc-000000g1"));
        assert!(!is_vpc_namespace("vpc-123"));
        assert!(!is_vpc_namespace("eucamd"));
    }

    #[test]
    fn veth_names_follow_eucanetd() {
        assert_eq!(vpc_veth("vpc-0000000a", 2), "vn2_0000000a");
        assert_eq!(vpc_veth("vpc-0123456789abcdef0", 3), "vn3_01234567");
        assert_eq!(subnet_veth("subnet-000000a1", 1), "vn1_000000a1");
        let p = pairs(&vpc("vpc-0000000a", &["subnet-000000a1"]), "metabr");
        assert_eq!(p[0].master.as_deref(), Some("metabr"));
        assert_eq!(p[1].host, "vn0_000000a1");
        assert_eq!(p[1].master, None);
    }

    #[test]
    fn long_ids_sharing_their_first_8_digits_are_refused() {
        let view = view_of(vec![
            vpc("vpc-0123456789abcdef0", &[]),
            vpc("vpc-01234567aaaaaaaa0", &[]),
        ]);
        let err = check_names(&view).expect_err("a collision");
        assert_eq!(
            err.to_string(),
            "metadata: vpc-0123456789abcdef0 and vpc-01234567aaaaaaaa0 both need host interface vn2_01234567"
        );
        let ok = view_of(vec![vpc(
            "vpc-0000000a",
            &["subnet-000000a1", "subnet-000000a2"],
        )]);
        assert!(check_names(&ok).is_ok());
    }
}
