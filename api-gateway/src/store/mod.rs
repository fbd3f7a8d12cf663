//! The topology store: an in-memory mirror of the backend's key tree that serves every read,
//! and a transaction engine that turns one API write into one atomic backend multi.
//!
//! Contract of [`Store::transact`]: the closure runs against a consistent snapshot of the mirror,
//! its writes are sent as one multi with a version check on every key it read or wrote, and on
//! success the mirror reflects them before `transact` returns (read-your-writes on this
//! gateway). On a version conflict the touched keys are re-read and the closure runs again; an
//! error from the closure discards everything it did.
//!
//! The mirror also answers "what changed since revision N" ([`Store::changes_since`], and
//! [`Store::revisions_since`] for only the revisions): every entry carries the revision that
//! wrote it, and deletions are remembered as tombstones, the last [`MAX_TOMBSTONES`] of them;
//! older questions are refused so the caller reads everything. Objects and their tombstones
//! are indexed by revision, so an answer costs about its own size, not the store's.

pub mod backend;
pub mod embedded;
pub mod zookeeper;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use topology::integrity::Objects;
use topology::Class;
use uuid::Uuid;

use backend::{Backend, BackendError, Echo, Entry, KvOp, Observed, Receipt, Stat};

/// Key prefix of stored objects: `zoom/0/models/<Class>/<uuid>`.
pub const MODELS: &str = "zoom/0/models/";
/// Key prefix of state tables: `zoom/0/tables/<Class>/<uuid>/<table>/<key>,<value>,<version>`.
pub const TABLES: &str = "zoom/0/tables/";
/// The version suffix MidoNet gives persistent (API-written) state-table entries.
pub const PERSISTENT: &str = "2147483647";

/// How many times a conflicting transaction is re-run before the client gets 409.
const ATTEMPTS: usize = 8;
/// ZooKeeper refuses requests over 1 MB; stay well under it.
pub const MAX_MULTI_BYTES: usize = 900 * 1024;
/// What one op of a multi costs ZooKeeper beyond its path and data (op header, version, ACL):
/// counted by [`Tx::multi_bytes`] so a batch split by it stays under the limit.
const OP_OVERHEAD: usize = 64;
/// How many deletions the mirror remembers for the change feed; asking about older ones is
/// answered "too old" (a full read), which keeps memory bounded under heavy churn.
pub const MAX_TOMBSTONES: usize = 100_000;

pub fn model_path(class: Class, id: Uuid) -> String {
    format!("{MODELS}{}/{id}", class.name())
}

/// Path of a state table of an object, e.g. `table_dir(Network, id, "mac_table/0")`.
pub fn table_dir(class: Class, id: Uuid, table: &str) -> String {
    format!("{TABLES}{}/{id}/{table}/", class.name())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("gave up after {ATTEMPTS} concurrent modifications of {path}")]
    Contended { path: String },
    #[error("the write is {size} bytes, over the store's {MAX_MULTI_BYTES}-byte limit")]
    TooLarge { size: usize },
    #[error("stored object {path} is not valid JSON: {reason}")]
    Corrupt { path: String, reason: String },
}

#[derive(Debug, Clone)]
struct Slot {
    value: Arc<Value>,
    stat: Stat,
}

/// What this gateway knows of the store, kept current by its own writes and the backend watch.
#[derive(Default)]
struct Mirror {
    keys: BTreeMap<String, Slot>,
    /// Revisions at which keys were deleted, so a stale read cannot resurrect them, and so the
    /// change feed can report deletions.
    tombstones: HashMap<String, i64>,
    /// The same tombstones in revision order, to drop the oldest.
    deletions: BTreeSet<(i64, String)>,
    /// Every stored object (a model entry, not a state-table entry) and every object
    /// tombstone, by the revision that wrote or deleted it: the change feed in order, so a
    /// page starts where it asks instead of scanning and sorting the store. A path is either
    /// present or buried, never both, so it appears once.
    objects: BTreeSet<(i64, String)>,
    rev: i64,
    /// The oldest revision the change feed can answer from: the revision the mirror was loaded
    /// at (deletions before it are unknown), raised as old tombstones are dropped.
    horizon: i64,
}

impl Mirror {
    /// Whether the change feed can answer from `since`.
    fn answerable(&self, since: i64) -> Result<(), Gone> {
        if since < self.horizon || since > self.rev {
            return Err(Gone {
                since,
                horizon: self.horizon,
                revision: self.rev,
            });
        }
        Ok(())
    }

    fn bury(&mut self, path: String, rev: i64) {
        if let Some(old) = self.tombstones.insert(path.clone(), rev) {
            self.deletions.remove(&(old, path.clone()));
            self.unindex(old, &path);
        }
        self.index(rev, &path);
        self.deletions.insert((rev, path));
        while self.deletions.len() > MAX_TOMBSTONES {
            let Some((rev, path)) = self.deletions.pop_first() else {
                break;
            };
            self.tombstones.remove(&path);
            self.unindex(rev, &path);
            self.horizon = self.horizon.max(rev);
        }
    }

    fn unbury(&mut self, path: &str) {
        if let Some(rev) = self.tombstones.remove(path) {
            self.deletions.remove(&(rev, path.to_string()));
            self.unindex(rev, path);
        }
    }

    fn index(&mut self, rev: i64, path: &str) {
        if object_of(path).is_some() {
            self.objects.insert((rev, path.to_string()));
        }
    }

    fn unindex(&mut self, rev: i64, path: &str) {
        if object_of(path).is_some() {
            self.objects.remove(&(rev, path.to_string()));
        }
    }

    /// Stores `slot` at `path`, keeping the revision index in step with what it replaces.
    fn put_key(&mut self, path: String, slot: Slot) {
        let rev = slot.stat.rev;
        if let Some(old) = self.keys.insert(path.clone(), slot) {
            self.unindex(old.stat.rev, &path);
        }
        self.index(rev, &path);
    }

    fn remove_key(&mut self, path: &str) {
        if let Some(old) = self.keys.remove(path) {
            self.unindex(old.stat.rev, path);
        }
    }

    fn present(&mut self, entry: Entry) {
        if self
            .tombstones
            .get(&entry.path)
            .is_some_and(|&r| r >= entry.stat.rev)
        {
            return;
        }
        if self
            .keys
            .get(&entry.path)
            .is_some_and(|s| s.stat.rev >= entry.stat.rev)
        {
            return;
        }
        let value = if entry.data.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&entry.data) {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(path = %entry.path, error = %e, "ignoring unreadable stored object");
                    return;
                }
            }
        };
        self.rev = self.rev.max(entry.stat.rev);
        self.unbury(&entry.path);
        self.put_key(
            entry.path,
            Slot {
                value: Arc::new(value),
                stat: entry.stat,
            },
        );
    }

    fn absent(&mut self, path: String, rev: i64) {
        if self.keys.get(&path).is_some_and(|s| s.stat.rev < rev) {
            self.remove_key(&path);
        }
        if !self.keys.contains_key(&path) {
            self.bury(path, rev);
        }
    }

    fn observe(&mut self, o: Observed) {
        match o {
            Observed::Present(e) => self.present(e),
            Observed::Absent { path, rev } => self.absent(path, rev),
            Observed::Resync => {}
        }
    }

    fn apply_local(
        &mut self,
        ops: &[KvOp],
        values: &HashMap<String, Arc<Value>>,
        receipt: &Receipt,
    ) {
        self.rev = self.rev.max(receipt.rev);
        for (op, stat) in ops.iter().zip(&receipt.stats) {
            match (op, stat) {
                (KvOp::Create { path, .. } | KvOp::Set { path, .. }, Some(stat)) => {
                    let value = values
                        .get(path)
                        .cloned()
                        .unwrap_or_else(|| Arc::new(Value::Null));
                    self.unbury(path);
                    self.put_key(path.clone(), Slot { value, stat: *stat });
                }
                (KvOp::Delete { path, .. }, _) => {
                    self.remove_key(path);
                    self.bury(path.clone(), receipt.rev);
                }
                _ => {}
            }
        }
    }

    /// The objects (not state-table entries) `ops` write or delete, with their values before
    /// (from the mirror, so call it before applying) and after.
    fn committed(
        &self,
        ops: &[KvOp],
        values: &HashMap<String, Arc<Value>>,
    ) -> Vec<crate::state::history::Committed> {
        ops.iter()
            .filter_map(|op| {
                let after = match op {
                    KvOp::Create { path, .. } | KvOp::Set { path, .. } => values.get(path).cloned(),
                    KvOp::Delete { .. } => None,
                    _ => return None,
                };
                let (class, id) = object_of(op.path())?;
                let before = self.keys.get(op.path()).map(|s| s.value.clone());
                Some(crate::state::history::Committed {
                    class,
                    id,
                    before,
                    after,
                })
            })
            .collect()
    }

    fn prefixed<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Slot)> + 'a {
        self.keys
            .range(prefix.to_string()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
    }
}

/// Changes this gateway wrote and whose watch notifications have not arrived yet, by path:
/// the mirror already holds them, so the watch need not read them back. A write whose outcome
/// is unknown, or a lost notification, ends in a reload, which clears the count. Nothing is
/// counted when the backend delivers no notifications.
#[derive(Default)]
struct Echoes {
    counts: std::sync::Mutex<HashMap<String, u32>>,
    active: std::sync::atomic::AtomicBool,
}

impl Echoes {
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expect(&self, ops: &[KvOp]) {
        if !self.active.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let mut counts = self.counts();
        for op in ops.iter().filter(|op| !matches!(op, KvOp::Check { .. })) {
            *counts.entry(op.path().to_string()).or_default() += 1;
        }
    }

    fn forget(&self, ops: &[KvOp]) {
        let mut counts = self.counts();
        for op in ops.iter().filter(|op| !matches!(op, KvOp::Check { .. })) {
            self.consume_in(&mut counts, op.path());
        }
    }

    fn consume_in(&self, counts: &mut HashMap<String, u32>, path: &str) -> bool {
        match counts.get_mut(path) {
            Some(n) => {
                *n -= 1;
                if *n == 0 {
                    counts.remove(path);
                }
                true
            }
            None => false,
        }
    }

    fn consume(&self, path: &str) -> bool {
        let mut counts = self.counts();
        self.consume_in(&mut counts, path)
    }
}

/// The store a gateway serves from.
pub struct Store {
    backend: Arc<dyn Backend>,
    mirror: Arc<RwLock<Mirror>>,
    echoes: Arc<Echoes>,
    /// Commits hold it shared; a full reload holds it exclusively, so none interleave.
    gate: tokio::sync::RwLock<()>,
    /// The state store beside this one, once attached: every commit's changes are offered to
    /// its history writer (never waited on).
    state: std::sync::OnceLock<crate::state::history::StateService>,
}

impl Store {
    /// Loads the backend into the mirror and starts following other writers' changes.
    pub async fn open(backend: Arc<dyn Backend>) -> Result<Arc<Store>, StoreError> {
        let store = Arc::new(Store {
            backend,
            mirror: Arc::new(RwLock::new(Mirror::default())),
            echoes: Arc::new(Echoes::default()),
            gate: tokio::sync::RwLock::new(()),
            state: std::sync::OnceLock::new(),
        });
        let (tx, mut rx) = mpsc::unbounded_channel();
        let echoes = store.echoes.clone();
        let echo: Echo = Arc::new(move |path: &str| echoes.consume(path));
        let watching = store.backend.watch(tx, echo).await?;
        store
            .echoes
            .active
            .store(watching, std::sync::atomic::Ordering::Relaxed);
        store.reload().await?;
        let weak = Arc::downgrade(&store);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let Some(store) = weak.upgrade() else { break };
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                if batch.iter().any(|o| matches!(o, Observed::Resync)) {
                    while let Err(e) = store.reload().await {
                        tracing::warn!(error = %e, "store reload failed; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    continue;
                }
                let mut mirror = store.write_mirror();
                for o in batch {
                    mirror.observe(o);
                }
            }
        });
        Ok(store)
    }

    fn read_mirror(&self) -> RwLockReadGuard<'_, Mirror> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters more than serving: keep going with what is there.
        self.mirror.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_mirror(&self) -> std::sync::RwLockWriteGuard<'_, Mirror> {
        self.mirror.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the mirror with a fresh full read of the backend.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let _exclusive = self.gate.write().await;
        let entries = self.backend.load().await?;
        self.echoes.counts().clear();
        let mut fresh = Mirror::default();
        for e in entries {
            fresh.present(e);
        }
        let mut mirror = self.write_mirror();
        fresh.rev = fresh.rev.max(mirror.rev);
        // Deletions before this load are unknown: the feed answers only from here on.
        fresh.horizon = fresh.rev;
        *mirror = fresh;
        tracing::info!(
            keys = mirror.keys.len(),
            rev = mirror.rev,
            "store mirror loaded"
        );
        Ok(())
    }

    /// Attaches the state store: from now on every commit's changes go to its history writer
    /// (when history is on), and the API answers history and keeps flow state from it. The
    /// revision now is noted as where this gateway's record begins. Once per store.
    pub async fn attach_state(
        &self,
        service: crate::state::history::StateService,
    ) -> Result<(), crate::state::StateError> {
        if service.writer.is_some() {
            service.state.mark_recording_from(self.revision()).await?;
        }
        if self.state.set(service).is_err() {
            return Err(crate::state::StateError::Failed(
                "a state store is already attached".into(),
            ));
        }
        Ok(())
    }

    /// The attached state store, if any.
    pub fn state(&self) -> Option<&crate::state::history::StateService> {
        self.state.get()
    }

    /// The highest store revision this gateway has seen.
    pub fn revision(&self) -> i64 {
        self.read_mirror().rev
    }

    pub fn get(&self, class: Class, id: Uuid) -> Option<Arc<Value>> {
        self.read_mirror()
            .keys
            .get(&model_path(class, id))
            .map(|s| s.value.clone())
    }

    /// Every stored object of `class`, in id order.
    pub fn list(&self, class: Class) -> Vec<Arc<Value>> {
        let prefix = format!("{MODELS}{}/", class.name());
        self.read_mirror()
            .prefixed(&prefix)
            .map(|(_, s)| s.value.clone())
            .collect()
    }

    /// The entries of a state table, as paths below it (`key,value,version`, or
    /// `<arg>/key,value,version` for tables with an argument such as the MAC table's VLAN).
    pub fn table(&self, class: Class, id: Uuid, table: &str) -> Vec<String> {
        let dir = table_dir(class, id, table);
        self.read_mirror()
            .prefixed(&dir)
            .map(|(k, _)| k[dir.len()..].to_string())
            .collect()
    }

    /// The objects (not state-table entries) written or deleted after revision `since`, in
    /// revision order, at most `limit` of them unless one revision holds more (a revision is
    /// never split, so following up from [`Changes::revision`] misses nothing). `Err(Gone)`
    /// when `since` is older than the mirror remembers or newer than it has seen: the caller
    /// must read everything. Changes by other writers are seen when their watch arrives, so a
    /// feed is as current as this gateway's mirror. Costs about the answer's size.
    pub fn changes_since(&self, since: i64, limit: usize) -> Result<Changes, Gone> {
        let mirror = self.read_mirror();
        mirror.answerable(since)?;
        let limit = limit.max(1);
        let mut found: Vec<Change> = Vec::new();
        let mut more = false;
        for (rev, path) in mirror.objects.range((since + 1, String::new())..) {
            if found.len() >= limit && found.last().is_some_and(|last| last.rev != *rev) {
                more = true;
                break;
            }
            let value = mirror.keys.get(path).map(|slot| slot.value.clone());
            found.extend(Change::at(path, *rev, value));
        }
        let revision = match (more, found.last()) {
            (true, Some(last)) => last.rev,
            _ => mirror.rev,
        };
        Ok(Changes {
            revision,
            changes: found,
            more,
        })
    }

    /// The distinct revisions, ascending, at which objects were written or deleted after
    /// `since`, and the revision the answer is current to: what [`Store::changes_since`]
    /// would report, without the objects. Same `Gone` rules. Costs a lookup per revision, so
    /// a writer can ask cheaply whether anyone but itself wrote since `since`.
    pub fn revisions_since(&self, since: i64) -> Result<(i64, Vec<i64>), Gone> {
        let mirror = self.read_mirror();
        mirror.answerable(since)?;
        let mut revisions = Vec::new();
        let mut from = since;
        while let Some((rev, _)) = mirror.objects.range((from + 1, String::new())..).next() {
            revisions.push(*rev);
            from = *rev;
        }
        Ok((mirror.rev, revisions))
    }

    /// Runs `work` as one atomic write; see the module contract.
    pub async fn transact<T, E>(&self, work: impl Fn(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.transact_at(work).await.map(|(out, _)| out)
    }

    /// [`Store::transact`], also answering the store revision the write committed at: every
    /// object it wrote or deleted carries that revision in the change feed. `None` when it
    /// changed nothing (only reads, or writes equal to what was stored), so nothing was sent.
    pub async fn transact_at<T, E>(
        &self,
        work: impl Fn(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<(T, Option<i64>), E>
    where
        E: From<StoreError>,
    {
        let _shared = self.gate.read().await;
        let mut last_conflict = String::new();
        for attempt in 0..ATTEMPTS {
            let (out, ops, values) = {
                let mirror = self.read_mirror();
                let mut tx = Tx::new(&mirror);
                let out = work(&mut tx)?;
                let plan = tx.into_ops().map_err(E::from)?;
                (out, plan.ops, plan.values)
            };
            if ops.iter().all(|op| matches!(op, KvOp::Check { .. })) {
                return Ok((out, None));
            }
            let size: usize = ops
                .iter()
                .map(|op| match op {
                    KvOp::Create { path, data } | KvOp::Set { path, data, .. } => {
                        path.len() + data.len()
                    }
                    other => other.path().len(),
                })
                .sum();
            if size > MAX_MULTI_BYTES {
                return Err(StoreError::TooLarge { size }.into());
            }
            self.echoes.expect(&ops);
            let result = self.backend.multi(ops.clone()).await;
            if result.is_err() {
                self.echoes.forget(&ops);
            }
            match result {
                Ok(receipt) => {
                    let writer = self.state.get().and_then(|s| s.writer.as_ref());
                    let committed = {
                        let mut mirror = self.write_mirror();
                        let committed = writer.map(|_| mirror.committed(&ops, &values));
                        mirror.apply_local(&ops, &values, &receipt);
                        committed
                    };
                    if let (Some(writer), Some(committed)) = (writer, committed) {
                        writer.offer(receipt.rev, committed);
                    }
                    return Ok((out, Some(receipt.rev)));
                }
                Err(BackendError::Conflict { path }) => {
                    tracing::debug!(%path, attempt, "write conflict; refreshing and retrying");
                    let paths = ops.iter().map(|op| op.path().to_string()).collect();
                    let observed = self.backend.read(paths).await.map_err(StoreError::from)?;
                    {
                        let mut mirror = self.write_mirror();
                        for o in observed {
                            mirror.observe(o);
                        }
                    }
                    last_conflict = path;
                    // Two writers retrying in lockstep keep beating each other: a random pause
                    // that grows with each attempt lets one through.
                    let ceiling = 1u64 << attempt.min(6);
                    let pause = rand::random::<u64>() % (ceiling * 1000);
                    tokio::time::sleep(Duration::from_micros(pause)).await;
                }
                Err(e) => return Err(StoreError::from(e).into()),
            }
        }
        Err(StoreError::Contended {
            path: last_conflict,
        }
        .into())
    }
}

/// One object written or deleted, as the change feed reports it.
#[derive(Debug, Clone)]
pub struct Change {
    pub class: Class,
    pub id: Uuid,
    /// The revision that wrote or deleted it.
    pub rev: i64,
    /// The stored object; `None` for a deletion.
    pub value: Option<Arc<Value>>,
}

impl Change {
    /// The change of the object at `path` (`zoom/0/models/<Class>/<uuid>`), if it is one.
    fn at(path: &str, rev: i64, value: Option<Arc<Value>>) -> Option<Change> {
        let (class, id) = object_of(path)?;
        Some(Change {
            class,
            id,
            rev,
            value,
        })
    }
}

/// The object stored at `path`, if it is an object's path (`zoom/0/models/<Class>/<uuid>`).
fn object_of(path: &str) -> Option<(Class, Uuid)> {
    let (class, id) = path.strip_prefix(MODELS)?.split_once('/')?;
    Some((Class::from_name(class)?, id.parse().ok()?))
}

/// An answer of [`Store::changes_since`].
#[derive(Debug, Clone)]
pub struct Changes {
    /// Where to ask from next time: the store revision, or the last revision included when
    /// `more` is set.
    pub revision: i64,
    pub changes: Vec<Change>,
    /// The answer was cut at the limit; ask again from `revision`.
    pub more: bool,
}

/// The change feed cannot answer from `since`: the caller must read everything.
#[derive(Debug, Clone, thiserror::Error)]
#[error("changes since revision {since} are not known here (this gateway answers from revision {horizon} to {revision}): read everything again")]
pub struct Gone {
    pub since: i64,
    pub horizon: i64,
    pub revision: i64,
}

/// How to undo one step of a transaction, back to a [`Savepoint`].
enum Undo {
    /// A key's write entry before the step (`None`: it had none).
    Write(String, Option<Option<Arc<Value>>>),
    /// A key first read in the step.
    Read(String),
}

/// A point in a transaction that [`Tx::rollback`] returns to.
#[derive(Debug, Clone, Copy)]
pub struct Savepoint(usize);

/// One transaction's view: the mirror snapshot plus this transaction's own writes.
pub struct Tx<'a> {
    mirror: &'a Mirror,
    /// Keys read from the snapshot and the version seen (`None`: absent).
    reads: BTreeMap<String, Option<i32>>,
    /// Keys written: `Some` = put, `None` = delete.
    writes: BTreeMap<String, Option<Arc<Value>>>,
    /// Every change to `reads` and `writes`, in order, so a step can be undone.
    journal: Vec<Undo>,
    /// Estimated multi bytes per written key, and the keys whose estimate is out of date.
    sizes: HashMap<String, usize>,
    dirty: BTreeSet<String>,
    written_bytes: usize,
    read_bytes: usize,
}

impl<'a> Tx<'a> {
    fn new(mirror: &'a Mirror) -> Self {
        Tx {
            mirror,
            reads: BTreeMap::new(),
            writes: BTreeMap::new(),
            journal: Vec::new(),
            sizes: HashMap::new(),
            dirty: BTreeSet::new(),
            written_bytes: 0,
            read_bytes: 0,
        }
    }

    fn read_path(&mut self, path: String) -> Option<Arc<Value>> {
        if let Some(w) = self.writes.get(&path) {
            return w.clone();
        }
        let slot = self.mirror.keys.get(&path);
        if !self.reads.contains_key(&path) {
            self.read_bytes += path.len() + OP_OVERHEAD;
            self.journal.push(Undo::Read(path.clone()));
            self.reads.insert(path, slot.map(|s| s.stat.version));
        }
        slot.map(|s| s.value.clone())
    }

    /// The object as this transaction sees it, without making its version a condition of the
    /// commit. Only for objects that cannot change without something the transaction does
    /// read changing too: a host's bound ports change only through bindings, which rewrite
    /// the host, so a binding reads the host and peeks at its ports rather than sending
    /// ZooKeeper a version check for each of hundreds of them.
    pub fn peek(&self, class: Class, id: Uuid) -> Option<Arc<Value>> {
        let path = model_path(class, id);
        match self.writes.get(&path) {
            Some(written) => written.clone(),
            None => self.mirror.keys.get(&path).map(|s| s.value.clone()),
        }
    }

    /// Records `write` for `path`, remembering what it replaces.
    fn write(&mut self, path: String, write: Option<Arc<Value>>) {
        let before = self.writes.insert(path.clone(), write);
        self.dirty.insert(path.clone());
        self.journal.push(Undo::Write(path, before));
    }

    /// Where the transaction stands now, to [`Tx::rollback`] to. Only the latest savepoint
    /// can be returned to: steps before it are settled, and their undo records dropped, so a
    /// long batch keeps one step's worth of them.
    pub fn savepoint(&mut self) -> Savepoint {
        self.journal.clear();
        Savepoint(0)
    }

    /// Undoes every read and write made after `point`.
    pub fn rollback(&mut self, point: Savepoint) {
        while self.journal.len() > point.0 {
            match self.journal.pop() {
                Some(Undo::Write(path, before)) => {
                    match before {
                        Some(w) => self.writes.insert(path.clone(), w),
                        None => self.writes.remove(&path),
                    };
                    self.dirty.insert(path);
                }
                Some(Undo::Read(path)) => {
                    self.reads.remove(&path);
                    self.read_bytes = self.read_bytes.saturating_sub(path.len() + OP_OVERHEAD);
                }
                None => break,
            }
        }
    }

    /// An upper bound of the size of the multi this transaction would send (paths, data and
    /// per-op overhead), comparable with [`MAX_MULTI_BYTES`]. Cheap to call after every step:
    /// only keys written since the last call are measured again.
    pub fn multi_bytes(&mut self) -> usize {
        for path in std::mem::take(&mut self.dirty) {
            if let Some(old) = self.sizes.remove(&path) {
                self.written_bytes -= old;
            }
            let size = match self.writes.get(&path) {
                Some(Some(value)) => path.len() + OP_OVERHEAD + json_len(value),
                Some(None) => path.len() + OP_OVERHEAD,
                None => continue,
            };
            self.written_bytes += size;
            self.sizes.insert(path, size);
        }
        self.written_bytes + self.read_bytes
    }

    /// The entries of a state table as this transaction sees them (see [`Store::table`]).
    pub fn table(&mut self, class: Class, id: Uuid, table: &str) -> Vec<String> {
        let dir = table_dir(class, id, table);
        let mut names: Vec<String> = self
            .mirror
            .prefixed(&dir)
            .map(|(k, _)| k.clone())
            .chain(
                self.writes
                    .range(dir.clone()..)
                    .take_while(|(k, _)| k.starts_with(&dir))
                    .map(|(k, _)| k.clone()),
            )
            .collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter(|p| self.read_path(p.clone()).is_some())
            .map(|p| p[dir.len()..].to_string())
            .collect()
    }

    pub fn put_table_entry(&mut self, class: Class, id: Uuid, table: &str, entry: &str) {
        self.write(
            format!("{}{entry}", table_dir(class, id, table)),
            Some(Arc::new(Value::Null)),
        );
    }

    pub fn remove_table_entry(&mut self, class: Class, id: Uuid, table: &str, entry: &str) {
        self.write(format!("{}{entry}", table_dir(class, id, table)), None);
    }

    /// The backend ops of this transaction, and the values written by path.
    fn into_ops(self) -> Result<Plan, StoreError> {
        let mut ops = Vec::new();
        let mut values = HashMap::new();
        for (path, write) in &self.writes {
            let slot = self.mirror.keys.get(path);
            if let (Some(new), Some(slot)) = (write, slot) {
                // Rewriting what is stored would only cost a write: check it instead.
                if new.as_ref() == slot.value.as_ref() {
                    ops.push(KvOp::Check {
                        path: path.clone(),
                        version: slot.stat.version,
                    });
                    continue;
                }
            }
            let current = slot.map(|s| s.stat.version);
            match (write, current) {
                (Some(value), current) => {
                    let data = if value.is_null() {
                        Vec::new()
                    } else {
                        serde_json::to_vec(value.as_ref()).map_err(|e| StoreError::Corrupt {
                            path: path.clone(),
                            reason: e.to_string(),
                        })?
                    };
                    ops.push(match current {
                        Some(version) => KvOp::Set {
                            path: path.clone(),
                            data,
                            version,
                        },
                        None => KvOp::Create {
                            path: path.clone(),
                            data,
                        },
                    });
                    values.insert(path.clone(), value.clone());
                }
                (None, Some(version)) => ops.push(KvOp::Delete {
                    path: path.clone(),
                    version,
                }),
                (None, None) => {}
            }
        }
        for (path, version) in &self.reads {
            if let (false, Some(version)) = (self.writes.contains_key(path), version) {
                ops.push(KvOp::Check {
                    path: path.clone(),
                    version: *version,
                });
            }
        }
        Ok(Plan { ops, values })
    }
}

/// What a transaction will send: the backend ops, and the values it writes by path (so the
/// mirror can take them without parsing them back).
struct Plan {
    ops: Vec<KvOp>,
    values: HashMap<String, Arc<Value>>,
}

impl Objects for Tx<'_> {
    fn get(&mut self, class: Class, id: Uuid) -> Option<Arc<Value>> {
        self.read_path(model_path(class, id))
    }

    fn get_mut(&mut self, class: Class, id: Uuid) -> Option<&mut Value> {
        let path = model_path(class, id);
        // The journal keeps a handle on the value before this change: `make_mut` then copies
        // it instead of changing it in place, so a rollback can restore it.
        let current = match self.writes.get(&path) {
            Some(w) => w.clone(),
            None => Some(self.read_path(path.clone())?),
        };
        current.as_ref()?;
        self.write(path.clone(), current);
        self.writes.get_mut(&path)?.as_mut().map(Arc::make_mut)
    }

    fn put(&mut self, class: Class, id: Uuid, value: Value) {
        self.write(model_path(class, id), Some(Arc::new(value)));
    }

    fn remove(&mut self, class: Class, id: Uuid) {
        self.write(model_path(class, id), None);
    }

    fn remove_tables(&mut self, class: Class, id: Uuid) {
        let dir = format!("{TABLES}{}/{id}/", class.name());
        let paths: Vec<String> = self.mirror.prefixed(&dir).map(|(k, _)| k.clone()).collect();
        for p in paths {
            self.read_path(p.clone());
            self.write(p, None);
        }
    }
}

/// The length of `value` as compact JSON, without building the text.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    if value.is_null() {
        return 0;
    }
    let mut count = Count(0);
    // Writing into a counter cannot fail; an error would only undercount a value that
    // `into_ops` then refuses anyway.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

#[cfg(test)]
mod tests;
