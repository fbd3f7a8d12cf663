//! The ZooKeeper backend: the store's versioned key-value tree kept in a ZooKeeper ensemble, in
//! MidoNet's layout, so a gateway can share the topology with other MidoNet processes.
//!
//! Keys relative to the store root map to znodes under `<root>` (default `/midonet`):
//! `zoom/0/models/<Class>/<id>` holds an object and
//! `zoom/0/tables/<Class>/<id>/<table>[/<arg>]/<key,value,version>` a state-table entry. Only
//! those two kinds of znodes are entries; everything above them is a directory that the backend
//! creates on demand and never reports. Every multi also touches the marker znode `<root>/txn`
//! (outside the watched `zoom/0`) so that its zxid can be read back whatever the multi contains.
//!
//! The ZooKeeper session can expire at any time (a long partition, a server restart): the backend
//! then opens a new session for the next request. An active watch re-registers itself whenever
//! its connection comes back or its session is replaced, and then asks the layer above for a
//! reload with [`Observed::Resync`], since changes made meanwhile were not reported.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use zookeeper_client as zk;
use zookeeper_client::{
    Acls, AddWatchMode, Client, CreateMode, CreateOptions, EventType, MultiReadResult,
    MultiWriteError, MultiWriteResult, PersistentWatcher, SessionId, SessionState, WatchedEvent,
};

use super::backend::{
    Backend, BackendError, BoxFuture, Echo, Entry, KvOp, Observed, Receipt, Stat,
};

/// Where the store lives in ZooKeeper unless configured otherwise (MidoNet's default).
pub const DEFAULT_ROOT: &str = "/midonet";

/// ZooKeeper rejects requests over `jute.maxbuffer` (1 MiB by default); stay clear of it so a
/// too-large multi fails here with a clear message instead of as a dropped connection.
const MAX_MULTI_BYTES: usize = 900 * 1024;

/// Estimated wire size of one multi op besides its path and data (headers, version, ACL).
const OP_OVERHEAD_BYTES: usize = 64;

/// Entries are plain persistent znodes, open to everyone as in MidoNet.
const PERSISTENT: CreateOptions<'static> = CreateMode::Persistent.with_acls(Acls::anyone_all());

/// Reads per ZooKeeper multi-read: large enough to amortise the round trip and wake-ups, small
/// enough to keep replies of typical objects (a few KiB) to a few MiB.
const READ_BATCH: usize = 500;

/// The marker znode, relative to the root.
const MARKER: &str = "txn";

/// Bounds of the delay between attempts to re-establish a lost watch.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How to reach ZooKeeper and where the store lives in it.
#[derive(Debug, Clone)]
pub struct ZkOptions {
    /// Comma-separated `host:port` list of the ensemble.
    pub connect: String,
    /// Absolute znode path above `zoom/0`; [`DEFAULT_ROOT`] unless set.
    pub root: String,
    /// Session timeout asked of the server (which clamps it to its own bounds).
    pub session_timeout: Duration,
    /// How long a request waits for a dropped connection to come back before it fails with
    /// [`BackendError::Unavailable`]. A request made while disconnected is not sent at all; a
    /// write already sent when the connection dropped may still be applied (as with any
    /// connection loss), so the caller must re-read before retrying.
    pub reconnect_wait: Duration,
}

impl ZkOptions {
    pub fn new(connect: impl Into<String>) -> Self {
        ZkOptions {
            connect: connect.into(),
            root: DEFAULT_ROOT.to_string(),
            session_timeout: Duration::from_secs(10),
            reconnect_wait: Duration::from_secs(2),
        }
    }

    pub fn with_root(mut self, root: impl Into<String>) -> Self {
        self.root = root.into();
        self
    }

    pub fn with_session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    pub fn with_reconnect_wait(mut self, wait: Duration) -> Self {
        self.reconnect_wait = wait;
        self
    }
}

/// The store kept in ZooKeeper. Dropping it stops its watches and closes its session.
pub struct ZookeeperBackend {
    inner: Arc<Inner>,
    /// Never sent on: watch tasks stop when it is dropped with the backend.
    shutdown: watch::Sender<()>,
}

impl ZookeeperBackend {
    /// Connects to `connect` and makes sure `<root>/zoom/0/models` and `.../tables` exist.
    pub async fn connect(connect: &str, root: &str) -> Result<Self, BackendError> {
        Self::with_options(ZkOptions::new(connect).with_root(root)).await
    }

    pub async fn with_options(options: ZkOptions) -> Result<Self, BackendError> {
        let paths = Paths::new(&options.root)?;
        let client = establish(&options, &paths).await?;
        let inner = Inner {
            dirs: Mutex::new(paths.layout_dirs()),
            paths,
            options,
            client: RwLock::new(client),
            reconnecting: tokio::sync::Mutex::new(()),
            last_failure: Mutex::new(None),
            highest_rev: AtomicI64::new(0),
        };
        Ok(ZookeeperBackend {
            inner: Arc::new(inner),
            shutdown: watch::channel(()).0,
        })
    }

    /// The id of the ZooKeeper session in use (it changes when a lost session is replaced).
    pub fn session_id(&self) -> i64 {
        self.inner.current().session_id().0
    }
}

impl Backend for ZookeeperBackend {
    fn multi(&self, ops: Vec<KvOp>) -> BoxFuture<'_, Result<Receipt, BackendError>> {
        Box::pin(self.inner.multi(ops))
    }

    fn load(&self) -> BoxFuture<'_, Result<Vec<Entry>, BackendError>> {
        Box::pin(self.inner.load())
    }

    fn read(&self, paths: Vec<String>) -> BoxFuture<'_, Result<Vec<Observed>, BackendError>> {
        Box::pin(async move {
            for path in &paths {
                validate(path)?;
            }
            let client = self.inner.ready_client().await?;
            self.inner
                .bounded(&client, self.inner.observe(&client, &paths))
                .await
        })
    }

    fn watch(
        &self,
        sink: mpsc::UnboundedSender<Observed>,
        echo: Echo,
    ) -> BoxFuture<'_, Result<bool, BackendError>> {
        Box::pin(async move {
            let client = self.inner.ready_client().await?;
            let events = self
                .inner
                .bounded(&client, self.inner.watch_with(&client, &echo))
                .await?;
            let task = WatchTask {
                inner: self.inner.clone(),
                sink,
                echo,
                shutdown: self.shutdown.subscribe(),
                disconnected: false,
            };
            tokio::spawn(task.run(events));
            Ok(true)
        })
    }
}

/// State shared by the backend's requests and its watch tasks.
struct Inner {
    options: ZkOptions,
    paths: Paths,
    /// The current session; replaced (under `reconnecting`) once it has expired.
    client: RwLock<Client>,
    reconnecting: tokio::sync::Mutex<()>,
    /// When and why the last attempt to open a session failed, so that requests queued behind
    /// it fail with it instead of each waiting for its own attempt.
    last_failure: Mutex<Option<(Instant, String)>>,
    /// Absolute paths of directories known to exist, so creates skip the `mkdir` round trip.
    dirs: Mutex<HashSet<String>>,
    /// The highest zxid seen, for absent reads whose parent directory is gone too.
    highest_rev: AtomicI64,
}

impl Inner {
    fn current(&self) -> Client {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A client whose session has not ended (it may be disconnected for now).
    async fn live_client(&self) -> Result<Client, BackendError> {
        let client = self.current();
        if client.state().is_terminated() {
            self.reconnect(client.session_id()).await
        } else {
            Ok(client)
        }
    }

    /// A connected client. A request is never queued on a disconnected session for longer than
    /// `reconnect_wait`: if it fails it must not be applied later behind the caller's back.
    async fn ready_client(&self) -> Result<Client, BackendError> {
        let client = self.live_client().await?;
        let mut states = client.state_watcher();
        let deadline = tokio::time::Instant::now() + self.options.reconnect_wait;
        loop {
            match states.peek_state() {
                SessionState::SyncConnected | SessionState::ConnectedReadOnly => return Ok(client),
                SessionState::Disconnected => {}
                SessionState::Expired | SessionState::Closed | SessionState::AuthFailed => {
                    return self.reconnect(client.session_id()).await;
                }
            }
            if tokio::time::timeout_at(deadline, states.changed())
                .await
                .is_err()
            {
                return Err(BackendError::Unavailable(format!(
                    "disconnected from ZooKeeper at {}",
                    self.options.connect
                )));
            }
        }
    }

    /// Replaces the ended session `stale` with a new one, unless another caller already did.
    async fn reconnect(&self, stale: SessionId) -> Result<Client, BackendError> {
        let asked = Instant::now();
        let _guard = self.reconnecting.lock().await;
        let current = self.current();
        if current.session_id() != stale && !current.state().is_terminated() {
            return Ok(current);
        }
        let failure = self
            .last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some((at, reason)) = failure {
            if at >= asked {
                return Err(BackendError::Unavailable(reason));
            }
        }
        match establish(&self.options, &self.paths).await {
            Ok(client) => {
                tracing::info!(session = %client.session_id(), "new ZooKeeper session");
                *self.client.write().unwrap_or_else(PoisonError::into_inner) = client.clone();
                *self
                    .last_failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
                // A new session may be on a new (or wiped) ensemble: trust no cached directory.
                *self.dirs.lock().unwrap_or_else(PoisonError::into_inner) =
                    self.paths.layout_dirs();
                Ok(client)
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot open a ZooKeeper session");
                *self
                    .last_failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) =
                    Some((Instant::now(), err.to_string()));
                Err(err)
            }
        }
    }

    fn note_rev(&self, rev: i64) {
        self.highest_rev.fetch_max(rev, Ordering::Relaxed);
    }

    async fn multi(&self, ops: Vec<KvOp>) -> Result<Receipt, BackendError> {
        let mut size = OP_OVERHEAD_BYTES + self.paths.marker.len();
        for op in &ops {
            validate(op.path())?;
            size += OP_OVERHEAD_BYTES + self.paths.root.len() + op.path().len();
            if let KvOp::Create { data, .. } | KvOp::Set { data, .. } = op {
                size += data.len();
            }
        }
        if size > MAX_MULTI_BYTES {
            return Err(BackendError::Failed(format!(
                "multi of {} ops is about {size} bytes, over ZooKeeper's limit of {MAX_MULTI_BYTES}",
                ops.len()
            )));
        }
        let client = self.ready_client().await?;
        // Whether a multi went out: a connection lost after that leaves its outcome unknown.
        let sent = std::sync::atomic::AtomicBool::new(false);
        let attempts = async {
            let mut retried = false;
            loop {
                self.ensure_parents(&client, &ops).await?;
                // Nothing was written by a failed multi, so one retry after repairing the tree
                // is safe; a second failure is reported.
                sent.store(true, Ordering::Relaxed);
                match self.commit(&client, &ops).await {
                    Ok(receipt) => return Ok(receipt),
                    Err(Failure::MarkerMissing) if !retried => {
                        // Someone removed `<root>/txn`: put it back.
                        ensure_layout(&client, &self.paths).await?;
                    }
                    // Someone removed a cached directory; `op_failed` forgot it, so
                    // `ensure_parents` recreates it.
                    Err(Failure::ParentMissing { .. }) if !retried => {}
                    Err(failure) => return Err(failure.into_error()),
                }
                retried = true;
            }
        };
        match self.bounded(&client, attempts).await {
            Err(BackendError::Unavailable(reason)) if sent.load(Ordering::Relaxed) => {
                Err(BackendError::Indeterminate(reason))
            }
            result => result,
        }
    }

    /// Runs `request` on `client` unless the connection stays down for `reconnect_wait` first:
    /// the client would otherwise hold a request made just as the connection dropped until it
    /// reconnects or the session expires.
    async fn bounded<T>(
        &self,
        client: &Client,
        request: impl Future<Output = Result<T, BackendError>>,
    ) -> Result<T, BackendError> {
        tokio::select! {
            biased;
            result = request => result,
            () = outage(client, self.options.reconnect_wait) => Err(BackendError::Unavailable(format!(
                "lost the connection to ZooKeeper at {} for {:?}",
                self.options.connect, self.options.reconnect_wait
            ))),
        }
    }

    /// Creates the missing directories above every created key, outside the multi: ZooKeeper
    /// cannot create a node whose parent is missing, and `mkdir` is idempotent.
    async fn ensure_parents(&self, client: &Client, ops: &[KvOp]) -> Result<(), BackendError> {
        let created: HashSet<&str> = ops
            .iter()
            .filter_map(|op| match op {
                KvOp::Create { path, .. } => Some(path.as_str()),
                _ => None,
            })
            .collect();
        let mut wanted = HashSet::new();
        {
            let known = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
            for path in &created {
                // A parent created earlier in the same multi must not be made a directory now.
                let mut parent = parent_of(path);
                while let Some(dir) = parent.filter(|dir| created.contains(dir)) {
                    parent = parent_of(dir);
                }
                if let Some(dir) = parent {
                    let dir = self.paths.abs(dir);
                    if !known.contains(&dir) {
                        wanted.insert(dir);
                    }
                }
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let mut mkdirs = JoinSet::new();
        for dir in wanted {
            let client = client.clone();
            mkdirs.spawn(async move {
                let result = client.mkdir(&dir, &PERSISTENT).await;
                (dir, result)
            });
        }
        while let Some(joined) = mkdirs.join_next().await {
            let (dir, result) =
                joined.map_err(|err| BackendError::Failed(format!("mkdir task: {err}")))?;
            result.map_err(|err| classify(&format!("mkdir {dir}"), err))?;
            let mut known = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
            let mut dir = Some(dir.as_str());
            while let Some(path) = dir.filter(|path| path.len() > self.paths.root.len()) {
                known.insert(path.to_string());
                dir = parent_of(path);
            }
        }
        Ok(())
    }

    /// Runs `ops` plus the marker update as one ZooKeeper multi.
    async fn commit(&self, client: &Client, ops: &[KvOp]) -> Result<Receipt, Failure> {
        let mut writer = client.new_multi_writer();
        for op in ops {
            let path = self.paths.abs(op.path());
            let added = match op {
                KvOp::Create { data, .. } => writer.add_create(&path, data, &PERSISTENT),
                KvOp::Set { data, version, .. } => writer.add_set_data(&path, data, Some(*version)),
                KvOp::Delete { version, .. } => writer.add_delete(&path, Some(*version)),
                KvOp::Check { version, .. } => writer.add_check_version(&path, *version),
            };
            added.map_err(|err| {
                Failure::Error(classify(&format!("multi op on {}", op.path()), err))
            })?;
        }
        writer
            .add_set_data(&self.paths.marker, &[], None)
            .map_err(|err| Failure::Error(classify("multi marker", err)))?;
        let results = match writer.commit().await {
            Ok(results) => results,
            Err(MultiWriteError::OperationFailed { index, source }) => {
                return Err(self.op_failed(ops, index, source));
            }
            Err(MultiWriteError::RequestFailed { source }) => {
                return Err(Failure::Error(classify("multi", source)));
            }
        };
        let receipt = receipt(ops, results)?;
        self.note_rev(receipt.rev);
        let deleted: Vec<String> = ops
            .iter()
            .filter_map(|op| match op {
                KvOp::Delete { path, .. } => Some(self.paths.abs(path)),
                _ => None,
            })
            .collect();
        if !deleted.is_empty() {
            // Deleting entries, the usual case, leaves the directory cache alone; only a
            // deleted directory (and so everything below it) must be forgotten.
            let mut known = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
            let dirs: Vec<String> = deleted
                .into_iter()
                .filter(|gone| known.remove(gone))
                .collect();
            if !dirs.is_empty() {
                known.retain(|dir| !dirs.iter().any(|gone| is_same_or_below(dir, gone)));
            }
        }
        Ok(receipt)
    }

    /// Maps the failure of the multi's op at `index` (ZooKeeper reports the first op that
    /// failed; `ops.len()` is the marker).
    fn op_failed(&self, ops: &[KvOp], index: usize, source: zk::Error) -> Failure {
        let Some(op) = ops.get(index) else {
            return match source {
                zk::Error::NoNode => Failure::MarkerMissing,
                other => Failure::Error(classify("multi marker", other)),
            };
        };
        match source {
            zk::Error::NoNode if matches!(op, KvOp::Create { .. }) => {
                // A directory we believed in is gone: forget it and its ancestors.
                let mut known = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
                let mut dir = parent_of(op.path());
                while let Some(parent) = dir {
                    known.remove(&self.paths.abs(parent));
                    dir = parent_of(parent);
                }
                Failure::ParentMissing {
                    path: op.path().to_string(),
                }
            }
            zk::Error::NoNode | zk::Error::NodeExists | zk::Error::BadVersion => {
                Failure::Error(BackendError::Conflict {
                    path: op.path().to_string(),
                })
            }
            other => Failure::Error(classify(&format!("multi op on {}", op.path()), other)),
        }
    }

    /// Reads every object and table entry, level by level. Reads go in batches of
    /// `READ_BATCH` per ZooKeeper multi-read, all batches of a level in flight at once: a level
    /// costs about one round trip whatever its width, and data reads overlap the listing of
    /// deeper levels. (One request per node is an order of magnitude slower: each response is a
    /// separate wake-up on both sides.)
    async fn load(&self) -> Result<Vec<Entry>, BackendError> {
        let client = self.ready_client().await?;
        self.bounded(&client, self.load_with(&client)).await
    }

    async fn load_with(&self, client: &Client) -> Result<Vec<Entry>, BackendError> {
        let fail = |err: zk::Error| classify("load", err);
        let mut frontier = vec!["zoom/0/models".to_string(), "zoom/0/tables".to_string()];
        let mut reads = Vec::new();
        while !frontier.is_empty() {
            let mut listings = Vec::new();
            for dirs in frontier.chunks(READ_BATCH) {
                listings.push((dirs, self.multi_read(client, dirs, ReadOp::Children)?));
            }
            let mut next = Vec::new();
            let mut leaves = Vec::new();
            for (dirs, listing) in listings {
                let results = listing.await.map_err(fail)?;
                if results.len() != dirs.len() {
                    return Err(unexpected_reply());
                }
                for (dir, result) in dirs.iter().zip(results) {
                    let children = match result {
                        MultiReadResult::Children { children } => children,
                        // Deleted while loading: the watch reports it.
                        MultiReadResult::Error {
                            err: zk::Error::NoNode,
                        } => continue,
                        MultiReadResult::Error { err } => return Err(fail(err)),
                        _ => return Err(unexpected_reply()),
                    };
                    for child in children {
                        let path = format!("{dir}/{child}");
                        match kind_of(&path) {
                            Kind::Entry => leaves.push(path),
                            Kind::Dir => next.push(path),
                            Kind::Other => {}
                        }
                    }
                }
            }
            for batch in leaves.chunks(READ_BATCH) {
                reads.push((
                    batch.to_vec(),
                    self.multi_read(client, batch, ReadOp::Data)?,
                ));
            }
            frontier = next;
        }
        let mut entries = Vec::new();
        let mut highest = 0;
        for (paths, read) in reads {
            let results = read.await.map_err(fail)?;
            if results.len() != paths.len() {
                return Err(unexpected_reply());
            }
            for (path, result) in paths.into_iter().zip(results) {
                match result {
                    MultiReadResult::Data { data, stat } => {
                        highest = highest.max(stat.mzxid);
                        entries.push(Entry {
                            path,
                            data,
                            stat: to_stat(&stat),
                        });
                    }
                    MultiReadResult::Error {
                        err: zk::Error::NoNode,
                    } => {}
                    MultiReadResult::Error { err } => return Err(fail(err)),
                    _ => return Err(unexpected_reply()),
                }
            }
        }
        self.note_rev(highest);
        Ok(entries)
    }

    /// Sends one multi-read of `op` on each of `paths` (relative); the request leaves at once.
    fn multi_read<'c>(
        &self,
        client: &'c Client,
        paths: &[String],
        op: ReadOp,
    ) -> Result<
        impl Future<Output = Result<Vec<MultiReadResult>, zk::Error>> + Send + 'c,
        BackendError,
    > {
        let mut reader = client.new_multi_reader();
        for path in paths {
            let path = self.paths.abs(path);
            match op {
                ReadOp::Data => reader.add_get_data(&path),
                ReadOp::Children => reader.add_get_children(&path),
            }
            .map_err(|err| classify(&format!("read {path}"), err))?;
        }
        Ok(reader.commit())
    }

    /// Reads the current state of `paths`. Each key is read together with its parent in one
    /// atomic multi-read: for an absent key, the parent's pzxid is then a revision at or after
    /// the key's deletion. The marker rides along for keys whose parent is gone too.
    async fn observe(
        &self,
        client: &Client,
        paths: &[String],
    ) -> Result<Vec<Observed>, BackendError> {
        let fail = |err: zk::Error| classify("read", err);
        let mut batches = Vec::new();
        for batch in paths.chunks(READ_BATCH / 2) {
            let mut reads = Vec::with_capacity(batch.len() * 2 + 1);
            for path in batch {
                reads.push(path.clone());
                // The root itself for a top-level key.
                reads.push(parent_of(path).unwrap_or_default().to_string());
            }
            reads.push(MARKER.to_string());
            batches.push((batch, self.multi_read(client, &reads, ReadOp::Data)?));
        }
        let mut observed = Vec::with_capacity(paths.len());
        for (batch, read) in batches {
            let mut results = read.await.map_err(fail)?;
            if results.len() != batch.len() * 2 + 1 {
                return Err(unexpected_reply());
            }
            // Every multi sets the marker, so its mzxid is at or after any deletion made
            // through a backend.
            let fallback = match results.pop() {
                Some(MultiReadResult::Data { stat, .. }) => stat.mzxid,
                _ => 0,
            }
            .max(self.highest_rev.load(Ordering::Relaxed));
            let mut results = results.into_iter();
            for path in batch {
                let (Some(own), Some(parent)) = (results.next(), results.next()) else {
                    return Err(unexpected_reply());
                };
                observed.push(match own {
                    MultiReadResult::Data { data, stat } => {
                        self.note_rev(stat.mzxid);
                        Observed::Present(Entry {
                            path: path.clone(),
                            data,
                            stat: to_stat(&stat),
                        })
                    }
                    MultiReadResult::Error {
                        err: zk::Error::NoNode,
                    } => {
                        let rev = match parent {
                            MultiReadResult::Data { stat, .. } => stat.pzxid,
                            MultiReadResult::Error {
                                err: zk::Error::NoNode,
                            } => fallback,
                            MultiReadResult::Error { err } => return Err(fail(err)),
                            _ => return Err(unexpected_reply()),
                        };
                        self.note_rev(rev);
                        Observed::Absent {
                            path: path.clone(),
                            rev,
                        }
                    }
                    MultiReadResult::Error { err } => return Err(fail(err)),
                    _ => return Err(unexpected_reply()),
                });
            }
        }
        Ok(observed)
    }

    /// Starts a persistent recursive watch on `<root>/zoom/0` with `client`. Changes `echo`
    /// claims as this process's own are dropped as they arrive: they need no read-back.
    async fn watch_with(&self, client: &Client, echo: &Echo) -> Result<EventStream, BackendError> {
        let watcher = client
            .watch(&self.paths.zoom, AddWatchMode::PersistentRecursive)
            .await
            .map_err(|err| classify("watch", err))?;
        let (paths, echo) = (self.paths.clone(), echo.clone());
        let own = move |event: &WatchedEvent| {
            matches!(
                event.event_type,
                EventType::NodeCreated | EventType::NodeDataChanged | EventType::NodeDeleted
            ) && paths
                .rel(&event.path)
                .is_some_and(|path| kind_of(path) == Kind::Entry && echo(path))
        };
        Ok(EventStream::forward(watcher, own))
    }
}

/// Completes once `client` has been without a connection for `wait` in one stretch.
async fn outage(client: &Client, wait: Duration) {
    let mut states = client.state_watcher();
    loop {
        while matches!(
            states.peek_state(),
            SessionState::SyncConnected | SessionState::ConnectedReadOnly
        ) {
            states.changed().await;
        }
        if tokio::time::timeout(wait, states.changed()).await.is_err() {
            return;
        }
    }
}

#[derive(Clone, Copy)]
enum ReadOp {
    Data,
    Children,
}

fn unexpected_reply() -> BackendError {
    BackendError::Failed("unexpected reply from ZooKeeper".into())
}

/// How a multi failed.
enum Failure {
    Error(BackendError),
    /// The marker znode does not exist: recreate it and retry.
    MarkerMissing,
    /// The parent of this created key does not exist: recreate it and retry.
    ParentMissing {
        path: String,
    },
}

impl Failure {
    fn into_error(self) -> BackendError {
        match self {
            Failure::Error(err) => err,
            Failure::MarkerMissing => {
                BackendError::Failed("the txn marker znode keeps disappearing".into())
            }
            // Its directory was deleted again, concurrently: re-read and retry.
            Failure::ParentMissing { path } => BackendError::Conflict { path },
        }
    }
}

/// Turns the results of a committed multi (`ops` then the marker) into a receipt.
fn receipt(ops: &[KvOp], results: Vec<MultiWriteResult>) -> Result<Receipt, Failure> {
    let unexpected = || Failure::Error(unexpected_reply());
    if results.len() != ops.len() + 1 {
        return Err(unexpected());
    }
    let rev = match results.last() {
        Some(MultiWriteResult::SetData { stat }) => stat.mzxid,
        _ => return Err(unexpected()),
    };
    let mut stats = Vec::with_capacity(ops.len());
    for (op, result) in ops.iter().zip(results) {
        let stat = match (op, result) {
            // Some servers return no stat for a create in a multi (ZOOKEEPER-4026); a new node
            // always has version 0 and the multi's zxid.
            (KvOp::Create { .. }, MultiWriteResult::Create { stat, .. }) if stat.is_invalid() => {
                Some(Stat { version: 0, rev })
            }
            (KvOp::Create { .. }, MultiWriteResult::Create { stat, .. }) => Some(to_stat(&stat)),
            (KvOp::Set { .. }, MultiWriteResult::SetData { stat }) => Some(to_stat(&stat)),
            (KvOp::Delete { .. }, MultiWriteResult::Delete)
            | (KvOp::Check { .. }, MultiWriteResult::Check) => None,
            _ => return Err(unexpected()),
        };
        stats.push(stat);
    }
    Ok(Receipt { rev, stats })
}

fn to_stat(stat: &zk::Stat) -> Stat {
    Stat {
        version: stat.version,
        rev: stat.mzxid,
    }
}

/// Maps a ZooKeeper error outside of version/existence checks.
fn classify(context: &str, err: zk::Error) -> BackendError {
    use zk::Error::*;
    match err {
        ConnectionLoss | SessionExpired | SessionMoved | Timeout | NoHosts | ClientClosed
        | Throttled | NotReadOnly => BackendError::Unavailable(format!("{context}: {err}")),
        _ => BackendError::Failed(format!("{context}: {err}")),
    }
}

/// Opens a session and makes sure the layout exists.
async fn establish(options: &ZkOptions, paths: &Paths) -> Result<Client, BackendError> {
    // Fail fast when no server answers: callers retry (the watch with backoff), and a request
    // must not hang for a whole session timeout.
    let client = Client::connector()
        .with_session_timeout(options.session_timeout)
        .with_fail_eagerly()
        .connect(&options.connect)
        .await
        .map_err(|err| classify(&format!("connect to ZooKeeper at {}", options.connect), err))?;
    ensure_layout(&client, paths).await?;
    Ok(client)
}

async fn ensure_layout(client: &Client, paths: &Paths) -> Result<(), BackendError> {
    for dir in [&paths.models, &paths.tables] {
        client
            .mkdir(dir, &PERSISTENT)
            .await
            .map_err(|err| classify(&format!("mkdir {dir}"), err))?;
    }
    match client.create(&paths.marker, &[], &PERSISTENT).await {
        Ok(_) | Err(zk::Error::NodeExists) => Ok(()),
        Err(err) => Err(classify(&format!("create {}", paths.marker), err)),
    }
}

/// Absolute znode paths of the layout.
#[derive(Clone)]
struct Paths {
    /// The root without trailing slash: empty for `/`.
    root: String,
    zoom: String,
    models: String,
    tables: String,
    marker: String,
}

/// Checks that `root` can hold the store: an absolute znode path without empty segments (a
/// trailing `/` is allowed). Shared with the configuration file's check.
pub fn check_root(root: &str) -> Result<(), String> {
    let trimmed = root.trim_end_matches('/');
    let valid = root.starts_with('/')
        && (trimmed.is_empty() || trimmed[1..].split('/').all(|s| !s.is_empty()));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid ZooKeeper root {root:?}: must be an absolute path"
        ))
    }
}

impl Paths {
    fn new(root: &str) -> Result<Self, BackendError> {
        check_root(root).map_err(BackendError::Failed)?;
        let trimmed = root.trim_end_matches('/');
        Ok(Paths {
            root: trimmed.to_string(),
            zoom: format!("{trimmed}/zoom/0"),
            models: format!("{trimmed}/zoom/0/models"),
            tables: format!("{trimmed}/zoom/0/tables"),
            marker: format!("{trimmed}/{MARKER}"),
        })
    }

    /// The znode of a relative key; the empty key is the root itself.
    fn abs(&self, path: &str) -> String {
        if path.is_empty() {
            self.root_node()
        } else {
            format!("{}/{path}", self.root)
        }
    }

    fn rel<'a>(&self, abs: &'a str) -> Option<&'a str> {
        abs.strip_prefix(&self.root)?.strip_prefix('/')
    }

    fn root_node(&self) -> String {
        if self.root.is_empty() {
            "/".to_string()
        } else {
            self.root.clone()
        }
    }

    /// Directories `ensure_layout` creates, with their ancestors below the root.
    fn layout_dirs(&self) -> HashSet<String> {
        [
            &self.models,
            &self.tables,
            &self.zoom,
            &format!("{}/zoom", self.root),
        ]
        .into_iter()
        .cloned()
        .collect()
    }
}

/// Rejects keys that cannot be a relative znode path.
fn validate(path: &str) -> Result<(), BackendError> {
    if path.is_empty() || path.split('/').any(str::is_empty) {
        return Err(BackendError::Failed(format!("invalid store key {path:?}")));
    }
    Ok(())
}

fn parent_of(path: &str) -> Option<&str> {
    path.rfind('/')
        .map(|i| &path[..i])
        .filter(|parent| !parent.is_empty())
}

fn is_same_or_below(path: &str, ancestor: &str) -> bool {
    path.strip_prefix(ancestor)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// An object or a table entry: reported by load, read and watch.
    Entry,
    /// A directory of the layout: listed by load, never reported.
    Dir,
    /// Anything else under `zoom/0` (e.g. children of an object): ignored.
    Other,
}

/// Classifies a key by the layout alone, since a fresh directory and an entry both have no
/// children. Objects sit at a fixed depth; a table entry is named `key,value,version` below
/// `tables/<Class>/<id>/<table>`, whose optional argument level has no comma.
fn kind_of(path: &str) -> Kind {
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        ["zoom", "0", "models"] | ["zoom", "0", "models", _] => Kind::Dir,
        ["zoom", "0", "models", _, _] => Kind::Entry,
        ["zoom", "0", "tables", rest @ ..] => match rest {
            [_, _, _, _, ..] if rest.last().is_some_and(|name| name.contains(',')) => Kind::Entry,
            _ => Kind::Dir,
        },
        _ => Kind::Other,
    }
}

/// A persistent watcher's events moved onto a tokio channel, so that the watch task can drain
/// whatever is queued without waiting; it ends after the session's terminal event.
struct EventStream {
    events: mpsc::UnboundedReceiver<WatchedEvent>,
    forwarder: JoinHandle<()>,
}

impl EventStream {
    /// Forwards every event but those `own` claims (this process's own writes, dropped here
    /// so that the watch task is not woken for them).
    fn forward(
        mut watcher: PersistentWatcher,
        own: impl Fn(&WatchedEvent) -> bool + Send + 'static,
    ) -> Self {
        let (sender, events) = mpsc::unbounded_channel();
        let forwarder = tokio::spawn(async move {
            loop {
                // `changed` must not be called again after a terminal event.
                let event = watcher.changed().await;
                let terminal =
                    event.event_type == EventType::Session && event.session_state.is_terminated();
                if own(&event) {
                    continue;
                }
                if sender.send(event).is_err() || terminal {
                    break;
                }
            }
        });
        EventStream { events, forwarder }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        // Dropping the watcher inside the forwarder removes the watch from the server.
        self.forwarder.abort();
    }
}

/// The background task behind [`Backend::watch`].
struct WatchTask {
    inner: Arc<Inner>,
    sink: mpsc::UnboundedSender<Observed>,
    /// Claims this process's own writes, which need no read-back; kept for re-watching.
    echo: Echo,
    shutdown: watch::Receiver<()>,
    /// The connection dropped since the watch was last (re-)registered.
    disconnected: bool,
}

/// What one drained batch of watch events calls for.
#[derive(Default)]
struct Batch {
    /// Entries that changed, deduplicated, in the order first seen.
    paths: Vec<String>,
    seen: HashSet<String>,
    /// The watch must be registered again, then the layer above must reload: the session
    /// ended, the watcher died, or the connection came back. After a reconnection the session
    /// and its watches would normally survive, but zookeeper-client 0.11.2 never re-sends
    /// persistent watches (its `resend_watches` always picks the legacy `SetWatches`), and
    /// ZooKeeper drops events that happen while disconnected (ZOOKEEPER-4698).
    rewatch: bool,
}

impl WatchTask {
    async fn run(mut self, mut events: EventStream) {
        loop {
            let first = tokio::select! {
                _ = self.shutdown.changed() => return,
                _ = self.sink.closed() => return,
                event = events.events.recv() => event,
            };
            let mut batch = Batch::default();
            match first {
                Some(event) => self.add(&mut batch, event),
                None => batch.rewatch = true,
            }
            while !batch.rewatch {
                match events.events.try_recv() {
                    Ok(event) => self.add(&mut batch, event),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => batch.rewatch = true,
                }
            }
            let delivered = if batch.rewatch {
                // Dropping the old watcher cannot unregister the new one: the client only tells
                // the server to remove a path's watch when no watcher of that mode is left.
                drop(events);
                events = match self.rewatch().await {
                    Some(events) => events,
                    None => return,
                };
                self.disconnected = false;
                // The reload covers whatever else the batch held.
                self.sink.send(Observed::Resync).is_ok()
            } else {
                self.deliver(batch.paths).await
            };
            if !delivered {
                return;
            }
        }
    }

    fn add(&mut self, batch: &mut Batch, event: WatchedEvent) {
        match event.event_type {
            EventType::Session => match event.session_state {
                SessionState::Disconnected => self.disconnected = true,
                SessionState::SyncConnected | SessionState::ConnectedReadOnly => {
                    if self.disconnected {
                        batch.rewatch = true;
                    }
                }
                SessionState::Expired | SessionState::Closed | SessionState::AuthFailed => {
                    batch.rewatch = true
                }
            },
            EventType::NodeCreated | EventType::NodeDataChanged | EventType::NodeDeleted => {
                let Some(path) = self.inner.paths.rel(&event.path) else {
                    return;
                };
                if kind_of(path) == Kind::Entry && batch.seen.insert(path.to_string()) {
                    batch.paths.push(path.to_string());
                }
            }
            // Not sent for recursive watches; directories are not entries anyway.
            EventType::NodeChildrenChanged => {}
        }
    }

    /// Reads the changed entries and sends them; false once nobody listens.
    async fn deliver(&mut self, paths: Vec<String>) -> bool {
        if paths.is_empty() {
            return true;
        }
        let observed = match self.inner.ready_client().await {
            Ok(client) => {
                self.inner
                    .bounded(&client, self.inner.observe(&client, &paths))
                    .await
            }
            Err(err) => Err(err),
        };
        match observed {
            Ok(observed) => observed
                .into_iter()
                .all(|observed| self.sink.send(observed).is_ok()),
            Err(err) => {
                tracing::warn!(error = %err, "cannot read changed ZooKeeper entries");
                // These changes are lost: have the layer above reload, now if the failure is not
                // about the connection, otherwise once it is back.
                self.disconnected = true;
                match err {
                    BackendError::Unavailable(_) => true,
                    _ => self.sink.send(Observed::Resync).is_ok(),
                }
            }
        }
    }

    /// Re-establishes the watch on a live session, retrying with backoff; `None` on shutdown.
    async fn rewatch(&mut self) -> Option<EventStream> {
        let mut delay = MIN_BACKOFF;
        loop {
            let attempt = async {
                let client = self.inner.live_client().await?;
                self.inner.watch_with(&client, &self.echo).await
            };
            let result = tokio::select! {
                _ = self.shutdown.changed() => return None,
                _ = self.sink.closed() => return None,
                result = attempt => result,
            };
            match result {
                Ok(events) => return Some(events),
                Err(err) => tracing::warn!(error = %err, "cannot re-establish the ZooKeeper watch"),
            }
            tokio::select! {
                _ = self.shutdown.changed() => return None,
                _ = self.sink.closed() => return None,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(MAX_BACKOFF);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_layout() {
        assert_eq!(kind_of("zoom/0/models"), Kind::Dir);
        assert_eq!(kind_of("zoom/0/models/Router"), Kind::Dir);
        assert_eq!(kind_of("zoom/0/models/Router/0b3c"), Kind::Entry);
        assert_eq!(kind_of("zoom/0/models/Router/0b3c/x"), Kind::Other);
        assert_eq!(kind_of("zoom/0/tables/Network/u/mac_table"), Kind::Dir);
        assert_eq!(kind_of("zoom/0/tables/Network/u/mac_table/0"), Kind::Dir);
        assert_eq!(
            kind_of("zoom/0/tables/Network/u/mac_table/0/aa:bb,p,1"),
            Kind::Entry
        );
        assert_eq!(
            kind_of("zoom/0/tables/Network/u/arp_table/10.0.0.1,aa:bb,1"),
            Kind::Entry
        );
        assert_eq!(kind_of("zoom/0/tables/Network/u,v"), Kind::Dir);
        assert_eq!(kind_of("zoom/1/models/Router/0b3c"), Kind::Other);
    }

    #[test]
    fn maps_paths_under_the_root() {
        let paths = Paths::new("/midonet/").expect("valid root");
        assert_eq!(
            paths.abs("zoom/0/models/Router/x"),
            "/midonet/zoom/0/models/Router/x"
        );
        assert_eq!(paths.rel("/midonet/zoom/0/models"), Some("zoom/0/models"));
        assert_eq!(paths.rel("/midonetx/zoom"), None);
        assert_eq!(paths.marker, "/midonet/txn");
        let top = Paths::new("/").expect("valid root");
        assert_eq!(top.abs("zoom/0"), "/zoom/0");
        assert_eq!(top.abs(""), "/");
        assert_eq!(paths.abs(""), "/midonet");
        assert!(Paths::new("midonet").is_err());
        assert!(Paths::new("/a//b").is_err());
    }

    #[test]
    fn validates_keys() {
        assert!(validate("zoom/0/models/Router/x").is_ok());
        assert!(validate("").is_err());
        assert!(validate("/zoom").is_err());
        assert!(validate("zoom//0").is_err());
        assert!(validate("zoom/").is_err());
    }

    #[test]
    fn parents_and_ancestry() {
        assert_eq!(parent_of("a/b/c"), Some("a/b"));
        assert_eq!(parent_of("/a"), None);
        assert_eq!(parent_of("a"), None);
        assert!(is_same_or_below("/m/a/b", "/m/a"));
        assert!(is_same_or_below("/m/a", "/m/a"));
        assert!(!is_same_or_below("/m/ab", "/m/a"));
    }
}
