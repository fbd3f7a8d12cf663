//! Checks what no single element can: that references between elements resolve (a subnet's route
//! table and ACL in its VPC, route targets, an instance's VPC, subnet and groups, an SG rule's
//! group, a VPC's option set and internet gateways, a subnet's cluster), that interfaces and NAT
//! gateways sit inside their subnets and their instance's VPC, and that no public or private
//! address is held twice. Reports every problem; references to elements that failed conversion
//! are skipped, as their own problem is already reported.

use std::collections::hash_map::Entry;
use std::collections::HashSet;
use std::hash::Hash;
use std::net::Ipv4Addr;

use super::convert::{At, FastMap, FastSet};
use super::error::{Problem, ProblemKind};
use super::id::{GniId, SecurityGroupId, VpcId};
use super::lines::LineIndex;
use super::model::{Gni, Instance, RouteTarget, RulePeer, SecurityGroupRule, Subnet, Vpc};

/// Every cross-element problem of a converted GNI.
pub(crate) fn validate(
    gni: &Gni,
    lines: Option<&LineIndex>,
    failed: &HashSet<String>,
) -> Vec<Problem> {
    let mut checker = Checker::new(gni, lines, failed);
    checker.private_ips.reserve(gni.instances.len());
    checker.public_ips.reserve(gni.instances.len());
    let dhcp_option_sets = ids(gni.dhcp_option_sets.keys());
    let internet_gateways = ids(gni.internet_gateways.keys());
    for vpc in gni.vpcs.values() {
        checker.vpc(vpc, &dhcp_option_sets, &internet_gateways);
    }
    for group in gni.security_groups.values() {
        let at = checker.top.element(&group.id, lines);
        checker.rules(&at, "ingress", &group.ingress);
        checker.rules(&at, "egress", &group.egress);
    }
    for instance in gni.instances.values() {
        checker.instance(instance);
    }
    checker.problems
}

/// Whether `validate` would find no problem in `gni`, knowing that it found none in a GNI that
/// differed from it in instances alone (and in the configuration's placement of instances):
/// `fresh` are the instances of `gni` that are new or changed, `gone` those of the valid GNI
/// they replaced or that left. Costs the fresh instances and one pass without lookups over the
/// rest, where `validate` costs every instance: a one-instance change of a 10,000-instance GNI
/// must not validate 10,000 instances. The checked path finds and places any problem.
pub(crate) fn instances_valid(gni: &Gni, fresh: &[&Instance], gone: &[&Instance]) -> bool {
    let failed = HashSet::new();
    let mut checker = Checker::new(gni, None, &failed);
    for instance in fresh {
        checker.instance(instance);
    }
    if !checker.problems.is_empty() {
        return false;
    }
    // The fresh instances' addresses against every other holder's (the fresh ones were
    // checked against each other above).
    let fresh_ones: FastSet<*const Instance> = fresh.iter().map(|&i| i as *const _).collect();
    let others = gni
        .instances
        .values()
        .filter(|i| !fresh_ones.contains(&(&***i as *const _)));
    let interfaces = others.flat_map(|i| i.interfaces.values());
    let holders = interfaces.map(|i| (&i.vpc, i.private_ip, i.public_ip));
    let nat_gateways = gni.vpcs.values().flat_map(|vpc| {
        let nats = vpc.nat_gateways.values();
        nats.map(move |nat| (&vpc.id, nat.private_ip, Some(nat.public_ip)))
    });
    let taken = |(vpc, private_ip, public_ip): (&VpcId, Ipv4Addr, Option<Ipv4Addr>)| {
        checker.private_ips.contains_key(&(vpc, private_ip))
            || public_ip.is_some_and(|ip| checker.public_ips.contains_key(&ip))
    };
    if holders.chain(nat_gateways).any(taken) {
        return false;
    }
    // A route may target an interface that left, or moved to another VPC.
    let left: FastSet<&str> = gone
        .iter()
        .flat_map(|i| i.interfaces.values())
        .map(|i| i.eni_id.as_str())
        .collect();
    if left.is_empty() {
        return true;
    }
    gni.vpcs.values().all(|vpc| {
        let mut routes = vpc.route_tables.values().flat_map(|t| &t.routes);
        routes.all(|route| match &route.target {
            RouteTarget::NetworkInterface(eni) if left.contains(eni.as_str()) => gni
                .interface_by_eni(eni.as_str())
                .is_some_and(|(_, i)| i.vpc == vpc.id),
            _ => true,
        })
    })
}

struct Checker<'a> {
    gni: &'a Gni,
    lines: Option<&'a LineIndex>,
    failed: &'a HashSet<String>,
    /// The parent of top-level elements.
    top: At,
    problems: Vec<Problem>,
    // Hash indexes of the model's maps: validating 10,000 instances makes tens of thousands of
    // lookups, and a B-tree of string keys compares strings at every level.
    vpcs: FastMap<&'a str, &'a Vpc>,
    groups: FastSet<&'a str>,
    /// Each interface's VPC by ENI id, built when a route first targets an interface.
    enis: Option<FastMap<&'a str, &'a VpcId>>,
    /// Who holds each public address, for messages: the first holder met.
    public_ips: FastMap<Ipv4Addr, String>,
    /// Who holds each private address, per VPC (subnets of a VPC do not overlap).
    private_ips: FastMap<(&'a VpcId, Ipv4Addr), String>,
}

impl<'a> Checker<'a> {
    fn new(gni: &'a Gni, lines: Option<&'a LineIndex>, failed: &'a HashSet<String>) -> Self {
        Checker {
            gni,
            lines,
            failed,
            top: At::located(lines, None, ""),
            problems: Vec::new(),
            vpcs: gni
                .vpcs
                .iter()
                .map(|(id, vpc)| (id.as_str(), &**vpc))
                .collect(),
            groups: ids(gni.security_groups.keys()),
            enis: None,
            public_ips: FastMap::default(),
            private_ips: FastMap::default(),
        }
    }

    /// Reports `field id` as naming no object of its kind unless `exists`, or unless the element
    /// defining it failed conversion (already reported). `within` is only asked for a problem.
    fn resolve<T: GniId>(
        &mut self,
        at: &At,
        field: &'static str,
        id: &T,
        exists: bool,
        within: impl FnOnce() -> Option<String>,
    ) {
        self.resolve_name(at, field, id.as_str(), exists, T::KIND, within);
    }

    fn resolve_name(
        &mut self,
        at: &At,
        field: &'static str,
        id: &str,
        exists: bool,
        kind: &'static str,
        within: impl FnOnce() -> Option<String>,
    ) {
        if exists || self.failed.contains(id) {
            return;
        }
        let within = within();
        let id = id.to_owned();
        self.problems
            .push(at.problem(ProblemKind::UnknownReference {
                field,
                id,
                kind,
                within,
            }));
    }

    fn vpc(&mut self, vpc: &'a Vpc, dhcp_option_sets: &FastSet<&str>, igws: &FastSet<&str>) {
        let gni = self.gni;
        let at = self.top.element(&vpc.id, self.lines);
        let in_vpc = || Some(format!("in vpc {}", vpc.id));
        if let Some(set) = &vpc.dhcp_option_set {
            let exists = dhcp_option_sets.contains(set.as_str());
            self.resolve(&at, "dhcpOptionSet", set, exists, || None);
        }
        for igw in &vpc.internet_gateways {
            let exists = igws.contains(igw.as_str());
            self.resolve(&at, "internetGateways", igw, exists, || None);
        }
        for subnet in vpc.subnets.values() {
            let at = at.element(&subnet.id, self.lines);
            let table = &subnet.route_table;
            let exists = vpc.route_tables.contains_key(table);
            self.resolve(&at, "routeTable", table, exists, in_vpc);
            if let Some(acl) = &subnet.network_acl {
                let exists = vpc.network_acls.contains_key(acl);
                self.resolve(&at, "networkAcl", acl, exists, in_vpc);
            }
            if let Some(cluster) = &subnet.cluster {
                let exists = gni.config.clusters.contains_key(cluster);
                let within = || Some("in configuration clusters".to_owned());
                self.resolve_name(&at, "cluster", cluster, exists, "cluster", within);
            }
        }
        for table in vpc.route_tables.values() {
            let table_at = at.element(&table.id, self.lines);
            for route in &table.routes {
                let at = table_at.child(format_args!("route {}", route.destination), None);
                match &route.target {
                    RouteTarget::InternetGateway(igw) => {
                        let attached = vpc.internet_gateways.contains(igw);
                        let within = || Some(format!("attached to vpc {}", vpc.id));
                        self.resolve(&at, "gatewayId", igw, attached, within);
                    }
                    RouteTarget::NatGateway(nat) => {
                        let exists = vpc.nat_gateways.contains_key(nat);
                        self.resolve(&at, "natGatewayId", nat, exists, in_vpc);
                    }
                    RouteTarget::NetworkInterface(eni) => {
                        let enis = self.enis.get_or_insert_with(|| {
                            gni.interfaces()
                                .map(|(_, interface)| (interface.eni_id.as_str(), &interface.vpc))
                                .collect()
                        });
                        let exists = enis
                            .get(eni.as_str())
                            .is_some_and(|&owner| owner == &vpc.id);
                        self.resolve(&at, "networkInterfaceId", eni, exists, in_vpc);
                    }
                    RouteTarget::Local | RouteTarget::Unsupported(_) => {}
                }
            }
        }
        for nat in vpc.nat_gateways.values() {
            let at = at.element(&nat.id, self.lines);
            let subnet = vpc.subnets.get(&nat.subnet);
            self.resolve(&at, "subnet", &nat.subnet, subnet.is_some(), in_vpc);
            self.inside_subnet(&at, nat.private_ip, subnet);
            self.hold(&at, &vpc.id, nat.private_ip, Some(nat.public_ip));
        }
    }

    fn rules(&mut self, group: &At, direction: &str, rules: &[SecurityGroupRule]) {
        for (k, rule) in rules.iter().enumerate() {
            if let RulePeer::Group { id, .. } = &rule.peer {
                let at = group.child(format_args!("{direction} rule {}", k + 1), None);
                let exists = self.groups.contains(id.as_str());
                self.resolve(&at, "groupId", id, exists, || None);
            }
        }
    }

    fn instance(&mut self, instance: &'a Instance) {
        let at = self.top.element(&instance.id, self.lines);
        let vpc = self.vpcs.get(instance.vpc.as_str()).copied();
        self.resolve(&at, "vpc", &instance.vpc, vpc.is_some(), || None);
        let mut instance_subnet = None;
        if let Some(vpc) = vpc {
            instance_subnet = vpc.subnets.get(&instance.subnet);
            let exists = instance_subnet.is_some();
            let within = || Some(format!("in vpc {}", vpc.id));
            self.resolve(&at, "subnet", &instance.subnet, exists, within);
        }
        let groups_exist = self.groups(&at, instance.security_groups.iter());
        for interface in instance.interfaces.values() {
            let at = at.element(&interface.eni_id, self.lines);
            // An interface repeats its instance's ids, as one string each (`convert`):
            // those found for the instance need no second lookup.
            let checked = |group: &SecurityGroupId| {
                groups_exist && instance.security_groups.iter().any(|g| g.shares(group))
            };
            let groups = interface.security_groups.iter();
            self.groups(&at, groups.filter(|group| !checked(group)));
            // Without the instance's VPC there is nothing to hold the interface to; that is
            // reported on the instance.
            let Some(vpc) = vpc else { continue };
            if interface.vpc != instance.vpc {
                self.problems.push(at.problem(ProblemKind::Mismatch {
                    field: "vpc",
                    value: interface.vpc.to_string(),
                    expected: format!("the instance's vpc {}", instance.vpc),
                }));
                continue;
            }
            let subnet = match instance_subnet {
                Some(found) if interface.subnet.shares(&instance.subnet) => Some(found),
                _ => vpc.subnets.get(&interface.subnet),
            };
            let within = || Some(format!("in vpc {}", vpc.id));
            self.resolve(&at, "subnet", &interface.subnet, subnet.is_some(), within);
            self.inside_subnet(&at, interface.private_ip, subnet);
            self.hold(&at, &vpc.id, interface.private_ip, interface.public_ip);
        }
    }

    /// Resolves security group references; returns whether all exist.
    fn groups<'g>(&mut self, at: &At, groups: impl Iterator<Item = &'g SecurityGroupId>) -> bool {
        let mut all = true;
        for group in groups {
            let exists = self.groups.contains(group.as_str());
            all &= exists;
            self.resolve(at, "securityGroups", group, exists, || None);
        }
        all
    }

    fn inside_subnet(&mut self, at: &At, private_ip: Ipv4Addr, subnet: Option<&Subnet>) {
        let Some(subnet) = subnet else { return };
        if !subnet.cidr.contains(private_ip) {
            self.problems.push(at.problem(ProblemKind::OutsideCidr {
                field: "privateIp",
                value: private_ip.to_string(),
                within: format!("subnet {}", subnet.id),
                cidr: subnet.cidr,
            }));
        }
    }

    /// Claims addresses for the element at `at`, reporting any already held: two holders of
    /// one public IP would both get its NAT rules and `eucart` route.
    fn hold(&mut self, at: &At, vpc: &'a VpcId, private_ip: Ipv4Addr, public_ip: Option<Ipv4Addr>) {
        if let Some(by) = claim(&mut self.private_ips, (vpc, private_ip), at) {
            self.problems.push(at.problem(ProblemKind::InUse {
                field: "privateIp",
                value: private_ip.to_string(),
                by,
            }));
        }
        let Some(public_ip) = public_ip else { return };
        if let Some(by) = claim(&mut self.public_ips, public_ip, at) {
            self.problems.push(at.problem(ProblemKind::InUse {
                field: "publicIp",
                value: public_ip.to_string(),
                by,
            }));
        }
    }
}

/// The ids, as a set of strings.
fn ids<'a, T: GniId + 'a>(ids: impl Iterator<Item = &'a T>) -> FastSet<&'a str> {
    ids.map(|id| id.as_str()).collect()
}

/// Records `at` as the holder of `key`, or returns who already holds it.
fn claim<K: Eq + Hash>(held: &mut FastMap<K, String>, key: K, at: &At) -> Option<String> {
    match held.entry(key) {
        Entry::Occupied(holder) => Some(holder.get().clone()),
        Entry::Vacant(slot) => {
            slot.insert(at.path().to_owned());
            None
        }
    }
}
