//! Finds a GNI's top-level elements (the configuration, and each vpc, instance, dhcpOptionSet,
//! internetGateway and securityGroup) by walking only the document's skeleton: the root, the
//! five list elements and what lies between their items. A caller reads each item on its own
//! with `element`, or steps over one whose text it has read before, so an unchanged item costs a
//! comparison of bytes, not a parse.
//!
//! The walk accepts the skeleton serde reads and nothing that could change serde's reading: text
//! other than whitespace, a second `<vpcs>` or `<configuration>` (serde refuses it), CDATA and
//! the like are `Unhandled`. Unknown elements are checked and passed over, as serde ignores them.

use super::element::{self, blank, Element, Ev, Events, Tag, Unhandled};
use super::lines::ROOT;
use super::xml::{self, Text};

/// What a top-level element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Configuration,
    Vpc,
    Instance,
    DhcpOptionSet,
    InternetGateway,
    SecurityGroup,
}

/// The lists under the root: their tag, their items' tag and kind.
const LISTS: [(&str, &str, Kind); 5] = [
    ("vpcs", "vpc", Kind::Vpc),
    ("instances", "instance", Kind::Instance),
    ("dhcpOptionSets", "dhcpOptionSet", Kind::DhcpOptionSet),
    ("internetGateways", "internetGateway", Kind::InternetGateway),
    ("securityGroups", "securityGroup", Kind::SecurityGroup),
];

/// Where a top-level element's start tag is in the document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    pub kind: Kind,
    /// The offset of its `<`.
    pub start: usize,
    /// The offset just past its start tag.
    pub tag_end: usize,
}

/// Walks `doc` (without a byte-order mark), handing every top-level element to `item` in
/// document order; `item` returns the offset just past the element. Returns the root's
/// attributes, in a mirror whose lists are empty.
pub(crate) fn split<'a>(
    doc: &'a str,
    mut item: impl FnMut(Item) -> Result<usize, Unhandled>,
) -> Result<xml::NetworkData<'a>, Unhandled> {
    let mut events = Events::at(doc, 0)?;
    let (root, empty) = loop {
        match events.next()? {
            Ev::Declaration | Ev::Comment => {}
            Ev::Text(text) if blank(&text) => {}
            Ev::Open(tag) if tag.name == ROOT => break (tag, false),
            Ev::Empty(tag) if tag.name == ROOT => break (tag, true),
            _ => return Err(Unhandled),
        }
    };
    let mut data = xml::NetworkData::default();
    for attribute in root.attributes() {
        let (key, value) = attribute?;
        data.attribute(key, Text::Borrowed(value));
    }
    let mut at = events.position();
    if !empty {
        // The configuration, then the lists in `LISTS` order: each may appear once.
        let mut seen = [false; 1 + LISTS.len()];
        loop {
            let (tag, tag_end, empty) = match step(doc, at, ROOT)? {
                Step::End(end) => {
                    at = end;
                    break;
                }
                Step::Over(end) => {
                    at = end;
                    continue;
                }
                Step::Tag(tag, start, tag_end, empty) => {
                    at = start;
                    (tag, tag_end, empty)
                }
            };
            let list = LISTS.iter().position(|(name, ..)| *name == tag.name);
            at = match (tag.name, list) {
                ("configuration", _) => {
                    once(&mut seen[0])?;
                    item(Item {
                        kind: Kind::Configuration,
                        start: at,
                        tag_end,
                    })?
                }
                (_, Some(k)) => {
                    once(&mut seen[1 + k])?;
                    tag.check_attributes()?;
                    let (name, item_name, kind) = LISTS[k];
                    if empty {
                        tag_end
                    } else {
                        items(doc, tag_end, name, item_name, kind, &mut item)?
                    }
                }
                _ => element::skip(doc, at)?,
            };
        }
    }
    // After the root: comments and whitespace only.
    let mut events = Events::at(doc, at)?;
    loop {
        match events.next()? {
            Ev::Comment => {}
            Ev::Text(text) if blank(&text) => {}
            Ev::Eof => return Ok(data),
            _ => return Err(Unhandled),
        }
    }
}

/// The items of list `name` (its start tag ends at `at`); returns the offset past its end tag.
fn items(
    doc: &str,
    mut at: usize,
    name: &str,
    item_name: &str,
    kind: Kind,
    item: &mut impl FnMut(Item) -> Result<usize, Unhandled>,
) -> Result<usize, Unhandled> {
    loop {
        at = match step(doc, at, name)? {
            Step::End(end) => return Ok(end),
            Step::Over(end) => end,
            Step::Tag(tag, start, tag_end, _) if tag.name == item_name => item(Item {
                kind,
                start,
                tag_end,
            })?,
            Step::Tag(_, start, ..) => element::skip(doc, start)?,
        };
    }
}

/// The next piece of an element's content, from `at` on, whitespace skipped.
enum Step<'a> {
    /// The end tag of the element (`parent`); the offset past it.
    End(usize),
    /// A comment; the offset past it.
    Over(usize),
    /// A child's start (or empty-element) tag, its offset, the offset past it, and whether it
    /// is empty.
    Tag(Tag<'a>, usize, usize, bool),
}

fn step<'a>(doc: &'a str, at: usize, parent: &str) -> Result<Step<'a>, Unhandled> {
    let rest = doc.get(at..).ok_or(Unhandled)?;
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
    let at = at + skipped;
    let rest = &rest[skipped..];
    if let Some(end) = rest.strip_prefix("</") {
        // ETag ::= '</' Name S? '>': only the parent's may come here.
        let end = end.strip_prefix(parent).ok_or(Unhandled)?;
        let after = end.trim_start_matches([' ', '\t', '\r', '\n']);
        return match after.strip_prefix('>') {
            Some(tail) => Ok(Step::End(doc.len() - tail.len())),
            None => Err(Unhandled),
        };
    }
    match rest.as_bytes() {
        // A start tag, found by hand: this runs for every item, and quick-xml's reader would
        // cost more than the comparison that usually follows. A tag misread here is harmless:
        // its element is either byte-equal to one read before, or read now by quick-xml.
        [b'<', first, ..] if !matches!(first, b'!' | b'?') => {
            let close = tag_close(rest).ok_or(Unhandled)?;
            let inner = &rest[1..close];
            let (content, empty) = match inner.strip_suffix('/') {
                Some(content) => (content, true),
                None => (inner, false),
            };
            let name_len = content
                .find([' ', '\t', '\r', '\n'])
                .unwrap_or(content.len());
            let tag = Tag::from_content(content, name_len)?;
            Ok(Step::Tag(tag, at, at + close + 1, empty))
        }
        [b'<', ..] => {
            let mut events = Events::at(doc, at)?;
            match events.next()? {
                Ev::Comment => Ok(Step::Over(events.position())),
                _ => Err(Unhandled),
            }
        }
        _ => Err(Unhandled),
    }
}

/// The offset of the `>` that closes the tag `rest` starts with; a quoted attribute value may
/// hold a `>`.
fn tag_close(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let first = memchr::memchr(b'>', bytes)?;
    if memchr::memchr2(b'"', b'\'', &bytes[..first]).is_none() {
        return Some(first);
    }
    let mut quote = None;
    for (k, &byte) in bytes.iter().enumerate() {
        match quote {
            Some(open) if byte == open => quote = None,
            Some(_) => {}
            None if byte == b'"' || byte == b'\'' => quote = Some(byte),
            None if byte == b'>' => return Some(k),
            None => {}
        }
    }
    None
}

fn once(seen: &mut bool) -> Result<(), Unhandled> {
    if std::mem::replace(seen, true) {
        return Err(Unhandled);
    }
    Ok(())
}
