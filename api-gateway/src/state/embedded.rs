//! The embedded state store: history and flow state in one local redb file (`state.redb`),
//! so a single gateway needs no Cassandra. Each call is one redb transaction, run off the
//! async threads.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use redb::{Database, ReadableTable, TableDefinition};
use uuid::Uuid;

use super::{
    corrupt, failed, last, now_ms, whole_revisions, ApiChange, BoxFuture, FlowStateEntry, GniApply,
    StateError, StateStore,
};

/// (revision, seq) -> the change as JSON.
const CHANGES: TableDefinition<(i64, i32), &str> = TableDefinition::new("changes");
/// (object id, revision, seq): the object's changes, in `CHANGES`.
const BY_OBJECT: TableDefinition<(u128, i64, i32), ()> = TableDefinition::new("changes_by_object");
/// (time, version) -> the apply as JSON.
const GNI: TableDefinition<(i64, &str), &str> = TableDefinition::new("gni_applies");
/// (version, time): the version's applies, in `GNI`.
const GNI_BY_VERSION: TableDefinition<(&str, i64), ()> =
    TableDefinition::new("gni_applies_by_version");
/// (port, entry as JSON) -> when it expires (ms since the epoch).
const FLOWS: TableDefinition<(u128, &str), i64> = TableDefinition::new("flow_state");
/// `recording_from` -> the revision.
const META: TableDefinition<&str, i64> = TableDefinition::new("meta");

pub struct EmbeddedState {
    db: Arc<Database>,
    file: String,
}

impl EmbeddedState {
    /// Opens (creating if needed) `state.redb` in `dir`. Fails if another process holds it.
    pub fn open(dir: &Path) -> Result<EmbeddedState, StateError> {
        std::fs::create_dir_all(dir).map_err(|e| failed(format!("{}: {e}", dir.display())))?;
        let file = dir.join("state.redb");
        let db = Database::create(&file).map_err(|e| failed(format!("{}: {e}", file.display())))?;
        let tx = db.begin_write().map_err(failed)?;
        tx.open_table(CHANGES).map_err(failed)?;
        tx.open_table(BY_OBJECT).map_err(failed)?;
        tx.open_table(GNI).map_err(failed)?;
        tx.open_table(GNI_BY_VERSION).map_err(failed)?;
        tx.open_table(FLOWS).map_err(failed)?;
        tx.open_table(META).map_err(failed)?;
        tx.commit().map_err(failed)?;
        Ok(EmbeddedState {
            db: Arc::new(db),
            file: file.display().to_string(),
        })
    }

    /// Runs `work` on a blocking thread with the database.
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> Result<T, StateError> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, StateError>> {
        let db = self.db.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || work(&db))
                .await
                .map_err(failed)?
        })
    }
}

fn change(json: &str) -> Result<ApiChange, StateError> {
    serde_json::from_str(json).map_err(|e| corrupt("change record", e))
}

impl StateStore for EmbeddedState {
    fn describe(&self) -> String {
        format!("embedded state store {}", self.file)
    }

    fn record_changes(&self, changes: Vec<ApiChange>) -> BoxFuture<'_, Result<(), StateError>> {
        self.run(move |db| {
            let tx = db.begin_write().map_err(failed)?;
            {
                let mut all = tx.open_table(CHANGES).map_err(failed)?;
                let mut by_object = tx.open_table(BY_OBJECT).map_err(failed)?;
                for c in &changes {
                    let json = serde_json::to_string(c).map_err(failed)?;
                    all.insert((c.revision, c.seq), json.as_str())
                        .map_err(failed)?;
                    by_object
                        .insert((c.id.as_u128(), c.revision, c.seq), ())
                        .map_err(failed)?;
                }
            }
            tx.commit().map_err(failed)
        })
    }

    fn object_history(
        &self,
        id: Uuid,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApiChange>, StateError>> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(failed)?;
            let all = tx.open_table(CHANGES).map_err(failed)?;
            let by_object = tx.open_table(BY_OBJECT).map_err(failed)?;
            let key = id.as_u128();
            let range = by_object
                .range((key, i64::MIN, i32::MIN)..=(key, i64::MAX, i32::MAX))
                .map_err(failed)?;
            let mut keys = Vec::new();
            for item in range.rev().take(limit) {
                let (k, _) = item.map_err(failed)?;
                let (_, rev, seq) = k.value();
                keys.push((rev, seq));
            }
            keys.reverse();
            let mut out = Vec::with_capacity(keys.len());
            for k in keys {
                if let Some(json) = all.get(k).map_err(failed)? {
                    out.push(change(json.value())?);
                }
            }
            Ok(out)
        })
    }

    fn changes_between(
        &self,
        after: i64,
        upto: i64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApiChange>, StateError>> {
        self.run(move |db| {
            let mut out = Vec::new();
            if after >= upto {
                return Ok(out);
            }
            let tx = db.begin_read().map_err(failed)?;
            let all = tx.open_table(CHANGES).map_err(failed)?;
            for item in all
                .range((after + 1, i32::MIN)..=(upto, i32::MAX))
                .map_err(failed)?
            {
                let (k, json) = item.map_err(failed)?;
                // Read one past the limit's revision so it is never cut.
                if out.len() >= limit
                    && out
                        .last()
                        .is_some_and(|c: &ApiChange| c.revision != k.value().0)
                {
                    break;
                }
                out.push(change(json.value())?);
            }
            Ok(whole_revisions(out, limit))
        })
    }

    fn mark_recording_from(&self, rev: i64) -> BoxFuture<'_, Result<(), StateError>> {
        self.run(move |db| {
            let tx = db.begin_write().map_err(failed)?;
            {
                let mut meta = tx.open_table(META).map_err(failed)?;
                let known = meta
                    .get("recording_from")
                    .map_err(failed)?
                    .map(|v| v.value());
                if known.is_none_or(|k| rev < k) {
                    meta.insert("recording_from", rev).map_err(failed)?;
                }
            }
            tx.commit().map_err(failed)
        })
    }

    fn recording_from(&self) -> BoxFuture<'_, Result<Option<i64>, StateError>> {
        self.run(|db| {
            let tx = db.begin_read().map_err(failed)?;
            let meta = tx.open_table(META).map_err(failed)?;
            Ok(meta
                .get("recording_from")
                .map_err(failed)?
                .map(|v| v.value()))
        })
    }

    fn record_gni_apply(&self, apply: GniApply) -> BoxFuture<'_, Result<(), StateError>> {
        self.run(move |db| {
            let json = serde_json::to_string(&apply).map_err(failed)?;
            let tx = db.begin_write().map_err(failed)?;
            {
                let mut all = tx.open_table(GNI).map_err(failed)?;
                let mut by_version = tx.open_table(GNI_BY_VERSION).map_err(failed)?;
                all.insert((apply.at_ms, apply.version.as_str()), json.as_str())
                    .map_err(failed)?;
                by_version
                    .insert((apply.version.as_str(), apply.at_ms), ())
                    .map_err(failed)?;
            }
            tx.commit().map_err(failed)
        })
    }

    fn gni_applies(
        &self,
        version: Option<String>,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<GniApply>, StateError>> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(failed)?;
            let all = tx.open_table(GNI).map_err(failed)?;
            let mut out = Vec::new();
            let parse = |json: &str| -> Result<GniApply, StateError> {
                serde_json::from_str(json).map_err(|e| corrupt("GNI apply record", e))
            };
            match version {
                Some(v) => {
                    let by_version = tx.open_table(GNI_BY_VERSION).map_err(failed)?;
                    let range = by_version
                        .range((v.as_str(), i64::MIN)..=(v.as_str(), i64::MAX))
                        .map_err(failed)?;
                    for item in range.rev().take(limit) {
                        let (k, _) = item.map_err(failed)?;
                        let (version, at) = k.value();
                        if let Some(json) = all.get((at, version)).map_err(failed)? {
                            out.push(parse(json.value())?);
                        }
                    }
                }
                None => {
                    for item in all.iter().map_err(failed)?.rev().take(limit) {
                        let (_, json) = item.map_err(failed)?;
                        out.push(parse(json.value())?);
                    }
                }
            }
            out.reverse();
            Ok(last(out, limit))
        })
    }

    fn put_flow_state(
        &self,
        port: Uuid,
        entries: Vec<FlowStateEntry>,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<(), StateError>> {
        self.run(move |db| {
            let expires =
                now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
            let tx = db.begin_write().map_err(failed)?;
            {
                let mut flows = tx.open_table(FLOWS).map_err(failed)?;
                for e in &entries {
                    let json = serde_json::to_string(e).map_err(failed)?;
                    flows
                        .insert((port.as_u128(), json.as_str()), expires)
                        .map_err(failed)?;
                }
            }
            tx.commit().map_err(failed)
        })
    }

    fn flow_state(&self, port: Uuid) -> BoxFuture<'_, Result<Vec<FlowStateEntry>, StateError>> {
        self.run(move |db| {
            let now = now_ms();
            let key = port.as_u128();
            let mut live = Vec::new();
            let mut expired = Vec::new();
            {
                let tx = db.begin_read().map_err(failed)?;
                let flows = tx.open_table(FLOWS).map_err(failed)?;
                for item in flows.range((key, "")..).map_err(failed)? {
                    let (k, expires) = item.map_err(failed)?;
                    let (p, json) = k.value();
                    if p != key {
                        break;
                    }
                    if expires.value() <= now {
                        expired.push(json.to_string());
                        continue;
                    }
                    live.push(
                        serde_json::from_str(json).map_err(|e| corrupt("flow state entry", e))?,
                    );
                }
            }
            // Expired entries go when seen, as Cassandra's TTL drops them.
            if !expired.is_empty() {
                let tx = db.begin_write().map_err(failed)?;
                {
                    let mut flows = tx.open_table(FLOWS).map_err(failed)?;
                    for json in &expired {
                        // Unless a writer renewed it since it was read.
                        let renewed = flows
                            .get((key, json.as_str()))
                            .map_err(failed)?
                            .is_some_and(|e| e.value() > now);
                        if !renewed {
                            flows.remove((key, json.as_str())).map_err(failed)?;
                        }
                    }
                }
                tx.commit().map_err(failed)?;
            }
            Ok(live)
        })
    }
}
