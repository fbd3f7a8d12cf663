//! The state store: what grows without bound or is written far more often than topology, kept
//! beside the topology store as MidoNet keeps it in Cassandra beside ZooKeeper
//! (`reference/midonet.md` §2.7). Three kinds of data:
//!
//! - the change history of API writes ([`ApiChange`]): one record per object a committed
//!   transaction created, updated or deleted, with the value before and after;
//! - the history of applied GNI versions ([`GniApply`]), reported by the translator;
//! - the simulator's flow state ([`FlowStateEntry`]), per port, with a TTL.
//!
//! Two backends fulfil [`StateStore`]: [`embedded::EmbeddedState`] (a redb file beside the
//! embedded topology store, the default) and [`cassandra::CassandraState`] (CQL v4 over
//! cdrs-tokio). Both answer the same questions the same way; `tests/state_store.rs` holds
//! them to it. History is written off the request path by [`history::HistoryWriter`].

pub mod cassandra;
pub mod config;
pub mod embedded;
pub mod history;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use topology::sim::FlowStateEntry;
use uuid::Uuid;

pub use crate::store::backend::BoxFuture;
pub use config::{CassandraConfig, StateConfig};

/// One object written or deleted by a committed API transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiChange {
    /// The store revision the transaction committed at.
    pub revision: i64,
    /// Its place among the changes of that revision.
    pub seq: i32,
    /// When it was committed, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The object's tenant (`tenantId`), empty when it has none.
    pub tenant: String,
    pub operation: Operation,
    /// MidoNet's model name (`Router`, `Network`, `Port`, ...).
    pub class: String,
    pub id: Uuid,
    /// The object as stored before and after; shared with the store's mirror when recorded,
    /// so recording copies no object.
    #[serde(with = "shared_json")]
    pub before: Option<Arc<Value>>,
    #[serde(with = "shared_json")]
    pub after: Option<Arc<Value>>,
}

/// (De)serializes an `Option<Arc<Value>>` as the plain JSON value or null.
mod shared_json {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(v: &Option<Arc<Value>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_deref().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Arc<Value>>, D::Error> {
        Ok(Option::<Value>::deserialize(d)?.map(Arc::new))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Operation> {
        match s {
            "create" => Some(Operation::Create),
            "update" => Some(Operation::Update),
            "delete" => Some(Operation::Delete),
            _ => None,
        }
    }
}

/// One translator cycle that applied a GNI version, or failed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GniApply {
    /// When the cycle ended, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The GNI version (`<version>` of global_network_info.xml).
    pub version: String,
    /// Operations sent to the API.
    pub operations: u64,
    pub duration_ms: u64,
    /// What failed, empty when the version was applied.
    #[serde(default)]
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StateError {
    /// The backend cannot be reached (after the configured retries).
    #[error("state store unavailable: {0}")]
    Unavailable(String),
    /// The request cannot succeed by retrying.
    #[error("state store failure: {0}")]
    Failed(String),
    /// A stored record does not read back.
    #[error("state store holds an unreadable {what}: {reason}")]
    Corrupt { what: String, reason: String },
}

/// A backend's request failed for good (retrying cannot help).
fn failed(e: impl std::fmt::Display) -> StateError {
    StateError::Failed(e.to_string())
}

/// A stored `what` does not read back.
fn corrupt(what: &str, e: impl std::fmt::Display) -> StateError {
    StateError::Corrupt {
        what: what.into(),
        reason: e.to_string(),
    }
}

/// The contract both backends fulfil. Lists come back oldest first.
pub trait StateStore: Send + Sync + 'static {
    /// Says which backend this is and where, for logs and errors.
    fn describe(&self) -> String;

    /// Stores change records. Idempotent: the same (revision, seq) written twice is one record.
    fn record_changes(&self, changes: Vec<ApiChange>) -> BoxFuture<'_, Result<(), StateError>>;

    /// The last `limit` changes of object `id`, oldest first.
    fn object_history(
        &self,
        id: Uuid,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApiChange>, StateError>>;

    /// The changes with `after < revision <= upto`, oldest first, at least `limit` of them
    /// unless fewer exist, and never part of a revision: the last revision returned is whole.
    fn changes_between(
        &self,
        after: i64,
        upto: i64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApiChange>, StateError>>;

    /// Notes that a gateway records every change after revision `rev` from now on.
    fn mark_recording_from(&self, rev: i64) -> BoxFuture<'_, Result<(), StateError>>;

    /// The earliest revision any gateway started recording after: history holds every change
    /// after it (while history stays on). `None` before any gateway recorded.
    fn recording_from(&self) -> BoxFuture<'_, Result<Option<i64>, StateError>>;

    fn record_gni_apply(&self, apply: GniApply) -> BoxFuture<'_, Result<(), StateError>>;

    /// The last `limit` applies, of `version` only when given, oldest first.
    fn gni_applies(
        &self,
        version: Option<String>,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<GniApply>, StateError>>;

    /// Stores flow state entries under `port` for `ttl` (each write renews them).
    fn put_flow_state(
        &self,
        port: Uuid,
        entries: Vec<FlowStateEntry>,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<(), StateError>>;

    /// The unexpired flow state entries stored under `port`.
    fn flow_state(&self, port: Uuid) -> BoxFuture<'_, Result<Vec<FlowStateEntry>, StateError>>;
}

/// Opens the configured state store, creating its tables (and the Cassandra keyspace) if
/// missing.
pub async fn open(config: &StateConfig) -> Result<Arc<dyn StateStore>, StateError> {
    Ok(match config {
        StateConfig::Embedded { dir } => Arc::new(embedded::EmbeddedState::open(dir)?),
        StateConfig::Cassandra(c) => Arc::new(cassandra::CassandraState::connect(c).await?),
    })
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Keeps the last `limit` of `items`.
fn last<T>(mut items: Vec<T>, limit: usize) -> Vec<T> {
    if items.len() > limit {
        items.drain(..items.len() - limit);
    }
    items
}

/// Cuts changes sorted by (revision, seq) after `limit`, but never inside a revision.
fn whole_revisions(mut changes: Vec<ApiChange>, limit: usize) -> Vec<ApiChange> {
    if changes.len() > limit {
        let cut_rev = changes[limit.max(1) - 1].revision;
        let keep = changes
            .iter()
            .position(|c| c.revision > cut_rev)
            .unwrap_or(changes.len());
        changes.truncate(keep);
    }
    changes
}
