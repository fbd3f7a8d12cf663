//! Measures the gateway on a real ZooKeeper, in one run so ratios are fair on a noisy machine:
//!
//! 1. API creates (routers, router ports, chains, rules) through HTTP, from `--lanes`
//!    concurrent clients, each working on its own objects; every multi the store sends is
//!    recorded.
//! 2. The same multis replayed straight into ZooKeeper through the backend, from as many
//!    lanes (no HTTP, no mirror, no integrity walk): the raw `multi` baseline, byte for byte
//!    the same payloads.
//!
//! The two alternate for `--rounds` rounds; the first round only warms up ZooKeeper's JVM and
//! is not counted. Then reads served from the mirror: single GETs and the list of 10,000
//! routers.
//!
//! Run: `cargo bench -p api-gateway --bench api_throughput -- [--durable] [--lanes N]
//! [--rounds N] [--per-round N] [--no-watch]`
//!
//! `--history` measures instead what recording history costs API creates on ZooKeeper: three
//! gateways on one ZooKeeper (each under its own root), one without a state store, one
//! recording history in the embedded state store, one in Cassandra (the in-memory CQL
//! server, in this process), their rounds alternating (each round starting with the next of
//! the three); each round's history is flushed (untimed) before the next, so no round
//! inherits another's backlog.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api_gateway::store::backend::{
    Backend, BackendError, BoxFuture, Echo, Entry, KvOp, Observed, Receipt,
};
use api_gateway::store::zookeeper::ZookeeperBackend;
use api_gateway::store::Store;
use api_gateway::testing::{LocalGateway, ZkServer};
use serde_json::json;
use tokio::sync::mpsc;
use uuid::Uuid;

// The same allocator as the `api-gateway` binary, so the gateway is measured as it runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A backend that remembers every successful multi, in completion order.
struct Recording {
    inner: ZookeeperBackend,
    log: Mutex<Vec<Vec<KvOp>>>,
    watch: bool,
}

impl Backend for Recording {
    fn multi(&self, ops: Vec<KvOp>) -> BoxFuture<'_, Result<Receipt, BackendError>> {
        Box::pin(async move {
            let receipt = self.inner.multi(ops.clone()).await?;
            self.log.lock().unwrap().push(ops);
            Ok(receipt)
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
        sink: mpsc::UnboundedSender<Observed>,
        echo: Echo,
    ) -> BoxFuture<'_, Result<bool, BackendError>> {
        if !self.watch {
            return Box::pin(async { Ok(false) });
        }
        self.inner.watch(sink, echo)
    }
}

/// A backend that keeps keys in memory and answers at once: with it, the benchmark measures
/// the gateway's own cost per request (`--in-memory`), with no ZooKeeper in the way.
#[derive(Default)]
struct InMemory {
    keys: Mutex<HashMap<String, (i32, Vec<u8>)>>,
    rev: std::sync::atomic::AtomicI64,
}

impl Backend for InMemory {
    fn multi(&self, ops: Vec<KvOp>) -> BoxFuture<'_, Result<Receipt, BackendError>> {
        let rev = self.rev.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let mut keys = self.keys.lock().unwrap();
        let mut stats = Vec::new();
        for op in ops {
            let stat = match op {
                KvOp::Create { path, data } => {
                    keys.insert(path, (0, data));
                    Some(api_gateway::store::backend::Stat { version: 0, rev })
                }
                KvOp::Set {
                    path,
                    data,
                    version,
                } => {
                    keys.insert(path, (version + 1, data));
                    Some(api_gateway::store::backend::Stat {
                        version: version + 1,
                        rev,
                    })
                }
                KvOp::Delete { path, .. } => {
                    keys.remove(&path);
                    None
                }
                KvOp::Check { .. } => None,
            };
            stats.push(stat);
        }
        Box::pin(async move { Ok(Receipt { rev, stats }) })
    }
    fn load(&self) -> BoxFuture<'_, Result<Vec<Entry>, BackendError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn read(&self, _paths: Vec<String>) -> BoxFuture<'_, Result<Vec<Observed>, BackendError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn watch(
        &self,
        _sink: mpsc::UnboundedSender<Observed>,
        _echo: Echo,
    ) -> BoxFuture<'_, Result<bool, BackendError>> {
        Box::pin(async { Ok(false) })
    }
}

/// Creates through HTTP against the in-memory backend: the gateway's own throughput.
async fn in_memory_rate(opt: &Options) -> anyhow::Result<f64> {
    let gateway = LocalGateway::serve(Store::open(Arc::new(InMemory::default())).await?).await?;
    let base = gateway.url.clone();
    let mut best = 0.0f64;
    for round in 0..opt.rounds {
        let (creates, elapsed) = api_round(&base, opt, round).await?;
        best = best.max(creates as f64 / elapsed.as_secs_f64());
    }
    Ok(best)
}

struct Options {
    lanes: usize,
    warmup: Duration,
    rounds: usize,
    per_round: usize,
    list_size: usize,
    durable: bool,
    watch: bool,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    Options {
        lanes: value("--lanes", 4),
        warmup: Duration::from_secs(value("--warmup-secs", 15) as u64),
        rounds: value("--rounds", 16),
        per_round: value("--per-round", 1000),
        list_size: value("--list-size", 10_000),
        durable: args.iter().any(|a| a == "--durable"),
        watch: !args.iter().any(|a| a == "--no-watch"),
    }
}

/// Ids a lane chooses for its objects: the lane is in the high bits, so any recorded op can
/// be traced to the lane that caused it.
fn lane_id(lane: usize, n: u64) -> Uuid {
    Uuid::from_u128(((lane as u128 + 1) << 96) | n as u128)
}

fn lane_of(ops: &[KvOp]) -> Option<usize> {
    ops.iter()
        .flat_map(|op| op.path().split('/'))
        .filter_map(|seg| seg.parse::<Uuid>().ok())
        .map(|id| (id.as_u128() >> 96) as usize)
        .find(|l| *l > 0)
        .map(|l| l - 1)
}

/// One keep-alive HTTP/1.1 connection to the gateway: the leanest honest client, so the
/// benchmark's own CPU (which shares the machine's two cores with the gateway and ZooKeeper)
/// stays small.
struct Connection {
    authority: String,
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Full<hyper::body::Bytes>>,
}

impl Connection {
    async fn open(base: &str) -> Connection {
        let authority = base
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let stream = tokio::net::TcpStream::connect(&authority)
            .await
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("handshake");
        tokio::spawn(conn);
        Connection { authority, sender }
    }

    async fn post(&mut self, url: &str, body: serde_json::Value) {
        let req = hyper::Request::post(url)
            .header("host", &self.authority)
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(hyper::body::Bytes::from(
                body.to_string(),
            )))
            .expect("request");
        let resp = self.sender.send_request(req).await.expect("POST");
        let status = resp.status();
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .expect("body")
            .to_bytes();
        assert_eq!(
            status,
            201,
            "POST {url}: {}",
            String::from_utf8_lossy(&body)
        );
    }
}

/// One lane's share of a round: routers, a port on each, a chain, rules in it. Returns the
/// number of creates.
async fn lane_round(base: String, lane: usize, round: usize, creates: usize) -> usize {
    let mut conn = Connection::open(&base).await;
    let mut n = (round as u64) << 32;
    let mut next = || {
        n += 1;
        lane_id(lane, n)
    };
    let routers = creates / 4;
    let rules = creates - 3 * routers - 1;
    let chain = next();
    conn.post(
        &format!("{base}/chains"),
        json!({"id": chain, "name": format!("sg_ingress_{lane}_{round}")}),
    )
    .await;
    for i in 0..routers {
        let router = next();
        conn.post(&format!("{base}/routers"), json!({"id": router, "name": format!("vr_{lane}_{round}_{i}"), "tenantId": "euca_tenant_1"})).await;
        let port = next();
        conn.post(
            &format!("{base}/routers/{router}/ports"),
            json!({"id": port, "portAddress": format!("169.254.{}.{}", i / 250, i % 250 + 1), "networkAddress": "169.254.0.0", "networkLength": 17}),
        )
        .await;
        conn.post(
            &format!("{base}/routers/{router}/routes"),
            json!({"id": next(), "type": "Normal", "dstNetworkAddr": "172.31.0.0", "dstNetworkLength": 16, "nextHopPort": port, "weight": 0}),
        )
        .await;
    }
    for i in 0..rules {
        conn.post(
            &format!("{base}/chains/{chain}/rules"),
            json!({"id": next(), "type": "accept", "nwProto": 6, "tpDst": {"start": 1 + i, "end": 1 + i},
                   "nwSrcAddress": "10.0.0.0", "nwSrcLength": 8, "position": i + 1}),
        )
        .await;
    }
    1 + 3 * routers + rules
}

/// One round of creates through HTTP from every lane at once: how many, and how long.
async fn api_round(base: &str, opt: &Options, round: usize) -> anyhow::Result<(usize, Duration)> {
    let started = Instant::now();
    let mut lanes = tokio::task::JoinSet::new();
    for lane in 0..opt.lanes {
        lanes.spawn(lane_round(
            base.to_string(),
            lane,
            round,
            opt.per_round / opt.lanes,
        ));
    }
    let mut creates = 0;
    while let Some(n) = lanes.join_next().await {
        creates += n?;
    }
    Ok((creates, started.elapsed()))
}

/// Replays each lane's multis in order, the lanes concurrently, and says how long it took.
async fn replay(
    backend: &Arc<ZookeeperBackend>,
    by_lane: &HashMap<usize, Vec<Vec<KvOp>>>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut replays = tokio::task::JoinSet::new();
    for multis in by_lane.values() {
        let (raw, multis) = (backend.clone(), multis.clone());
        replays.spawn(async move {
            for ops in multis {
                raw.multi(ops).await.expect("raw multi");
            }
        });
    }
    while let Some(r) = replays.join_next().await {
        r?;
    }
    Ok(started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let opt = options();
    if std::env::args().any(|a| a == "--history") {
        return history_overhead(&opt).await;
    }
    if std::env::args().any(|a| a == "--in-memory") {
        println!(
            "gateway alone (in-memory backend): {:.0} creates/s",
            in_memory_rate(&opt).await?
        );
        return Ok(());
    }
    let zk = if opt.durable {
        ZkServer::start_durable().await?
    } else {
        ZkServer::start().await?
    };
    let recording = Arc::new(Recording {
        inner: ZookeeperBackend::connect(&zk.connect_string(), "/bench-api").await?,
        log: Mutex::new(Vec::new()),
        watch: opt.watch,
    });
    let store = Store::open(recording.clone()).await?;
    let gateway = LocalGateway::serve(store.clone()).await?;
    let base = gateway.url.clone();
    let client = reqwest::Client::new();
    let raw_backend =
        Arc::new(ZookeeperBackend::connect(&zk.connect_string(), "/bench-raw").await?);
    // The same replay into a tree that a watch covers, as the gateway's own watch covers its
    // tree: ZooKeeper notifies the watcher of every write, and the watcher drops them all
    // unread, as the gateway drops the notifications of its own writes.
    let watched_backend =
        Arc::new(ZookeeperBackend::connect(&zk.connect_string(), "/bench-raw-watched").await?);
    let watcher = ZookeeperBackend::connect(&zk.connect_string(), "/bench-raw-watched").await?;
    let (sink, mut drained) = mpsc::unbounded_channel();
    watcher.watch(sink, Arc::new(|_: &str| true)).await?;
    tokio::spawn(async move { while drained.recv().await.is_some() {} });

    println!(
        "## api-gateway on ZooKeeper ({}; {} lanes; watch {}; after {} s of warm-up)\n",
        if opt.durable {
            "forceSync=yes"
        } else {
            "forceSync=no"
        },
        opt.lanes,
        if opt.watch { "on" } else { "off" },
        opt.warmup.as_secs()
    );
    println!(
        "| round | creates | API through HTTP (/s) | raw multi, same payloads (/s) | API / raw | raw multi under a watch (/s) | API / watched raw |"
    );
    println!("|---|---|---|---|---|---|---|");
    let (mut api_n, mut api_t, mut raw_n, mut raw_t) = (0usize, 0.0, 0usize, 0.0);
    let mut ratios = Vec::new();
    let mut watched_ratios = Vec::new();
    let mut watched_t = 0.0;
    // ZooKeeper's JIT compiles for several seconds under load, taking a core: warm it up with
    // the same work (creates and replays) for `warmup` before measuring.
    let warmup_started = Instant::now();
    let mut round = 0;
    let mut measured_rounds = 0;
    while measured_rounds < opt.rounds {
        let warming = warmup_started.elapsed() < opt.warmup;
        round += 1;
        let (creates, api_elapsed) = api_round(&base, &opt, round).await?;

        let log = std::mem::take(&mut *recording.log.lock().unwrap());
        let mut by_lane: HashMap<usize, Vec<Vec<KvOp>>> = HashMap::new();
        for ops in log {
            by_lane
                .entry(lane_of(&ops).expect("every multi names a lane's object"))
                .or_default()
                .push(ops);
        }
        let multis: usize = by_lane.values().map(Vec::len).sum();
        let raw_elapsed = replay(&raw_backend, &by_lane).await?;
        let watched_elapsed = replay(&watched_backend, &by_lane).await?;
        let (api_rate, raw_rate, watched_rate) = (
            creates as f64 / api_elapsed.as_secs_f64(),
            multis as f64 / raw_elapsed.as_secs_f64(),
            multis as f64 / watched_elapsed.as_secs_f64(),
        );
        if warming {
            continue;
        }
        measured_rounds += 1;
        ratios.push(api_rate / raw_rate);
        watched_ratios.push(api_rate / watched_rate);
        println!(
            "| {measured_rounds} | {creates} | {api_rate:.0} | {raw_rate:.0} | {:.0}% | {watched_rate:.0} | {:.0}% |",
            100.0 * api_rate / raw_rate,
            100.0 * api_rate / watched_rate
        );
        api_n += creates;
        api_t += api_elapsed.as_secs_f64();
        raw_n += multis;
        raw_t += raw_elapsed.as_secs_f64();
        watched_t += watched_elapsed.as_secs_f64();
    }
    let (api_rate, raw_rate, watched_rate) = (
        api_n as f64 / api_t,
        raw_n as f64 / raw_t,
        raw_n as f64 / watched_t,
    );
    ratios.sort_by(f64::total_cmp);
    watched_ratios.sort_by(f64::total_cmp);
    println!(
        "| **all rounds** | {api_n} | **{api_rate:.0}** | **{raw_rate:.0}** | **{:.0}%** | **{watched_rate:.0}** | **{:.0}%** |",
        100.0 * api_rate / raw_rate,
        100.0 * api_rate / watched_rate
    );
    // Background load hits whole rounds; the median round is the steadiest comparison.
    println!(
        "| **median round** | | | | **{:.0}%** | | **{:.0}%** |",
        100.0 * ratios[ratios.len() / 2],
        100.0 * watched_ratios[watched_ratios.len() / 2]
    );

    // Reads from the mirror, with `list_size` routers stored.
    let have = store.list(topology::Class::Router).len();
    let mut fill = tokio::task::JoinSet::new();
    for lane in 0..opt.lanes {
        let base = base.clone();
        let count = opt.list_size.saturating_sub(have) / opt.lanes + 1;
        fill.spawn(async move {
            let mut conn = Connection::open(&base).await;
            for i in 0..count {
                conn.post(
                    &format!("{base}/routers"),
                    json!({"name": format!("fill-{lane}-{i}")}),
                )
                .await;
            }
        });
    }
    while let Some(r) = fill.join_next().await {
        r?;
    }
    let routers: Vec<String> = store
        .list(topology::Class::Router)
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect();
    let mut gets = Vec::new();
    for i in 0..5000 {
        let id = &routers[(i * 7919) % routers.len()];
        let t = Instant::now();
        let resp = client.get(format!("{base}/routers/{id}")).send().await?;
        assert_eq!(resp.status(), 200);
        resp.bytes().await?;
        gets.push(t.elapsed());
    }
    gets.sort();
    let mut lists = Vec::new();
    let mut listed = 0;
    for _ in 0..30 {
        let t = Instant::now();
        let body = client
            .get(format!("{base}/routers"))
            .send()
            .await?
            .bytes()
            .await?;
        lists.push(t.elapsed());
        listed = serde_json::from_slice::<Vec<serde_json::Value>>(&body)?.len();
    }
    lists.sort();
    drop(gateway);

    println!();
    println!("| reads from the mirror | p50 | p99 | max |");
    println!("|---|---|---|---|");
    println!(
        "| GET one router (5,000 requests, {} routers stored) | {:.2} ms | {:.2} ms | {:.2} ms |",
        routers.len(),
        ms(percentile(&gets, 0.5)),
        ms(percentile(&gets, 0.99)),
        ms(percentile(&gets, 1.0))
    );
    println!(
        "| GET the list of {listed} routers (30 requests, whole body received) | {:.1} ms | {:.1} ms | {:.1} ms |",
        ms(percentile(&lists, 0.5)),
        ms(percentile(&lists, 0.99)),
        ms(percentile(&lists, 1.0))
    );
    Ok(())
}

/// A gateway on `zk` under `root`, with history recorded in `state` when given.
async fn zk_gateway(
    zk: &ZkServer,
    root: &str,
    state: Option<api_gateway::state::StateConfig>,
) -> anyhow::Result<LocalGateway> {
    let store = api_gateway::open_store(&api_gateway::StoreConfig::ZooKeeper {
        connect: zk.connect_string(),
        root: root.into(),
    })
    .await?;
    if let Some(state) = state {
        let options = api_gateway::StateOptions {
            store: state,
            history: true,
            flow_ttl: api_gateway::state::config::DEFAULT_FLOW_TTL,
        };
        api_gateway::attach_state(&store, &options).await?;
    }
    LocalGateway::serve(store).await
}

async fn flush_history(gateway: &LocalGateway) -> (u64, u64) {
    let Some(writer) = gateway.store.state().and_then(|s| s.writer.as_ref()) else {
        return (0, 0);
    };
    writer.flush().await;
    let stats = writer.stats();
    (
        stats.recorded.load(std::sync::atomic::Ordering::Relaxed),
        stats.dropped.load(std::sync::atomic::Ordering::Relaxed)
            + stats.failed.load(std::sync::atomic::Ordering::Relaxed),
    )
}

/// API creates with history off, on (embedded) and on (Cassandra), alternating by round.
async fn history_overhead(opt: &Options) -> anyhow::Result<()> {
    // Warnings (a lost ZooKeeper session, a history write retried) go to stderr.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .try_init();
    let zk = if opt.durable {
        ZkServer::start_durable().await?
    } else {
        ZkServer::start().await?
    };
    let dir = tempfile::tempdir()?;
    let cql = cql_test_server::CqlTestServer::start()?;
    let gateways = [
        zk_gateway(&zk, "/bench-history-off", None).await?,
        zk_gateway(
            &zk,
            "/bench-history-embedded",
            Some(api_gateway::state::StateConfig::Embedded {
                dir: dir.path().to_path_buf(),
            }),
        )
        .await?,
        zk_gateway(
            &zk,
            "/bench-history-cassandra",
            Some(api_gateway::state::StateConfig::Cassandra(
                api_gateway::state::config::CassandraConfig::new(vec![cql.addr().to_string()]),
            )),
        )
        .await?,
    ];
    println!(
        "## API creates on ZooKeeper with history off and on ({} lanes; after {} s of warm-up)\n",
        opt.lanes,
        opt.warmup.as_secs()
    );
    println!("| round | creates | history off (/s) | history in embedded (/s) | on / off | history in Cassandra (/s) | on / off |");
    println!("|---|---|---|---|---|---|---|");
    let warmup_started = Instant::now();
    let (mut round, mut measured) = (0, 0);
    let mut totals = [(0usize, 0.0f64); 3];
    let mut ratios = [Vec::new(), Vec::new()];
    while measured < opt.rounds {
        let warming = warmup_started.elapsed() < opt.warmup;
        round += 1;
        let mut rates = [0.0f64; 3];
        let mut creates = 0;
        // Each round starts with another of the three, so none always follows the same one.
        for i in (0..3).map(|k| (k + round) % 3) {
            let g = &gateways[i];
            let (n, elapsed) = api_round(&g.url, opt, round).await?;
            flush_history(g).await;
            rates[i] = n as f64 / elapsed.as_secs_f64();
            creates = n;
            if !warming {
                totals[i].0 += n;
                totals[i].1 += elapsed.as_secs_f64();
            }
        }
        if warming {
            continue;
        }
        measured += 1;
        ratios[0].push(rates[1] / rates[0]);
        ratios[1].push(rates[2] / rates[0]);
        println!(
            "| {measured} | {creates} | {:.0} | {:.0} | {:.0}% | {:.0} | {:.0}% |",
            rates[0],
            rates[1],
            100.0 * rates[1] / rates[0],
            rates[2],
            100.0 * rates[2] / rates[0]
        );
    }
    let rate = |i: usize| totals[i].0 as f64 / totals[i].1;
    println!(
        "| **all rounds** | {} | **{:.0}** | **{:.0}** | **{:.0}%** | **{:.0}** | **{:.0}%** |",
        totals[0].0,
        rate(0),
        rate(1),
        100.0 * rate(1) / rate(0),
        rate(2),
        100.0 * rate(2) / rate(0)
    );
    for r in &mut ratios {
        r.sort_by(f64::total_cmp);
    }
    println!(
        "| **median round** | | | | **{:.0}%** | | **{:.0}%** |",
        100.0 * ratios[0][ratios[0].len() / 2],
        100.0 * ratios[1][ratios[1].len() / 2]
    );
    println!();
    for (name, g) in [("embedded", &gateways[1]), ("Cassandra", &gateways[2])] {
        let (recorded, lost) = flush_history(g).await;
        println!("history in {name}: {recorded} changes recorded, {lost} dropped or failed");
    }
    Ok(())
}
