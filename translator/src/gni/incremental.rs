//! Reads valid GNIs fast, and re-reads one that changed a little by reusing what the last read
//! made of every top-level element whose text did not change: the CLC rewrites the whole file
//! for any change, and parsing 10 MB anew each time would not fit a 30 ms apply.
//!
//! `read` is the fast path of `gni::parse` and of `GniParser::parse`, and returns what the
//! checked path would, or `Unhandled`:
//! - `split` walks the skeleton. Each top-level element (configuration, vpc, instance,
//!   dhcpOptionSet, internetGateway, securityGroup) is looked up by its start tag among the
//!   elements of the last document; one whose bytes equal its namesake's is reused, any other
//!   is read by `element` and converted alone (`convert::*_alone`).
//! - An element's conversion depends on its own text only, but for two things checked here over
//!   the whole result: ids repeated in other elements, and each instance's node (from the
//!   configuration's clusters). `validate` then runs over the whole result, as a change in one
//!   element can break a reference in another.
//! - Any problem, or text `element` does not read, is `Unhandled`: the caller parses with the
//!   checked path, which finds the problems again and places them on their lines. Invalid
//!   documents cost a full checked parse; valid ones, the common case, do not.
//! - Only a document read here becomes the reference for the next: a refused one leaves
//!   `GniParser`'s memory as it was, so it cannot poison the next read.
//!
//! What keeps a re-read cheap: elements are looked for in document order first (a hash of the
//! start tag finds the rest), a reused element's value is moved rather than shared once more,
//! and a document holding exactly the last one's elements (the same document, or only the
//! root's attributes changed) is not checked again. The parser keeps a copy of the
//! last document (as large as the document) to compare against.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashSet};
use std::hash::BuildHasher;

use super::convert::{self, FastMap, FastSet};
use super::element::{self, Unhandled};
use super::error::GniError;
use super::id::SecurityGroupId;
use super::model::{
    Config, DhcpOptionSet, Gni, Instance, InternetGateway, SecurityGroup, Shared, Vpc,
};
use super::split::{split, Item, Kind};
use super::{validate, xml};

/// Parses GNI documents one after another, each faster when it differs from the last good one
/// in a few top-level elements.
///
/// `parse` returns exactly what `gni::parse` returns for the same text: the same `Gni` or the
/// same error. It keeps the last document it parsed without error, and what it made of each
/// top-level element of it; the `Gni` it returns shares every unchanged VPC, instance and
/// security group with the previous one (`Shared::ptr_eq`).
#[derive(Default)]
pub struct GniParser {
    last: Option<Last>,
    stats: ReadStats,
}

/// What the last `GniParser::parse` did, for tests and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Top-level elements reused from the document before.
    pub reused: usize,
    /// Top-level elements read and converted.
    pub read: usize,
    /// The fast path gave up and the checked path answered (always so for invalid documents).
    pub checked: bool,
}

/// The last document parsed without error.
struct Last {
    /// As parsed: without a byte-order mark.
    document: String,
    /// Its top-level elements in document order. (No copy of the model: keeping one would cost
    /// a copy of every map at each read, more than rebuilding it when a document repeats.)
    elements: Vec<Slot>,
    /// Who holds each nested id (see `Owners`), kept up to date read by read.
    owners: Owners,
    /// `elements` by hash, built when first needed: a document read in step with this one needs
    /// none. Two elements whose hashes collide keep one entry; the other is read anew, nothing
    /// worse.
    by_hash: OnceCell<FastMap<u64, usize>>,
}

/// A top-level element of the last document.
struct Slot {
    /// The hash of its start tag (`tag_hash`).
    hash: u64,
    start: usize,
    end: usize,
    kind: Kind,
    /// What it converted to; taken while a read reuses it (and put back if the read fails), so
    /// reuse moves the value instead of counting one more reference.
    value: Option<Value>,
    /// Read from its document, not reused from the one before.
    fresh: bool,
}

impl Last {
    /// The element of `kind` at offset `start` of `doc` if it is one of ours, not yet taken:
    /// equal bytes make an equal element, wherever it stands. `next` is where to look first
    /// (the element after the last one found), `hash` where to look then.
    fn find(&self, doc: &str, start: usize, kind: Kind, next: usize, hash: u64) -> Option<usize> {
        let same = |k: usize| {
            let slot = self.elements.get(k)?;
            let before = self.document.as_bytes().get(slot.start..slot.end)?;
            let now = doc.as_bytes().get(start..start + before.len())?;
            (slot.kind == kind && slot.value.is_some() && now == before).then_some(k)
        };
        same(next).or_else(|| {
            let by_hash = self.by_hash.get_or_init(|| {
                let by_hash = self.elements.iter().enumerate();
                by_hash.map(|(k, slot)| (slot.hash, k)).collect()
            });
            same(*by_hash.get(&hash)?)
        })
    }

    /// Puts back the values a failed read took.
    fn restore(&mut self, taken: Vec<(u64, Known)>) {
        for (_, known) in taken {
            if let Some(slot) = known.from.and_then(|k| self.elements.get_mut(k)) {
                slot.value = Some(known.value);
            }
        }
    }
}

/// A top-level element of the document being read, and what it converted to.
struct Known {
    start: usize,
    end: usize,
    value: Value,
    /// The index of the last document's element it reuses; `None` when read from this one.
    from: Option<usize>,
}

impl Known {
    fn fresh(&self) -> bool {
        self.from.is_none()
    }
}

enum Value {
    /// The configuration, and where its clusters place each instance.
    Configuration(Shared<(Config, convert::Placed)>),
    Vpc(Shared<Vpc>),
    Instance(Shared<Instance>),
    DhcpOptionSet(Shared<DhcpOptionSet>),
    InternetGateway(Shared<InternetGateway>),
    SecurityGroup(Shared<SecurityGroup>),
}

impl Value {
    fn kind(&self) -> Kind {
        match self {
            Value::Configuration(_) => Kind::Configuration,
            Value::Vpc(_) => Kind::Vpc,
            Value::Instance(_) => Kind::Instance,
            Value::DhcpOptionSet(_) => Kind::DhcpOptionSet,
            Value::InternetGateway(_) => Kind::InternetGateway,
            Value::SecurityGroup(_) => Kind::SecurityGroup,
        }
    }
}

impl GniParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// What the last `parse` did.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Parses and checks one GNI document, as `gni::parse` does.
    pub fn parse(&mut self, document: &str) -> Result<Gni, GniError> {
        self.stats = ReadStats::default();
        let document = super::admit(document)?;
        let (gni, elements) = self.read(document)?;
        self.remember(elements, |kept| {
            kept.clear();
            kept.push_str(document);
        });
        Ok(gni)
    }

    /// `parse`, keeping `text` itself as the document to compare the next one with, rather than
    /// a copy of it; `text` then holds an earlier document, as a buffer to read the next into.
    /// A daemon reading 10 MB files saves a copy and the page faults of a new buffer each time.
    pub fn parse_reusing(&mut self, text: &mut String) -> Result<Gni, GniError> {
        self.stats = ReadStats::default();
        // Offsets are of the text without its byte-order mark: such a text is copied without.
        if text.starts_with('\u{feff}') {
            return self.parse(text);
        }
        let (gni, elements) = self.read(super::admit(text)?)?;
        self.remember(elements, |kept| std::mem::swap(kept, text));
        Ok(gni)
    }

    /// Reads `document` on the fast path, or else on the checked path (which keeps nothing).
    fn read(&mut self, document: &str) -> Result<(Gni, Vec<Slot>), GniError> {
        let Read { gni, elements } = match read(document, self.last.as_mut()) {
            Ok(read) => read,
            Err(Unhandled) => {
                self.stats.checked = true;
                return super::checked(document).map(|gni| (gni, Vec::new()));
            }
        };
        let read = elements.iter().filter(|(_, known)| known.fresh()).count();
        self.stats.read = read;
        self.stats.reused = elements.len() - read;
        let elements = elements
            .into_iter()
            .map(|(hash, known)| Slot {
                hash,
                start: known.start,
                end: known.end,
                kind: known.value.kind(),
                fresh: known.fresh(),
                value: Some(known.value),
            })
            .collect();
        Ok((gni, elements))
    }

    /// Makes a document read on the fast path, with these `elements`, the one to compare the
    /// next with; `keep` puts its text in place of the last one's.
    fn remember(&mut self, elements: Vec<Slot>, keep: impl FnOnce(&mut String)) {
        if self.stats.checked {
            return;
        }
        match &mut self.last {
            // Refilled rather than replaced: a new 10 MB string costs page faults.
            Some(last) => {
                // The last document's elements not reused (gone, or changed) leave `owners`;
                // then the fresh ones enter it.
                for slot in &last.elements {
                    if let Some(value) = &slot.value {
                        nested_ids(value, |_, id| {
                            last.owners.remove(id);
                            true
                        });
                    }
                }
                for slot in elements.iter().filter(|slot| slot.fresh) {
                    if let Some(value) = &slot.value {
                        own(&mut last.owners, value);
                    }
                }
                keep(&mut last.document);
                last.elements = elements;
                last.by_hash = OnceCell::new();
            }
            None => {
                let mut owners = Owners::default();
                for value in elements.iter().filter_map(|slot| slot.value.as_ref()) {
                    own(&mut owners, value);
                }
                let mut document = String::new();
                keep(&mut document);
                self.last = Some(Last {
                    document,
                    elements,
                    owners,
                    by_hash: OnceCell::new(),
                });
            }
        }
    }
}

/// Reads a valid document (without a byte-order mark) on the fast path, with nothing to reuse:
/// `gni::parse`'s fast path.
pub(crate) fn read_anew(doc: &str) -> Result<Gni, Unhandled> {
    read(doc, None).map(|read| read.gni)
}

/// What `read` made of a document: its model, and its top-level elements by `tag_hash`.
struct Read {
    gni: Gni,
    elements: Vec<(u64, Known)>,
}

/// The hash a top-level element is known by: that of its start tag (`<vpc name="vpc-1">`).
fn tag_hash(tag: &str) -> u64 {
    // Fixed, so hashes of one document compare with those of the next.
    foldhash::fast::FixedState::with_seed(0).hash_one(tag)
}

/// Reads a valid document (without a byte-order mark) on the fast path, reusing the elements of
/// `last` whose text is unchanged; `Unhandled` when the document has any problem or text this
/// path does not read.
fn read(doc: &str, mut last: Option<&mut Last>) -> Result<Read, Unhandled> {
    let mut elements: Vec<(u64, Known)> =
        Vec::with_capacity(last.as_ref().map_or(0, |last| last.elements.len()));
    match read_into(doc, last.as_deref_mut(), &mut elements) {
        Ok(gni) => Ok(Read { gni, elements }),
        Err(Unhandled) => {
            if let Some(last) = last {
                last.restore(elements);
            }
            Err(Unhandled)
        }
    }
}

/// `read`'s work: fills `elements` as it goes, for `read` to give back what it took from
/// `last` if this fails.
fn read_into(
    doc: &str,
    mut last: Option<&mut Last>,
    elements: &mut Vec<(u64, Known)>,
) -> Result<Gni, Unhandled> {
    // Where in `last` the next element probably is: documents change little between reads.
    let mut next = 0;
    let root = split(doc, |item| {
        let hash = tag_hash(&doc[item.start..item.tag_end]);
        let reused = last.as_deref_mut().and_then(|last| {
            let k = last.find(doc, item.start, item.kind, next, hash)?;
            next = k + 1;
            let slot = &mut last.elements[k];
            Some(Known {
                start: item.start,
                end: item.start + (slot.end - slot.start),
                value: slot.value.take()?,
                from: Some(k),
            })
        });
        let known = match reused {
            Some(known) => known,
            None => fresh(doc, item)?,
        };
        let end = known.end;
        elements.push((hash, known));
        Ok(end)
    })?;
    assemble(&root, elements, last.as_deref())
}

/// How much of a document `assemble` must check, knowing that `last` was valid.
enum Check<'l> {
    /// Every element of the last document and no other: only the root's attributes can differ
    /// (the CLC rewrites the file to set `applied-version`), and what was checked then holds.
    Nothing,
    /// Only instances came, went or changed (and the configuration's placement of instances):
    /// the fresh ones, and the addresses and route targets they share with the rest. `gone` are
    /// the last document's instances that left or changed.
    Instances {
        gone: Vec<&'l Instance>,
    },
    Everything,
}

impl<'l> Check<'l> {
    fn of(elements: &[(u64, Known)], last: Option<&'l Last>) -> Self {
        let Some(last) = last else {
            return Check::Everything;
        };
        // What `read` did not take from `last` left or changed.
        let left = last.elements.iter().filter_map(|slot| slot.value.as_ref());
        let fresh = elements.iter().filter(|(_, known)| known.fresh());
        if left.clone().next().is_none() && fresh.clone().next().is_none() {
            return Check::Nothing;
        }
        fn config(value: &Value) -> Option<&Config> {
            match value {
                Value::Configuration(configured) => Some(&configured.0),
                _ => None,
            }
        }
        let before = left.clone().find_map(config);
        let now = fresh.clone().find_map(|(_, known)| config(&known.value));
        let same_clusters = match (before, now) {
            (Some(a), Some(b)) => a.clusters.keys().eq(b.clusters.keys()),
            (a, b) => a.is_none() && b.is_none(),
        };
        let kind = |value: &Value| matches!(value.kind(), Kind::Instance | Kind::Configuration);
        if !same_clusters || !left.clone().all(kind) || !fresh.clone().all(|(_, k)| kind(&k.value))
        {
            return Check::Everything;
        }
        let gone = left
            .filter_map(|value| match value {
                Value::Instance(instance) => Some(&**instance),
                _ => None,
            })
            .collect();
        Check::Instances { gone }
    }
}

/// Reads and converts one top-level element.
fn fresh(doc: &str, item: Item) -> Result<Known, Unhandled> {
    fn read_as<'a, T: element::Element<'a>, V>(
        doc: &'a str,
        start: usize,
        convert: impl FnOnce(&T) -> Option<V>,
    ) -> Result<(Shared<V>, usize), Unhandled> {
        let (x, end) = element::read::<T>(doc, start)?;
        let value = convert(&x).ok_or(Unhandled)?;
        Ok((Shared::new(value), end))
    }
    let start = item.start;
    let (value, end) = match item.kind {
        Kind::Configuration => {
            let (c, end) = read_as::<xml::Configuration, _>(doc, start, convert::config_alone)?;
            (Value::Configuration(c), end)
        }
        Kind::Vpc => {
            let (v, end) = read_as::<xml::Vpc, _>(doc, start, convert::vpc_alone)?;
            (Value::Vpc(v), end)
        }
        Kind::Instance => {
            let (i, end) = read_as::<xml::Instance, _>(doc, start, convert::instance_alone)?;
            (Value::Instance(i), end)
        }
        Kind::DhcpOptionSet => {
            let convert = convert::dhcp_option_set_alone;
            let (d, end) = read_as::<xml::DhcpOptionSet, _>(doc, start, convert)?;
            (Value::DhcpOptionSet(d), end)
        }
        Kind::InternetGateway => {
            let convert = convert::internet_gateway_alone;
            let (g, end) = read_as::<xml::InternetGateway, _>(doc, start, convert)?;
            (Value::InternetGateway(g), end)
        }
        Kind::SecurityGroup => {
            let convert = convert::security_group_alone;
            let (g, end) = read_as::<xml::SecurityGroup, _>(doc, start, convert)?;
            (Value::SecurityGroup(g), end)
        }
    };
    Ok(Known {
        start,
        end,
        value,
        from: None,
    })
}

/// Builds the model from the root's attributes and the converted elements, and checks what no
/// element can check alone. Places each instance on its node, in `elements` too, so the next
/// read reuses the placed value.
fn assemble(
    root: &xml::NetworkData<'_>,
    elements: &mut [(u64, Known)],
    last: Option<&Last>,
) -> Result<Gni, Unhandled> {
    let check = Check::of(elements, last);
    let no_owners = Owners::default();
    let owners = last.map_or(&no_owners, |last| &last.owners);
    let (version, applied_version, applied_time) = convert::root(root).ok_or(Unhandled)?;
    let configured = elements
        .iter()
        .find_map(|(_, known)| match &known.value {
            Value::Configuration(configured) => Some(configured.clone()),
            _ => None,
        })
        .ok_or(Unhandled)?;
    let (config, placement) = &*configured;
    let mut vpcs = Vec::new();
    let mut instances = Vec::with_capacity(elements.len());
    let mut dhcp_option_sets = Vec::new();
    let mut internet_gateways = Vec::new();
    let mut security_groups = Vec::new();
    for (_, known) in elements.iter() {
        match &known.value {
            Value::Configuration(_) | Value::Instance(_) => {}
            Value::Vpc(vpc) => vpcs.push(vpc.clone()),
            Value::DhcpOptionSet(set) => dhcp_option_sets.push(DhcpOptionSet::clone(set)),
            Value::InternetGateway(gateway) => {
                internet_gateways.push(InternetGateway::clone(gateway));
            }
            Value::SecurityGroup(group) => security_groups.push(group.clone()),
        }
    }
    let names = Names::new(&vpcs, &security_groups);
    let mut fresh_instances = Vec::new();
    for (_, known) in elements.iter_mut() {
        let fresh = known.fresh();
        let Value::Instance(instance) = &mut known.value else {
            continue;
        };
        if fresh {
            fresh_instances.push(instance.id.clone());
        }
        let (node, _) = *placement.get(instance.id.as_str()).ok_or(Unhandled)?;
        if instance.node != node {
            // Copies the instance if the last document's model still shares it.
            instance.node = node;
        }
        if fresh {
            names.share(instance);
        }
        instances.push(instance.clone());
    }
    let gni = Gni {
        version,
        applied_version,
        applied_time,
        config: config.clone(),
        vpcs: by_id(vpcs, |vpc| &vpc.id)?,
        instances: by_id(instances, |instance| &instance.id)?,
        dhcp_option_sets: by_id(dhcp_option_sets, |set| &set.id)?,
        internet_gateways: by_id(internet_gateways, |gateway| &gateway.id)?,
        security_groups: by_id(security_groups, |group| &group.id)?,
    };
    let valid = match check {
        Check::Nothing => true,
        Check::Everything => {
            nested_ids_distinct(elements, &gni, owners)
                && validate::validate(&gni, None, &HashSet::new()).is_empty()
        }
        Check::Instances { gone } => {
            let fresh: Vec<&Instance> = fresh_instances
                .iter()
                .filter_map(|id| gni.instances.get(id).map(|i| &**i))
                .collect();
            nested_ids_distinct(elements, &gni, owners)
                && validate::instances_valid(&gni, &fresh, &gone)
        }
    };
    if !valid {
        return Err(Unhandled);
    }
    Ok(gni)
}

/// The ids of VPCs, their subnets and security groups, as the elements defining them hold them.
struct Names<'a> {
    vpcs: FastMap<&'a str, &'a Vpc>,
    groups: FastMap<&'a str, &'a SecurityGroupId>,
}

impl<'a> Names<'a> {
    fn new(vpcs: &'a [Shared<Vpc>], groups: &'a [Shared<SecurityGroup>]) -> Self {
        Names {
            vpcs: vpcs.iter().map(|vpc| (vpc.id.as_str(), &**vpc)).collect(),
            groups: groups.iter().map(|g| (g.id.as_str(), &g.id)).collect(),
        }
    }

    /// Makes a fresh instance's references to its VPC, subnet and groups share the strings of
    /// the elements they name: `validate` reads them for every instance of every read, and a
    /// string many instances share stays in the cache. Equal strings, so the model is the same.
    fn share(&self, instance: &mut Instance) {
        if let Some(vpc) = self.vpcs.get(instance.vpc.as_str()) {
            instance.vpc = vpc.id.clone();
            if let Some((subnet, _)) = vpc.subnets.get_key_value(&instance.subnet) {
                instance.subnet = subnet.clone();
            }
        }
        for group in &mut instance.security_groups {
            if let Some(&named) = self.groups.get(group.as_str()) {
                *group = named.clone();
            }
        }
        let Instance {
            vpc,
            subnet,
            security_groups,
            interfaces,
            ..
        } = instance;
        convert::share_ids(vpc, subnet, security_groups, interfaces);
    }
}

/// `values` by id; `Unhandled` when an id repeats (the checked path names both lines).
fn by_id<K: Ord + Clone, V>(
    values: Vec<V>,
    id: impl Fn(&V) -> &K,
) -> Result<BTreeMap<K, V>, Unhandled> {
    let mut keyed: Vec<(K, V)> = values.into_iter().map(|v| (id(&v).clone(), v)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if keyed.windows(2).any(|pair| pair[0].0 == pair[1].0) {
        return Err(Unhandled);
    }
    // Sorted input makes this a bulk build.
    Ok(keyed.into_iter().collect())
}

/// Nested id (subnet, route table, network ACL, NAT gateway, network interface) -> the id of
/// the VPC or instance holding it, in the last document. Ids of different kinds never coincide
/// (their prefixes differ), so the id alone is the key.
type Owners = FastMap<Box<str>, Box<str>>;

/// Whether no subnet, route table, network ACL, NAT gateway or network interface id appears in
/// two top-level elements of `gni`: each element checked its own, and `convert` refuses a repeat
/// anywhere in the document. The elements reused from the last document held distinct ids (it
/// was valid, and an element reused twice repeats its own id, which `by_id` refuses), so only
/// the ids of fresh elements need checking: against each other, and against the one element
/// of the last document that held each (`owners`), if `gni` still holds it there.
fn nested_ids_distinct(elements: &[(u64, Known)], gni: &Gni, owners: &Owners) -> bool {
    let mut fresh: FastSet<&str> = FastSet::default();
    elements
        .iter()
        .filter(|(_, known)| known.fresh())
        .all(|(_, known)| {
            let top = top_id(&known.value);
            nested_ids(&known.value, |_, id| {
                let elsewhere = owners
                    .get(id)
                    .is_some_and(|owner| Some(&**owner) != top && holds(gni, owner, id));
                fresh.insert(id) && !elsewhere
            })
        })
}

/// Whether the VPC or instance `owner` of `gni` holds nested id `id`.
fn holds(gni: &Gni, owner: &str, id: &str) -> bool {
    if let Some(instance) = gni.instances.get(owner) {
        return instance
            .interfaces
            .values()
            .any(|i| i.eni_id.as_str() == id);
    }
    gni.vpcs.get(owner).is_some_and(|vpc| {
        vpc.subnets.contains_key(id)
            || vpc.route_tables.contains_key(id)
            || vpc.network_acls.contains_key(id)
            || vpc.nat_gateways.contains_key(id)
    })
}

/// The id of a VPC or instance, the elements that hold nested ids.
fn top_id(value: &Value) -> Option<&str> {
    match value {
        Value::Vpc(vpc) => Some(vpc.id.as_str()),
        Value::Instance(instance) => Some(instance.id.as_str()),
        _ => None,
    }
}

/// Adds the nested ids of `value` to `owners`.
fn own(owners: &mut Owners, value: &Value) {
    if let Some(top) = top_id(value) {
        nested_ids(value, |_, id| {
            owners.insert(id.into(), top.into());
            true
        });
    }
}

/// Calls `each` with (tag, id) for every id-bearing element nested in `value`, while it returns
/// true; returns whether it always did.
fn nested_ids<'a>(value: &'a Value, mut each: impl FnMut(&'static str, &'a str) -> bool) -> bool {
    match value {
        Value::Vpc(vpc) => {
            vpc.subnets.keys().all(|id| each("subnet", id.as_str()))
                && vpc
                    .route_tables
                    .keys()
                    .all(|id| each("routeTable", id.as_str()))
                && vpc
                    .network_acls
                    .keys()
                    .all(|id| each("networkAcl", id.as_str()))
                && vpc
                    .nat_gateways
                    .keys()
                    .all(|id| each("natGateway", id.as_str()))
        }
        Value::Instance(instance) => instance
            .interfaces
            .values()
            .all(|interface| each("networkInterface", interface.eni_id.as_str())),
        _ => true,
    }
}
