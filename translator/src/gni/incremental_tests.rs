//! Properties of the fast path and of `GniParser`: whatever the document and whatever was read
//! before it, they answer what the checked path with serde alone (`reference`) answers, `Ok` or
//! `Err` alike; `element` reads the mirror serde reads; and `GniParser` reads again only the
//! elements that changed.

use std::ops::Range;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::fixture::{cloud_xml, CloudSpec};
use super::*;

const SINGLE_VPC: &str = include_str!("../../testdata/gni/single-vpc.xml");
const TWO_VPCS: &str = include_str!("../../testdata/gni/two-vpcs.xml");

/// A cloud small enough to parse hundreds of times in a debug build.
fn tiny() -> CloudSpec {
    CloudSpec {
        vpcs: 3,
        subnets_per_vpc: 2,
        instances: 12,
        security_groups: 6,
        rules_per_group: 5,
        elastic_ips: 4,
        nodes: 2,
    }
}

fn cloud(spec: &CloudSpec) -> String {
    cloud_xml(spec).expect("a valid spec")
}

fn with_instances(spec: &CloudSpec, instances: usize) -> CloudSpec {
    CloudSpec {
        instances,
        ..spec.clone()
    }
}

/// The ranges of the `<tag …>` elements of `doc`, outermost only, nesting counted: enough for
/// the well-formed documents edits start from.
fn elements(doc: &str, tag: &str) -> Vec<Range<usize>> {
    let opens = |at: usize| {
        let rest = &doc[at..];
        rest.strip_prefix('<')
            .and_then(|r| r.strip_prefix(tag))
            .is_some_and(|r| r.starts_with([' ', '>', '/']))
    };
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(start) = (at..doc.len()).find(|&k| doc.as_bytes()[k] == b'<' && opens(k)) {
        let mut depth = 0usize;
        let mut k = start;
        let end = loop {
            if k >= doc.len() {
                // Not closed: the document is broken already.
                return found;
            }
            if doc[k..].starts_with(&close) {
                depth -= 1;
                if depth == 0 {
                    break k + close.len();
                }
                k += close.len();
            } else if doc.as_bytes()[k] == b'<' && opens(k) {
                let Some(tag_end) = doc[k..].find('>').map(|end| k + end) else {
                    return found;
                };
                if doc.as_bytes()[tag_end - 1] != b'/' {
                    depth += 1;
                } else if depth == 0 {
                    break tag_end + 1;
                }
                k = tag_end + 1;
            } else {
                k += 1;
            }
        };
        found.push(start..end);
        at = end;
    }
    found
}

/// The ranges of the text of every `<leaf>text</leaf>` in `doc`.
fn leaf_texts(doc: &str, leaf: &str) -> Vec<Range<usize>> {
    let (open, close) = (format!("<{leaf}>"), format!("</{leaf}>"));
    doc.match_indices(&open)
        .filter_map(|(at, _)| {
            let start = at + open.len();
            let end = start + doc[start..].find(&close)?;
            (!doc[start..end].contains('<')).then_some(start..end)
        })
        .collect()
}

fn splice(doc: &str, range: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &doc[..range.start], &doc[range.end..])
}

const ITEMS: [&str; 5] = [
    "vpc",
    "instance",
    "securityGroup",
    "dhcpOptionSet",
    "internetGateway",
];

const LEAVES: [&str; 16] = [
    "cidr",
    "privateIp",
    "publicIp",
    "macAddress",
    "vpc",
    "subnet",
    "value",
    "groupId",
    "fromPort",
    "toPort",
    "protocol",
    "deviceIndex",
    "routeTable",
    "gatewayId",
    "ownerId",
    "dhcpOptionSet",
];

/// Values an edit may put in a leaf: valid ones, ones of the wrong kind, references to
/// nothing, and text only the checked path reads.
const VALUES: [&str; 22] = [
    "10.0.0.99",
    "10.0.1.4",
    "10.20.1.77",
    "198.18.1.0",
    "999.1.1.1",
    "vpc-00000001",
    "vpc-ffffffff",
    "subnet-00000001",
    "sg-00000001",
    "sg-0000ffff",
    "",
    "  ",
    "-1",
    "6",
    "70000",
    "d0:0d:00:00:00:01",
    "i-00000001",
    "a&amp;b",
    "10.0.0.9<!-- c -->9",
    "<![CDATA[10.0.1.5]]>",
    " 10.0.1.6\n",
    "true",
];

/// Edits that keep a valid document valid, so that walks visit many valid documents.
const BENIGN: [u32; 7] = [2, 6, 8, 10, 12, 13, 13];

/// One random edit of `doc`, as the CLC might make it or as a file might break; `None` when
/// the document has nothing it applies to.
fn edit(doc: &str, rng: &mut StdRng) -> Option<String> {
    let which = match rng.gen_bool(0.5) {
        true => *BENIGN.choose(rng)?,
        false => rng.gen_range(0..14),
    };
    match which {
        // Remove, repeat or swap top-level elements.
        0 => {
            let all = elements(doc, ITEMS.choose(rng)?);
            Some(splice(doc, all.choose(rng)?.clone(), ""))
        }
        1 => {
            let all = elements(doc, ITEMS.choose(rng)?);
            let one = all.choose(rng)?.clone();
            Some(splice(doc, one.end..one.end, &doc[one]))
        }
        2 => {
            let all = elements(doc, ITEMS.choose(rng)?);
            let (a, b) = (all.choose(rng)?.clone(), all.choose(rng)?.clone());
            let (a, b) = if a.start <= b.start { (a, b) } else { (b, a) };
            if a == b {
                return None;
            }
            let swapped = format!(
                "{}{}{}",
                &doc[b.clone()],
                &doc[a.end..b.start],
                &doc[a.clone()]
            );
            Some(splice(doc, a.start..b.end, &swapped))
        }
        // Change a value.
        3..=5 => {
            let all = leaf_texts(doc, LEAVES.choose(rng)?);
            Some(splice(doc, all.choose(rng)?.clone(), VALUES.choose(rng)?))
        }
        // Add a security-group rule.
        6 => {
            let all: Vec<_> = doc.match_indices("<ingressRules>").collect();
            let (at, open) = *all.choose(rng)?;
            let port = rng.gen_range(1..70_000);
            let rule = format!(
                "<rule><protocol>6</protocol><fromPort>{port}</fromPort><toPort>{port}</toPort><cidr>0.0.0.0/0</cidr></rule>"
            );
            let at = at + open.len();
            Some(splice(doc, at..at, &rule))
        }
        // Add an instance: a copy under new ids, placed on a node.
        7 => {
            let all = elements(doc, "instance");
            let copy = &doc[all.choose(rng)?.clone()];
            let n = rng.gen_range(0..0xffff);
            let id = format!("i-7e57{n:04x}");
            let old_id = copy.split('"').nth(1)?;
            let copy = copy.replacen(old_id, &id, 1);
            let eni = elements(&copy, "networkInterface");
            let old_eni = copy[eni.first()?.clone()].split('"').nth(1)?.to_owned();
            let copy = copy.replace(&old_eni, &format!("eni-7e57{n:04x}"));
            let ip = format!(
                "10.{}.{}.{}",
                rng.gen_range(0..2),
                rng.gen_range(0..3),
                rng.gen_range(4..250)
            );
            let ips = leaf_texts(&copy, "privateIp");
            let copy = ips.iter().rev().fold(copy.clone(), |copy, range| {
                splice(&copy, range.clone(), &ip)
            });
            let end = all.last()?.end;
            let doc = splice(doc, end..end, &copy);
            let nodes: Vec<_> = doc.match_indices("<instanceIds>").collect();
            let (at, open) = *nodes.choose(rng)?;
            let at = at + open.len();
            Some(splice(&doc, at..at, &format!("<value>{id}</value>")))
        }
        // Move an instance to another node.
        8 => {
            let values = leaf_texts(doc, "value");
            let id = values
                .iter()
                .find(|r| doc[(*r).clone()].starts_with("i-"))?
                .clone();
            let text = format!("<value>{}</value>", &doc[id.clone()]);
            let doc = splice(
                doc,
                id.start - "<value>".len()..id.end + "</value>".len(),
                "",
            );
            let nodes: Vec<_> = doc.match_indices("</instanceIds>").collect();
            let (at, _) = *nodes.choose(rng)?;
            Some(splice(&doc, at..at, &text))
        }
        // Rename an element.
        9 => {
            let all = elements(doc, ITEMS.choose(rng)?);
            let one = all.choose(rng)?;
            let name = one.start + doc[one.clone()].find("name=\"")? + "name=\"".len();
            let end = name + doc[name..].find('"')?;
            Some(splice(doc, name..end, VALUES.choose(rng)?))
        }
        // Move everything down a few lines.
        10 => {
            let at = doc.find("<vpcs>").unwrap_or(0);
            Some(splice(doc, at..at, &"\n".repeat(rng.gen_range(1..4))))
        }
        // A new version, or another owner.
        12 => {
            let at = doc.find("version=\"")? + "version=\"".len();
            let end = at + doc[at..].find('"')?;
            Some(splice(doc, at..end, &format!("{:016x}", rng.gen::<u64>())))
        }
        13 => {
            let all = leaf_texts(doc, "ownerId");
            let owner = format!("{:012}", rng.gen_range(0..1_000_000_000_000u64));
            Some(splice(doc, all.choose(rng)?.clone(), &owner))
        }
        // Break the XML.
        _ => {
            let at = rng.gen_range(0..doc.len());
            let at = (at..doc.len()).find(|&k| doc.is_char_boundary(k))?;
            let broken = match rng.gen_range(0..6) {
                0 => splice(doc, at..at, "</oops>"),
                1 => doc[..at].to_owned(),
                2 => {
                    let gt = at + doc[at..].find('>')?;
                    splice(doc, gt..gt + 1, "")
                }
                3 => {
                    let lt = at + doc[at..].find('<')?;
                    splice(doc, lt..lt, "&bogus;")
                }
                4 => {
                    let lt = at + doc[at..].find('<')?;
                    splice(doc, lt..lt, "<!-- a comment -->")
                }
                _ => {
                    let lt = at + doc[at..].find("<value>")?;
                    splice(doc, lt..lt, "<value><![CDATA[x]]></value>")
                }
            };
            Some(broken)
        }
    }
}

/// The answer every path must give for `doc`.
fn expected(doc: &str) -> Result<Gni, GniError> {
    reference(doc)
}

/// `element`'s mirror, when it reads one, is serde's.
fn assert_same_mirror(doc: &str) {
    let doc = doc.strip_prefix('\u{feff}').unwrap_or(doc);
    if let Ok(fast) = element::read_document(doc) {
        let serde: Result<xml::NetworkData<'_>, _> = quick_xml::de::from_str(doc);
        assert_eq!(
            serde.as_ref().ok(),
            Some(&fast),
            "mirrors differ for:\n{doc}"
        );
    }
}

/// Walks `steps` random edits from `base`, parsing each document with one `GniParser` and with
/// `gni::parse`; returns how many documents were valid, and how many of those the parser
/// answered on the fast path.
fn walk(base: &str, steps: usize, seed: u64) -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut parser = GniParser::new();
    assert_eq!(parser.parse(base), expected(base));
    let mut current = base.to_owned();
    let (mut valid, mut fast) = (0, 0);
    for step in 0..steps {
        let from = if rng.gen_bool(0.2) { base } else { &current };
        let mut doc = from.to_owned();
        for _ in 0..rng.gen_range(1..=2) {
            if let Some(edited) = edit(&doc, &mut rng) {
                doc = edited;
            }
        }
        let want = expected(&doc);
        // Both ways of handing the parser a document: it keeps a copy, or the text itself.
        let got = match rng.gen_bool(0.5) {
            true => parser.parse(&doc),
            false => parser.parse_reusing(&mut doc.clone()),
        };
        assert_eq!(got, want, "seed {seed} step {step}: GniParser on\n{doc}");
        valid += usize::from(want.is_ok());
        fast += usize::from(want.is_ok() && !parser.stats().checked);
        assert_eq!(
            parse(&doc),
            want,
            "seed {seed} step {step}: gni::parse on\n{doc}"
        );
        assert_same_mirror(&doc);
        // Walk on through valid documents, and now and then through a broken one.
        if want.is_ok() || rng.gen_bool(0.3) {
            current = doc;
        }
    }
    (valid, fast)
}

#[test]
fn random_edits_of_the_examples_parse_as_the_checked_path_says_whatever_came_before() {
    for (seed, base) in [SINGLE_VPC, TWO_VPCS].into_iter().enumerate() {
        let (valid, fast) = walk(base, 150, seed as u64);
        assert!(
            fast * 2 > valid,
            "{fast} of {valid} valid documents took the fast path"
        );
    }
}

#[test]
fn random_edits_of_a_fixture_cloud_parse_as_the_checked_path_says_whatever_came_before() {
    let base = cloud(&tiny());
    for seed in 10..12 {
        let (valid, fast) = walk(&base, 120, seed);
        assert!(
            fast * 2 > valid,
            "{fast} of {valid} valid documents took the fast path"
        );
    }
}

#[test]
fn one_instance_added_reads_only_it_and_the_configuration() {
    let spec = tiny();
    let (before, after) = (cloud(&spec), cloud(&with_instances(&spec, 13)));
    let mut parser = GniParser::new();
    let old = parser.parse(&before).expect("valid");
    let elements = 1 + 3 + 12 + 6 + 3 + 3;
    assert_eq!(
        parser.stats(),
        ReadStats {
            reused: 0,
            read: elements,
            checked: false
        }
    );
    let new = parser.parse(&after).expect("valid");
    assert_eq!(Ok(&new), expected(&after).as_ref());
    assert_eq!(
        parser.stats(),
        ReadStats {
            reused: elements - 1,
            read: 2,
            checked: false
        }
    );
    // Unchanged elements are the same values, not copies.
    assert!(old
        .instances
        .iter()
        .all(|(id, instance)| Shared::ptr_eq(instance, &new.instances[id])));
    assert!(old
        .vpcs
        .iter()
        .all(|(id, vpc)| Shared::ptr_eq(vpc, &new.vpcs[id])));
    // And back: the removal reads only the configuration.
    assert_eq!(parser.parse(&before), Ok(old));
    assert_eq!(parser.stats().read, 1);
}

#[test]
fn an_identical_document_is_answered_from_memory() {
    let doc = cloud(&tiny());
    let mut parser = GniParser::new();
    let first = parser.parse(&doc).expect("valid");
    let again = parser.parse(&doc).expect("valid");
    assert_eq!(first, again);
    assert_eq!(parser.stats().read, 0);
    assert!(first
        .security_groups
        .iter()
        .all(|(id, group)| Shared::ptr_eq(group, &again.security_groups[id])));
}

#[test]
fn a_document_whose_elements_are_all_known_is_answered_from_memory() {
    let doc = cloud(&tiny());
    let applied = doc.replacen(
        "applied-version=\"0000000000000000\"",
        "applied-version=\"00000000000000f1\"",
        1,
    );
    // The same elements in another order, on other lines.
    let groups = elements(&doc, "securityGroup");
    let (first, last) = (groups[0].clone(), groups[groups.len() - 1].clone());
    let reordered = format!(
        "{}{}\n{}{}{}",
        &doc[..first.start],
        &doc[last.clone()],
        &doc[first.end..last.start],
        &doc[first.clone()],
        &doc[last.end..]
    );
    let mut parser = GniParser::new();
    let before = parser.parse(&doc).expect("valid");
    for next in [applied, reordered] {
        let after = parser.parse(&next).expect("valid");
        assert_eq!(Ok(&after), expected(&next).as_ref());
        assert_eq!(parser.stats().read, 0);
        assert!(before
            .instances
            .iter()
            .all(|(id, instance)| Shared::ptr_eq(instance, &after.instances[id])));
    }
}

#[test]
fn a_refused_document_leaves_the_parser_as_it_was() {
    let spec = tiny();
    let doc = cloud(&spec);
    let mut parser = GniParser::new();
    parser.parse(&doc).expect("valid");
    // A reference to nothing in one instance, then XML that is not even well-formed.
    let bad = doc.replacen("<vpc>vpc-00000001</vpc>", "<vpc>vpc-0000ffff</vpc>", 1);
    assert_eq!(parser.parse(&bad), expected(&bad));
    assert!(parser.parse(&bad).is_err() && parser.stats().checked);
    let broken = &doc[..doc.len() / 2];
    assert_eq!(parser.parse(broken), expected(broken));
    // What was read before the refusals is still there to reuse.
    let next = cloud(&with_instances(&spec, 13));
    assert_eq!(parser.parse(&next), expected(&next));
    assert_eq!(parser.stats().read, 2);
}

#[test]
fn an_id_a_changed_element_takes_from_an_unchanged_one_is_a_duplicate() {
    let doc = cloud(&tiny());
    let mut parser = GniParser::new();
    parser.parse(&doc).expect("valid");
    // Instance 1's interface renamed to instance 0's: only instance 1 is read anew, and the
    // fast path must find the repeat in instance 0, which it reuses. Likewise for a subnet.
    let eni = doc.replacen("eni-00000001", "eni-00000000", 1);
    let subnet = doc.replacen(
        "<subnet name=\"subnet-00000002\">",
        "<subnet name=\"subnet-00000000\">",
        1,
    );
    for bad in [eni, subnet] {
        let error = parser.parse(&bad).expect_err("a repeated id");
        assert_eq!(Err(error), expected(&bad));
        assert!(parser.stats().checked);
        assert_eq!(parser.parse(&doc), expected(&doc));
    }
}

#[test]
fn errors_name_their_lines_after_elements_moved() {
    let doc = cloud(&tiny());
    let mut parser = GniParser::new();
    parser.parse(&doc).expect("valid");
    // Three lines more above every element, and a bad address in the last instance.
    let moved = doc.replacen("  <vpcs>", "\n\n\n  <vpcs>", 1);
    let at = moved.rfind("<privateIp>").expect("an instance");
    let bad = splice(
        &moved,
        at..at + "<privateIp>".len(),
        "<privateIp>10.0.0.300",
    );
    let line = bad[..bad.rfind("<networkInterface name=").expect("an interface")]
        .matches('\n')
        .count()
        + 1;
    let error = parser.parse(&bad).expect_err("a bad address");
    assert_eq!(Err(error.clone()), expected(&bad));
    assert_eq!(error.problems()[0].line, u32::try_from(line).ok());
}

#[test]
fn an_instance_moved_to_another_node_is_placed_anew() {
    let doc = SINGLE_VPC.replacen(
        "<node name=\"10.1.0.21\"><instanceIds><value>i-4a1b2c3d</value></instanceIds></node>",
        "<node name=\"10.1.0.21\"><instanceIds><value>i-4a1b2c3d</value></instanceIds></node>\
         <node name=\"10.1.0.22\"><instanceIds/></node>",
        1,
    );
    let moved = doc.replacen(
        "<value>i-4a1b2c3d</value></instanceIds></node><node name=\"10.1.0.22\"><instanceIds/>",
        "</instanceIds></node><node name=\"10.1.0.22\"><instanceIds><value>i-4a1b2c3d</value></instanceIds>",
        1,
    );
    assert_ne!(doc, moved);
    let mut parser = GniParser::new();
    let before = parser.parse(&doc).expect("valid");
    let after = parser.parse(&moved).expect("valid");
    assert_eq!(Ok(&after), expected(&moved).as_ref());
    assert_eq!(parser.stats().read, 1, "only the configuration changed");
    let node = |gni: &Gni| gni.instances["i-4a1b2c3d"].node.to_string();
    assert_eq!(
        (node(&before), node(&after)),
        ("10.1.0.21".into(), "10.1.0.22".into())
    );
}

#[test]
fn text_the_fast_path_does_not_read_gets_the_checked_paths_answer() {
    let cases = [
        // Valid, but escaped or commented.
        (
            "<ownerId>000123456789</ownerId><cidr>",
            "<ownerId>a&amp;b</ownerId><cidr>",
        ),
        (
            "<cidr>10.20.0.0/16</cidr>",
            "<cidr><![CDATA[10.20.0.0/16]]></cidr>",
        ),
        (
            "<cidr>10.20.0.0/16</cidr>",
            "<cidr>10.20.0.0<!-- x -->/16</cidr>",
        ),
        ("<vpcs>", "<vpcs><!-- the VPCs -->"),
        (
            "<vpc name=\"vpc-1f2e3d4c\">",
            "<vpc name=\"vpc-1f2e3d4c\" xmlns:x=\"urn:x\">",
        ),
        (
            "<vpcs>",
            "<futureSection a=\"1\"><x>text</x></futureSection><vpcs>",
        ),
        (
            "<cidr>10.20.0.0/16</cidr>",
            "<cidr a=\"1\">10.20.0.0/16</cidr>",
        ),
        // Refused.
        (
            "<cidr>10.20.0.0/16</cidr>",
            "<cidr>10.20.0.0/16</cidr><cidr>10.20.0.0/16</cidr>",
        ),
        ("<vpcs>", "<vpcs/><vpcs>"),
        ("<cidr>10.20.0.0/16</cidr>", "<x:cidr>10.20.0.0/16</x:cidr>"),
        ("<vpcs>", "<vpcs>stray text"),
    ];
    for (from, to) in cases {
        assert!(SINGLE_VPC.contains(from), "{from}");
        let doc = SINGLE_VPC.replacen(from, to, 1);
        let mut parser = GniParser::new();
        parser.parse(SINGLE_VPC).expect("valid");
        assert_eq!(parser.parse(&doc), expected(&doc), "{to}");
        assert_eq!(parse(&doc), expected(&doc), "{to}");
        assert_same_mirror(&doc);
    }
}

#[test]
fn every_example_takes_the_fast_path_and_agrees_with_the_checked_path() {
    for doc in [
        SINGLE_VPC.to_owned(),
        TWO_VPCS.to_owned(),
        cloud(&CloudSpec::small()),
    ] {
        let mut parser = GniParser::new();
        assert_eq!(parser.parse(&doc), expected(&doc));
        assert!(!parser.stats().checked, "the fast path gave up on:\n{doc}");
        assert_same_mirror(&doc);
    }
}

/// A document changed in one instance is checked against the rest without validating every
/// instance again (`Check::Instances`); what that check must still catch, and what it must let
/// through on the fast path.
#[test]
fn an_instance_change_is_checked_against_the_unchanged_rest() {
    let instance = |doc: &str, id: &str| {
        let all = elements(doc, "instance");
        let at = all
            .into_iter()
            .find(|r| doc[r.clone()].contains(&format!("\"{id}\"")));
        at.expect("the instance")
    };
    let replace_in = |doc: &str, id: &str, from: &str, to: &str| {
        let range = instance(doc, id);
        let changed = doc[range.clone()].replace(from, to);
        splice(doc, range, &changed)
    };
    let removed = {
        let without = splice(TWO_VPCS, instance(TWO_VPCS, "i-00000a03"), "");
        without.replacen("<value>i-00000a03</value>", "", 1)
    };
    let cases = [
        // A route still targets the interface that left with its instance.
        ("route target gone", removed, false),
        // Another, unchanged instance of the VPC holds the private address.
        (
            "private address taken",
            replace_in(TWO_VPCS, "i-00000a03", "10.20.1.30", "10.20.1.10"),
            false,
        ),
        // A NAT gateway of another VPC holds the public address.
        (
            "public address taken",
            replace_in(TWO_VPCS, "i-00000b01", "203.0.113.11", "203.0.113.12"),
            false,
        ),
        (
            "a free private address",
            replace_in(TWO_VPCS, "i-00000a03", "10.20.1.30", "10.20.1.31"),
            true,
        ),
    ];
    for (what, doc, valid) in cases {
        let mut parser = GniParser::new();
        parser.parse(TWO_VPCS).expect("the example is valid");
        let want = expected(&doc);
        assert_eq!(want.is_ok(), valid, "{what}: {want:?}");
        assert_eq!(parser.parse(&doc), want, "{what}");
        assert_eq!(
            parser.stats().checked,
            !valid,
            "{what}: {:?}",
            parser.stats()
        );
        // A refused document leaves the parser able to read the next one fast.
        assert_eq!(parser.parse(TWO_VPCS), expected(TWO_VPCS), "{what}");
    }
}
