//! Checks a stored topology for consistency (`api-gateway fsck`): every key under `zoom/0` as
//! the backend holds it, not as a gateway's mirror remembers it. Reports objects that are not
//! valid JSON or are filed under another id, state tables of objects that do not exist, and
//! every finding of the binding table's check (`topology::integrity::consistency`): dangling
//! and one-sided references, orphans, duplicate references, missing local routes.
//!
//! Read-only; a report with problems is for an operator (or a fault test) to act on.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
use topology::integrity::consistency::{self, Finding};
use topology::Class;
use uuid::Uuid;

use crate::store::backend::{Backend, BackendError, Entry};
use crate::store::{MODELS, TABLES};

/// One problem found in the store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    /// A key under `models/` that is not `<Class>/<uuid>` of a known class, or whose data is
    /// not a JSON object with that id.
    Malformed { path: String, reason: String },
    /// A state-table entry of an object that does not exist.
    OrphanTable {
        path: String,
        class: Class,
        id: Uuid,
    },
    /// An inconsistency among the objects.
    Integrity(Finding),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Malformed { path, reason } => write!(f, "malformed: {path}: {reason}"),
            Problem::OrphanTable { path, class, id } => write!(
                f,
                "orphan table entry: {path}: {} {id} does not exist",
                class.noun()
            ),
            Problem::Integrity(finding) => finding.fmt(f),
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Objects read, by class.
    pub objects: BTreeMap<Class, usize>,
    /// State-table entries read.
    pub table_entries: usize,
    /// Everything wrong, sorted.
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn object_count(&self) -> usize {
        self.objects.values().sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        let classes: Vec<String> = self
            .objects
            .iter()
            .map(|(class, n)| format!("{n} {}", class.name()))
            .collect();
        write!(
            f,
            "fsck: {} objects ({}), {} state-table entries: {}",
            self.object_count(),
            if classes.is_empty() {
                "none".to_string()
            } else {
                classes.join(", ")
            },
            self.table_entries,
            match self.problems.len() {
                0 => "clean".to_string(),
                1 => "1 problem".to_string(),
                n => format!("{n} problems"),
            }
        )
    }
}

/// Reads everything from `backend` and checks it.
pub async fn run(backend: &dyn Backend) -> Result<Report, BackendError> {
    Ok(check(&backend.load().await?))
}

/// Checks the keys `entries` (as [`Backend::load`] returns them).
pub fn check(entries: &[Entry]) -> Report {
    let mut report = Report::default();
    let mut objects = BTreeMap::new();
    let mut tables = Vec::new();
    for entry in entries {
        if let Some(rest) = entry.path.strip_prefix(MODELS) {
            match parse_object(rest, &entry.data) {
                Ok((class, id, value)) => {
                    *report.objects.entry(class).or_default() += 1;
                    objects.insert((class, id), value);
                }
                Err(reason) => report.problems.push(Problem::Malformed {
                    path: entry.path.clone(),
                    reason,
                }),
            }
        } else if let Some(rest) = entry.path.strip_prefix(TABLES) {
            report.table_entries += 1;
            tables.push((entry.path.clone(), table_owner(rest)));
        }
    }
    for (path, owner) in tables {
        match owner {
            Some((class, id)) if !objects.contains_key(&(class, id)) => report
                .problems
                .push(Problem::OrphanTable { path, class, id }),
            Some(_) => {}
            None => report.problems.push(Problem::Malformed {
                path,
                reason: "not a state-table entry of a known class".to_string(),
            }),
        }
    }
    report.problems.extend(
        consistency::check(&objects)
            .into_iter()
            .map(Problem::Integrity),
    );
    report.problems.sort();
    report
}

/// `<Class>/<uuid>` and its data, as a stored object.
fn parse_object(rest: &str, data: &[u8]) -> Result<(Class, Uuid, Value), String> {
    let (name, id) = rest
        .split_once('/')
        .ok_or_else(|| "not <Class>/<uuid>".to_string())?;
    let class = Class::from_name(name).ok_or_else(|| format!("unknown class {name:?}"))?;
    let id: Uuid = id.parse().map_err(|_| format!("{id:?} is not a UUID"))?;
    let value: Value = serde_json::from_slice(data).map_err(|e| format!("not valid JSON: {e}"))?;
    match value.get("id").and_then(Value::as_str) {
        Some(stored) if stored.parse::<Uuid>().ok() == Some(id) => Ok((class, id, value)),
        Some(stored) => Err(format!("holds the object {stored}")),
        None if value.is_object() => Err("the object has no id".to_string()),
        None => Err("not a JSON object".to_string()),
    }
}

/// The object a `tables/<Class>/<uuid>/...` entry belongs to.
fn table_owner(rest: &str) -> Option<(Class, Uuid)> {
    let mut parts = rest.splitn(3, '/');
    let class = Class::from_name(parts.next()?)?;
    let id = parts.next()?.parse().ok()?;
    Some((class, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::backend::Stat;
    use crate::store::model_path;

    fn entry(path: &str, data: &str) -> Entry {
        Entry {
            path: path.to_string(),
            data: data.as_bytes().to_vec(),
            stat: Stat { version: 0, rev: 1 },
        }
    }

    #[test]
    fn malformed_keys_and_orphan_tables_are_named_by_path() {
        let bridge = Uuid::from_u128(7);
        let other = Uuid::from_u128(8);
        let entries = vec![
            entry(
                &model_path(Class::Network, bridge),
                &format!(r#"{{"id": "{bridge}", "name": "b"}}"#),
            ),
            entry(&model_path(Class::Router, other), "{not json"),
            entry(
                &model_path(Class::Chain, other),
                &format!(r#"{{"id": "{bridge}"}}"#),
            ),
            entry(&format!("{MODELS}Widget/{other}"), "{}"),
            entry(
                &format!(
                    "{TABLES}Network/{bridge}/ip4_mac_table/10.0.0.1,aa:bb:cc:dd:ee:ff,2147483647"
                ),
                "",
            ),
            entry(
                &format!(
                    "{TABLES}Network/{other}/ip4_mac_table/10.0.0.2,aa:bb:cc:dd:ee:01,2147483647"
                ),
                "",
            ),
        ];
        let report = check(&entries);
        let text: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(report.object_count(), 1);
        assert_eq!(report.table_entries, 2);
        assert_eq!(text.len(), 4, "{text:#?}");
        assert!(text.iter().any(|t| t.starts_with(&format!(
            "malformed: zoom/0/models/Router/{other}: not valid JSON"
        ))));
        assert!(text.contains(&format!(
            "malformed: zoom/0/models/Chain/{other}: holds the object {bridge}"
        )));
        assert!(text.contains(&format!(
            "malformed: zoom/0/models/Widget/{other}: unknown class \"Widget\""
        )));
        assert!(text.iter().any(|t| t.starts_with("orphan table entry: ")
            && t.ends_with(&format!("bridge {other} does not exist"))));
        assert!(!report.is_clean());
    }

    #[test]
    fn an_empty_store_is_clean() {
        let report = check(&[]);
        assert!(report.is_clean());
        assert_eq!(
            report.to_string(),
            "fsck: 0 objects (none), 0 state-table entries: clean"
        );
    }
}
