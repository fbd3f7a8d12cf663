//! The state store conformance suite: the same questions asked of the embedded backend and
//! of the Cassandra backend over CQL v4, the latter against an in-memory CQL server
//! (kassandra) started by the test. `CASSANDRA_CONTACT_POINTS=host:port[,...]` runs the
//! Cassandra cases against a real cluster instead (docs/history.md).

use std::sync::Arc;
use std::time::Duration;

use api_gateway::state::config::CassandraConfig;
use api_gateway::state::{
    self, ApiChange, FlowStateEntry, GniApply, Operation, StateConfig, StateError, StateStore,
};
use serde_json::json;
use topology::sim::FlowTuple;
use uuid::Uuid;

/// A backend under test and what keeps it alive.
struct Subject {
    store: Arc<dyn StateStore>,
    _dir: Option<tempfile::TempDir>,
    _server: Option<cql_test_server::CqlTestServer>,
}

async fn embedded() -> Subject {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = state::open(&StateConfig::Embedded {
        dir: dir.path().to_path_buf(),
    })
    .await
    .expect("embedded state store");
    Subject {
        store,
        _dir: Some(dir),
        _server: None,
    }
}

async fn cassandra() -> Subject {
    // Each case gets its own keyspace, so cases on a shared real cluster do not meet.
    let keyspace = format!("conformance_{}", Uuid::new_v4().simple());
    let (points, server) = match std::env::var("CASSANDRA_CONTACT_POINTS") {
        Ok(points) => (points.split(',').map(str::to_string).collect(), None),
        Err(_) => {
            let server = cql_test_server::CqlTestServer::start().expect("CQL test server");
            (vec![server.addr().to_string()], Some(server))
        }
    };
    let mut config = CassandraConfig::new(points);
    config.keyspace = keyspace;
    let store = state::open(&StateConfig::Cassandra(config))
        .await
        .expect("Cassandra state store");
    Subject {
        store,
        _dir: None,
        _server: server,
    }
}

fn change(revision: i64, seq: i32, id: Uuid, operation: Operation) -> ApiChange {
    let value = Arc::new(json!({"id": id, "name": format!("r{revision}"), "tenantId": "t1"}));
    ApiChange {
        revision,
        seq,
        at_ms: 1_700_000_000_000 + revision,
        tenant: "t1".into(),
        operation,
        class: "Router".into(),
        id,
        before: (operation != Operation::Create).then(|| value.clone()),
        after: (operation != Operation::Delete).then_some(value),
    }
}

async fn object_history_answers_an_objects_changes_oldest_first(s: &dyn StateStore) {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    s.record_changes(vec![
        change(10, 0, a, Operation::Create),
        change(10, 1, b, Operation::Create),
    ])
    .await
    .unwrap();
    s.record_changes(vec![change(12, 0, a, Operation::Update)])
        .await
        .unwrap();
    s.record_changes(vec![change(15, 0, a, Operation::Delete)])
        .await
        .unwrap();
    let history = s.object_history(a, 100).await.unwrap();
    assert_eq!(
        history,
        vec![
            change(10, 0, a, Operation::Create),
            change(12, 0, a, Operation::Update),
            change(15, 0, a, Operation::Delete)
        ]
    );
    assert_eq!(s.object_history(b, 100).await.unwrap().len(), 1);
    assert_eq!(
        s.object_history(a, 2).await.unwrap(),
        history[1..].to_vec(),
        "a limit keeps the newest"
    );
    assert!(s
        .object_history(Uuid::new_v4(), 10)
        .await
        .unwrap()
        .is_empty());
}

async fn recording_a_change_twice_keeps_one(s: &dyn StateStore) {
    let a = Uuid::new_v4();
    for _ in 0..2 {
        s.record_changes(vec![change(7, 0, a, Operation::Create)])
            .await
            .unwrap();
    }
    assert_eq!(s.object_history(a, 10).await.unwrap().len(), 1);
    assert_eq!(s.changes_between(0, 100, 10).await.unwrap().len(), 1);
}

async fn a_long_history_is_read_whole_across_pages(s: &dyn StateStore) {
    // More rows than one page (500) of the Cassandra backend, over several revision buckets.
    let a = Uuid::new_v4();
    let changes: Vec<ApiChange> = (1..=1300)
        .map(|r| change(r, 0, a, Operation::Update))
        .collect();
    s.record_changes(changes.clone()).await.unwrap();
    assert_eq!(s.object_history(a, 5000).await.unwrap(), changes);
    let between = s.changes_between(0, 5000, 5000).await.unwrap();
    assert_eq!(between, changes);
}

async fn changes_between_answers_whole_revisions_in_order(s: &dyn StateStore) {
    let ids: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
    // Revisions far apart, as ZooKeeper's zxids are across epochs.
    let revs = [5i64, 6, 2005, 4_294_967_301];
    let mut all = Vec::new();
    for (i, rev) in revs.iter().enumerate() {
        for seq in 0..3 {
            all.push(change(*rev, seq, ids[i], Operation::Update));
        }
    }
    // Stored out of order: answers are ordered by revision all the same.
    let mut shuffled = all.clone();
    shuffled.reverse();
    s.record_changes(shuffled).await.unwrap();
    assert_eq!(s.changes_between(0, i64::MAX, 100).await.unwrap(), all);
    assert_eq!(s.changes_between(5, 2005, 100).await.unwrap(), all[3..9]);
    // A limit of 4 ends after the whole second revision, not inside it.
    assert_eq!(s.changes_between(0, i64::MAX, 4).await.unwrap(), all[..6]);
    assert_eq!(
        s.changes_between(2005, 4_294_967_301, 1).await.unwrap(),
        all[9..]
    );
    assert!(s.changes_between(7, 2004, 10).await.unwrap().is_empty());
    assert!(s.changes_between(9, 9, 10).await.unwrap().is_empty());
}

async fn recording_from_is_the_earliest_start(s: &dyn StateStore) {
    assert_eq!(s.recording_from().await.unwrap(), None);
    s.mark_recording_from(40).await.unwrap();
    s.mark_recording_from(25).await.unwrap();
    s.mark_recording_from(90).await.unwrap();
    assert_eq!(s.recording_from().await.unwrap(), Some(25));
}

fn apply(at_ms: i64, version: &str, errors: &[&str]) -> GniApply {
    GniApply {
        at_ms,
        version: version.into(),
        operations: 12,
        duration_ms: 340,
        errors: errors.iter().map(|e| e.to_string()).collect(),
    }
}

async fn gni_applies_answer_by_version_and_latest(s: &dyn StateStore) {
    const DAY: i64 = 86_400_000;
    let t = 1_700_000_000_000;
    let applies = vec![
        apply(t, "100", &[]),
        apply(t + 1000, "101", &["POST /routers: 503 Service Unavailable"]),
        apply(t + 2000, "101", &[]),
        apply(t + 2 * DAY, "102", &[]),
        apply(t + 9 * DAY, "103", &[]),
    ];
    for a in &applies {
        s.record_gni_apply(a.clone()).await.unwrap();
    }
    assert_eq!(s.gni_applies(None, 100).await.unwrap(), applies);
    assert_eq!(
        s.gni_applies(Some("101".into()), 100).await.unwrap(),
        applies[1..3]
    );
    assert_eq!(s.gni_applies(None, 2).await.unwrap(), applies[3..]);
    assert!(s
        .gni_applies(Some("99".into()), 10)
        .await
        .unwrap()
        .is_empty());
}

fn tuple(src_port: u16) -> FlowTuple {
    FlowTuple {
        proto: 6,
        src: "10.0.0.5".parse().unwrap(),
        src_port,
        dst: "10.0.1.6".parse().unwrap(),
        dst_port: 22,
    }
}

async fn flow_state_is_kept_per_port_until_its_ttl(s: &dyn StateStore) {
    let (p1, p2, device) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let track = FlowStateEntry::Conntrack {
        reply: tuple(40000),
        device,
    };
    let nat = FlowStateEntry::Nat {
        table: topology::sim::NatTable::ReverseSnat,
        tuple: tuple(40001),
        device,
        translate_ip: "192.0.2.1".parse().unwrap(),
        translate_port: 1024,
    };
    s.put_flow_state(p1, vec![track, nat], Duration::from_secs(600))
        .await
        .unwrap();
    let mut got = s.flow_state(p1).await.unwrap();
    got.sort();
    let mut want = vec![track, nat];
    want.sort();
    assert_eq!(got, want);
    assert!(s.flow_state(p2).await.unwrap().is_empty());
    // A short TTL: gone once it has passed.
    s.put_flow_state(p2, vec![track], Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(s.flow_state(p2).await.unwrap(), vec![track]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(s.flow_state(p2).await.unwrap().is_empty());
    // Writing again renews it.
    s.put_flow_state(p2, vec![track], Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(s.flow_state(p2).await.unwrap(), vec![track]);
}

/// One test per (case, backend).
macro_rules! conformance {
    ($($case:ident),+ $(,)?) => {
        mod embedded_backend {
            $(
                #[tokio::test]
                async fn $case() {
                    let subject = super::embedded().await;
                    super::$case(subject.store.as_ref()).await;
                }
            )+
        }
        mod cassandra_backend {
            $(
                #[tokio::test]
                async fn $case() {
                    let subject = super::cassandra().await;
                    super::$case(subject.store.as_ref()).await;
                }
            )+
        }
    };
}

conformance!(
    object_history_answers_an_objects_changes_oldest_first,
    recording_a_change_twice_keeps_one,
    a_long_history_is_read_whole_across_pages,
    changes_between_answers_whole_revisions_in_order,
    recording_from_is_the_earliest_start,
    gni_applies_answer_by_version_and_latest,
    flow_state_is_kept_per_port_until_its_ttl,
);

#[tokio::test]
async fn an_unreachable_cassandra_is_reported_after_bounded_retries() {
    let port = api_gateway::testing::free_port().expect("a free port");
    let mut config = CassandraConfig::new(vec![format!("127.0.0.1:{port}")]);
    config.timeout = Duration::from_millis(500);
    config.attempts = 2;
    let started = std::time::Instant::now();
    let err = match state::open(&StateConfig::Cassandra(config)).await {
        Ok(_) => panic!("nothing listens on port {port}"),
        Err(e) => e,
    };
    assert!(matches!(err, StateError::Unavailable(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "cannot reach Cassandra at 127.0.0.1:{port} after 2 attempts"
        )),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "bounded");
}

#[tokio::test]
async fn the_cassandra_backend_creates_its_keyspace_with_the_configured_replication() {
    let server = cql_test_server::CqlTestServer::start().expect("CQL test server");
    let mut config = CassandraConfig::new(vec![server.addr().to_string()]);
    config.keyspace = "replicated".into();
    config.replication = api_gateway::state::config::simple_strategy(3);
    let store = state::open(&StateConfig::Cassandra(config.clone()))
        .await
        .expect("first start creates the keyspace");
    store
        .record_gni_apply(apply(1, "1", &[]))
        .await
        .expect("tables exist");
    drop(store);
    // A second start finds them and keeps what is there.
    let again = state::open(&StateConfig::Cassandra(config))
        .await
        .expect("second start");
    assert_eq!(again.gni_applies(None, 10).await.unwrap().len(), 1);
}
