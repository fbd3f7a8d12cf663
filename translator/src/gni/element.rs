//! Reads GNI elements into their `xml` mirror straight from quick-xml's events, as serde reads
//! them but without serde's overhead and without copying any text: leaves borrow the document.
//!
//! It reads only what it can read exactly as serde does, and says `Unhandled` for anything else:
//! an escaped character (`&amp;`, `&#65;`), CDATA, a comment inside a value, processing
//! instructions, a carriage return in a value, an XML version other than 1.0, text where
//! elements belong, a leaf with attributes or children, a repeated single-valued child, a
//! namespace prefix (serde matches local names), an attribute value that XML would normalise,
//! or XML that is not well-formed. `Unhandled` is no verdict on the document: the caller falls
//! back to serde, which decides. So every mirror this module reads equals serde's for the same
//! text; `incremental_tests` checks that on hundreds of randomly edited documents.
//!
//! Like `lines::scan`, it checks every attribute of every element, known or not (duplicates,
//! syntax), since a document the scan refuses must never be read here.

use quick_xml::events::attributes::Attributes;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::xml::{self, Text};

/// This text is not one this module reads exactly as serde would: use the checked path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unhandled;

/// A start or empty-element tag, borrowed from the document.
pub(crate) struct Tag<'a> {
    pub name: &'a str,
    /// The tag between `<` and `>` (or `/>`): its name, then its attributes.
    content: &'a str,
}

impl<'a> Tag<'a> {
    /// The tag at `start`, whose event `tag` quick-xml has read. Built from the document, not
    /// the event, so that attribute values borrow the document rather than the event.
    fn new(doc: &'a str, start: usize, tag: &BytesStart<'_>) -> Result<Self, Unhandled> {
        let name_len = tag.name().as_ref().len();
        let len = name_len + tag.attributes_raw().len();
        let content = doc.get(start + 1..start + 1 + len).ok_or(Unhandled)?;
        let name = &content[..name_len];
        if name.contains(':') {
            return Err(Unhandled);
        }
        Ok(Tag { name, content })
    }

    /// The tag whose text between `<` and `>` (without an empty element's `/`) is `content`,
    /// its name ending at `name_len`: for the skeleton scan, which finds tags itself.
    pub fn from_content(content: &'a str, name_len: usize) -> Result<Self, Unhandled> {
        let name = content.get(..name_len).ok_or(Unhandled)?;
        if name.is_empty() || name.contains(':') {
            return Err(Unhandled);
        }
        Ok(Tag { name, content })
    }

    /// Whether the tag has attributes.
    fn has_attributes(&self) -> bool {
        !self.content[self.name.len()..].trim_start().is_empty()
    }

    /// Every attribute as (key, value), checked as `lines::scan` checks them. A value that XML
    /// would unescape or normalise (`&`, tab, line feed, carriage return) is `Unhandled`, and so
    /// is a prefixed key.
    pub fn attributes(&self) -> impl Iterator<Item = Result<(&'a str, &'a str), Unhandled>> {
        Attributes::new(self.content, self.name.len()).map(|attribute| {
            let attribute = attribute.map_err(|_| Unhandled)?;
            let key = attribute.key.into_inner();
            let value = match attribute.value {
                std::borrow::Cow::Borrowed(value) => value,
                std::borrow::Cow::Owned(_) => return Err(Unhandled),
            };
            let plain = !value.contains(['&', '\t', '\n', '\r']);
            if key.contains(':') || !plain {
                return Err(Unhandled);
            }
            Ok((key, value))
        })
    }

    pub fn check_attributes(&self) -> Result<(), Unhandled> {
        self.attributes()
            .try_for_each(|attribute| attribute.map(drop))
    }
}

/// What `Events::next` found.
pub(crate) enum Ev<'a> {
    Open(Tag<'a>),
    Empty(Tag<'a>),
    Close,
    /// Character data, raw (a `Text` event never holds a reference: those are `Unhandled`).
    Text(Text<'a>),
    /// The XML declaration, acceptable only before the root.
    Declaration,
    /// A comment, which serde skips between elements (but not inside a leaf's text).
    Comment,
    Eof,
}

/// quick-xml's reader over the document from an offset, with the events this module needs.
pub(crate) struct Events<'a> {
    doc: &'a str,
    base: usize,
    reader: Reader<&'a [u8]>,
}

impl<'a> Events<'a> {
    /// Reads `doc` from byte `base`, which must be where markup or text starts.
    pub fn at(doc: &'a str, base: usize) -> Result<Self, Unhandled> {
        let rest = doc.get(base..).ok_or(Unhandled)?;
        Ok(Events {
            doc,
            base,
            reader: Reader::from_str(rest),
        })
    }

    /// Offset in the document of the next byte to read.
    pub fn position(&self) -> usize {
        self.base + usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    pub fn next(&mut self) -> Result<Ev<'a>, Unhandled> {
        let start = self.position();
        match self.reader.read_event().map_err(|_| Unhandled)? {
            Event::Start(tag) => Ok(Ev::Open(Tag::new(self.doc, start, &tag)?)),
            Event::Empty(tag) => Ok(Ev::Empty(Tag::new(self.doc, start, &tag)?)),
            Event::End(_) => Ok(Ev::Close),
            Event::Text(text) => Ok(Ev::Text(text.into_inner())),
            // serde refuses versions other than 1.0 and 1.1, and normalises line ends in text
            // by 1.1's rules under 1.1: read 1.0 only.
            Event::Decl(decl) => match decl.xml_version() {
                Ok(XmlVersion::Explicit1_0) => Ok(Ev::Declaration),
                _ => Err(Unhandled),
            },
            Event::Comment(_) => Ok(Ev::Comment),
            Event::Eof => Ok(Ev::Eof),
            Event::CData(_) | Event::PI(_) | Event::DocType(_) | Event::GeneralRef(_) => {
                Err(Unhandled)
            }
        }
    }

    /// Reads the rest of element `tag` (its start just read) into `T`.
    pub fn element<T: Element<'a>>(&mut self, tag: &Tag<'a>, empty: bool) -> Result<T, Unhandled> {
        let mut value = T::default();
        for attribute in tag.attributes() {
            let (key, text) = attribute?;
            value.attribute(key, Text::Borrowed(text));
        }
        if empty {
            return Ok(value);
        }
        let mut seen = Seen::default();
        loop {
            let (child, empty) = match self.next()? {
                Ev::Open(child) => (child, false),
                Ev::Empty(child) => (child, true),
                Ev::Close => return Ok(value),
                // Whitespace between children; serde ignores other text here too, but only
                // whitespace is worth the risk of a difference.
                Ev::Text(text) if blank(&text) => continue,
                Ev::Comment => continue,
                Ev::Text(_) | Ev::Declaration | Ev::Eof => return Err(Unhandled),
            };
            if !value.child(&child, empty, self, &mut seen)? {
                // Not a field of `T`: serde skips it.
                self.skip(&child, empty)?;
            }
        }
    }

    /// The text of leaf `tag` (its start just read): `""` when empty, as serde reads it.
    pub fn leaf(&mut self, tag: &Tag<'a>, empty: bool) -> Result<Text<'a>, Unhandled> {
        if tag.has_attributes() {
            return Err(Unhandled);
        }
        if empty {
            return Ok(Text::Borrowed(""));
        }
        match self.next()? {
            Ev::Close => Ok(Text::Borrowed("")),
            // serde turns carriage returns into line feeds (XML's end-of-line handling).
            Ev::Text(text) if text.contains('\r') => Err(Unhandled),
            Ev::Text(text) => match self.next()? {
                Ev::Close => Ok(text),
                _ => Err(Unhandled),
            },
            _ => Err(Unhandled),
        }
    }

    /// Reads past element `tag` (its start just read), checking it as `lines::scan` would.
    pub fn skip(&mut self, tag: &Tag<'a>, empty: bool) -> Result<(), Unhandled> {
        tag.check_attributes()?;
        if empty {
            return Ok(());
        }
        let mut depth = 1usize;
        loop {
            match self.next()? {
                Ev::Open(tag) => {
                    tag.check_attributes()?;
                    depth += 1;
                }
                Ev::Empty(tag) => tag.check_attributes()?,
                Ev::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Ev::Text(_) | Ev::Comment => {}
                Ev::Declaration | Ev::Eof => return Err(Unhandled),
            }
        }
    }
}

/// XML whitespace only.
pub(crate) fn blank(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The element starting at byte `start` of `doc`, read into `T`, and the offset just past it.
pub(crate) fn read<'a, T: Element<'a>>(
    doc: &'a str,
    start: usize,
) -> Result<(T, usize), Unhandled> {
    let mut events = Events::at(doc, start)?;
    let value = match events.next()? {
        Ev::Open(tag) => events.element(&tag, false)?,
        Ev::Empty(tag) => events.element(&tag, true)?,
        _ => return Err(Unhandled),
    };
    Ok((value, events.position()))
}

/// Checks the element starting at byte `start` of `doc`, and returns the offset just past it.
pub(crate) fn skip(doc: &str, start: usize) -> Result<usize, Unhandled> {
    let mut events = Events::at(doc, start)?;
    match events.next()? {
        Ev::Open(tag) => events.skip(&tag, false)?,
        Ev::Empty(tag) => events.skip(&tag, true)?,
        _ => return Err(Unhandled),
    }
    Ok(events.position())
}

/// A whole GNI document (its byte-order mark already removed), as serde would read it.
pub(crate) fn read_document(doc: &str) -> Result<xml::NetworkData<'_>, Unhandled> {
    let mut events = Events::at(doc, 0)?;
    let data = loop {
        match events.next()? {
            Ev::Declaration | Ev::Comment => {}
            Ev::Text(text) if blank(&text) => {}
            Ev::Open(tag) if tag.name == super::lines::ROOT => {
                break events.element(&tag, false)?
            }
            Ev::Empty(tag) if tag.name == super::lines::ROOT => {
                break events.element(&tag, true)?
            }
            _ => return Err(Unhandled),
        }
    };
    loop {
        match events.next()? {
            Ev::Text(text) if blank(&text) => {}
            Ev::Comment => {}
            Ev::Eof => return Ok(data),
            _ => return Err(Unhandled),
        }
    }
}

/// The single-valued children met so far in one element: serde refuses a second one. No mirror
/// type has more than `SEEN` struct-valued fields (leaves are checked by being `Some`).
#[derive(Default)]
pub(crate) struct Seen {
    names: [&'static str; SEEN],
    len: usize,
}

const SEEN: usize = 8;

impl Seen {
    fn first(&mut self, name: &'static str) -> Result<(), Unhandled> {
        if self.names[..self.len].contains(&name) || self.len == SEEN {
            return Err(Unhandled);
        }
        self.names[self.len] = name;
        self.len += 1;
        Ok(())
    }
}

/// An `xml` mirror type this module can read: what its attributes and children are called and
/// where each goes, as its serde attributes say.
pub(crate) trait Element<'a>: Default {
    /// Takes attribute `key`; others than the mirror's are ignored, as serde does.
    fn attribute(&mut self, key: &str, value: Text<'a>);

    /// Reads child `tag` (its start just read) into its field; `false` when `tag` is no field.
    fn child(
        &mut self,
        tag: &Tag<'a>,
        empty: bool,
        events: &mut Events<'a>,
        seen: &mut Seen,
    ) -> Result<bool, Unhandled>;
}

/// Implements `Element` for an `xml` type from its attributes (`@"name" => field`) and children,
/// each read as `leaf` (an `Option` of text), `text` (one more text of a `Vec`), `one` (a
/// struct), `some` (an `Option` of a struct) or `each` (one more struct of a `Vec`). The tags
/// are the XML names the serde attributes in `xml` give.
macro_rules! element {
    ($ty:ident { $(@$attr:literal => $afield:ident,)* $($how:ident $tag:literal => $field:ident,)* }) => {
        impl<'a> Element<'a> for xml::$ty<'a> {
            #[allow(unused_variables)]
            fn attribute(&mut self, key: &str, value: Text<'a>) {
                $(if key == $attr {
                    self.$afield = Some(value);
                    return;
                })*
            }

            #[allow(unused_variables)]
            fn child(
                &mut self,
                tag: &Tag<'a>,
                empty: bool,
                events: &mut Events<'a>,
                seen: &mut Seen,
            ) -> Result<bool, Unhandled> {
                match tag.name {
                    $($tag => element!(@$how self.$field, $tag, tag, empty, events, seen),)*
                    _ => return Ok(false),
                }
                Ok(true)
            }
        }
    };
    (@leaf $field:expr, $name:literal, $tag:ident, $empty:ident, $events:ident, $seen:ident) => {{
        if $field.is_some() {
            return Err(Unhandled);
        }
        $field = Some($events.leaf($tag, $empty)?);
    }};
    (@text $field:expr, $name:literal, $tag:ident, $empty:ident, $events:ident, $seen:ident) => {
        $field.push($events.leaf($tag, $empty)?)
    };
    (@one $field:expr, $name:literal, $tag:ident, $empty:ident, $events:ident, $seen:ident) => {{
        $seen.first($name)?;
        $field = $events.element($tag, $empty)?;
    }};
    (@some $field:expr, $name:literal, $tag:ident, $empty:ident, $events:ident, $seen:ident) => {{
        $seen.first($name)?;
        $field = Some($events.element($tag, $empty)?);
    }};
    (@each $field:expr, $name:literal, $tag:ident, $empty:ident, $events:ident, $seen:ident) => {
        $field.push($events.element($tag, $empty)?)
    };
}

element!(NetworkData {
    @"version" => version,
    @"applied-version" => applied_version,
    @"applied-time" => applied_time,
    some "configuration" => configuration,
    one "vpcs" => vpcs,
    one "instances" => instances,
    one "dhcpOptionSets" => dhcp_option_sets,
    one "internetGateways" => internet_gateways,
    one "securityGroups" => security_groups,
});
element!(Configuration {
    each "property" => property,
});
element!(Property {
    @"name" => name,
    text "value" => value,
    each "property" => property,
    each "gateway" => gateway,
    each "cluster" => cluster,
    each "node" => node,
});
element!(Gateway {
    each "property" => property,
});
element!(Cluster {
    @"name" => name,
    some "subnet" => subnet,
    each "property" => property,
});
element!(ClusterSubnet {
    each "property" => property,
});
element!(Node {
    @"name" => name,
    one "instanceIds" => instance_ids,
});
element!(Values {
    text "value" => value,
});
element!(Vpcs {
    each "vpc" => vpc,
});
element!(Vpc {
    @"name" => name,
    leaf "ownerId" => owner_id,
    leaf "cidr" => cidr,
    leaf "dhcpOptionSet" => dhcp_option_set,
    one "subnets" => subnets,
    one "networkAcls" => network_acls,
    one "routeTables" => route_tables,
    one "natGateways" => nat_gateways,
    one "internetGateways" => internet_gateways,
});
element!(Subnets {
    each "subnet" => subnet,
});
element!(Subnet {
    @"name" => name,
    leaf "ownerId" => owner_id,
    leaf "cidr" => cidr,
    leaf "cluster" => cluster,
    leaf "networkAcl" => network_acl,
    leaf "routeTable" => route_table,
});
element!(NetworkAcls {
    each "networkAcl" => network_acl,
});
element!(NetworkAcl {
    @"name" => name,
    leaf "ownerId" => owner_id,
    one "ingressEntries" => ingress_entries,
    one "egressEntries" => egress_entries,
});
element!(AclEntries {
    each "entry" => entry,
});
element!(AclEntry {
    @"number" => number,
    leaf "protocol" => protocol,
    leaf "action" => action,
    leaf "cidr" => cidr,
    leaf "portRangeFrom" => port_range_from,
    leaf "portRangeTo" => port_range_to,
    leaf "icmpType" => icmp_type,
    leaf "icmpCode" => icmp_code,
});
element!(RouteTables {
    each "routeTable" => route_table,
});
element!(RouteTable {
    @"name" => name,
    leaf "ownerId" => owner_id,
    one "routes" => routes,
});
element!(Routes {
    each "route" => route,
});
element!(Route {
    leaf "destinationCidr" => destination_cidr,
    leaf "gatewayId" => gateway_id,
    leaf "networkInterfaceId" => network_interface_id,
    leaf "natGatewayId" => nat_gateway_id,
});
element!(NatGateways {
    each "natGateway" => nat_gateway,
});
element!(NatGateway {
    @"name" => name,
    leaf "ownerId" => owner_id,
    leaf "macAddress" => mac_address,
    leaf "publicIp" => public_ip,
    leaf "privateIp" => private_ip,
    leaf "vpc" => vpc,
    leaf "subnet" => subnet,
});
element!(Instances {
    each "instance" => instance,
});
element!(Instance {
    @"name" => name,
    leaf "ownerId" => owner_id,
    leaf "macAddress" => mac_address,
    leaf "publicIp" => public_ip,
    leaf "privateIp" => private_ip,
    leaf "vpc" => vpc,
    leaf "subnet" => subnet,
    one "networkInterfaces" => network_interfaces,
    one "securityGroups" => security_groups,
});
element!(NetworkInterfaces {
    each "networkInterface" => network_interface,
});
element!(NetworkInterface {
    @"name" => name,
    leaf "ownerId" => owner_id,
    leaf "deviceIndex" => device_index,
    leaf "attachmentId" => attachment_id,
    leaf "macAddress" => mac_address,
    leaf "privateIp" => private_ip,
    leaf "publicIp" => public_ip,
    leaf "sourceDestCheck" => source_dest_check,
    leaf "vpc" => vpc,
    leaf "subnet" => subnet,
    one "securityGroups" => security_groups,
});
element!(DhcpOptionSets {
    each "dhcpOptionSet" => dhcp_option_set,
});
element!(DhcpOptionSet {
    @"name" => name,
    leaf "ownerId" => owner_id,
    each "property" => property,
});
element!(InternetGateways {
    each "internetGateway" => internet_gateway,
});
element!(InternetGateway {
    @"name" => name,
    leaf "ownerId" => owner_id,
});
element!(SecurityGroups {
    each "securityGroup" => security_group,
});
element!(SecurityGroup {
    @"name" => name,
    leaf "ownerId" => owner_id,
    one "ingressRules" => ingress_rules,
    one "egressRules" => egress_rules,
});
element!(Rules {
    each "rule" => rule,
});
element!(Rule {
    leaf "protocol" => protocol,
    leaf "fromPort" => from_port,
    leaf "toPort" => to_port,
    leaf "icmpType" => icmp_type,
    leaf "icmpCode" => icmp_code,
    leaf "groupId" => group_id,
    leaf "groupOwnerId" => group_owner_id,
    leaf "cidr" => cidr,
});
