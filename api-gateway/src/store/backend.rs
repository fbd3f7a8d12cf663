//! The durable layer under the store: a versioned key-value tree with atomic multi-writes.
//!
//! Both backends (ZooKeeper and the embedded redb file) expose the same small contract, so the
//! transaction engine, the in-memory mirror and the integrity rules are written once, above it.
//! Keys are ZooKeeper-style paths relative to the store root, e.g.
//! `zoom/0/models/Router/<uuid>`; the embedded backend uses the same strings as its keys.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;

/// Where a value stands in the backend's history.
///
/// `version` is the per-key compare-and-set token (ZooKeeper's znode version); `rev` orders all
/// writes of the whole store (ZooKeeper's zxid, the embedded store's transaction counter), so the
/// mirror can tell a stale read from a fresh one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub version: i32,
    pub rev: i64,
}

/// One step of an atomic multi-write.
#[derive(Debug, Clone)]
pub enum KvOp {
    /// Create a key that must not exist. Missing parent directories are created by the backend.
    Create { path: String, data: Vec<u8> },
    /// Overwrite a key whose version must still be `version`.
    Set {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    /// Delete a key whose version must still be `version`.
    Delete { path: String, version: i32 },
    /// Fail the whole multi unless the key still has `version`.
    Check { path: String, version: i32 },
}

impl KvOp {
    pub fn path(&self) -> &str {
        match self {
            KvOp::Create { path, .. }
            | KvOp::Set { path, .. }
            | KvOp::Delete { path, .. }
            | KvOp::Check { path, .. } => path,
        }
    }
}

/// What a successful multi wrote: the transaction's revision and, per op in order, the new
/// stat of the key (`None` for deletes and checks).
#[derive(Debug, Clone)]
pub struct Receipt {
    pub rev: i64,
    pub stats: Vec<Option<Stat>>,
}

/// One key as read from the backend.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub data: Vec<u8>,
    pub stat: Stat,
}

/// A key observed by a watch or a direct read, possibly written by another process.
#[derive(Debug, Clone)]
pub enum Observed {
    /// The key exists with this data.
    Present(Entry),
    /// The key does not exist; `rev` is a revision at or after its deletion (ZooKeeper: the
    /// parent's pzxid), so an absent read older than a newer local create is ignored.
    Absent { path: String, rev: i64 },
    /// The backend lost its watches (session expired, reconnect): the mirror must reload.
    Resync,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// A version check failed, a created key existed or a deleted key was gone: re-read, retry.
    #[error("concurrent modification of {path}")]
    Conflict { path: String },
    /// The backend cannot be reached right now (connection loss, no quorum); nothing was sent.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A write was sent and then the connection was lost before its answer: the store may or
    /// may not have applied it, so the caller must read before writing it again.
    #[error("store unavailable after the write was sent; it may have been applied: {0}")]
    Indeterminate(String),
    /// Anything else: the request cannot succeed by retrying.
    #[error("store failure: {0}")]
    Failed(String),
}

/// Says, for a key a watch saw change, whether the change is this process's own write that the
/// layer above already holds: then the backend need not read it back. Each call consumes the
/// answer for one change.
pub type Echo = Arc<dyn Fn(&str) -> bool + Send + Sync>;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The contract both durable backends fulfil.
pub trait Backend: Send + Sync + 'static {
    /// Applies `ops` atomically: all of them or none. A failed version/existence check returns
    /// `Conflict` naming the first offending path, and nothing is written.
    fn multi(&self, ops: Vec<KvOp>) -> BoxFuture<'_, Result<Receipt, BackendError>>;

    /// Reads every key under `zoom/0` (models and tables), for start-up and resync.
    fn load(&self) -> BoxFuture<'_, Result<Vec<Entry>, BackendError>>;

    /// Reads the current state of the given keys (after a conflict, to refresh the mirror).
    fn read(&self, paths: Vec<String>) -> BoxFuture<'_, Result<Vec<Observed>, BackendError>>;

    /// Starts delivering changes made by other processes to `sink`, reading each changed key
    /// unless `echo` says the change is this process's own. Answers whether changes will be
    /// delivered at all: backends that are never shared (the embedded file is locked by one
    /// process) deliver nothing and answer `false`.
    fn watch(
        &self,
        sink: mpsc::UnboundedSender<Observed>,
        echo: Echo,
    ) -> BoxFuture<'_, Result<bool, BackendError>>;
}
