//! The embedded backend: the store's key tree in one local redb file, for single-node use
//! without ZooKeeper (the default). Same paths, versions and revisions as the ZooKeeper layout;
//! each multi is one durable redb write transaction.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition};
use tokio::sync::mpsc;

use super::backend::{
    Backend, BackendError, BoxFuture, Echo, Entry, KvOp, Observed, Receipt, Stat,
};

/// Key: the path. Value: version (4 bytes LE) + revision (8 bytes LE) + data.
const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
/// The store revision: `rev` -> the last transaction's number.
const META: TableDefinition<&str, i64> = TableDefinition::new("meta");
const HEADER: usize = 12;

pub struct Embedded {
    db: Arc<Database>,
}

fn failed(e: impl std::fmt::Display) -> BackendError {
    BackendError::Failed(e.to_string())
}

fn encode(stat: Stat, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER + data.len());
    v.extend_from_slice(&stat.version.to_le_bytes());
    v.extend_from_slice(&stat.rev.to_le_bytes());
    v.extend_from_slice(data);
    v
}

fn decode(path: &str, raw: &[u8]) -> Result<Entry, BackendError> {
    if raw.len() < HEADER {
        return Err(failed(format!("{path}: truncated record")));
    }
    let version = i32::from_le_bytes(raw[0..4].try_into().map_err(failed)?);
    let rev = i64::from_le_bytes(raw[4..12].try_into().map_err(failed)?);
    Ok(Entry {
        path: path.to_string(),
        data: raw[HEADER..].to_vec(),
        stat: Stat { version, rev },
    })
}

impl Embedded {
    /// Opens (creating if needed) the store file `store.redb` in `dir`. Fails if another
    /// process holds it: the embedded store has exactly one gateway.
    pub fn open(dir: &Path) -> Result<Self, BackendError> {
        std::fs::create_dir_all(dir).map_err(|e| failed(format!("{}: {e}", dir.display())))?;
        let file = dir.join("store.redb");
        let db = Database::create(&file).map_err(|e| failed(format!("{}: {e}", file.display())))?;
        let tx = db.begin_write().map_err(failed)?;
        tx.open_table(KEYS).map_err(failed)?;
        tx.open_table(META).map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(Embedded { db: Arc::new(db) })
    }

    fn apply(db: &Database, ops: &[KvOp]) -> Result<Receipt, BackendError> {
        let tx = db.begin_write().map_err(failed)?;
        let receipt = {
            let mut keys = tx.open_table(KEYS).map_err(failed)?;
            let mut meta = tx.open_table(META).map_err(failed)?;
            let rev = meta
                .get("rev")
                .map_err(failed)?
                .map(|v| v.value())
                .unwrap_or(0)
                + 1;
            let mut stats = Vec::with_capacity(ops.len());
            for op in ops {
                let current = keys
                    .get(op.path())
                    .map_err(failed)?
                    .map(|v| decode(op.path(), v.value()))
                    .transpose()?;
                let conflict = || BackendError::Conflict {
                    path: op.path().to_string(),
                };
                match op {
                    KvOp::Create { path, data } => {
                        if current.is_some() {
                            return Err(conflict());
                        }
                        let stat = Stat { version: 0, rev };
                        keys.insert(path.as_str(), encode(stat, data).as_slice())
                            .map_err(failed)?;
                        stats.push(Some(stat));
                    }
                    KvOp::Set {
                        path,
                        data,
                        version,
                    } => {
                        let cur = current
                            .filter(|c| c.stat.version == *version)
                            .ok_or_else(conflict)?;
                        let stat = Stat {
                            version: cur.stat.version + 1,
                            rev,
                        };
                        keys.insert(path.as_str(), encode(stat, data).as_slice())
                            .map_err(failed)?;
                        stats.push(Some(stat));
                    }
                    KvOp::Delete { path, version } => {
                        current
                            .filter(|c| c.stat.version == *version)
                            .ok_or_else(conflict)?;
                        keys.remove(path.as_str()).map_err(failed)?;
                        stats.push(None);
                    }
                    KvOp::Check { version, .. } => {
                        current
                            .filter(|c| c.stat.version == *version)
                            .ok_or_else(conflict)?;
                        stats.push(None);
                    }
                }
            }
            meta.insert("rev", rev).map_err(failed)?;
            Receipt { rev, stats }
        };
        // Dropping `tx` without commit on any error above aborts it: nothing is written.
        tx.commit().map_err(failed)?;
        Ok(receipt)
    }

    fn load_all(db: &Database) -> Result<Vec<Entry>, BackendError> {
        let tx = db.begin_read().map_err(failed)?;
        let keys = tx.open_table(KEYS).map_err(failed)?;
        let mut out = Vec::new();
        for item in keys.range("zoom/0/".."zoom/0/\u{10FFFF}").map_err(failed)? {
            let (k, v) = item.map_err(failed)?;
            out.push(decode(k.value(), v.value())?);
        }
        Ok(out)
    }

    fn read_paths(db: &Database, paths: &[String]) -> Result<Vec<Observed>, BackendError> {
        let tx = db.begin_read().map_err(failed)?;
        let keys = tx.open_table(KEYS).map_err(failed)?;
        let meta = tx.open_table(META).map_err(failed)?;
        let rev = meta
            .get("rev")
            .map_err(failed)?
            .map(|v| v.value())
            .unwrap_or(0);
        paths
            .iter()
            .map(|p| match keys.get(p.as_str()).map_err(failed)? {
                Some(v) => Ok(Observed::Present(decode(p, v.value())?)),
                None => Ok(Observed::Absent {
                    path: p.clone(),
                    rev,
                }),
            })
            .collect()
    }
}

/// Runs blocking redb work off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    tokio::task::spawn_blocking(f).await.map_err(failed)?
}

impl Backend for Embedded {
    fn multi(&self, ops: Vec<KvOp>) -> BoxFuture<'_, Result<Receipt, BackendError>> {
        let db = self.db.clone();
        Box::pin(blocking(move || Self::apply(&db, &ops)))
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<Entry>, BackendError>> {
        let db = self.db.clone();
        Box::pin(blocking(move || Self::load_all(&db)))
    }

    fn read(&self, paths: Vec<String>) -> BoxFuture<'_, Result<Vec<Observed>, BackendError>> {
        let db = self.db.clone();
        Box::pin(blocking(move || Self::read_paths(&db, &paths)))
    }

    fn watch(
        &self,
        _sink: mpsc::UnboundedSender<Observed>,
        _echo: Echo,
    ) -> BoxFuture<'_, Result<bool, BackendError>> {
        // The file is locked by this process: no other writer exists to watch.
        Box::pin(async { Ok(false) })
    }
}
