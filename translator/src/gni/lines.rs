//! Pre-scans a GNI with quick-xml's streaming reader, before serde sees it: proves the document is
//! well-formed (serde's deserializer reports no positions, this reader does) and records the line
//! of each element that later errors may name, so they can say "line 42".
//!
//! Recorded: every element with a `name` attribute except `property` (vpc, subnet, instance, …,
//! cluster, node), keyed by tag and name, all occurrences in document order (a duplicate id then
//! has a line too); the first `property` of each name (configuration properties are unique where
//! errors point at them); each `gateway` by position; `network-data` and `configuration`.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::error::GniError;

/// The GNI's root element.
pub(crate) const ROOT: &str = "network-data";

/// Lines (1-based) of the elements errors may name.
#[derive(Debug, Default)]
pub(crate) struct LineIndex {
    named: HashMap<String, HashMap<String, Vec<u32>>>,
    first_property: HashMap<String, u32>,
    gateways: Vec<u32>,
    root: Option<u32>,
    configuration: Option<u32>,
}

impl LineIndex {
    /// Lines of the `<tag name="name">` elements, in document order.
    pub(crate) fn all(&self, tag: &str, name: &str) -> &[u32] {
        self.named
            .get(tag)
            .and_then(|names| names.get(name))
            .map_or(&[], Vec::as_slice)
    }

    /// Line of the first `<tag name="name">`.
    pub(crate) fn named(&self, tag: &str, name: &str) -> Option<u32> {
        self.all(tag, name).first().copied()
    }

    /// Line of the `occurrence`-th (0-based) `<tag name="name">`.
    pub(crate) fn nth(&self, tag: &str, name: &str, occurrence: usize) -> Option<u32> {
        self.all(tag, name).get(occurrence).copied()
    }

    pub(crate) fn property(&self, name: &str) -> Option<u32> {
        self.first_property.get(name).copied()
    }

    /// Line of the `index`-th (0-based) `<gateway>`.
    pub(crate) fn gateway(&self, index: usize) -> Option<u32> {
        self.gateways.get(index).copied()
    }

    pub(crate) fn root(&self) -> Option<u32> {
        self.root
    }

    pub(crate) fn configuration(&self) -> Option<u32> {
        self.configuration
    }
}

/// Counts lines up to byte offsets that mostly grow, without rescanning from the start.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: u64) -> u32 {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = self.text[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line = self
            .line
            .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.offset = offset;
        self.line
    }
}

/// Checks that `xml` is one well-formed `network-data` element and indexes its lines.
pub(crate) fn scan(xml: &str) -> Result<LineIndex, GniError> {
    let mut reader = Reader::from_str(xml);
    let mut lines = LineCounter::new(xml);
    let mut index = LineIndex::default();
    // Open elements (name, line), to report one left open at the end of the document.
    let mut open: Vec<(String, u32)> = Vec::new();
    let mut seen_root = false;
    loop {
        let start = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                let line = lines.line_at(reader.error_position());
                return Err(malformed(Some(line), err.to_string()));
            }
        };
        match event {
            Event::Start(ref tag) | Event::Empty(ref tag) => {
                let line = lines.line_at(start);
                let name = tag.name().as_ref().to_owned();
                if open.is_empty() {
                    if seen_root {
                        return Err(malformed(
                            Some(line),
                            format!("<{name}> follows the root element <{ROOT}>"),
                        ));
                    }
                    if name != ROOT {
                        return Err(malformed(
                            Some(line),
                            format!("the root element is <{name}>, not <{ROOT}>"),
                        ));
                    }
                    seen_root = true;
                }
                record(&mut index, tag, &name, line)?;
                if matches!(event, Event::Start(_)) {
                    open.push((name, line));
                }
            }
            Event::End(_) => {
                // The reader has already checked that the end tag matches the open one.
                open.pop();
            }
            Event::Text(ref text) if open.is_empty() && !text.as_ref().trim().is_empty() => {
                let line = lines.line_at(start);
                return Err(malformed(
                    Some(line),
                    format!("text outside the root element <{ROOT}>"),
                ));
            }
            Event::GeneralRef(ref reference) if !known_reference(reference) => {
                let line = lines.line_at(start);
                let name: &str = reference.as_ref();
                return Err(malformed(Some(line), format!("unknown entity &{name};")));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some((name, line)) = open.last() {
        return Err(malformed(
            Some(lines.line_at(reader.buffer_position())),
            format!("<{name}> opened at line {line} is not closed"),
        ));
    }
    if !seen_root {
        return Err(malformed(None, format!("no <{ROOT}> element")));
    }
    Ok(index)
}

/// Files the element's line under the keys `LineIndex` answers to.
fn record(
    index: &mut LineIndex,
    tag: &BytesStart<'_>,
    name: &str,
    line: u32,
) -> Result<(), GniError> {
    match name {
        ROOT => index.root = Some(line),
        "configuration" => index.configuration = Some(line),
        "gateway" => index.gateways.push(line),
        _ => {}
    }
    let Some(id) = name_attribute(tag).map_err(|message| malformed(Some(line), message))? else {
        return Ok(());
    };
    if name == "property" {
        index.first_property.entry(id).or_insert(line);
    } else {
        index
            .named
            .entry(name.to_owned())
            .or_default()
            .entry(id)
            .or_default()
            .push(line);
    }
    Ok(())
}

/// The unescaped `name` attribute, checking every attribute of the tag on the way.
fn name_attribute(tag: &BytesStart<'_>) -> Result<Option<String>, String> {
    let mut found = None;
    for attribute in tag.attributes() {
        let attribute = attribute.map_err(|err| err.to_string())?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| err.to_string())?;
        if attribute.key.as_ref() == "name" {
            found = Some(value.trim().to_owned());
        }
    }
    Ok(found)
}

/// XML's five predefined entities and character references: nothing else can be resolved, as a
/// GNI declares no entities.
fn known_reference(reference: &quick_xml::events::BytesRef<'_>) -> bool {
    if reference.is_char_ref() {
        return matches!(reference.resolve_char_ref(), Ok(Some(_)));
    }
    matches!(reference.as_ref(), "lt" | "gt" | "amp" | "apos" | "quot")
}

/// Where a well-formed document repeats a single-valued element, the usual reason serde refuses
/// one (`duplicate field`), which serde reports without a position: the first element with two
/// text-only, attribute-less children of one name other than `value` (the one leaf GNI lists
/// repeat). Returns the second child's line and a description. Only a diagnostic: `parse` asks
/// after serde failed, to say where.
pub(crate) fn repeated_leaf(xml: &str) -> Option<(u32, String)> {
    struct Open {
        tag: String,
        id: Option<String>,
        line: u32,
        /// Has attributes or child elements: not a leaf.
        structured: bool,
        leaves: Vec<String>,
    }
    let mut reader = Reader::from_str(xml);
    let mut lines = LineCounter::new(xml);
    let mut open: Vec<Open> = Vec::new();
    loop {
        let start = reader.buffer_position();
        // A closed child: its tag, line, and whether it was a leaf.
        let (tag, line, leaf) = match reader.read_event().ok()? {
            Event::Start(tag) => {
                if let Some(parent) = open.last_mut() {
                    parent.structured = true;
                }
                open.push(Open {
                    tag: tag.name().as_ref().to_owned(),
                    id: name_attribute(&tag).ok().flatten(),
                    line: lines.line_at(start),
                    structured: tag.attributes().next().is_some(),
                    leaves: Vec::new(),
                });
                continue;
            }
            Event::Empty(tag) => (
                tag.name().as_ref().to_owned(),
                lines.line_at(start),
                tag.attributes().next().is_none(),
            ),
            Event::End(_) => {
                let child = open.pop()?;
                (child.tag, child.line, !child.structured)
            }
            Event::Eof => return None,
            _ => continue,
        };
        let Some(parent) = open.last_mut() else {
            continue;
        };
        parent.structured = true;
        if !leaf || tag == "value" {
            continue;
        }
        if parent.leaves.contains(&tag) {
            let owner = match &parent.id {
                Some(id) => format!("<{} name=\"{id}\">", parent.tag),
                None => format!("<{}>", parent.tag),
            };
            return Some((line, format!("{owner} has more than one <{tag}>")));
        }
        parent.leaves.push(tag);
    }
}

fn malformed(line: Option<u32>, message: String) -> GniError {
    GniError::Malformed { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn malformed_line(xml: &str) -> (Option<u32>, String) {
        match scan(xml) {
            Err(GniError::Malformed { line, message }) => (line, message),
            other => panic!("expected a malformed-XML error, got {other:?}"),
        }
    }

    #[test]
    fn named_elements_are_indexed_by_tag_and_name_with_every_occurrence() {
        let xml = "<network-data version=\"1\">\n<configuration>\n\
                   <property name=\"mido\"><property name=\"gateways\">\n<gateway/>\n<gateway/>\
                   </property></property>\n</configuration>\n<vpcs>\n<vpc name=\"vpc-1\">\n\
                   <subnets><subnet name=\"subnet-1\"/></subnets></vpc>\n<vpc name=\"vpc-1\"/>\n\
                   </vpcs></network-data>";
        let index = scan(xml).expect("well-formed");
        assert_eq!(index.root(), Some(1));
        assert_eq!(index.configuration(), Some(2));
        assert_eq!(index.property("mido"), Some(3));
        assert_eq!(
            (index.gateway(0), index.gateway(1), index.gateway(2)),
            (Some(4), Some(5), None)
        );
        assert_eq!(index.all("vpc", "vpc-1"), &[8, 10]);
        assert_eq!(index.nth("vpc", "vpc-1", 1), Some(10));
        assert_eq!(index.named("subnet", "subnet-1"), Some(9));
        assert_eq!(index.named("subnet", "vpc-1"), None);
    }

    #[test]
    fn an_element_left_open_is_reported_with_the_line_it_opened_on() {
        let (line, message) =
            malformed_line("<network-data>\n<vpcs>\n<vpc name=\"vpc-1\">\n</vpcs>");
        assert_eq!(line, Some(4), "{message}");
        let (_, message) = malformed_line("<network-data>\n<vpcs>\n");
        assert_eq!(message, "<vpcs> opened at line 2 is not closed");
    }

    #[test]
    fn the_root_must_be_a_single_network_data_element() {
        let (line, message) = malformed_line("<?xml version=\"1.0\"?>\n<network-info/>");
        assert_eq!(
            (line, message.as_str()),
            (
                Some(2),
                "the root element is <network-info>, not <network-data>"
            )
        );
        let (line, _) = malformed_line("<network-data/>\n<network-data/>");
        assert_eq!(line, Some(2));
        let (line, _) = malformed_line("<network-data/>\nstray");
        assert_eq!(line, Some(1), "the text event starts right after the root");
        let (line, message) = malformed_line("  \n");
        assert_eq!(
            (line, message.as_str()),
            (None, "no <network-data> element")
        );
    }

    #[test]
    fn a_repeated_single_valued_element_is_located() {
        let xml = "<network-data><vpcs>\n<vpc name=\"vpc-1\"><cidr>a</cidr><subnets/>\n<cidr>b</cidr></vpc>\n</vpcs></network-data>";
        assert_eq!(
            repeated_leaf(xml),
            Some((
                3,
                "<vpc name=\"vpc-1\"> has more than one <cidr>".to_owned()
            ))
        );
        let lists = "<network-data><p name=\"a\"><value>1</value><value>2</value></p><p name=\"b\"/></network-data>";
        assert_eq!(
            repeated_leaf(lists),
            None,
            "values and named elements repeat by design"
        );
    }

    #[test]
    fn syntax_errors_unknown_entities_and_bad_attributes_carry_their_line() {
        let (line, _) = malformed_line(
            "<network-data>\n<vpcs>\n<vpc name=\"vpc-1\"></vcp>\n</vpcs></network-data>",
        );
        assert_eq!(line, Some(3));
        let (line, message) = malformed_line("<network-data>\n<vpcs>&nbsp;</vpcs></network-data>");
        assert_eq!((line, message.as_str()), (Some(2), "unknown entity &nbsp;"));
        let (line, _) = malformed_line("<network-data>\n\n<vpc name=vpc-1/></network-data>");
        assert_eq!(line, Some(3));
        assert!(scan("<network-data><v>a &amp; b &#65;</v></network-data>").is_ok());
    }
}
