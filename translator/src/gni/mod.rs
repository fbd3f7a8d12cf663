//! Reads Eucalyptus' global network view (GNI, `reference/eucanetd.md` §1) into a checked, typed
//! `Gni`: the input of every translator stage.
//!
//! `parse` is all or nothing, so a bad GNI can never be half applied. It checks the size limit
//! (`MAX_GNI_BYTES`, eucanetd's buffer), then takes one of two paths that give the same answer:
//! - the fast path (`incremental`): `split` walks the document's skeleton, `element` reads each
//!   top-level element into its `xml` mirror straight from quick-xml's events, `convert` turns
//!   each into the model on its own, and what needs the whole document (repeated ids, instance
//!   placement, `validate`) is checked at the end. It gives up (`Unhandled`) on any problem and
//!   on text it cannot read exactly as serde would.
//! - the checked path, which finds and places every problem: `lines`, a streaming pre-scan that
//!   proves the XML well-formed and indexes element lines; the `xml` mirror (from `element` when
//!   it can read the document, else serde); `convert`, which parses values and checks each
//!   element; `validate`, which checks references between elements, addresses inside subnets
//!   and held once. Both report every problem they find, each naming its line and element.
//!
//! `GniParser` is the fast path with a memory: re-reading a document that changed in a few
//! top-level elements converts only those.

mod convert;
mod element;
mod error;
mod id;
mod incremental;
mod lines;
mod model;
mod split;
mod validate;
mod xml;

#[cfg(any(test, feature = "test-util"))]
pub mod fixture;
#[cfg(test)]
mod incremental_tests;
#[cfg(test)]
mod tests;

pub use error::{GniError, Problem, ProblemKind, MAX_GNI_BYTES};
pub use id::*;
pub use incremental::{GniParser, ReadStats};
pub use model::*;

/// Parses and checks one GNI document.
///
/// Returns the whole view, or an error that names what is wrong: `TooLarge` past
/// `MAX_GNI_BYTES`; `Malformed` for XML that is not well-formed or not shaped like a GNI (with
/// the line where the reader stopped); `Invalid` with every problem found otherwise. Unknown
/// elements and attributes are ignored, as newer CLCs add fields.
pub fn parse(document: &str) -> Result<Gni, GniError> {
    let document = admit(document)?;
    match incremental::read_anew(document) {
        Ok(gni) => Ok(gni),
        Err(element::Unhandled) => checked(document),
    }
}

/// Reads the GNI file at `path` as text, refusing one over [`MAX_GNI_BYTES`] before reading
/// it (a runaway file must not take the daemon's memory): the error says the file, its size
/// and the limit.
pub async fn read_document(path: &std::path::Path) -> anyhow::Result<String> {
    read_document_into(path, String::new()).await
}

/// `read_document` into `buffer`, whose memory is reused: a daemon that reads a 10 MB file at
/// every change saves the page faults of a new buffer each time.
pub async fn read_document_into(path: &std::path::Path, buffer: String) -> anyhow::Result<String> {
    let owned = path.to_path_buf();
    // One blocking read on a pool thread: tokio's file reads hop to the pool once per buffer,
    // which for a 10 MB GNI cost more than the parse of a one-instance change.
    tokio::task::spawn_blocking(move || read_document_blocking(&owned, buffer))
        .await
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?
}

fn read_document_blocking(path: &std::path::Path, buffer: String) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::Read;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let size = file.metadata().map_or(0, |m| m.len() as usize);
    let too_large = |size: usize| {
        let too_large = GniError::TooLarge {
            size,
            limit: MAX_GNI_BYTES,
        };
        anyhow::anyhow!("{}: {too_large}", path.display())
    };
    if size > MAX_GNI_BYTES {
        return Err(too_large(size));
    }
    // The length is checked again while reading: the CLC may be writing the file in place.
    let mut bytes = buffer.into_bytes();
    bytes.clear();
    bytes.reserve(size + 1);
    file.take(MAX_GNI_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() > MAX_GNI_BYTES {
        return Err(too_large(bytes.len()));
    }
    String::from_utf8(bytes)
        .with_context(|| format!("cannot read {}: not UTF-8 text", path.display()))
}

/// The document without its byte-order mark, if it is within the size limit.
fn admit(document: &str) -> Result<&str, GniError> {
    if document.len() > MAX_GNI_BYTES {
        return Err(GniError::TooLarge {
            size: document.len(),
            limit: MAX_GNI_BYTES,
        });
    }
    // A byte-order mark is not markup; it sits on line 1 either way.
    Ok(document.strip_prefix('\u{feff}').unwrap_or(document))
}

/// The checked path (see the module docs): the answer for any document, with every problem
/// placed on its line.
fn checked(document: &str) -> Result<Gni, GniError> {
    checked_with(document, |document| {
        match element::read_document(document) {
            Ok(doc) => Ok(doc),
            // `element` reads what serde reads, where it reads at all; serde has the last word.
            Err(element::Unhandled) => serde_mirror(document),
        }
    })
}

/// The checked path as it was before the fast path existed, serde alone reading the mirror:
/// what tests hold every path to.
#[cfg(test)]
pub(crate) fn reference(document: &str) -> Result<Gni, GniError> {
    checked_with(admit(document)?, serde_mirror)
}

fn serde_mirror(document: &str) -> Result<xml::NetworkData<'_>, GniError> {
    quick_xml::de::from_str(document).map_err(|err| {
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
    })
}

fn checked_with<'a>(
    document: &'a str,
    mirror: impl FnOnce(&'a str) -> Result<xml::NetworkData<'a>, GniError>,
) -> Result<Gni, GniError> {
    let lines = lines::scan(document)?;
    let doc = mirror(document)?;
    let outcome = convert::convert(&doc, &lines);
    let mut problems = outcome.problems;
    if let Some(gni) = &outcome.gni {
        problems.extend(validate::validate(gni, Some(&lines), &outcome.failed));
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

#[cfg(test)]
mod read_tests {
    use super::*;

    #[tokio::test]
    async fn a_file_over_the_limit_is_refused_unread_with_its_size() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("global_network_info.xml");
        let file = std::fs::File::create(&path).expect("create");
        file.set_len(MAX_GNI_BYTES as u64 + 10).expect("grow");
        let err = read_document(&path)
            .await
            .expect_err("too large")
            .to_string();
        assert_eq!(
            err,
            format!(
                "{}: GNI: {} bytes is over the {MAX_GNI_BYTES}-byte limit",
                path.display(),
                MAX_GNI_BYTES + 10
            )
        );
        std::fs::write(&path, "<network-data/>").expect("write");
        assert_eq!(read_document(&path).await.expect("read"), "<network-data/>");
        let missing = read_document(&dir.path().join("none.xml"))
            .await
            .unwrap_err();
        assert!(
            format!("{missing:#}").starts_with("cannot read "),
            "{missing:#}"
        );
    }
}
