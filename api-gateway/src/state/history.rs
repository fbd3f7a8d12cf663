//! Writes history off the request path: a committed transaction hands its changes to
//! [`HistoryWriter::offer`], which never waits; a background task stores them in the state
//! store in order, retrying a failed write a few times. If the store falls so far behind that
//! the queue is full, the changes are dropped, counted and logged: topology writes never wait
//! on history.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use topology::Class;
use uuid::Uuid;

use super::{now_ms, ApiChange, Operation, StateStore};

/// How many committed transactions may wait for the state store before new ones are dropped.
pub const DEFAULT_QUEUE: usize = 65_536;
/// Transactions stored by one call of the background task, at most.
const BATCH: usize = 1024;
/// How long the task gathers transactions after the first before storing them: each store
/// call has a fixed cost (a durable commit, round trips), so fewer, larger calls leave more
/// of the machine to the API.
const GATHER: Duration = Duration::from_millis(20);
/// Attempts at storing one batch before it is counted failed.
const ATTEMPTS: u32 = 3;

/// One object a committed transaction created, updated or deleted, as the store knew it
/// before and after. Values are shared with the store's mirror, so handing them over costs
/// no copy on the request path.
#[derive(Debug, Clone)]
pub struct Committed {
    pub class: Class,
    pub id: Uuid,
    pub before: Option<Arc<Value>>,
    pub after: Option<Arc<Value>>,
}

enum Message {
    Commit {
        revision: i64,
        at_ms: i64,
        objects: Vec<Committed>,
    },
    /// Answered once everything offered before it is stored (or given up on).
    Flush(oneshot::Sender<()>),
}

/// Counts of what the writer did, for `GET /history` and logs.
#[derive(Debug, Default)]
pub struct HistoryStats {
    /// Changes stored.
    pub recorded: AtomicU64,
    /// Changes dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Changes the state store refused or could not be reached for, after retries.
    pub failed: AtomicU64,
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct HistoryWriter {
    queue: mpsc::Sender<Message>,
    stats: Arc<HistoryStats>,
}

impl HistoryWriter {
    /// Starts the background task storing into `state`, with room for `capacity` waiting
    /// transactions. It runs on a thread of its own at the lowest CPU priority (and so do the
    /// threads it starts for the embedded store's blocking work), so that on a busy machine the
    /// API's requests get the CPU first and history catches up when they leave it idle. The
    /// thread ends when every writer is dropped.
    pub fn start(state: Arc<dyn StateStore>, capacity: usize) -> std::io::Result<HistoryWriter> {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(HistoryStats::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("history-writer-blocking")
            .build()?;
        let task_stats = stats.clone();
        std::thread::Builder::new()
            .name("history-writer".into())
            .spawn(move || {
                lowest_priority();
                runtime.block_on(store_history(state, rx, task_stats));
            })?;
        Ok(HistoryWriter { queue, stats })
    }

    /// Hands over a committed transaction's changes. Never waits: when the queue is full the
    /// changes are dropped and counted.
    pub fn offer(&self, revision: i64, objects: Vec<Committed>) {
        if objects.is_empty() {
            return;
        }
        let n = objects.len() as u64;
        let message = Message::Commit {
            revision,
            at_ms: now_ms(),
            objects,
        };
        if let Err(e) = self.queue.try_send(message) {
            let before = self.stats.dropped.fetch_add(n, Ordering::Relaxed);
            // One line per thousand drops, not one per write, while the store is behind.
            if before / 1000 != (before + n) / 1000 || before == 0 {
                tracing::warn!(revision, dropped = before + n, reason = %e, "history queue full; changes not recorded");
            }
        }
    }

    /// Waits until everything offered so far is stored or given up on.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.queue.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    pub fn stats(&self) -> &HistoryStats {
        &self.stats
    }
}

/// Lowers the calling thread (and the threads it starts later, which inherit it) to nice 19.
fn lowest_priority() {
    // SAFETY: setpriority on this thread's id changes only this thread's scheduling priority.
    let done = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19)
    };
    if done != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "cannot lower the history writer's priority");
    }
}

/// The change record of `c`, committed at `revision`.
fn change_of(revision: i64, seq: usize, at_ms: i64, c: &Committed) -> ApiChange {
    let operation = match (&c.before, &c.after) {
        (None, _) => Operation::Create,
        (Some(_), Some(_)) => Operation::Update,
        (Some(_), None) => Operation::Delete,
    };
    // MidoNet objects that belong to a tenant say so in `tenantId`.
    let tenant = c
        .after
        .iter()
        .chain(c.before.iter())
        .find_map(|v| v.get("tenantId").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    ApiChange {
        revision,
        seq: i32::try_from(seq).unwrap_or(i32::MAX),
        at_ms,
        tenant,
        operation,
        class: c.class.name().to_string(),
        id: c.id,
        before: c.before.clone(),
        after: c.after.clone(),
    }
}

async fn store_history(
    state: Arc<dyn StateStore>,
    mut rx: mpsc::Receiver<Message>,
    stats: Arc<HistoryStats>,
) {
    while let Some(first) = rx.recv().await {
        let mut messages = vec![first];
        let until = tokio::time::Instant::now() + GATHER;
        while messages.len() < BATCH && !matches!(messages.last(), Some(Message::Flush(_))) {
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(m)) => messages.push(m),
                _ => break,
            }
        }
        let mut changes = Vec::new();
        let mut flushes = Vec::new();
        for m in messages {
            match m {
                Message::Commit {
                    revision,
                    at_ms,
                    objects,
                } => changes.extend(
                    objects
                        .iter()
                        .enumerate()
                        .map(|(seq, c)| change_of(revision, seq, at_ms, c)),
                ),
                Message::Flush(done) => flushes.push(done),
            }
        }
        if !changes.is_empty() {
            let n = changes.len() as u64;
            let mut stored = false;
            for attempt in 0..ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                }
                match state.record_changes(changes.clone()).await {
                    Ok(()) => {
                        stored = true;
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(store = %state.describe(), attempt, error = %e, "cannot record history")
                    }
                }
            }
            let counter = if stored {
                &stats.recorded
            } else {
                tracing::error!(store = %state.describe(), changes = n, "history not recorded after {ATTEMPTS} attempts");
                &stats.failed
            };
            counter.fetch_add(n, Ordering::Relaxed);
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// What the gateway keeps of its state store: the store, the history writer when history is
/// on, and the flow state TTL.
pub struct StateService {
    pub state: Arc<dyn StateStore>,
    pub writer: Option<HistoryWriter>,
    pub flow_ttl: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn committed(before: Option<Value>, after: Option<Value>) -> Committed {
        Committed {
            class: Class::Router,
            id: Uuid::nil(),
            before: before.map(Arc::new),
            after: after.map(Arc::new),
        }
    }

    #[test]
    fn the_operation_follows_what_existed_before_and_after() {
        let v = json!({"name": "r"});
        let op =
            |b: Option<Value>, a: Option<Value>| change_of(1, 0, 0, &committed(b, a)).operation;
        assert_eq!(op(None, Some(v.clone())), Operation::Create);
        assert_eq!(op(Some(v.clone()), Some(v.clone())), Operation::Update);
        assert_eq!(op(Some(v), None), Operation::Delete);
    }

    /// A state store whose history writes never finish, as one that hangs would.
    struct Stuck;

    impl StateStore for Stuck {
        fn describe(&self) -> String {
            "a state store that never answers".into()
        }
        fn record_changes(
            &self,
            _: Vec<ApiChange>,
        ) -> super::super::BoxFuture<'_, Result<(), super::super::StateError>> {
            Box::pin(std::future::pending())
        }
        fn object_history(
            &self,
            _: Uuid,
            _: usize,
        ) -> super::super::BoxFuture<'_, Result<Vec<ApiChange>, super::super::StateError>> {
            Box::pin(std::future::pending())
        }
        fn changes_between(
            &self,
            _: i64,
            _: i64,
            _: usize,
        ) -> super::super::BoxFuture<'_, Result<Vec<ApiChange>, super::super::StateError>> {
            Box::pin(std::future::pending())
        }
        fn mark_recording_from(
            &self,
            _: i64,
        ) -> super::super::BoxFuture<'_, Result<(), super::super::StateError>> {
            Box::pin(std::future::pending())
        }
        fn recording_from(
            &self,
        ) -> super::super::BoxFuture<'_, Result<Option<i64>, super::super::StateError>> {
            Box::pin(std::future::pending())
        }
        fn record_gni_apply(
            &self,
            _: super::super::GniApply,
        ) -> super::super::BoxFuture<'_, Result<(), super::super::StateError>> {
            Box::pin(std::future::pending())
        }
        fn gni_applies(
            &self,
            _: Option<String>,
            _: usize,
        ) -> super::super::BoxFuture<
            '_,
            Result<Vec<super::super::GniApply>, super::super::StateError>,
        > {
            Box::pin(std::future::pending())
        }
        fn put_flow_state(
            &self,
            _: Uuid,
            _: Vec<super::super::FlowStateEntry>,
            _: Duration,
        ) -> super::super::BoxFuture<'_, Result<(), super::super::StateError>> {
            Box::pin(std::future::pending())
        }
        fn flow_state(
            &self,
            _: Uuid,
        ) -> super::super::BoxFuture<
            '_,
            Result<Vec<super::super::FlowStateEntry>, super::super::StateError>,
        > {
            Box::pin(std::future::pending())
        }
    }

    #[test]
    fn a_stuck_state_store_never_holds_up_offers_and_what_does_not_fit_is_counted() {
        let writer = HistoryWriter::start(Arc::new(Stuck), 2).expect("a writer");
        let one = || vec![committed(None, Some(json!({"name": "r"})))];
        writer.offer(0, one());
        // Past its gathering pause, the writer is stuck in the store with the first one.
        std::thread::sleep(GATHER * 5);
        let started = std::time::Instant::now();
        for rev in 1..=50 {
            writer.offer(rev, one());
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        // Two fit in the queue; the rest are dropped and counted.
        let dropped = writer.stats().dropped.load(Ordering::Relaxed);
        assert_eq!(dropped, 48);
        assert_eq!(writer.stats().recorded.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_tenant_comes_from_the_object_and_is_empty_without_one() {
        let c = change_of(1, 0, 0, &committed(None, Some(json!({"tenantId": "acme"}))));
        assert_eq!(c.tenant, "acme");
        let deleted = change_of(1, 0, 0, &committed(Some(json!({"tenantId": "acme"})), None));
        assert_eq!(deleted.tenant, "acme");
        let port = change_of(1, 0, 0, &committed(None, Some(json!({"type": "Router"}))));
        assert_eq!(port.tenant, "");
    }
}
