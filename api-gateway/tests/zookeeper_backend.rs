//! The ZooKeeper backend against a real standalone ZooKeeper, through the `Backend` trait:
//! multi semantics and atomicity, conflicts, load, read, watch, and recovery from a server
//! restart and from session expiry. Each test runs its own server (skipped where ZooKeeper is
//! not installed, except under CI).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use api_gateway::store::backend::{Backend, BackendError, Entry, KvOp, Observed, Receipt, Stat};
use api_gateway::store::zookeeper::{ZkOptions, ZookeeperBackend};
use api_gateway::testing::{zookeeper_or_skip, ZkServer};
use tokio::sync::mpsc;
use zookeeper_client::Client;

const ROOT: &str = "/midonet";

fn model(class: &str, id: &str) -> String {
    format!("zoom/0/models/{class}/{id}")
}

fn create(path: &str, data: &str) -> KvOp {
    KvOp::Create {
        path: path.to_string(),
        data: data.as_bytes().to_vec(),
    }
}

fn set(path: &str, data: &str, version: i32) -> KvOp {
    KvOp::Set {
        path: path.to_string(),
        data: data.as_bytes().to_vec(),
        version,
    }
}

fn delete(path: &str, version: i32) -> KvOp {
    KvOp::Delete {
        path: path.to_string(),
        version,
    }
}

fn check(path: &str, version: i32) -> KvOp {
    KvOp::Check {
        path: path.to_string(),
        version,
    }
}

async fn backend(zk: &ZkServer) -> ZookeeperBackend {
    ZookeeperBackend::connect(&zk.connect_string(), ROOT)
        .await
        .expect("connect to ZooKeeper")
}

async fn multi(backend: &ZookeeperBackend, ops: Vec<KvOp>) -> Receipt {
    let description = format!("{ops:?}");
    match backend.multi(ops).await {
        Ok(receipt) => receipt,
        Err(err) => panic!("multi {description} failed: {err}"),
    }
}

async fn read_one(backend: &ZookeeperBackend, path: &str) -> Observed {
    let mut observed = backend.read(vec![path.to_string()]).await.expect("read");
    assert_eq!(observed.len(), 1);
    observed.remove(0)
}

fn present(observed: Observed) -> Entry {
    match observed {
        Observed::Present(entry) => entry,
        other => panic!("expected a present entry, got {other:?}"),
    }
}

fn absent_rev(observed: Observed, path: &str) -> i64 {
    match observed {
        Observed::Absent { path: seen, rev } => {
            assert_eq!(seen, path);
            rev
        }
        other => panic!("expected {path} to be absent, got {other:?}"),
    }
}

fn conflict_path(result: Result<Receipt, BackendError>) -> String {
    match result {
        Err(BackendError::Conflict { path }) => path,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// Waits for the next observation matching `wanted`, returning it and those skipped before it.
async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<Observed>,
    within: Duration,
    wanted: impl Fn(&Observed) -> bool,
) -> (Observed, Vec<Observed>) {
    let deadline = tokio::time::Instant::now() + within;
    let mut skipped = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(observed)) if wanted(&observed) => return (observed, skipped),
            Ok(Some(observed)) => skipped.push(observed),
            Ok(None) => panic!("watch channel closed; saw {skipped:?}"),
            Err(_) => panic!("nothing wanted within {within:?}; saw {skipped:?}"),
        }
    }
}

fn is_present(path: &str, version: i32) -> impl Fn(&Observed) -> bool + '_ {
    move |observed| matches!(observed, Observed::Present(e) if e.path == path && e.stat.version == version)
}

#[tokio::test]
async fn construction_creates_the_layout_under_the_root() {
    let Some(zk) = zookeeper_or_skip().await else {
        return;
    };
    let store = ZookeeperBackend::connect(&zk.connect_string(), "/custom/root")
        .await
        .expect("connect");
    let raw = Client::connect(&zk.connect_string())
        .await
        .expect("raw client");
    for znode in [
        "/custom/root/zoom/0/models",
        "/custom/root/zoom/0/tables",
        "/custom/root/txn",
    ] {
        assert!(
            raw.check_stat(znode).await.expect("stat").is_some(),
            "{znode} missing"
        );
    }

    let path = model("Router", "r1");
    let receipt = multi(&store, vec![create(&path, "router one")]).await;
    let (data, stat) = raw
        .get_data("/custom/root/zoom/0/models/Router/r1")
        .await
        .expect("raw read");
    assert_eq!(data, b"router one");
    assert_eq!(
        receipt.stats,
        vec![Some(Stat {
            version: stat.version,
            rev: stat.mzxid
        })]
    );
    // The marker records the multi's zxid; it lives outside the watched zoom/0.
    let (_, marker) = raw.get_data("/custom/root/txn").await.expect("marker");
    assert_eq!(marker.mzxid, receipt.rev);
    // Nothing leaked to the default root.
    assert!(raw.check_stat("/midonet").await.expect("stat").is_none());

    // A second backend on the same root finds the layout in place.
    let again = ZookeeperBackend::connect(&zk.connect_string(), "/custom/root")
        .await
        .expect("connect again");
    assert_eq!(present(read_one(&again, &path).await).data, b"router one");
}

#[tokio::test]
async fn create_set_check_and_delete() {
    let Some(zk) = zookeeper_or_skip().await else {
        return;
    };
    let store = backend(&zk).await;
    let router = model("Router", "r1");
    let entry = "zoom/0/tables/Network/n1/mac_table/0/aa:bb:cc:dd:ee:ff,port1,1";

    let created = multi(&store, vec![create(&router, "v0"), create(entry, "")]).await;
    assert!(created.rev > 0);
    let fresh = Some(Stat {
        version: 0,
        rev: created.rev,
    });
    assert_eq!(created.stats, vec![fresh, fresh]);
    let read = store
        .read(vec![router.clone(), entry.to_string()])
        .await
        .expect("read");
    let read: Vec<Entry> = read.into_iter().map(present).collect();
    assert_eq!(
        (read[0].path.as_str(), read[0].data.as_slice(), read[0].stat),
        (
            router.as_str(),
            &b"v0"[..],
            Stat {
                version: 0,
                rev: created.rev
            }
        )
    );
    assert_eq!(
        (read[1].path.as_str(), read[1].stat),
        (
            entry,
            Stat {
                version: 0,
                rev: created.rev
            }
        )
    );

    let updated = multi(&store, vec![set(&router, "v1", 0)]).await;
    assert!(updated.rev > created.rev);
    assert_eq!(
        updated.stats,
        vec![Some(Stat {
            version: 1,
            rev: updated.rev
        })]
    );
    assert_eq!(present(read_one(&store, &router).await).data, b"v1");

    let checked = multi(&store, vec![check(&router, 1), set(entry, "x", 0)]).await;
    assert!(checked.rev > updated.rev);
    assert_eq!(
        checked.stats,
        vec![
            None,
            Some(Stat {
                version: 1,
                rev: checked.rev
            })
        ]
    );

    let deleted = multi(&store, vec![delete(&router, 1)]).await;
    assert_eq!(deleted.stats, vec![None]);
    // The parent's pzxid is the deletion's zxid: exactly the receipt's revision.
    assert_eq!(
        absent_rev(read_one(&store, &router).await, &router),
        deleted.rev
    );

    // An empty multi still yields a fresh revision.
    let empty = multi(&store, vec![]).await;
    assert!(empty.rev > deleted.rev);
    assert!(empty.stats.is_empty());
}

#[tokio::test]
async fn a_failed_multi_writes_nothing_and_names_the_path() {
    let Some(zk) = zookeeper_or_skip().await else {
        return;
    };
    let store = backend(&zk).await;
    let a = model("Router", "a");
    let b = model("Router", "b");
    let c = model("Bridge", "c");
    let original = multi(&store, vec![create(&a, "a0")]).await;
    let a_stat = Stat {
        version: 0,
        rev: original.rev,
    };

    // A wrong version in the middle: the creates around it are not applied.
    let result = store
        .multi(vec![create(&b, "b"), set(&a, "a1", 5), create(&c, "c")])
        .await;
    assert_eq!(conflict_path(result), a);
    absent_rev(read_one(&store, &b).await, &b);
    absent_rev(read_one(&store, &c).await, &c);
    let kept = present(read_one(&store, &a).await);
    assert_eq!((kept.data.as_slice(), kept.stat), (&b"a0"[..], a_stat));

    // A valid first op is rolled back when a later one fails.
    let result = store
        .multi(vec![set(&a, "a1", 0), create(&a, "again")])
        .await;
    assert_eq!(conflict_path(result), a);
    let kept = present(read_one(&store, &a).await);
    assert_eq!((kept.data.as_slice(), kept.stat), (&b"a0"[..], a_stat));

    // Each kind of failed precondition is a conflict naming its own path.
    let missing = model("Router", "missing");
    assert_eq!(conflict_path(store.multi(vec![create(&a, "dup")]).await), a);
    assert_eq!(
        conflict_path(store.multi(vec![delete(&missing, 0)]).await),
        missing
    );
    assert_eq!(conflict_path(store.multi(vec![delete(&a, 3)]).await), a);
    assert_eq!(conflict_path(store.multi(vec![check(&a, 2)]).await), a);
    assert_eq!(
        conflict_path(store.multi(vec![check(&missing, 0)]).await),
        missing
    );
    assert_eq!(
        conflict_path(store.multi(vec![set(&missing, "x", 0)]).await),
        missing
    );

    // Nothing of the failed multis shows up in a load.
    let loaded: Vec<String> = store
        .load()
        .await
        .expect("load")
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(loaded, vec![a.clone()]);

    // Malformed requests fail without being retried as conflicts.
    assert!(matches!(
        store.multi(vec![create("/zoom/0/models/X/y", "")]).await,
        Err(BackendError::Failed(_))
    ));
    let huge = KvOp::Create {
        path: model("Router", "huge"),
        data: vec![0; 1024 * 1024],
    };
    assert!(matches!(
        store.multi(vec![huge]).await,
        Err(BackendError::Failed(_))
    ));
}

#[tokio::test]
async fn recreates_directories_removed_behind_its_back() {
    let Some(zk) = zookeeper_or_skip().await else {
        return;
    };
    let store = backend(&zk).await;
    let first = "zoom/0/tables/Network/n1/mac_table/0/aa,port1,1";
    multi(&store, vec![create(first, "")]).await;

    // Another tool prunes the table directories the backend has cached as existing.
    let raw = Client::connect(&zk.connect_string())
        .await
        .expect("raw client");
    for znode in [
        "/midonet/zoom/0/tables/Network/n1/mac_table/0/aa,port1,1",
        "/midonet/zoom/0/tables/Network/n1/mac_table/0",
        "/midonet/zoom/0/tables/Network/n1/mac_table",
        "/midonet/zoom/0/tables/Network/n1",
    ] {
        raw.delete(znode, None).await.expect("prune");
    }

    // The create still succeeds: nothing was written by the failed attempt, so it is retried.
    let second = "zoom/0/tables/Network/n1/mac_table/0/bb,port2,1";
    let receipt = multi(&store, vec![create(second, "")]).await;
    assert_eq!(
        present(read_one(&store, second).await).stat,
        Stat {
            version: 0,
            rev: receipt.rev
        }
    );
    absent_rev(read_one(&store, first).await, first);
}

#[tokio::test]
async fn load_returns_exactly_the_leaves() {
    let Some(zk) = zookeeper_or_skip().await else {
        return;
    };
    let store = backend(&zk).await;
    let keep_model = [
        model("Router", "r1"),
        model("Router", "r2"),
        model("Bridge", "b1"),
    ];
    let keep_table = [
        "zoom/0/tables/Network/n1/mac_table/0/aa,port1,1",
        "zoom/0/tables/Network/n1/mac_table/7/bb,port2,3",
        "zoom/0/tables/Network/n1/arp_table/10.0.0.1,aa,1",
    ];
    let gone = [
        model("Chain", "c1"),
        model("Router", "r3"),
        "zoom/0/tables/Network/n2/mac_table/5/cc,port3,1".to_string(),
        "zoom/0/tables/Network/n1/mac_table/0/dd,port4,1".to_string(),
    ];
    let mut ops: Vec<KvOp> = keep_model
        .iter()
        .map(|p| create(p, &format!("data of {p}")))
        .collect();
    ops.extend(keep_table.iter().map(|p| create(p, "")));
    ops.extend(gone.iter().map(|p| create(p, "short-lived")));
    let created = multi(&store, ops).await;
    // Deleting leaves empty directories behind (models/Chain, tables/Network/n2/mac_table/5).
    let deleted = multi(&store, gone.iter().map(|p| delete(p, 0)).collect()).await;
    let updated = multi(&store, vec![set(&keep_model[1], "second version", 0)]).await;

    let loaded: BTreeMap<String, Entry> = store
        .load()
        .await
        .expect("load")
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect();
    let expected: BTreeSet<String> = keep_model
        .iter()
        .cloned()
        .chain(keep_table.iter().map(|p| p.to_string()))
        .collect();
    assert_eq!(loaded.keys().cloned().collect::<BTreeSet<_>>(), expected);

    let fresh = Stat {
        version: 0,
        rev: created.rev,
    };
    assert_eq!(
        (
            loaded[&keep_model[0]].data.as_slice(),
            loaded[&keep_model[0]].stat
        ),
        (format!("data of {}", keep_model[0]).as_bytes(), fresh)
    );
    assert_eq!(
        (
            loaded[&keep_model[1]].data.as_slice(),
            loaded[&keep_model[1]].stat
        ),
        (
            &b"second version"[..],
            Stat {
                version: 1,
                rev: updated.rev
            }
        )
    );
    for path in keep_table {
        assert_eq!(loaded[path].stat, fresh);
        assert!(loaded[path].data.is_empty());
    }
    assert!(deleted.rev > created.rev);
}

#[tokio::test]
async fn load_reads_twelve_thousand_entries_quickly() {
    let Some(zk) = zookeeper_or_skip().await else {
        return;
    };
    let store = backend(&zk).await;
    let mut expected = BTreeSet::new();
    let mut batch = Vec::new();
    for i in 0..10_000 {
        let path = model(
            ["Router", "Bridge", "Port", "Chain", "Rule"][i % 5],
            &format!("{i:08}"),
        );
        batch.push(create(
            &path,
            &format!("{{\"id\":{i},\"name\":\"object number {i}\"}}"),
        ));
        expected.insert(path);
    }
    for i in 0..2_000 {
        let path = format!(
            "zoom/0/tables/Network/n{}/mac_table/{}/{i:012x},port{i},1",
            i % 20,
            i % 3
        );
        batch.push(create(&path, ""));
        expected.insert(path);
    }
    for chunk in batch.chunks(1_000) {
        multi(&store, chunk.to_vec()).await;
    }

    let started = Instant::now();
    let loaded = store.load().await.expect("load");
    let elapsed = started.elapsed();
    eprintln!("loaded {} entries in {elapsed:?}", loaded.len());
    assert_eq!(loaded.len(), expected.len());
    assert_eq!(
        loaded
            .iter()
            .map(|e| e.path.clone())
            .collect::<BTreeSet<_>>(),
        expected
    );
    // Pipelined, this takes a few hundred milliseconds; one round trip per node would not.
    assert!(elapsed < Duration::from_secs(2), "load took {elapsed:?}");
}

#[tokio::test]
async fn read_reports_present_and_absent_keys() {
    let Some(zk) = zookeeper_or_skip().await else {
        return;
    };
    let store = backend(&zk).await;
    let x = model("Router", "x");
    let y = model("Router", "y");
    let first = multi(&store, vec![create(&x, "x")]).await;
    let second = multi(&store, vec![create(&y, "y")]).await;

    let never = model("Router", "never");
    let orphan = model("NoSuchClass", "z");
    let observed = store
        .read(vec![x.clone(), never.clone(), y.clone(), orphan.clone()])
        .await
        .expect("read");
    let mut observed = observed.into_iter();
    let entry = present(observed.next().expect("x"));
    assert_eq!(
        (entry.path.as_str(), entry.data.as_slice(), entry.stat),
        (
            x.as_str(),
            &b"x"[..],
            Stat {
                version: 0,
                rev: first.rev
            }
        )
    );
    // Absent next to siblings: the directory's last child change, here y's creation.
    assert_eq!(
        absent_rev(observed.next().expect("never"), &never),
        second.rev
    );
    assert_eq!(
        present(observed.next().expect("y")).stat,
        Stat {
            version: 0,
            rev: second.rev
        }
    );
    // Absent with no directory either: at least the last multi's revision.
    assert!(absent_rev(observed.next().expect("orphan"), &orphan) >= second.rev);

    assert!(matches!(
        store.read(vec!["".to_string()]).await,
        Err(BackendError::Failed(_))
    ));
}

#[tokio::test]
async fn watch_delivers_another_clients_writes() {
    let Some(zk) = zookeeper_or_skip().await else {
        return;
    };
    let watcher = backend(&zk).await;
    let writer = backend(&zk).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    watcher.watch(tx, no_echo()).await.expect("watch");

    let router = model("Router", "w1");
    let entry = "zoom/0/tables/Network/n1/arp_table/10.0.0.9,aa:bb,1";
    // New directories (models/Router, tables/Network/n1/arp_table, ...) appear too: not entries.
    let created = multi(&writer, vec![create(&router, "r"), create(entry, "")]).await;
    let (first, skipped) = wait_for(&mut rx, Duration::from_secs(10), |_| true).await;
    assert!(skipped.is_empty());
    let (second, skipped) = wait_for(&mut rx, Duration::from_secs(10), |_| true).await;
    assert!(skipped.is_empty());
    let mut seen: Vec<Entry> = vec![present(first), present(second)];
    seen.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(seen[0].path, router);
    assert_eq!(seen[0].data, b"r");
    assert_eq!(seen[1].path, entry);
    for entry in &seen {
        assert_eq!(
            entry.stat,
            Stat {
                version: 0,
                rev: created.rev
            }
        );
    }

    let updated = multi(&writer, vec![set(&router, "r2", 0)]).await;
    let (observed, skipped) =
        wait_for(&mut rx, Duration::from_secs(10), is_present(&router, 1)).await;
    assert!(skipped.is_empty(), "unexpected {skipped:?}");
    let observed = present(observed);
    assert_eq!(
        (observed.data.as_slice(), observed.stat),
        (
            &b"r2"[..],
            Stat {
                version: 1,
                rev: updated.rev
            }
        )
    );

    let deleted = multi(&writer, vec![delete(entry, 0)]).await;
    let (observed, skipped) = wait_for(&mut rx, Duration::from_secs(10), |o| {
        matches!(o, Observed::Absent { .. })
    })
    .await;
    assert!(skipped.is_empty(), "unexpected {skipped:?}");
    assert_eq!(absent_rev(observed, entry), deleted.rev);

    // Nothing else was reported: no directories, no marker, no resync.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.try_recv().is_err());

    // Dropping the backend stops its watch task, which closes the channel.
    drop(watcher);
    let closed = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("watch task ends");
    assert!(closed.is_none());
}

#[tokio::test]
async fn survives_a_server_restart() {
    let Some(mut zk) = zookeeper_or_skip().await else {
        return;
    };
    let options = ZkOptions::new(zk.connect_string())
        .with_session_timeout(Duration::from_secs(20))
        .with_reconnect_wait(Duration::from_millis(500));
    let store = ZookeeperBackend::with_options(options)
        .await
        .expect("connect");
    let (tx, mut rx) = mpsc::unbounded_channel();
    store.watch(tx, no_echo()).await.expect("watch");
    let before = model("Router", "before");
    multi(&store, vec![create(&before, "b")]).await;
    wait_for(&mut rx, Duration::from_secs(10), is_present(&before, 0)).await;
    let session = store.session_id();

    zk.stop();
    // Let the client see the closed connection: a request made while it knows it is
    // disconnected is never sent (one racing the disconnection could still be applied later).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during = tokio::time::timeout(
        Duration::from_secs(10),
        store.multi(vec![create(&model("Router", "during"), "")]),
    )
    .await
    .expect("a request fails promptly while ZooKeeper is down");
    assert!(
        matches!(during, Err(BackendError::Unavailable(_))),
        "{during:?}"
    );

    zk.restart().await.expect("restart ZooKeeper");
    let (_, skipped) = wait_for(&mut rx, Duration::from_secs(30), |o| {
        matches!(o, Observed::Resync)
    })
    .await;
    assert!(skipped.is_empty(), "unexpected {skipped:?}");
    // The server kept the session, and the request made while it was down was never sent.
    assert_eq!(store.session_id(), session);
    absent_rev(
        read_one(&store, &model("Router", "during")).await,
        &model("Router", "during"),
    );

    let after = model("Router", "after");
    let receipt = multi(&store, vec![create(&after, "a")]).await;
    let other = backend(&zk).await;
    let elsewhere = model("Router", "elsewhere");
    multi(&other, vec![create(&elsewhere, "e")]).await;
    wait_for(&mut rx, Duration::from_secs(10), is_present(&elsewhere, 0)).await;
    let loaded: BTreeSet<String> = store
        .load()
        .await
        .expect("load")
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(loaded, [before, after, elsewhere].into_iter().collect());
    assert!(receipt.rev > 0);
}

#[tokio::test]
async fn replaces_an_expired_session() {
    let Some(mut zk) = zookeeper_or_skip().await else {
        return;
    };
    let options = ZkOptions::new(zk.connect_string())
        .with_session_timeout(Duration::from_secs(1))
        .with_reconnect_wait(Duration::from_millis(300));
    let store = ZookeeperBackend::with_options(options)
        .await
        .expect("connect");
    let (tx, mut rx) = mpsc::unbounded_channel();
    store.watch(tx, no_echo()).await.expect("watch");
    let before = model("Router", "before");
    multi(&store, vec![create(&before, "b")]).await;
    wait_for(&mut rx, Duration::from_secs(10), is_present(&before, 0)).await;
    let session = store.session_id();

    // Down for longer than the session timeout: the client gives the session up.
    zk.stop();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = tokio::time::timeout(
        Duration::from_secs(10),
        store.multi(vec![create(&model("Router", "during"), "")]),
    )
    .await
    .expect("a request fails promptly while ZooKeeper is down");
    assert!(
        matches!(during, Err(BackendError::Unavailable(_))),
        "{during:?}"
    );

    zk.restart().await.expect("restart ZooKeeper");
    let (_, skipped) = wait_for(&mut rx, Duration::from_secs(30), |o| {
        matches!(o, Observed::Resync)
    })
    .await;
    assert!(skipped.is_empty(), "unexpected {skipped:?}");
    assert_ne!(store.session_id(), session);

    // Requests and the re-registered watch both use the new session.
    let after = model("Router", "after");
    multi(&store, vec![create(&after, "a")]).await;
    let other = backend(&zk).await;
    let elsewhere = model("Router", "elsewhere");
    let receipt = multi(&other, vec![create(&elsewhere, "e")]).await;
    let (observed, _) = wait_for(&mut rx, Duration::from_secs(10), is_present(&elsewhere, 0)).await;
    assert_eq!(present(observed).stat.rev, receipt.rev);
    let loaded: BTreeSet<String> = store
        .load()
        .await
        .expect("load")
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(loaded, [before, after, elsewhere].into_iter().collect());
}

/// A watch that treats every change as foreign, so every change is read and delivered.
fn no_echo() -> api_gateway::store::backend::Echo {
    std::sync::Arc::new(|_: &str| false)
}
