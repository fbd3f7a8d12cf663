//! Turns the XML mirror into the typed model, element by element: parses every value (CIDRs,
//! addresses, MACs, ports, ids), checks what an element can check on its own (required children,
//! a subnet inside its VPC, one route target, unique ACL entry numbers, a primary interface), maps
//! the legacy gateway properties to one static gateway, and names each primary interface after
//! its instance (`reference/eucanetd.md` §1.2, "Interface model").
//!
//! Problems are collected, never returned early, so one pass reports all of them. An element that
//! fails is left out of the model and its id is remembered in `failed`, so `validate` does not
//! report references to it as unknown as well.
//!
//! `convert` takes a whole document and places each problem on its line (`lines`). The
//! `*_alone` functions convert one top-level element for the fast path (`incremental`), which
//! only needs to know whether there is a problem: their problems carry no line or path, and
//! building none keeps valid documents cheap.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Display;
use std::hash::Hash;
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

use super::error::{Problem, ProblemKind};
use super::id::{
    DhcpOptionSetId, EniId, GniId, InstanceId, InterfaceName, InternetGatewayId, NatGatewayId,
    NetworkAclId, RouteTableId, SecurityGroupId, SubnetId, VpcId,
};
use super::lines::LineIndex;
use super::model::{
    AclAction, AclEntry, Cluster, ClusterSubnet, Config, DhcpOptionSet, DnsServer, Gateway, Gni,
    Instance, Interface, InternetGateway, MacAddr, NatGateway, NetworkAcl, PortRange, Protocol,
    Route, RouteTable, RouteTarget, RulePeer, SecurityGroup, SecurityGroupRule, Subnet, Uplink,
    Vpc,
};
use super::xml::{self, Text};

/// The mode this translator implements; other modes need no gateways.
const VPCMIDO: &str = "VPCMIDO";

/// A value could not be converted; its problem has been recorded.
#[derive(Debug)]
pub(crate) struct Reported;

type Converted<T> = Result<T, Reported>;

/// Where a problem is: a line and an element path; or nowhere, when the caller only needs to
/// know whether there is a problem (`At::unplaced`), so valid documents pay for no paths.
#[derive(Debug, Clone)]
pub(crate) struct At {
    line: Option<u32>,
    /// `None` when unplaced; children of an unplaced element are unplaced.
    path: Option<String>,
}

impl At {
    pub(crate) fn new(line: Option<u32>, path: impl Into<String>) -> At {
        At {
            line,
            path: Some(path.into()),
        }
    }

    /// A place that records nothing: its problems have no line and an empty path.
    pub(crate) fn unplaced() -> At {
        At {
            line: None,
            path: None,
        }
    }

    /// `new`, or `unplaced` when `lines` is not there to place problems.
    pub(crate) fn located(lines: Option<&LineIndex>, line: Option<u32>, path: &str) -> At {
        match lines {
            Some(_) => At::new(line, path),
            None => At::unplaced(),
        }
    }

    /// A child element: its own line when known, else its parent's. `name` is only formatted
    /// when this place records paths.
    pub(crate) fn child(&self, name: impl Display, line: Option<u32>) -> At {
        let Some(parent) = &self.path else {
            return At::unplaced();
        };
        let path = if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}: {name}")
        };
        At {
            line: line.or(self.line),
            path: Some(path),
        }
    }

    /// The child defining object `id`, on the line of its (first) definition.
    pub(crate) fn element<T: GniId>(&self, id: &T, lines: Option<&LineIndex>) -> At {
        match lines {
            Some(lines) => self.child(
                format_args!("{} {id}", T::KIND),
                lines.named(T::ELEMENT, id.as_str()),
            ),
            None => At::unplaced(),
        }
    }

    /// The element path, as problems show it.
    pub(crate) fn path(&self) -> &str {
        self.path.as_deref().unwrap_or("")
    }

    pub(crate) fn problem(&self, kind: ProblemKind) -> Problem {
        Problem {
            line: self.line,
            element: self.path().to_owned(),
            kind,
        }
    }
}

/// How to read one kind of value, and what to call a value that is not one.
struct Form<T> {
    expected: &'static str,
    parse: fn(&str) -> Option<T>,
}

// By hand: derived impls would demand `T: Copy`, and a form only holds a name and a function.
impl<T> Clone for Form<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Form<T> {}

const TEXT: Form<String> = Form {
    expected: "text",
    parse: |s| Some(s.to_owned()),
};
const IPV4: Form<Ipv4Addr> = Form {
    expected: "an IPv4 address",
    parse: |s| s.parse().ok(),
};
/// `address/prefix`; a bare address is refused, though ipnetwork would read it as a /32.
const CIDR: Form<Ipv4Network> = Form {
    expected: "a CIDR",
    parse: |s| s.contains('/').then(|| s.parse().ok()).flatten(),
};
const MAC: Form<MacAddr> = Form {
    expected: "a MAC address",
    parse: MacAddr::parse,
};
/// xs:boolean, as JAXB writes `Boolean`.
const BOOL: Form<bool> = Form {
    expected: "true or false",
    parse: |s| match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    },
};
const DEVICE_INDEX: Form<u32> = Form {
    expected: "a device index",
    parse: |s| s.parse().ok(),
};
/// 4-byte AS numbers; 0 is reserved.
const ASN: Form<u32> = Form {
    expected: "an AS number",
    parse: |s| s.parse().ok().filter(|&asn| asn != 0),
};
const PORT: Form<u16> = Form {
    expected: "a port number",
    parse: |s| s.parse().ok(),
};
/// An ICMP type or code; `-1` means any (`None`).
const ICMP_VALUE: Form<Option<u8>> = Form {
    expected: "an ICMP type or code (-1 for any)",
    parse: |s| match s {
        "-1" => Some(None),
        _ => s.parse().ok().map(Some),
    },
};
const PROTOCOL: Form<ProtocolNumber> = Form {
    expected: "a protocol number (-1 for all)",
    parse: |s| match s {
        "-1" => Some(ProtocolNumber::All),
        _ => s.parse().ok().map(ProtocolNumber::Number),
    },
};
/// AWS allows 1 to 32766; 32767 is the default entry, which the CLC may send.
const ACL_NUMBER: Form<u16> = Form {
    expected: "a rule number from 1 to 32767",
    parse: |s| s.parse().ok().filter(|n| (1..=32767).contains(n)),
};
const ACL_ACTION: Form<AclAction> = Form {
    expected: "allow or deny",
    parse: |s| {
        if s.eq_ignore_ascii_case("allow") {
            Some(AclAction::Allow)
        } else if s.eq_ignore_ascii_case("deny") {
            Some(AclAction::Deny)
        } else {
            None
        }
    },
};
const DNS_SERVER: Form<DnsServer> = Form {
    expected: "an IPv4 address or AmazonProvidedDNS",
    parse: |s| match s {
        "AmazonProvidedDNS" => Some(DnsServer::AmazonProvided),
        _ => s.parse().ok().map(DnsServer::Address),
    },
};
const NETBIOS_NODE_TYPE: Form<u8> = Form {
    expected: "a NetBIOS node type (1, 2, 4 or 8)",
    parse: |s| s.parse().ok().filter(|t| matches!(t, 1 | 2 | 4 | 8)),
};
/// References to objects, by id (`<vpc>vpc-…</vpc>`).
const fn id_form<T: GniId>() -> Form<T> {
    Form {
        expected: T::EXPECTED,
        parse: T::parse,
    }
}

const VPC: Form<VpcId> = id_form();
const SUBNET: Form<SubnetId> = id_form();
const ROUTE_TABLE: Form<RouteTableId> = id_form();
const NETWORK_ACL: Form<NetworkAclId> = id_form();
const NAT_GATEWAY: Form<NatGatewayId> = id_form();
const INTERNET_GATEWAY: Form<InternetGatewayId> = id_form();
const INSTANCE: Form<InstanceId> = id_form();
const ENI: Form<EniId> = id_form();
const SECURITY_GROUP: Form<SecurityGroupId> = id_form();
const DHCP_OPTION_SET: Form<DhcpOptionSetId> = id_form();

/// The `protocol` element: `-1` or an IP protocol number.
#[derive(Clone, Copy)]
enum ProtocolNumber {
    All,
    Number(u8),
}

const ICMP: u8 = 1;
const TCP: u8 = 6;
const UDP: u8 = 17;

/// The children that make up a `Protocol`; security-group rules and ACL entries name their port
/// elements differently (`fromPort` / `portRangeFrom`).
struct ProtocolXml<'x> {
    protocol: &'x Option<Text<'x>>,
    from: (&'static str, &'x Option<Text<'x>>),
    to: (&'static str, &'x Option<Text<'x>>),
    icmp_type: &'x Option<Text<'x>>,
    icmp_code: &'x Option<Text<'x>>,
}

/// What conversion produced.
pub(crate) struct Outcome {
    /// The model, when the document-level parts (version, configuration) converted; elements
    /// that failed are missing from it.
    pub gni: Option<Gni>,
    pub problems: Vec<Problem>,
    /// Ids (and cluster names) of elements that failed to convert, and the instances listed by
    /// a node that did: references to them have been accounted for.
    pub failed: HashSet<String>,
}

/// Converts a deserialized GNI, collecting every problem.
pub(crate) fn convert(doc: &xml::NetworkData<'_>, lines: &LineIndex) -> Outcome {
    let mut c = Converter::new(Some(lines), Placement::Unknown);
    let root = At::new(lines.root(), "network-data");
    let version = c.required(&root, "version attribute", &doc.version, TEXT);
    let config = c.config(&root, doc.configuration.as_ref());
    let top = At::new(None, "");
    let mut vpcs = BTreeMap::new();
    for (k, x) in doc.vpcs.vpc.iter().enumerate() {
        if let Some(vpc) = c.vpc(&top, x, k + 1) {
            vpcs.insert(vpc.id.clone(), vpc.into());
        }
    }
    let mut instances = BTreeMap::new();
    for (k, x) in doc.instances.instance.iter().enumerate() {
        if let Some(instance) = c.instance(&top, x, k + 1) {
            instances.insert(instance.id.clone(), instance.into());
        }
    }
    let mut dhcp_option_sets = BTreeMap::new();
    for (k, x) in doc.dhcp_option_sets.dhcp_option_set.iter().enumerate() {
        if let Some(set) = c.dhcp_option_set(&top, x, k + 1) {
            dhcp_option_sets.insert(set.id.clone(), set);
        }
    }
    let mut internet_gateways = BTreeMap::new();
    for (k, x) in doc.internet_gateways.internet_gateway.iter().enumerate() {
        if let Some(gateway) = c.internet_gateway(&top, x, k + 1) {
            internet_gateways.insert(gateway.id.clone(), gateway);
        }
    }
    let mut security_groups = BTreeMap::new();
    for (k, x) in doc.security_groups.security_group.iter().enumerate() {
        if let Some(group) = c.security_group(&top, x, k + 1) {
            security_groups.insert(group.id.clone(), group.into());
        }
    }
    let gni = match (version, config) {
        (Ok(version), Ok(config)) => Some(Gni {
            version,
            applied_version: owned(&doc.applied_version),
            applied_time: owned(&doc.applied_time),
            config,
            vpcs,
            instances,
            dhcp_option_sets,
            internet_gateways,
            security_groups,
        }),
        _ => None,
    };
    Outcome {
        gni,
        problems: c.problems,
        failed: c.failed,
    }
}

/// Converts one element on its own, as `convert` does inside a document that repeats none of
/// its ids: for `incremental`, which converts only the elements that changed. Problems are not
/// placed; any problem makes the result `None`, and the caller then parses the whole document
/// with `convert` to report them. An instance's `node` is left unspecified, for the caller to
/// set from the configuration's clusters.
fn alone<'x, T>(convert: impl FnOnce(&mut Converter<'_, 'x>, &At) -> Option<T>) -> Option<T> {
    let mut c = Converter::new(None, Placement::Deferred);
    let value = convert(&mut c, &At::unplaced());
    value.filter(|_| c.problems.is_empty())
}

pub(crate) fn vpc_alone(x: &xml::Vpc<'_>) -> Option<Vpc> {
    alone(|c, top| c.vpc(top, x, 1))
}

/// See `alone`: the instance's `node` is `0.0.0.0`, for the caller to set.
pub(crate) fn instance_alone(x: &xml::Instance<'_>) -> Option<Instance> {
    alone(|c, top| c.instance(top, x, 1))
}

pub(crate) fn security_group_alone(x: &xml::SecurityGroup<'_>) -> Option<SecurityGroup> {
    alone(|c, top| c.security_group(top, x, 1))
}

pub(crate) fn dhcp_option_set_alone(x: &xml::DhcpOptionSet<'_>) -> Option<DhcpOptionSet> {
    alone(|c, top| c.dhcp_option_set(top, x, 1))
}

pub(crate) fn internet_gateway_alone(x: &xml::InternetGateway<'_>) -> Option<InternetGateway> {
    alone(|c, top| c.internet_gateway(top, x, 1))
}

/// See `alone`; with where the clusters place each instance.
pub(crate) fn config_alone(x: &xml::Configuration<'_>) -> Option<(Config, Placed)> {
    alone(|c, root| {
        let config = c.config(root, Some(x)).ok()?;
        match std::mem::replace(&mut c.placement, Placement::Unknown) {
            Placement::Known(placed) => Some((config, placed)),
            Placement::Unknown | Placement::Deferred => None,
        }
    })
}

/// The root's attributes (version, applied version and time), as `convert` reads them.
pub(crate) fn root(doc: &xml::NetworkData<'_>) -> Option<(String, Option<String>, Option<String>)> {
    alone(|c, at| {
        let version = c
            .required(at, "version attribute", &doc.version, TEXT)
            .ok()?;
        Some((
            version,
            owned(&doc.applied_version),
            owned(&doc.applied_time),
        ))
    })
}

/// The text of an element, trimmed; `None` when absent or blank.
fn present<'r>(raw: &'r Option<Text<'_>>) -> Option<&'r str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn owned(raw: &Option<Text<'_>>) -> Option<String> {
    present(raw).map(str::to_owned)
}

/// The first `property` called `name`.
fn property<'x, 'd>(props: &'x [xml::Property<'d>], name: &str) -> Option<&'x xml::Property<'d>> {
    props
        .iter()
        .find(|p| p.name.as_deref().map(str::trim) == Some(name))
}

/// The first non-blank `value` of the property called `name`.
fn single<'x>(props: &'x [xml::Property<'_>], name: &str) -> Option<&'x str> {
    property(props, name)?
        .value
        .iter()
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
}

/// The values of the property called `name`; none when it is absent.
fn values<'x>(props: &'x [xml::Property<'_>], name: &str) -> &'x [Text<'x>] {
    property(props, name).map_or(&[], |p| p.value.as_slice())
}

/// Whether `inner` lies entirely inside `outer`.
fn within(outer: Ipv4Network, inner: Ipv4Network) -> bool {
    inner.prefix() >= outer.prefix() && outer.contains(inner.network())
}

struct Converter<'a, 'x> {
    /// Where elements are, to place problems; `None` places none (see `At::unplaced`).
    lines: Option<&'a LineIndex>,
    problems: Vec<Problem>,
    /// How often each (tag, id) has been met: a second time is a duplicate.
    seen: FastMap<(&'static str, &'x str), usize>,
    failed: HashSet<String>,
    placement: Placement,
}

/// Where instances run, as far as conversion knows.
enum Placement {
    /// No configuration: no instance can be placed, and saying so for each would only repeat
    /// that.
    Unknown,
    Known(Placed),
    /// An instance converted `alone`: its node is the caller's to find.
    Deferred,
}

/// Instance -> (node, line of the node), from the configuration's clusters.
pub(crate) type Placed = FastMap<InstanceId, (Ipv4Addr, Option<u32>)>;

/// A hash map with a fast hasher: keys here are ids and addresses from our own document, not
/// chosen to collide.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

impl<'a, 'x> Converter<'a, 'x> {
    pub(crate) fn new(lines: Option<&'a LineIndex>, placement: Placement) -> Self {
        Converter {
            lines,
            problems: Vec::new(),
            seen: FastMap::default(),
            failed: HashSet::new(),
            placement,
        }
    }

    /// `lines`' answer, when problems are placed.
    fn line(&self, find: impl FnOnce(&LineIndex) -> Option<u32>) -> Option<u32> {
        self.lines.and_then(find)
    }

    fn report(&mut self, at: &At, kind: ProblemKind) -> Reported {
        self.problems.push(at.problem(kind));
        Reported
    }

    fn value<T>(
        &mut self,
        at: &At,
        field: &'static str,
        text: &str,
        form: Form<T>,
    ) -> Converted<T> {
        let text = text.trim();
        (form.parse)(text).ok_or_else(|| {
            self.report(
                at,
                ProblemKind::Invalid {
                    field,
                    value: text.to_owned(),
                    expected: form.expected,
                },
            )
        })
    }

    fn required<T>(
        &mut self,
        at: &At,
        field: &'static str,
        raw: &Option<Text<'_>>,
        form: Form<T>,
    ) -> Converted<T> {
        match present(raw) {
            Some(text) => self.value(at, field, text, form),
            None => Err(self.report(at, ProblemKind::Missing { field })),
        }
    }

    fn optional<T>(
        &mut self,
        at: &At,
        field: &'static str,
        raw: &Option<Text<'_>>,
        form: Form<T>,
    ) -> Converted<Option<T>> {
        match present(raw) {
            Some(text) => self.value(at, field, text, form).map(Some),
            None => Ok(None),
        }
    }

    /// Every value converted, or every bad one reported.
    fn list<T>(
        &mut self,
        at: &At,
        field: &'static str,
        values: &[Text<'_>],
        form: Form<T>,
    ) -> Converted<Vec<T>> {
        let converted: Vec<Converted<T>> = values
            .iter()
            .map(|v| self.value(at, field, v, form))
            .collect();
        converted.into_iter().collect()
    }

    /// A CIDR that is a network address, as VPCs and subnets must be: the translator derives
    /// the router's `.1` from it.
    fn network(
        &mut self,
        at: &At,
        field: &'static str,
        raw: &Option<Text<'_>>,
    ) -> Converted<Ipv4Network> {
        let cidr = self.required(at, field, raw, CIDR)?;
        if cidr.ip() != cidr.network() {
            return Err(self.report(
                at,
                ProblemKind::Invalid {
                    field,
                    value: cidr.to_string(),
                    expected: "a network address (its host bits are set)",
                },
            ));
        }
        Ok(cidr)
    }

    /// Opens the element defining an object of kind `T` (a `<vpc name=>`, a `<subnet name=>`).
    fn element<T: GniId>(
        &mut self,
        parent: &At,
        ordinal: usize,
        name: &'x Option<Text<'x>>,
    ) -> Converted<(T, At)> {
        self.named_element(parent, T::ELEMENT, T::KIND, ordinal, name, id_form())
    }

    /// Opens an element that carries its key in `name`: parses the key, finds the element's
    /// line and refuses a repeated key. Every element of a tag shares one key space, so a subnet
    /// id used in two VPCs is a duplicate too.
    fn named_element<T>(
        &mut self,
        parent: &At,
        tag: &'static str,
        label: &'static str,
        ordinal: usize,
        name: &'x Option<Text<'x>>,
        form: Form<T>,
    ) -> Converted<(T, At)> {
        let Some(raw) = present(name) else {
            let at = parent.child(format_args!("{label} #{ordinal}"), None);
            return Err(self.report(
                &at,
                ProblemKind::Missing {
                    field: "name attribute",
                },
            ));
        };
        let count = self.seen.entry((tag, raw)).or_insert(0);
        let occurrence = *count;
        *count += 1;
        let at = parent.child(
            format_args!("{label} {raw}"),
            self.line(|l| l.nth(tag, raw, occurrence)),
        );
        if occurrence > 0 {
            let first_line = self.line(|l| l.named(tag, raw));
            return Err(self.report(&at, ProblemKind::Duplicate { first_line }));
        }
        match self.value(&at, "name", raw, form) {
            Ok(id) => Ok((id, at)),
            Err(reported) => {
                self.failed.insert(raw.to_owned());
                Err(reported)
            }
        }
    }

    /// Records that the element `id` failed, so references to it are not reported again.
    fn fail<T>(&mut self, id: &impl Display) -> Option<T> {
        self.failed.insert(id.to_string());
        None
    }

    fn config(&mut self, root: &At, x: Option<&'x xml::Configuration<'x>>) -> Converted<Config> {
        let Some(x) = x else {
            return Err(self.report(
                root,
                ProblemKind::Missing {
                    field: "configuration",
                },
            ));
        };
        self.placement = Placement::Known(FastMap::default());
        let at = At::located(
            self.lines,
            self.line(LineIndex::configuration).or(root.line),
            "configuration",
        );
        let props = &x.property;
        let mode = self.property_required(&at, props, "mode", TEXT);
        let clc_ip = self.property_required(&at, props, "enabledCLCIp", IPV4);
        let dns_domain = single(props, "instanceDNSDomain").map(str::to_owned);
        let dns_at = self.property_at(&at, "instanceDNSServers");
        let dns_servers = self.list(
            &dns_at,
            "instanceDNSServers",
            values(props, "instanceDNSServers"),
            IPV4,
        );
        let pool_at = self.property_at(&at, "publicIps");
        let public_ips = self.list(&pool_at, "publicIps", values(props, "publicIps"), IPV4);
        let needs_gateways = mode.as_deref().is_ok_and(|m| m == VPCMIDO);
        let mido = self.mido(&at, property(props, "mido"), needs_gateways);
        let clusters = self.clusters(&at, property(props, "clusters"));
        let (bgp_asn, gateways) = mido?;
        Ok(Config {
            mode: mode?,
            clc_ip: clc_ip?,
            dns_domain,
            dns_servers: dns_servers?,
            public_ips: public_ips?,
            bgp_asn,
            gateways,
            clusters: clusters?,
        })
    }

    /// A configuration property's own line, when the property is there.
    fn property_at(&self, parent: &At, name: &str) -> At {
        At {
            line: self.line(|l| l.property(name)).or(parent.line),
            path: parent.path.clone(),
        }
    }

    /// The first value of property `name`, located at that property's line: only for
    /// properties whose name is unique in a GNI (configuration and mido level).
    fn property_required<T>(
        &mut self,
        parent: &At,
        props: &'x [xml::Property<'x>],
        name: &'static str,
        form: Form<T>,
    ) -> Converted<T> {
        let at = self.property_at(parent, name);
        self.required(&at, name, &owned_single(props, name), form)
    }

    fn mido(
        &mut self,
        config: &At,
        mido: Option<&'x xml::Property<'x>>,
        needs_gateways: bool,
    ) -> Converted<(Option<u32>, Vec<Gateway>)> {
        let Some(mido) = mido else {
            if needs_gateways {
                return Err(self.report(config, ProblemKind::Missing { field: "mido" }));
            }
            return Ok((None, Vec::new()));
        };
        let at = At::located(
            self.lines,
            self.line(|l| l.property("mido")).or(config.line),
            "configuration: mido",
        );
        let props = &mido.property;
        let asn_at = self.property_at(&at, "bgpAsn");
        let bgp_asn = self.optional(&asn_at, "bgpAsn", &owned_single(props, "bgpAsn"), ASN);
        let listed = property(props, "gateways").map_or(&[][..], |p| p.gateway.as_slice());
        let mut gateways = Vec::new();
        let mut ok = true;
        for (k, gateway) in listed.iter().enumerate() {
            let gateway_at = at.child(
                format_args!("gateway {}", k + 1),
                self.line(|l| l.gateway(k)),
            );
            match self.gateway(&gateway_at, &gateway.property) {
                Ok(gateway) => gateways.push(gateway),
                Err(Reported) => ok = false,
            }
        }
        // The 4.1/4.2 form, only when there is no list: the list is what 4.3+ CLCs send.
        if listed.is_empty() && property(props, "gatewayHost").is_some() {
            match self.legacy_gateway(&at, props) {
                Ok(gateway) => gateways.push(gateway),
                Err(Reported) => ok = false,
            }
        }
        if ok && gateways.is_empty() && needs_gateways {
            self.report(&at, ProblemKind::Missing { field: "gateways" });
            ok = false;
        }
        let bgp_asn = bgp_asn?;
        let uses_bgp = gateways
            .iter()
            .any(|g| matches!(g.uplink, Uplink::Bgp { .. }));
        if uses_bgp && bgp_asn.is_none() {
            self.report(&asn_at, ProblemKind::Missing { field: "bgpAsn" });
            ok = false;
        }
        if ok {
            Ok((bgp_asn, gateways))
        } else {
            Err(Reported)
        }
    }

    /// One `gateway`: its properties are located at the gateway's line, as every gateway has
    /// the same property names.
    fn gateway(&mut self, at: &At, props: &'x [xml::Property<'x>]) -> Converted<Gateway> {
        let get = |name| owned_single(props, name);
        let host_ip = self.required(at, "ip", &get("ip"), IPV4);
        let external_cidr = self.required(at, "externalCidr", &get("externalCidr"), CIDR);
        let external_device = self.required(at, "externalDevice", &get("externalDevice"), TEXT);
        let external_ip = self.required(at, "externalIp", &get("externalIp"), IPV4);
        let router_ip = self.optional(at, "externalRouterIp", &get("externalRouterIp"), IPV4);
        let peer_ip = self.optional(at, "bgpPeerIp", &get("bgpPeerIp"), IPV4);
        let peer_asn = self.optional(at, "bgpPeerAsn", &get("bgpPeerAsn"), ASN);
        let ad_routes = self.list(at, "bgpAdRoutes", values(props, "bgpAdRoutes"), CIDR);
        const PEERS: &str = "externalRouterIp or bgpPeerIp";
        let uplink = match (router_ip?, peer_ip?) {
            (Some(router_ip), None) => Ok(Uplink::Static { router_ip }),
            (None, Some(peer_ip)) => match peer_asn? {
                Some(peer_asn) => Ok(Uplink::Bgp {
                    peer_ip,
                    peer_asn,
                    ad_routes: ad_routes?,
                }),
                None => Err(self.report(
                    at,
                    ProblemKind::Missing {
                        field: "bgpPeerAsn",
                    },
                )),
            },
            (None, None) => Err(self.report(at, ProblemKind::Missing { field: PEERS })),
            (Some(_), Some(_)) => Err(self.report(at, ProblemKind::Exclusive { fields: PEERS })),
        };
        let gateway = Gateway {
            host_ip: host_ip?,
            external_cidr: external_cidr?,
            external_device: external_device?,
            external_ip: external_ip?,
            uplink: uplink?,
        };
        self.external_ip_inside(at, "externalIp", "externalCidr", &gateway)?;
        Ok(gateway)
    }

    /// The gateway port's address must be on its external network.
    fn external_ip_inside(
        &mut self,
        at: &At,
        field: &'static str,
        cidr_field: &str,
        gateway: &Gateway,
    ) -> Converted<()> {
        if gateway.external_cidr.contains(gateway.external_ip) {
            return Ok(());
        }
        Err(self.report(
            at,
            ProblemKind::OutsideCidr {
                field,
                value: gateway.external_ip.to_string(),
                within: cidr_field.to_owned(),
                cidr: gateway.external_cidr,
            },
        ))
    }

    /// `gatewayHost`, `gatewayIP`, `gatewayInterface`, `publicNetworkCidr`, `publicGatewayIP`
    /// (4.1/4.2): one gateway whose default route goes to `publicGatewayIP`.
    fn legacy_gateway(&mut self, mido: &At, props: &'x [xml::Property<'x>]) -> Converted<Gateway> {
        let host_ip = self.property_required(mido, props, "gatewayHost", IPV4);
        let external_ip = self.property_required(mido, props, "gatewayIP", IPV4);
        let external_device = self.property_required(mido, props, "gatewayInterface", TEXT);
        let external_cidr = self.property_required(mido, props, "publicNetworkCidr", CIDR);
        let router_ip = self.property_required(mido, props, "publicGatewayIP", IPV4);
        let gateway = Gateway {
            host_ip: host_ip?,
            external_cidr: external_cidr?,
            external_device: external_device?,
            external_ip: external_ip?,
            uplink: Uplink::Static {
                router_ip: router_ip?,
            },
        };
        let at = self.property_at(mido, "gatewayIP");
        self.external_ip_inside(&at, "gatewayIP", "publicNetworkCidr", &gateway)?;
        Ok(gateway)
    }

    fn clusters(
        &mut self,
        config: &At,
        clusters: Option<&'x xml::Property<'x>>,
    ) -> Converted<BTreeMap<String, Cluster>> {
        let mut converted = BTreeMap::new();
        let mut ok = true;
        let listed = clusters.map_or(&[][..], |p| p.cluster.as_slice());
        for (k, x) in listed.iter().enumerate() {
            match self.cluster(config, x, k + 1) {
                Ok(cluster) => {
                    converted.insert(cluster.name.clone(), cluster);
                }
                Err(Reported) => ok = false,
            }
        }
        if ok {
            Ok(converted)
        } else {
            Err(Reported)
        }
    }

    fn cluster(
        &mut self,
        config: &At,
        x: &'x xml::Cluster<'x>,
        ordinal: usize,
    ) -> Converted<Cluster> {
        let (name, at) =
            self.named_element(config, "cluster", "cluster", ordinal, &x.name, TEXT)?;
        let props = &x.property;
        let subnet = match &x.subnet {
            Some(subnet) => self.cluster_subnet(&at, &subnet.property).map(Some),
            None => Ok(None),
        };
        let cc_ip = self.optional(
            &at,
            "enabledCCIp",
            &owned_single(props, "enabledCCIp"),
            IPV4,
        );
        let mac_prefix = single(props, "macPrefix").map(str::to_owned);
        let private_ips = self.list(&at, "privateIps", values(props, "privateIps"), IPV4);
        let listed = property(props, "nodes").map_or(&[][..], |p| p.node.as_slice());
        let mut nodes = BTreeMap::new();
        let mut nodes_ok = true;
        for (k, node) in listed.iter().enumerate() {
            match self.node(&at, node, k + 1) {
                Ok((ip, instances)) => {
                    nodes.insert(ip, instances);
                }
                Err(Reported) => nodes_ok = false,
            }
        }
        let (Ok(subnet), Ok(cc_ip), Ok(private_ips), true) = (subnet, cc_ip, private_ips, nodes_ok)
        else {
            self.failed.insert(name);
            return Err(Reported);
        };
        Ok(Cluster {
            name,
            subnet,
            cc_ip,
            mac_prefix,
            private_ips,
            nodes,
        })
    }

    fn cluster_subnet(
        &mut self,
        cluster: &At,
        props: &'x [xml::Property<'x>],
    ) -> Converted<ClusterSubnet> {
        let at = cluster.child("subnet", None);
        let address = self.required(&at, "subnet", &owned_single(props, "subnet"), IPV4);
        let netmask = self.required(&at, "netmask", &owned_single(props, "netmask"), IPV4);
        let gateway = self.required(&at, "gateway", &owned_single(props, "gateway"), IPV4);
        let (address, netmask) = (address?, netmask?);
        let network = Ipv4Network::with_netmask(address, netmask).map_err(|_| {
            self.report(
                &at,
                ProblemKind::Invalid {
                    field: "netmask",
                    value: netmask.to_string(),
                    expected: "a contiguous netmask",
                },
            )
        })?;
        Ok(ClusterSubnet {
            network,
            gateway: gateway?,
        })
    }

    /// A `node` and the instances it runs, which it places (`Instance::node`).
    fn node(
        &mut self,
        cluster: &At,
        x: &'x xml::Node<'x>,
        ordinal: usize,
    ) -> Converted<(Ipv4Addr, Vec<InstanceId>)> {
        let listed = &x.instance_ids.value;
        let node = self.named_element(cluster, "node", "node", ordinal, &x.name, IPV4);
        let node = node.and_then(|(ip, at)| {
            let instances = self.list(&at, "instanceIds", listed, INSTANCE)?;
            Ok((ip, at, instances))
        });
        let Ok((ip, at, instances)) = node else {
            // Where these instances run is unknown, not absent: `instance` must not report them
            // as on no node as well.
            self.failed
                .extend(listed.iter().map(|raw| raw.trim().to_owned()));
            return Err(Reported);
        };
        for instance in &instances {
            let Placement::Known(placement) = &mut self.placement else {
                break;
            };
            if let Some(&(_, first_line)) = placement.get(instance) {
                let listed = at.child(format_args!("instance {instance}"), None);
                self.report(&listed, ProblemKind::Duplicate { first_line });
                continue;
            }
            placement.insert(instance.clone(), (ip, at.line));
        }
        Ok((ip, instances))
    }

    fn vpc(&mut self, top: &At, x: &'x xml::Vpc<'x>, ordinal: usize) -> Option<Vpc> {
        let (id, at) = self.element::<VpcId>(top, ordinal, &x.name).ok()?;
        let cidr = self.network(&at, "cidr", &x.cidr);
        let dhcp_option_set =
            self.optional(&at, "dhcpOptionSet", &x.dhcp_option_set, DHCP_OPTION_SET);
        let internet_gateways = self.list(
            &at,
            "internetGateways",
            &x.internet_gateways.value,
            INTERNET_GATEWAY,
        );
        let subnets = self.subnets(&at, &x.subnets.subnet, cidr.as_ref().ok().copied());
        let mut route_tables = BTreeMap::new();
        for (k, table) in x.route_tables.route_table.iter().enumerate() {
            if let Some(table) = self.route_table(&at, table, k + 1) {
                route_tables.insert(table.id.clone(), table);
            }
        }
        let mut network_acls = BTreeMap::new();
        for (k, acl) in x.network_acls.network_acl.iter().enumerate() {
            if let Some(acl) = self.network_acl(&at, acl, k + 1) {
                network_acls.insert(acl.id.clone(), acl);
            }
        }
        let mut nat_gateways = BTreeMap::new();
        for (k, nat) in x.nat_gateways.nat_gateway.iter().enumerate() {
            if let Some(nat) = self.nat_gateway(&at, &id, nat, k + 1) {
                nat_gateways.insert(nat.id.clone(), nat);
            }
        }
        match (cidr, dhcp_option_set, internet_gateways) {
            (Ok(cidr), Ok(dhcp_option_set), Ok(internet_gateways)) => Some(Vpc {
                id,
                owner_id: owned(&x.owner_id),
                cidr,
                dhcp_option_set,
                subnets,
                route_tables,
                network_acls,
                nat_gateways,
                internet_gateways: internet_gateways.into_iter().collect::<BTreeSet<_>>(),
            }),
            _ => self.fail(&id),
        }
    }

    /// A VPC's subnets, each inside the VPC's CIDR and overlapping no other.
    fn subnets(
        &mut self,
        vpc: &At,
        xs: &'x [xml::Subnet<'x>],
        vpc_cidr: Option<Ipv4Network>,
    ) -> BTreeMap<SubnetId, Subnet> {
        let mut subnets = BTreeMap::new();
        for (k, x) in xs.iter().enumerate() {
            if let Some((subnet, at)) = self.subnet(vpc, x, k + 1) {
                if let Some(vpc_cidr) = vpc_cidr.filter(|&v| !within(v, subnet.cidr)) {
                    self.report(
                        &at,
                        ProblemKind::OutsideCidr {
                            field: "cidr",
                            value: subnet.cidr.to_string(),
                            within: vpc.path().to_owned(),
                            cidr: vpc_cidr,
                        },
                    );
                }
                subnets.insert(subnet.id.clone(), subnet);
            }
        }
        // Sorted by start, a subnet overlaps an earlier one only if the widest earlier subnet
        // still covering addresses contains its start (CIDRs nest or are disjoint).
        let mut by_start: Vec<&Subnet> = subnets.values().collect();
        by_start.sort_by_key(|s| (s.cidr.network(), s.cidr.prefix()));
        let mut covering: Option<&Subnet> = None;
        let mut overlaps = Vec::new();
        for subnet in by_start {
            match covering {
                Some(wide) if wide.cidr.contains(subnet.cidr.network()) => {
                    overlaps.push((subnet.id.clone(), subnet.cidr, wide.id.clone(), wide.cidr));
                }
                _ => covering = Some(subnet),
            }
        }
        for (id, cidr, other, other_cidr) in overlaps {
            let at = vpc.element(&id, self.lines);
            self.report(
                &at,
                ProblemKind::Overlap {
                    cidr,
                    other: format!("subnet {other}"),
                    other_cidr,
                },
            );
        }
        subnets
    }

    fn subnet(&mut self, vpc: &At, x: &'x xml::Subnet<'x>, ordinal: usize) -> Option<(Subnet, At)> {
        let (id, at) = self.element::<SubnetId>(vpc, ordinal, &x.name).ok()?;
        let cidr = self.network(&at, "cidr", &x.cidr);
        let network_acl = self.optional(&at, "networkAcl", &x.network_acl, NETWORK_ACL);
        let route_table = self.required(&at, "routeTable", &x.route_table, ROUTE_TABLE);
        match (cidr, network_acl, route_table) {
            (Ok(cidr), Ok(network_acl), Ok(route_table)) => Some((
                Subnet {
                    id,
                    owner_id: owned(&x.owner_id),
                    cidr,
                    cluster: owned(&x.cluster),
                    network_acl,
                    route_table,
                },
                at,
            )),
            _ => self.fail(&id),
        }
    }

    fn route_table(
        &mut self,
        vpc: &At,
        x: &'x xml::RouteTable<'x>,
        ordinal: usize,
    ) -> Option<RouteTable> {
        let (id, at) = self.element::<RouteTableId>(vpc, ordinal, &x.name).ok()?;
        let routes = self.keyed_list(
            &at,
            "route",
            &x.routes.route,
            |route| &route.destination_cidr,
            |route: &Route| route.destination,
            Self::route,
        );
        match routes {
            Ok(routes) => Some(RouteTable {
                id,
                owner_id: owned(&x.owner_id),
                routes,
            }),
            Err(Reported) => self.fail(&id),
        }
    }

    /// Converts children that have no id but a key (a route's destination, an ACL entry's
    /// number): each is named `{noun} {key}` in messages (`{noun} #n` without a key), and a key
    /// may appear only once.
    fn keyed_list<X, T, K: Eq + Hash>(
        &mut self,
        parent: &At,
        noun: &str,
        xs: &[X],
        raw_key: fn(&X) -> &Option<Text<'_>>,
        key: fn(&T) -> K,
        convert: fn(&mut Self, &At, &X) -> Converted<T>,
    ) -> Converted<Vec<T>> {
        let mut converted: Vec<T> = Vec::new();
        let mut keys = HashSet::new();
        let mut ok = true;
        for (k, x) in xs.iter().enumerate() {
            let at = match present(raw_key(x)) {
                Some(raw) => parent.child(format_args!("{noun} {raw}"), None),
                None => parent.child(format_args!("{noun} #{}", k + 1), None),
            };
            match convert(self, &at, x) {
                Ok(item) if !keys.insert(key(&item)) => {
                    self.report(&at, ProblemKind::Duplicate { first_line: None });
                    ok = false;
                }
                Ok(item) => converted.push(item),
                Err(Reported) => ok = false,
            }
        }
        if ok {
            Ok(converted)
        } else {
            Err(Reported)
        }
    }

    fn route(&mut self, at: &At, x: &xml::Route<'_>) -> Converted<Route> {
        const TARGETS: &str = "gatewayId, natGatewayId or networkInterfaceId";
        let destination = self.required(at, "destinationCidr", &x.destination_cidr, CIDR);
        let target = match (
            present(&x.gateway_id),
            present(&x.nat_gateway_id),
            present(&x.network_interface_id),
        ) {
            (Some("local"), None, None) => Ok(RouteTarget::Local),
            (Some(gateway), None, None)
                if gateway.starts_with(<InternetGatewayId as GniId>::PREFIX) =>
            {
                self.value(at, "gatewayId", gateway, INTERNET_GATEWAY)
                    .map(RouteTarget::InternetGateway)
            }
            (Some(gateway), None, None) => Ok(RouteTarget::Unsupported(gateway.to_owned())),
            (None, Some(nat), None) => self
                .value(at, "natGatewayId", nat, NAT_GATEWAY)
                .map(RouteTarget::NatGateway),
            (None, None, Some(eni)) => self
                .value(at, "networkInterfaceId", eni, ENI)
                .map(RouteTarget::NetworkInterface),
            (None, None, None) => Err(self.report(at, ProblemKind::Missing { field: TARGETS })),
            _ => Err(self.report(at, ProblemKind::Exclusive { fields: TARGETS })),
        };
        Ok(Route {
            destination: destination?,
            target: target?,
        })
    }

    fn network_acl(
        &mut self,
        vpc: &At,
        x: &'x xml::NetworkAcl<'x>,
        ordinal: usize,
    ) -> Option<NetworkAcl> {
        let (id, at) = self.element::<NetworkAclId>(vpc, ordinal, &x.name).ok()?;
        let ingress = self.acl_entries(&at, "ingress", &x.ingress_entries.entry);
        let egress = self.acl_entries(&at, "egress", &x.egress_entries.entry);
        match (ingress, egress) {
            (Ok(ingress), Ok(egress)) => Some(NetworkAcl {
                id,
                owner_id: owned(&x.owner_id),
                ingress,
                egress,
            }),
            _ => self.fail(&id),
        }
    }

    fn acl_entries(
        &mut self,
        acl: &At,
        direction: &str,
        xs: &'x [xml::AclEntry<'x>],
    ) -> Converted<Vec<AclEntry>> {
        self.keyed_list(
            acl,
            &format!("{direction} entry"),
            xs,
            |entry| &entry.number,
            |entry: &AclEntry| entry.number,
            Self::acl_entry,
        )
    }

    fn acl_entry(&mut self, at: &At, x: &xml::AclEntry<'_>) -> Converted<AclEntry> {
        let number = self.required(at, "number attribute", &x.number, ACL_NUMBER);
        let action = self.required(at, "action", &x.action, ACL_ACTION);
        let cidr = self.required(at, "cidr", &x.cidr, CIDR);
        let protocol = self.protocol(
            at,
            ProtocolXml {
                protocol: &x.protocol,
                from: ("portRangeFrom", &x.port_range_from),
                to: ("portRangeTo", &x.port_range_to),
                icmp_type: &x.icmp_type,
                icmp_code: &x.icmp_code,
            },
        );
        Ok(AclEntry {
            number: number?,
            action: action?,
            protocol: protocol?,
            cidr: cidr?,
        })
    }

    /// `-1` is everything; TCP and UDP need both ends of an ascending port range; ICMP type and
    /// code default to any; other protocols ignore ports.
    fn protocol(&mut self, at: &At, x: ProtocolXml<'_>) -> Converted<Protocol> {
        let number = match self.required(at, "protocol", x.protocol, PROTOCOL)? {
            ProtocolNumber::All => return Ok(Protocol::All),
            ProtocolNumber::Number(number) => number,
        };
        match number {
            ICMP => {
                let icmp_type = self.optional(at, "icmpType", x.icmp_type, ICMP_VALUE);
                let code = self.optional(at, "icmpCode", x.icmp_code, ICMP_VALUE);
                Ok(Protocol::Icmp {
                    icmp_type: icmp_type?.flatten(),
                    code: code?.flatten(),
                })
            }
            TCP | UDP => {
                let from = self.required(at, x.from.0, x.from.1, PORT);
                let to = self.required(at, x.to.0, x.to.1, PORT);
                let range = PortRange {
                    from: from?,
                    to: to?,
                };
                if range.from > range.to {
                    return Err(self.report(
                        at,
                        ProblemKind::Invalid {
                            field: "port range",
                            value: format!("{}-{}", range.from, range.to),
                            expected: "ascending",
                        },
                    ));
                }
                Ok(if number == TCP {
                    Protocol::Tcp(range)
                } else {
                    Protocol::Udp(range)
                })
            }
            other => Ok(Protocol::Other(other)),
        }
    }

    fn nat_gateway(
        &mut self,
        vpc: &At,
        vpc_id: &VpcId,
        x: &'x xml::NatGateway<'x>,
        ordinal: usize,
    ) -> Option<NatGateway> {
        let (id, at) = self.element::<NatGatewayId>(vpc, ordinal, &x.name).ok()?;
        let mac = self.required(&at, "macAddress", &x.mac_address, MAC);
        let public_ip = self.required(&at, "publicIp", &x.public_ip, IPV4);
        let private_ip = self.required(&at, "privateIp", &x.private_ip, IPV4);
        let nat_vpc = self.required(&at, "vpc", &x.vpc, VPC);
        let subnet = self.required(&at, "subnet", &x.subnet, SUBNET);
        let nat_vpc = nat_vpc.and_then(|nat_vpc| {
            if &nat_vpc == vpc_id {
                return Ok(nat_vpc);
            }
            Err(self.report(
                &at,
                ProblemKind::Mismatch {
                    field: "vpc",
                    value: nat_vpc.to_string(),
                    expected: format!("the enclosing vpc {vpc_id}"),
                },
            ))
        });
        match (mac, public_ip, private_ip, nat_vpc, subnet) {
            (Ok(mac), Ok(public_ip), Ok(private_ip), Ok(vpc), Ok(subnet)) => Some(NatGateway {
                id,
                owner_id: owned(&x.owner_id),
                mac,
                public_ip,
                private_ip,
                vpc,
                subnet,
            }),
            _ => self.fail(&id),
        }
    }

    fn instance(&mut self, top: &At, x: &'x xml::Instance<'x>, ordinal: usize) -> Option<Instance> {
        let (id, at) = self.element::<InstanceId>(top, ordinal, &x.name).ok()?;
        let mac = self.required(&at, "macAddress", &x.mac_address, MAC);
        let private_ip = self.required(&at, "privateIp", &x.private_ip, IPV4);
        let public_ip = self.optional(&at, "publicIp", &x.public_ip, IPV4);
        let vpc = self.required(&at, "vpc", &x.vpc, VPC);
        let subnet = self.required(&at, "subnet", &x.subnet, SUBNET);
        let security_groups = self.list(
            &at,
            "securityGroups",
            &x.security_groups.value,
            SECURITY_GROUP,
        );
        let interfaces = self.interfaces(&at, &id, &x.network_interfaces.network_interface);
        let node = match &self.placement {
            Placement::Known(placement) => match placement.get(&id) {
                Some(&(node, _)) => Ok(node),
                None if self.failed.contains(id.as_str()) => Err(Reported),
                None => Err(self.report(&at, ProblemKind::NotOnAnyNode)),
            },
            Placement::Unknown => Err(Reported),
            Placement::Deferred => Ok(Ipv4Addr::UNSPECIFIED),
        };
        let (
            Ok(node),
            Ok(mac),
            Ok(private_ip),
            Ok(public_ip),
            Ok(vpc),
            Ok(subnet),
            Ok(security_groups),
            Ok(interfaces),
        ) = (
            node,
            mac,
            private_ip,
            public_ip,
            vpc,
            subnet,
            security_groups,
            interfaces,
        )
        else {
            return self.fail(&id);
        };
        let mut interfaces = interfaces;
        share_ids(&vpc, &subnet, &security_groups, &mut interfaces);
        Some(Instance {
            id,
            owner_id: owned(&x.owner_id),
            node,
            mac,
            private_ip,
            public_ip,
            vpc,
            subnet,
            security_groups,
            interfaces,
        })
    }

    /// An instance's interfaces by name, with unique device indexes and a primary.
    fn interfaces(
        &mut self,
        instance: &At,
        instance_id: &InstanceId,
        xs: &'x [xml::NetworkInterface<'x>],
    ) -> Converted<BTreeMap<InterfaceName, Interface>> {
        let mut interfaces = BTreeMap::new();
        let mut device_indexes = HashSet::new();
        let mut ok = true;
        for (k, x) in xs.iter().enumerate() {
            let Some((interface, at)) = self.interface(instance, instance_id, x, k + 1) else {
                ok = false;
                continue;
            };
            if !device_indexes.insert(interface.device_index) {
                let at = at.child(format_args!("deviceIndex {}", interface.device_index), None);
                self.report(&at, ProblemKind::Duplicate { first_line: None });
                ok = false;
                continue;
            }
            interfaces.insert(interface.name.clone(), interface);
        }
        if !ok {
            return Err(Reported);
        }
        if !device_indexes.contains(&0) {
            return Err(self.report(
                instance,
                ProblemKind::Missing {
                    field: "networkInterface with deviceIndex 0",
                },
            ));
        }
        Ok(interfaces)
    }

    fn interface(
        &mut self,
        instance: &At,
        instance_id: &InstanceId,
        x: &'x xml::NetworkInterface<'x>,
        ordinal: usize,
    ) -> Option<(Interface, At)> {
        let (eni_id, at) = self.element::<EniId>(instance, ordinal, &x.name).ok()?;
        let device_index = self.required(&at, "deviceIndex", &x.device_index, DEVICE_INDEX);
        let mac = self.required(&at, "macAddress", &x.mac_address, MAC);
        let private_ip = self.required(&at, "privateIp", &x.private_ip, IPV4);
        let public_ip = self.optional(&at, "publicIp", &x.public_ip, IPV4);
        let source_dest_check = self.optional(&at, "sourceDestCheck", &x.source_dest_check, BOOL);
        let vpc = self.required(&at, "vpc", &x.vpc, VPC);
        let subnet = self.required(&at, "subnet", &x.subnet, SUBNET);
        let security_groups = self.list(
            &at,
            "securityGroups",
            &x.security_groups.value,
            SECURITY_GROUP,
        );
        let (
            Ok(device_index),
            Ok(mac),
            Ok(private_ip),
            Ok(public_ip),
            Ok(source_dest_check),
            Ok(vpc),
            Ok(subnet),
            Ok(security_groups),
        ) = (
            device_index,
            mac,
            private_ip,
            public_ip,
            source_dest_check,
            vpc,
            subnet,
            security_groups,
        )
        else {
            return self.fail(&eni_id);
        };
        // eucanetd names the primary interface after its instance (gni_populate_instance_interface).
        let name = if device_index == 0 {
            InterfaceName::from(instance_id)
        } else {
            InterfaceName::from(&eni_id)
        };
        let interface = Interface {
            name,
            eni_id,
            owner_id: owned(&x.owner_id),
            device_index,
            attachment_id: owned(&x.attachment_id),
            mac,
            private_ip,
            public_ip,
            source_dest_check: source_dest_check.unwrap_or(true),
            vpc,
            subnet,
            security_groups,
        };
        Some((interface, at))
    }

    fn dhcp_option_set(
        &mut self,
        top: &At,
        x: &'x xml::DhcpOptionSet<'x>,
        ordinal: usize,
    ) -> Option<DhcpOptionSet> {
        let (id, at) = self
            .element::<DhcpOptionSetId>(top, ordinal, &x.name)
            .ok()?;
        let props = &x.property;
        let domain_name = self.list(&at, "domain-name", values(props, "domain-name"), TEXT);
        let domain_name_servers = self.list(
            &at,
            "domain-name-servers",
            values(props, "domain-name-servers"),
            DNS_SERVER,
        );
        let ntp_servers = self.list(&at, "ntp-servers", values(props, "ntp-servers"), IPV4);
        let netbios_name_servers = self.list(
            &at,
            "netbios-name-servers",
            values(props, "netbios-name-servers"),
            IPV4,
        );
        let netbios_node_type = self.optional(
            &at,
            "netbios-node-type",
            &owned_single(props, "netbios-node-type"),
            NETBIOS_NODE_TYPE,
        );
        let (
            Ok(domain_name),
            Ok(domain_name_servers),
            Ok(ntp_servers),
            Ok(netbios_name_servers),
            Ok(netbios_node_type),
        ) = (
            domain_name,
            domain_name_servers,
            ntp_servers,
            netbios_name_servers,
            netbios_node_type,
        )
        else {
            return self.fail(&id);
        };
        Some(DhcpOptionSet {
            id,
            owner_id: owned(&x.owner_id),
            domain_name,
            domain_name_servers,
            ntp_servers,
            netbios_name_servers,
            netbios_node_type,
        })
    }

    fn internet_gateway(
        &mut self,
        top: &At,
        x: &'x xml::InternetGateway<'x>,
        ordinal: usize,
    ) -> Option<InternetGateway> {
        let (id, _) = self
            .element::<InternetGatewayId>(top, ordinal, &x.name)
            .ok()?;
        Some(InternetGateway {
            id,
            owner_id: owned(&x.owner_id),
        })
    }

    fn security_group(
        &mut self,
        top: &At,
        x: &'x xml::SecurityGroup<'x>,
        ordinal: usize,
    ) -> Option<SecurityGroup> {
        let (id, at) = self
            .element::<SecurityGroupId>(top, ordinal, &x.name)
            .ok()?;
        let ingress = self.rules(&at, "ingress", &x.ingress_rules.rule);
        let egress = self.rules(&at, "egress", &x.egress_rules.rule);
        match (ingress, egress) {
            (Ok(ingress), Ok(egress)) => Some(SecurityGroup {
                id,
                owner_id: owned(&x.owner_id),
                ingress,
                egress,
            }),
            _ => self.fail(&id),
        }
    }

    /// Rules are numbered from 1 in messages (`ingress rule 3`), as they have no id.
    fn rules(
        &mut self,
        group: &At,
        direction: &str,
        xs: &'x [xml::Rule<'x>],
    ) -> Converted<Vec<SecurityGroupRule>> {
        let converted: Vec<Converted<SecurityGroupRule>> = xs
            .iter()
            .enumerate()
            .map(|(k, x)| {
                self.rule(
                    &group.child(format_args!("{direction} rule {}", k + 1), None),
                    x,
                )
            })
            .collect();
        converted.into_iter().collect()
    }

    fn rule(&mut self, at: &At, x: &xml::Rule<'_>) -> Converted<SecurityGroupRule> {
        const PEERS: &str = "groupId or cidr";
        let protocol = self.protocol(
            at,
            ProtocolXml {
                protocol: &x.protocol,
                from: ("fromPort", &x.from_port),
                to: ("toPort", &x.to_port),
                icmp_type: &x.icmp_type,
                icmp_code: &x.icmp_code,
            },
        );
        let peer = match (present(&x.group_id), present(&x.cidr)) {
            (Some(group), None) => {
                self.value(at, "groupId", group, SECURITY_GROUP)
                    .map(|id| RulePeer::Group {
                        id,
                        owner_id: owned(&x.group_owner_id),
                    })
            }
            (None, Some(cidr)) => self.value(at, "cidr", cidr, CIDR).map(RulePeer::Cidr),
            (None, None) => Err(self.report(at, ProblemKind::Missing { field: PEERS })),
            (Some(_), Some(_)) => Err(self.report(at, ProblemKind::Exclusive { fields: PEERS })),
        };
        Ok(SecurityGroupRule {
            protocol: protocol?,
            peer: peer?,
        })
    }
}

/// Makes the interfaces' ids that equal the instance's share its strings: validation compares
/// and hashes them for every instance, and one string read is one cache miss fewer.
pub(crate) fn share_ids(
    vpc: &VpcId,
    subnet: &SubnetId,
    groups: &[SecurityGroupId],
    interfaces: &mut BTreeMap<InterfaceName, Interface>,
) {
    for interface in interfaces.values_mut() {
        if interface.vpc == *vpc {
            interface.vpc = vpc.clone();
        }
        if interface.subnet == *subnet {
            interface.subnet = subnet.clone();
        }
        for group in &mut interface.security_groups {
            if let Some(same) = groups.iter().find(|g| *g == group) {
                *group = same.clone();
            }
        }
    }
}

/// `single` as a leaf's text, for the `required`/`optional` helpers.
fn owned_single<'x>(props: &'x [xml::Property<'_>], name: &str) -> Option<Text<'x>> {
    single(props, name).map(Cow::Borrowed)
}
