//! Says what is wrong with a GNI and where: `GniError` is what `gni::parse` returns, and each
//! `Problem` names the line, the element path (`vpc vpc-1: subnet subnet-2`) and a typed cause, so
//! callers decide on the kind and operators read one line per fault.

use std::fmt;

use ipnetwork::Ipv4Network;

/// The largest GNI accepted, in bytes: eucanetd's GNI buffer (raised to 50 MB, commit 97137e1).
pub const MAX_GNI_BYTES: usize = 50 * 1024 * 1024;

/// How many problems `GniError::Invalid` prints; the rest are counted, and all stay in the value.
const PROBLEMS_SHOWN: usize = 20;

/// Why a GNI was refused. Nothing of a refused GNI may be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GniError {
    /// The document is over `MAX_GNI_BYTES`; it was not read.
    #[error("GNI: {size} bytes is over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    /// The document is not well-formed XML, or not shaped like a GNI at all (wrong root element,
    /// an element where text was expected). `line` is where the XML reader stopped, when known.
    #[error("GNI: {}malformed XML: {message}", LinePrefix(*.line))]
    Malformed { line: Option<u32>, message: String },
    /// Well-formed, but elements are missing, unparseable or refer to nothing: every problem
    /// found, in document order.
    #[error("GNI: {}", ProblemList(.problems))]
    Invalid { problems: Vec<Problem> },
}

impl GniError {
    /// The problems of an `Invalid` GNI; empty for the other kinds.
    pub fn problems(&self) -> &[Problem] {
        match self {
            GniError::Invalid { problems } => problems,
            GniError::TooLarge { .. } | GniError::Malformed { .. } => &[],
        }
    }
}

/// One fault in one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line of the element, or of its closest named ancestor.
    pub line: Option<u32>,
    /// Where in the GNI, outermost first: `vpc vpc-1f2e3d4c: subnet subnet-5a6b7c8d`.
    pub element: String,
    pub kind: ProblemKind,
}

/// What is wrong. `field` is the XML name of the child or property concerned (`cidr`,
/// `privateIp`, `enabledCLCIp`), so a reader can search the document for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// A required child, attribute or property is absent or empty.
    Missing { field: &'static str },
    /// A value does not parse as what the field holds.
    Invalid {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A reference to an object that is not in the GNI, or not where it must be (a subnet's
    /// route table belongs to the subnet's VPC); `within` says where, preposition included
    /// (`in vpc vpc-1`, `attached to vpc vpc-1`).
    UnknownReference {
        field: &'static str,
        id: String,
        kind: &'static str,
        within: Option<String>,
    },
    /// The element's id (or entry number, or route destination) was already used; `first_line`
    /// is where, when known.
    Duplicate { first_line: Option<u32> },
    /// An address or network lies outside the network it must be part of.
    OutsideCidr {
        field: &'static str,
        value: String,
        within: String,
        cidr: Ipv4Network,
    },
    /// Two subnets of one VPC overlap.
    Overlap {
        cidr: Ipv4Network,
        other: String,
        other_cidr: Ipv4Network,
    },
    /// More than one of mutually exclusive children is given (`fields` lists them).
    Exclusive { fields: &'static str },
    /// A value differs from the one its context imposes (an ENI in another VPC than its instance).
    Mismatch {
        field: &'static str,
        value: String,
        expected: String,
    },
    /// An address is held by two objects at once.
    InUse {
        field: &'static str,
        value: String,
        by: String,
    },
    /// No `configuration` node lists the instance: the node is the only way to find its host.
    NotOnAnyNode,
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::Missing { field } => write!(f, "missing {field}"),
            ProblemKind::Invalid {
                field,
                value,
                expected,
            } => write!(f, "{field} '{value}' is not {expected}"),
            ProblemKind::UnknownReference {
                field,
                id,
                kind,
                within,
            } => {
                write!(f, "{field} {id}: no such {kind}")?;
                match within {
                    Some(scope) => write!(f, " {scope}"),
                    None => Ok(()),
                }
            }
            ProblemKind::Duplicate { first_line } => match first_line {
                Some(line) => write!(f, "appears more than once (first at line {line})"),
                None => f.write_str("appears more than once"),
            },
            ProblemKind::OutsideCidr {
                field,
                value,
                within,
                cidr,
            } => write!(f, "{field} {value} is outside {within} {cidr}"),
            ProblemKind::Overlap {
                cidr,
                other,
                other_cidr,
            } => write!(f, "cidr {cidr} overlaps {other} {other_cidr}"),
            ProblemKind::Exclusive { fields } => write!(f, "give only one of {fields}"),
            ProblemKind::Mismatch {
                field,
                value,
                expected,
            } => write!(f, "{field} {value} differs from {expected}"),
            ProblemKind::InUse { field, value, by } => {
                write!(f, "{field} {value} is also held by {by}")
            }
            ProblemKind::NotOnAnyNode => {
                f.write_str("no node under configuration clusters lists this instance")
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}: {}",
            LinePrefix(self.line),
            self.element,
            self.kind
        )
    }
}

/// `line 42: ` when the line is known, nothing otherwise.
struct LinePrefix(Option<u32>);

impl fmt::Display for LinePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, "line {line}: "),
            None => Ok(()),
        }
    }
}

/// One problem on the same line as the `GNI:` prefix; several as an indented list, capped.
struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => f.write_str("invalid"),
            [only] => write!(f, "{only}"),
            all => {
                write!(f, "{} problems:", all.len())?;
                for problem in all.iter().take(PROBLEMS_SHOWN) {
                    write!(f, "\n  {problem}")?;
                }
                if all.len() > PROBLEMS_SHOWN {
                    write!(f, "\n  … and {} more", all.len() - PROBLEMS_SHOWN)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr_problem(line: u32) -> Problem {
        Problem {
            line: Some(line),
            element: "vpc vpc-1f2e3d4c: subnet subnet-5a6b7c8d".into(),
            kind: ProblemKind::Invalid {
                field: "cidr",
                value: "10.20.300.0/24".into(),
                expected: "a CIDR",
            },
        }
    }

    #[test]
    fn one_problem_reads_as_one_line_with_line_element_and_cause() {
        let err = GniError::Invalid {
            problems: vec![cidr_problem(42)],
        };
        assert_eq!(
            err.to_string(),
            "GNI: line 42: vpc vpc-1f2e3d4c: subnet subnet-5a6b7c8d: cidr '10.20.300.0/24' is not a CIDR"
        );
    }

    #[test]
    fn many_problems_are_listed_then_counted_past_the_cap() {
        let problems: Vec<Problem> = (1..=25).map(cidr_problem).collect();
        let text = GniError::Invalid { problems }.to_string();
        assert!(text.starts_with("GNI: 25 problems:\n  line 1: "));
        assert_eq!(text.lines().count(), 1 + PROBLEMS_SHOWN + 1);
        assert!(text.ends_with("… and 5 more"));
    }

    #[test]
    fn malformed_xml_names_the_line_when_known() {
        let err = GniError::Malformed {
            line: Some(7),
            message: "unclosed <vpc>".into(),
        };
        assert_eq!(
            err.to_string(),
            "GNI: line 7: malformed XML: unclosed <vpc>"
        );
        let err = GniError::Malformed {
            line: None,
            message: "x".into(),
        };
        assert_eq!(err.to_string(), "GNI: malformed XML: x");
    }
}
