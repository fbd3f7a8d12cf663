//! Reads Eucalyptus' global network view (GNI, `reference/eucanetd.md` §1) into a checked, typed
//! `Gni`: the input of every translator stage.
//!
//! `parse` is all or nothing, so a bad GNI can never be half applied. It runs, in order:
//! 1. the size limit (`MAX_GNI_BYTES`, eucanetd's buffer);
//! 2. `lines`: a streaming pre-scan that proves the XML well-formed and indexes element lines;
//! 3. serde into `xml`, a mirror of the document with every leaf a string;
//! 4. `convert`: values parsed and per-element rules, into `model`;
//! 5. `validate`: references between elements, addresses inside subnets and held once.
//!
//! Steps 4 and 5 report every problem they find, each naming its line and element.

mod convert;
mod error;
mod id;
mod lines;
mod model;
mod validate;
mod xml;

#[cfg(any(test, feature = "test-util"))]
pub mod fixture;
#[cfg(test)]
mod tests;

pub use error::{GniError, Problem, ProblemKind, MAX_GNI_BYTES};
pub use id::*;
pub use model::*;

/// Parses and checks one GNI document.
///
/// Returns the whole view, or an error that names what is wrong: `TooLarge` past
/// `MAX_GNI_BYTES`; `Malformed` for XML that is not well-formed or not shaped like a GNI (with
/// the line where the reader stopped); `Invalid` with every problem found otherwise. Unknown
/// elements and attributes are ignored, as newer CLCs add fields.
pub fn parse(document: &str) -> Result<Gni, GniError> {
    if document.len() > MAX_GNI_BYTES {
        return Err(GniError::TooLarge {
            size: document.len(),
            limit: MAX_GNI_BYTES,
        });
    }
    // A byte-order mark is not markup; it sits on line 1 either way.
    let document = document.strip_prefix('\u{feff}').unwrap_or(document);
    let lines = lines::scan(document)?;
    let doc: xml::NetworkData = quick_xml::de::from_str(document).map_err(|err| {
        // serde knows no positions; a repeated element is its usual complaint, so look for one.
        match lines::repeated_leaf(document) {
            Some((line, found)) => GniError::Malformed {
                line: Some(line),
                message: format!("{found} ({err})"),
            },
            None => GniError::Malformed {
                line: None,
                message: err.to_string(),
            },
        }
    })?;
    let outcome = convert::convert(&doc, &lines);
    let mut problems = outcome.problems;
    if let Some(gni) = &outcome.gni {
        problems.extend(validate::validate(gni, &lines, &outcome.failed));
    }
    match outcome.gni {
        Some(gni) if problems.is_empty() => Ok(gni),
        _ => {
            // Document order; problems without a line last. The sort is stable, so problems of
            // one line keep the order they were found in.
            problems.sort_by_key(|p| p.line.unwrap_or(u32::MAX));
            Err(GniError::Invalid { problems })
        }
    }
}
