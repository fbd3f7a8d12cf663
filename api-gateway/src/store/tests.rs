//! Unit tests of the mirror's ordering rules and the transaction engine, over the embedded
//! backend and over a backend that injects conflicts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;
use topology::integrity::{self, Objects};
use topology::Class;
use uuid::Uuid;

use super::backend::{
    Backend, BackendError, BoxFuture, Echo, Entry, KvOp, Observed, Receipt, Stat,
};
use super::embedded::Embedded;
use super::*;
use crate::error::ApiError;

fn entry(path: &str, version: i32, rev: i64) -> Entry {
    Entry {
        path: path.to_string(),
        data: br#"{"id": "x"}"#.to_vec(),
        stat: Stat { version, rev },
    }
}

#[test]
fn a_stale_read_never_overwrites_a_newer_entry() {
    let mut m = Mirror::default();
    m.present(entry("zoom/0/models/Router/a", 3, 30));
    m.present(entry("zoom/0/models/Router/a", 2, 20));
    assert_eq!(m.keys["zoom/0/models/Router/a"].stat.version, 3);
}

#[test]
fn an_absent_read_older_than_a_create_is_ignored_and_a_newer_one_deletes() {
    let mut m = Mirror::default();
    m.present(entry("zoom/0/models/Router/a", 0, 30));
    m.absent("zoom/0/models/Router/a".into(), 25);
    assert!(m.keys.contains_key("zoom/0/models/Router/a"));
    m.absent("zoom/0/models/Router/a".into(), 31);
    assert!(!m.keys.contains_key("zoom/0/models/Router/a"));
    // A read from before the delete cannot bring the object back.
    m.present(entry("zoom/0/models/Router/a", 0, 30));
    assert!(!m.keys.contains_key("zoom/0/models/Router/a"));
}

async fn embedded() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(Arc::new(Embedded::open(dir.path()).unwrap()))
        .await
        .unwrap();
    (dir, store)
}

fn router(id: Uuid) -> serde_json::Value {
    json!({"id": id, "name": "r"})
}

#[tokio::test]
async fn a_write_is_readable_as_soon_as_transact_returns() {
    let (_dir, store) = embedded().await;
    let id = Uuid::new_v4();
    store
        .transact(|tx| integrity::create(tx, Class::Router, router(id)).map_err(ApiError::from))
        .await
        .unwrap();
    assert_eq!(store.get(Class::Router, id).unwrap()["name"], "r");
    assert_eq!(store.list(Class::Router).len(), 1);
}

#[derive(Debug)]
struct Refused;
impl From<StoreError> for Refused {
    fn from(_: StoreError) -> Self {
        Refused
    }
}

#[tokio::test]
async fn a_failed_transaction_writes_nothing() {
    let (_dir, store) = embedded().await;
    let id = Uuid::new_v4();
    let out: Result<(), Refused> = store
        .transact(|tx| {
            tx.put(Class::Router, id, router(id));
            Err(Refused)
        })
        .await;
    assert!(out.is_err());
    assert!(store.get(Class::Router, id).is_none());
}

#[tokio::test]
async fn a_reopened_embedded_store_serves_what_it_had() {
    let dir = tempfile::tempdir().unwrap();
    let id = Uuid::new_v4();
    {
        let store = Store::open(Arc::new(Embedded::open(dir.path()).unwrap()))
            .await
            .unwrap();
        store
            .transact(|tx| {
                tx.put(Class::Router, id, router(id));
                tx.put_table_entry(
                    Class::Network,
                    id,
                    "ip4_mac_table",
                    "10.0.0.2,aa:bb:cc:dd:ee:ff,2147483647",
                );
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap();
    }
    let store = Store::open(Arc::new(Embedded::open(dir.path()).unwrap()))
        .await
        .unwrap();
    assert!(store.get(Class::Router, id).is_some());
    assert_eq!(
        store.table(Class::Network, id, "ip4_mac_table"),
        vec!["10.0.0.2,aa:bb:cc:dd:ee:ff,2147483647"]
    );
}

/// Wraps a backend; the first `conflicts` multis fail as if another writer got there first,
/// after that writer's change has really been applied.
struct Contended {
    inner: Embedded,
    conflicts: AtomicUsize,
    rival: Uuid,
}

impl Backend for Contended {
    fn multi(&self, ops: Vec<KvOp>) -> BoxFuture<'_, Result<Receipt, BackendError>> {
        Box::pin(async move {
            if self.conflicts.load(Ordering::SeqCst) > 0 {
                self.conflicts.fetch_sub(1, Ordering::SeqCst);
                // The rival renames the router behind our back.
                let path = model_path(Class::Router, self.rival);
                let current = self.inner.read(vec![path.clone()]).await?;
                if let Some(Observed::Present(e)) = current.into_iter().next() {
                    let data =
                        serde_json::to_vec(&json!({"id": self.rival, "name": "renamed"})).unwrap();
                    self.inner
                        .multi(vec![KvOp::Set {
                            path: path.clone(),
                            data,
                            version: e.stat.version,
                        }])
                        .await?;
                }
                return Err(BackendError::Conflict { path });
            }
            self.inner.multi(ops).await
        })
    }
    fn load(&self) -> BoxFuture<'_, Result<Vec<Entry>, BackendError>> {
        self.inner.load()
    }
    fn read(&self, paths: Vec<String>) -> BoxFuture<'_, Result<Vec<Observed>, BackendError>> {
        self.inner.read(paths)
    }
    fn watch(
        &self,
        sink: tokio::sync::mpsc::UnboundedSender<Observed>,
        echo: Echo,
    ) -> BoxFuture<'_, Result<bool, BackendError>> {
        self.inner.watch(sink, echo)
    }
}

#[tokio::test]
async fn a_conflict_rereads_and_reruns_on_fresh_state() {
    let dir = tempfile::tempdir().unwrap();
    let rival = Uuid::new_v4();
    let backend = Arc::new(Contended {
        inner: Embedded::open(dir.path()).unwrap(),
        conflicts: AtomicUsize::new(0),
        rival,
    });
    let store = Store::open(backend.clone()).await.unwrap();
    store
        .transact(|tx| {
            tx.put(Class::Router, rival, router(rival));
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    backend.conflicts.store(2, Ordering::SeqCst);
    let runs = AtomicUsize::new(0);
    let seen = store
        .transact(|tx| {
            runs.fetch_add(1, Ordering::SeqCst);
            let mut r = tx.get(Class::Router, rival).unwrap().as_ref().clone();
            let name = r["name"].as_str().unwrap().to_string();
            r["adminStateUp"] = json!(false);
            tx.put(Class::Router, rival, r);
            Ok::<_, StoreError>(name)
        })
        .await
        .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    assert_eq!(seen, "renamed", "the last run saw the rival's write");
    let stored = store.get(Class::Router, rival).unwrap();
    assert_eq!(stored["name"], "renamed");
    assert_eq!(stored["adminStateUp"], false);
}

#[tokio::test]
async fn endless_contention_gives_up_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let rival = Uuid::new_v4();
    let backend = Arc::new(Contended {
        inner: Embedded::open(dir.path()).unwrap(),
        conflicts: AtomicUsize::new(usize::MAX / 2),
        rival,
    });
    let store = Store::open(backend).await.unwrap();
    let err = store
        .transact(|tx| {
            tx.put(Class::Router, rival, router(rival));
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Contended { .. }), "{err}");
}

#[test]
fn echoes_are_consumed_once_per_write_and_forgotten_on_failure() {
    let echoes = Echoes::default();
    echoes
        .active
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let write = |path: &str| KvOp::Set {
        path: path.into(),
        data: Vec::new(),
        version: 0,
    };
    let check = KvOp::Check {
        path: "c".into(),
        version: 0,
    };
    echoes.expect(&[write("a"), write("a"), write("b"), check]);
    assert!(echoes.consume("a"));
    assert!(echoes.consume("a"));
    assert!(
        !echoes.consume("a"),
        "two writes, two echoes: a third change is foreign"
    );
    assert!(
        !echoes.consume("c"),
        "checks change nothing and have no echo"
    );
    echoes.forget(&[write("b")]);
    assert!(!echoes.consume("b"), "a failed write has no echo");
}

#[test]
fn nothing_is_counted_when_no_notifications_will_come() {
    let echoes = Echoes::default();
    echoes.expect(&[KvOp::Set {
        path: "a".into(),
        data: Vec::new(),
        version: 0,
    }]);
    assert!(
        echoes.counts().is_empty(),
        "an unwatched backend must not accumulate echoes"
    );
}

/// The revision index rebuilt from scratch: every object present or buried, at its revision.
fn index_from_scratch(m: &Mirror) -> BTreeSet<(i64, String)> {
    let present = m.keys.iter().map(|(p, s)| (s.stat.rev, p.clone()));
    let buried = m.tombstones.iter().map(|(p, r)| (*r, p.clone()));
    present
        .chain(buried)
        .filter(|(_, p)| object_of(p).is_some())
        .collect()
}

#[test]
fn the_revision_index_stays_in_step_through_replace_delete_and_recreate() {
    let a = format!("{MODELS}Router/{}", Uuid::from_u128(1));
    let b = format!("{MODELS}Network/{}", Uuid::from_u128(2));
    let table = format!(
        "{}10.0.0.2,aa:bb:cc:dd:ee:ff,1",
        table_dir(Class::Network, Uuid::from_u128(2), "ip4_mac_table")
    );
    let mut m = Mirror::default();
    let present = |path: &str, version, rev| Observed::Present(entry(path, version, rev));
    let absent = |path: &str, rev| Observed::Absent {
        path: path.to_string(),
        rev,
    };
    let steps = [
        present(&a, 0, 10),
        present(&b, 0, 11),
        present(&table, 0, 11),
        // Replaced: the object moves to its new revision.
        present(&a, 1, 12),
        // A stale read changes nothing.
        present(&a, 0, 10),
        absent(&a, 13),
        absent(&table, 13),
        // Deleted again, later (another gateway's late notice): one tombstone, the newer.
        absent(&a, 14),
        // Re-created: the tombstone goes.
        present(&a, 0, 15),
        absent(&b, 16),
    ];
    for (n, step) in steps.into_iter().enumerate() {
        m.observe(step);
        assert_eq!(m.objects, index_from_scratch(&m), "after step {n}");
    }
    let revs: Vec<i64> = m.objects.iter().map(|(r, _)| *r).collect();
    assert_eq!(revs, vec![15, 16], "a's re-creation and b's deletion");
    // The oldest tombstones are dropped from the index with the tombstones themselves.
    for n in 0..MAX_TOMBSTONES as u128 {
        m.absent(
            format!("{MODELS}Port/{}", Uuid::from_u128(100 + n)),
            17 + n as i64,
        );
    }
    assert_eq!(
        m.objects,
        index_from_scratch(&m),
        "after dropping tombstones"
    );
    assert!(m.horizon >= 16, "b's tombstone was dropped: {}", m.horizon);
}

#[tokio::test]
async fn the_feed_and_its_summary_show_each_transaction_at_its_revision() {
    let (_dir, store) = embedded().await;
    let start = store.revision();
    let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let write = |f: &'static (dyn Fn(&mut Tx<'_>) + Sync)| {
        let store = store.clone();
        async move {
            store
                .transact_at(|tx| {
                    f(tx);
                    Ok::<_, StoreError>(())
                })
                .await
                .unwrap()
                .1
        }
    };
    let created = write(&|tx| {
        tx.put(
            Class::Router,
            Uuid::from_u128(1),
            router(Uuid::from_u128(1)),
        );
        tx.put(
            Class::Router,
            Uuid::from_u128(2),
            router(Uuid::from_u128(2)),
        );
    })
    .await
    .expect("a write has a revision");
    let renamed = write(&|tx| {
        let id = Uuid::from_u128(1);
        tx.put(Class::Router, id, json!({"id": id, "name": "renamed"}));
    })
    .await
    .expect("a revision");
    let deleted = write(&|tx| tx.remove(Class::Router, Uuid::from_u128(2)))
        .await
        .expect("a revision");
    let unchanged = write(&|tx| {
        let id = Uuid::from_u128(1);
        tx.put(Class::Router, id, json!({"id": id, "name": "renamed"}));
    })
    .await;
    assert_eq!(unchanged, None, "a write of what is stored commits nothing");
    let recreated = write(&|tx| {
        tx.put(
            Class::Router,
            Uuid::from_u128(2),
            router(Uuid::from_u128(2)),
        )
    })
    .await
    .expect("a revision");
    assert!(created < renamed && renamed < deleted && deleted < recreated);

    let (revision, revisions) = store.revisions_since(start).unwrap();
    assert_eq!(revision, store.revision());
    assert_eq!(
        revisions,
        vec![renamed, recreated],
        "only the latest write of each object"
    );
    let feed = store.changes_since(start, 10).unwrap();
    let seen: Vec<(Uuid, i64)> = feed.changes.iter().map(|c| (c.id, c.rev)).collect();
    assert_eq!(seen, vec![(a, renamed), (b, recreated)]);
    assert_eq!(store.revisions_since(deleted).unwrap().1, vec![recreated]);
    assert_eq!(
        store.revisions_since(recreated).unwrap().1,
        Vec::<i64>::new()
    );
    assert!(store.revisions_since(revision + 1).is_err());

    let deleted_again = write(&|tx| tx.remove(Class::Router, Uuid::from_u128(2)))
        .await
        .expect("a revision");
    let page = store.changes_since(recreated, 10).unwrap();
    assert_eq!(page.changes.len(), 1);
    assert!(page.changes[0].value.is_none(), "a deletion");
    assert_eq!(
        store.revisions_since(recreated).unwrap().1,
        vec![deleted_again]
    );
}

#[tokio::test]
async fn a_feed_page_ends_at_a_revision_boundary() {
    let (_dir, store) = embedded().await;
    let start = store.revision();
    let mut revs = Vec::new();
    for batch in 0..3u128 {
        let rev = store
            .transact_at(|tx| {
                for n in 0..3 {
                    let id = Uuid::from_u128(batch * 10 + n);
                    tx.put(Class::Router, id, router(id));
                }
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap()
            .1
            .unwrap();
        revs.push(rev);
    }
    let first = store.changes_since(start, 4).unwrap();
    assert!(first.more);
    assert_eq!(first.changes.len(), 6, "the second revision is not split");
    assert_eq!(first.revision, revs[1]);
    let second = store.changes_since(first.revision, 4).unwrap();
    assert!(!second.more);
    assert_eq!(second.changes.len(), 3);
    assert!(second.changes.iter().all(|c| c.rev == revs[2]));
    assert_eq!(second.revision, store.revision());
}
