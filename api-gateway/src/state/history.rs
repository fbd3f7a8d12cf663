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
const BATCH: usize = 256;
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
    /// transactions. The task ends when every writer is dropped.
    pub fn start(state: Arc<dyn StateStore>, capacity: usize) -> HistoryWriter {
        let (queue, rx) = mpsc::channel(capacity.max(1));
        let stats = Arc::new(HistoryStats::default());
        tokio::spawn(store_history(state, rx, stats.clone()));
        HistoryWriter { queue, stats }
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
        before: c.before.as_deref().cloned(),
        after: c.after.as_deref().cloned(),
    }
}

async fn store_history(
    state: Arc<dyn StateStore>,
    mut rx: mpsc::Receiver<Message>,
    stats: Arc<HistoryStats>,
) {
    while let Some(first) = rx.recv().await {
        let mut messages = vec![first];
        while messages.len() < BATCH {
            match rx.try_recv() {
                Ok(m) => messages.push(m),
                Err(_) => break,
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
