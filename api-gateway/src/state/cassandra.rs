//! The Cassandra state store, over CQL v4 with cdrs-tokio: the keyspace and tables are
//! created on first connect (replication from the configuration), every statement is
//! prepared once, long reads are paged, flow state is written with a TTL, and a request
//! that cannot reach Cassandra is retried a bounded number of times and then reported
//! unavailable, naming the nodes.
//!
//! The CQL stays within what every Cassandra since 3.0 accepts, and within what the test
//! server (kassandra) understands: equality on the partition key only, no `ORDER BY`, no
//! lightweight transactions. Hence the layout: a partition per object, per GNI version, per
//! port, per bucket of 1000 revisions and per day, with small index partitions listing the
//! buckets and days in use; ranges are cut and ordered here. Rows also carry their expiry,
//! so an entry past its TTL is never answered even where the server keeps it longer.

use std::time::Duration;

use cdrs_tokio::cluster::session::{Session, SessionBuilder, TcpSessionBuilder};
use cdrs_tokio::cluster::{NodeAddress, NodeTcpConfigBuilder, TcpConnectionManager};
use cdrs_tokio::frame::message_result::RowsMetadataFlags;
use cdrs_tokio::load_balancing::RoundRobinLoadBalancingStrategy;
use cdrs_tokio::query::{PreparedQuery, QueryValues};
use cdrs_tokio::query_values;
use cdrs_tokio::retry::FallthroughRetryPolicy;
use cdrs_tokio::statement::StatementParamsBuilder;
use cdrs_tokio::transport::TransportTcp;
use cdrs_tokio::types::rows::Row;
use cdrs_tokio::types::{ByName, IntoRustByName};
use futures_util::StreamExt;
use uuid::Uuid;

use super::config::CassandraConfig;
use super::{
    corrupt, failed, last, now_ms, whole_revisions, ApiChange, BoxFuture, FlowStateEntry, GniApply,
    Operation, StateError, StateStore,
};

type CqlSession = Session<
    TransportTcp,
    TcpConnectionManager,
    RoundRobinLoadBalancingStrategy<TransportTcp, TcpConnectionManager>,
>;

/// Revisions per partition of `changes_by_bucket`.
const BUCKET: i64 = 1000;
const DAY_MS: i64 = 86_400_000;
/// Rows per page of a long read.
const PAGE: i32 = 500;
/// Writes in flight at once for one call.
const PARALLEL_WRITES: usize = 32;
/// The partition of the small index tables.
const INDEX: &str = "all";

/// Every table, created `IF NOT EXISTS` on connect. `{ks}` is the keyspace.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS {ks}.changes_by_bucket (bucket bigint, revision bigint, seq int, \
     at_ms bigint, tenant text, operation text, class text, id uuid, before text, after text, \
     PRIMARY KEY ((bucket), revision, seq))",
    "CREATE TABLE IF NOT EXISTS {ks}.change_buckets (shard text, bucket bigint, \
     PRIMARY KEY ((shard), bucket))",
    "CREATE TABLE IF NOT EXISTS {ks}.changes_by_object (id uuid, revision bigint, seq int, \
     at_ms bigint, tenant text, operation text, class text, before text, after text, \
     PRIMARY KEY ((id), revision, seq))",
    "CREATE TABLE IF NOT EXISTS {ks}.recording_starts (shard text, revision bigint, \
     PRIMARY KEY ((shard), revision))",
    "CREATE TABLE IF NOT EXISTS {ks}.gni_applies_by_day (day bigint, at_ms bigint, \
     version text, operations bigint, duration_ms bigint, errors text, \
     PRIMARY KEY ((day), at_ms, version))",
    "CREATE TABLE IF NOT EXISTS {ks}.gni_days (shard text, day bigint, \
     PRIMARY KEY ((shard), day))",
    "CREATE TABLE IF NOT EXISTS {ks}.gni_applies_by_version (version text, at_ms bigint, \
     operations bigint, duration_ms bigint, errors text, PRIMARY KEY ((version), at_ms))",
    // As MidoNet's flow state tables: short gc grace, since every row dies by TTL.
    "CREATE TABLE IF NOT EXISTS {ks}.flow_state_by_port (port uuid, entry text, \
     expires_at bigint, PRIMARY KEY ((port), entry)) WITH gc_grace_seconds = 30",
];

const CHANGE_COLUMNS: &str = "revision, seq, at_ms, tenant, operation, class, before, after";
const GNI_COLUMNS: &str = "at_ms, version, operations, duration_ms, errors";

/// The prepared statements, one per question or write.
struct Statements {
    insert_change: PreparedQuery,
    insert_bucket: PreparedQuery,
    insert_object_change: PreparedQuery,
    select_buckets: PreparedQuery,
    select_bucket: PreparedQuery,
    select_object: PreparedQuery,
    insert_start: PreparedQuery,
    select_starts: PreparedQuery,
    insert_gni_day: PreparedQuery,
    insert_day: PreparedQuery,
    insert_gni_version: PreparedQuery,
    select_days: PreparedQuery,
    select_gni_day: PreparedQuery,
    select_gni_version: PreparedQuery,
    select_flows: PreparedQuery,
}

pub struct CassandraState {
    session: CqlSession,
    statements: Statements,
    config: CassandraConfig,
    /// `INSERT ... USING TTL n` for each TTL used so far: the TTL is part of the statement
    /// text, so a statement is prepared per TTL (a gateway uses one).
    flow_inserts: tokio::sync::Mutex<std::collections::HashMap<u64, PreparedQuery>>,
}

impl CassandraState {
    /// Connects to the configured nodes, creates the keyspace and tables if missing and
    /// prepares every statement. Unreachable nodes are retried `attempts` times, each within
    /// `timeout`, then reported.
    pub async fn connect(config: &CassandraConfig) -> Result<CassandraState, StateError> {
        super::config::check_keyspace(&config.keyspace).map_err(StateError::Failed)?;
        super::config::check_replication(&config.replication)
            .map_err(|why| StateError::Failed(format!("replication: {why}")))?;
        let where_ = config.contact_points.join(",");
        let mut last_error = String::from("no contact point configured");
        let mut session = None;
        for attempt in 0..config.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            match tokio::time::timeout(config.timeout, open_session(config)).await {
                Ok(Ok(s)) => {
                    session = Some(s);
                    break;
                }
                Ok(Err(e)) => last_error = e,
                Err(_) => last_error = format!("no answer within {:?}", config.timeout),
            }
            tracing::warn!(nodes = %where_, attempt, error = %last_error, "cannot reach Cassandra");
        }
        let session = session.ok_or_else(|| {
            StateError::Unavailable(format!(
                "cannot reach Cassandra at {where_} after {} attempts: {last_error}",
                config.attempts.max(1)
            ))
        })?;
        let ks = &config.keyspace;
        let create_keyspace = format!(
            "CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = {}",
            config.replication_cql()
        );
        session
            .query(create_keyspace)
            .await
            .map_err(|e| failed(format!("creating keyspace {ks}: {e}")))?;
        for table in SCHEMA {
            let cql = table.replace("{ks}", ks);
            session
                .query(cql.as_str())
                .await
                .map_err(|e| failed(format!("{cql}: {e}")))?;
        }
        let prepare = |cql: String| {
            let session = &session;
            async move {
                session
                    .prepare(cql.as_str())
                    .await
                    .map_err(|e| failed(format!("preparing {cql}: {e}")))
            }
        };
        let statements = Statements {
            insert_change: prepare(format!(
                "INSERT INTO {ks}.changes_by_bucket (bucket, id, {CHANGE_COLUMNS}) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .await?,
            insert_bucket: prepare(format!(
                "INSERT INTO {ks}.change_buckets (shard, bucket) VALUES (?, ?)"
            ))
            .await?,
            insert_object_change: prepare(format!(
                "INSERT INTO {ks}.changes_by_object (id, {CHANGE_COLUMNS}) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .await?,
            select_buckets: prepare(format!(
                "SELECT bucket FROM {ks}.change_buckets WHERE shard = ?"
            ))
            .await?,
            select_bucket: prepare(format!(
                "SELECT id, {CHANGE_COLUMNS} FROM {ks}.changes_by_bucket WHERE bucket = ?"
            ))
            .await?,
            select_object: prepare(format!(
                "SELECT id, {CHANGE_COLUMNS} FROM {ks}.changes_by_object WHERE id = ?"
            ))
            .await?,
            insert_start: prepare(format!(
                "INSERT INTO {ks}.recording_starts (shard, revision) VALUES (?, ?)"
            ))
            .await?,
            select_starts: prepare(format!(
                "SELECT revision FROM {ks}.recording_starts WHERE shard = ?"
            ))
            .await?,
            insert_gni_day: prepare(format!(
                "INSERT INTO {ks}.gni_applies_by_day (day, {GNI_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            ))
            .await?,
            insert_day: prepare(format!(
                "INSERT INTO {ks}.gni_days (shard, day) VALUES (?, ?)"
            ))
            .await?,
            insert_gni_version: prepare(format!(
                "INSERT INTO {ks}.gni_applies_by_version ({GNI_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
            ))
            .await?,
            select_days: prepare(format!("SELECT day FROM {ks}.gni_days WHERE shard = ?")).await?,
            select_gni_day: prepare(format!(
                "SELECT {GNI_COLUMNS} FROM {ks}.gni_applies_by_day WHERE day = ?"
            ))
            .await?,
            select_gni_version: prepare(format!(
                "SELECT {GNI_COLUMNS} FROM {ks}.gni_applies_by_version WHERE version = ?"
            ))
            .await?,
            select_flows: prepare(format!(
                "SELECT entry, expires_at FROM {ks}.flow_state_by_port WHERE port = ?"
            ))
            .await?,
        };
        tracing::info!(nodes = %where_, keyspace = %ks, "Cassandra state store ready");
        Ok(CassandraState {
            session,
            statements,
            config: config.clone(),
            flow_inserts: Default::default(),
        })
    }

    /// Runs one statement, retrying what failed on the way to Cassandra (not what Cassandra
    /// refused) up to the configured attempts.
    async fn exec(&self, stmt: &PreparedQuery, values: QueryValues) -> Result<(), StateError> {
        self.page(stmt, values, None).await.map(|_| ())
    }

    /// One page of a statement's rows from `cursor`, and the cursor of the next page.
    async fn page(
        &self,
        stmt: &PreparedQuery,
        values: QueryValues,
        cursor: Option<cdrs_tokio::types::CBytes>,
    ) -> Result<(Vec<Row>, Option<cdrs_tokio::types::CBytes>), StateError> {
        let mut last_error = String::new();
        for attempt in 0..self.config.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(backoff(attempt)).await;
            }
            let mut params = StatementParamsBuilder::new()
                .with_values(values.clone())
                .with_page_size(PAGE);
            if let Some(c) = &cursor {
                params = params.with_paging_state(c.clone());
            }
            let params = params.build();
            let call = self.session.exec_with_params(stmt, &params);
            let envelope = match tokio::time::timeout(self.config.timeout, call).await {
                Err(_) => {
                    last_error = format!("no answer within {:?}", self.config.timeout);
                    continue;
                }
                Ok(Err(cdrs_tokio::error::Error::Server { body, addr })) => {
                    return Err(failed(format!(
                        "Cassandra at {addr} refused: {}",
                        body.message
                    )))
                }
                Ok(Err(e)) => {
                    last_error = e.to_string();
                    continue;
                }
                Ok(Ok(envelope)) => envelope,
            };
            let body = envelope.response_body().map_err(failed)?;
            let next = body.as_rows_metadata().and_then(|m| {
                if m.flags.contains(RowsMetadataFlags::HAS_MORE_PAGES) {
                    m.paging_state.clone()
                } else {
                    None
                }
            });
            return Ok((body.into_rows().unwrap_or_default(), next));
        }
        Err(StateError::Unavailable(format!(
            "Cassandra at {} did not answer after {} attempts: {last_error}",
            self.config.contact_points.join(","),
            self.config.attempts.max(1)
        )))
    }

    /// Every row of a statement, page by page.
    async fn rows(
        &self,
        stmt: &PreparedQuery,
        values: QueryValues,
    ) -> Result<Vec<Row>, StateError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let (rows, next) = self.page(stmt, values.clone(), cursor).await?;
            all.extend(rows);
            match next {
                Some(c) => cursor = Some(c),
                None => return Ok(all),
            }
        }
    }

    /// Runs `writes` with a few in flight at once; the first error wins.
    async fn exec_all(&self, writes: Vec<(&PreparedQuery, QueryValues)>) -> Result<(), StateError> {
        let mut pending = futures_util::stream::FuturesUnordered::new();
        for (stmt, values) in writes {
            if pending.len() >= PARALLEL_WRITES {
                if let Some(done) = pending.next().await {
                    done?;
                }
            }
            pending.push(self.exec(stmt, values));
        }
        while let Some(done) = pending.next().await {
            done?;
        }
        Ok(())
    }

    /// The buckets or days listed in an index table, ascending.
    async fn index(&self, stmt: &PreparedQuery, column: &str) -> Result<Vec<i64>, StateError> {
        let mut keys = Vec::new();
        for row in self.rows(stmt, query_values!(INDEX.to_string())).await? {
            keys.push(get::<i64>(&row, column)?);
        }
        keys.sort_unstable();
        Ok(keys)
    }

    async fn flow_insert(&self, ttl: Duration) -> Result<PreparedQuery, StateError> {
        let secs = ttl.as_secs().max(1);
        let mut cache = self.flow_inserts.lock().await;
        if let Some(p) = cache.get(&secs) {
            return Ok(p.clone());
        }
        let cql = format!(
            "INSERT INTO {}.flow_state_by_port (port, entry, expires_at) VALUES (?, ?, ?) \
             USING TTL {secs}",
            self.config.keyspace
        );
        let prepared = self
            .session
            .prepare(cql.as_str())
            .await
            .map_err(|e| failed(format!("preparing {cql}: {e}")))?;
        cache.insert(secs, prepared.clone());
        Ok(prepared)
    }
}

async fn open_session(config: &CassandraConfig) -> Result<CqlSession, String> {
    let points: Vec<NodeAddress> = config
        .contact_points
        .iter()
        .map(|p| NodeAddress::from(p.clone()))
        .collect();
    let nodes = NodeTcpConfigBuilder::new()
        .with_contact_points(points)
        .build()
        .await
        .map_err(|e| e.to_string())?;
    TcpSessionBuilder::new(RoundRobinLoadBalancingStrategy::new(), nodes)
        // Retries are ours, bounded by the configuration.
        .with_retry_policy(Box::new(FallthroughRetryPolicy))
        .build()
        .await
        .map_err(|e| e.to_string())
}

/// The pause before retry `attempt` (1, 2, ...): 100 ms doubling, at most 2 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((100u64 << attempt.min(5)).min(2000))
}

fn get<T>(row: &Row, column: &str) -> Result<T, StateError>
where
    Row: IntoRustByName<T>,
{
    row.by_name::<T>(column)
        .map_err(|e| corrupt(&format!("column {column}"), e))?
        .ok_or_else(|| corrupt(&format!("column {column}"), "null"))
}

/// JSON text for an optional value; empty for none (Cassandra stores no empty-vs-null
/// difference we rely on).
fn json_text(v: &Option<std::sync::Arc<serde_json::Value>>) -> String {
    v.as_ref().map_or_else(String::new, |v| v.to_string())
}

fn json_value(text: &str) -> Result<Option<std::sync::Arc<serde_json::Value>>, StateError> {
    if text.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(|v| Some(std::sync::Arc::new(v)))
        .map_err(|e| corrupt("change record", e))
}

/// A change row of either change table (both select `id` and [`CHANGE_COLUMNS`]).
fn change_of(row: &Row) -> Result<ApiChange, StateError> {
    let operation: String = get(row, "operation")?;
    Ok(ApiChange {
        revision: get(row, "revision")?,
        seq: get(row, "seq")?,
        at_ms: get(row, "at_ms")?,
        tenant: get(row, "tenant")?,
        operation: Operation::parse(&operation)
            .ok_or_else(|| corrupt("change record", format!("operation {operation:?}")))?,
        class: get(row, "class")?,
        id: get(row, "id")?,
        before: json_value(&get::<String>(row, "before")?)?,
        after: json_value(&get::<String>(row, "after")?)?,
    })
}

fn gni_of(row: &Row) -> Result<GniApply, StateError> {
    let errors: String = get(row, "errors")?;
    Ok(GniApply {
        at_ms: get(row, "at_ms")?,
        version: get(row, "version")?,
        operations: u64::try_from(get::<i64>(row, "operations")?).unwrap_or(0),
        duration_ms: u64::try_from(get::<i64>(row, "duration_ms")?).unwrap_or(0),
        errors: serde_json::from_str(&errors).map_err(|e| corrupt("GNI apply record", e))?,
    })
}

fn sort_changes(changes: &mut [ApiChange]) {
    changes.sort_unstable_by_key(|c| (c.revision, c.seq));
}

impl StateStore for CassandraState {
    fn describe(&self) -> String {
        format!(
            "Cassandra state store at {} (keyspace {})",
            self.config.contact_points.join(","),
            self.config.keyspace
        )
    }

    fn record_changes(&self, changes: Vec<ApiChange>) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async move {
            let s = &self.statements;
            let mut writes = Vec::with_capacity(changes.len() * 2 + 1);
            let mut buckets: Vec<i64> = changes
                .iter()
                .map(|c| c.revision.div_euclid(BUCKET))
                .collect();
            buckets.dedup();
            for b in buckets {
                writes.push((&s.insert_bucket, query_values!(INDEX.to_string(), b)));
            }
            for c in &changes {
                let (before, after) = (json_text(&c.before), json_text(&c.after));
                let op = c.operation.name().to_string();
                writes.push((
                    &s.insert_change,
                    query_values!(
                        c.revision.div_euclid(BUCKET),
                        c.id,
                        c.revision,
                        c.seq,
                        c.at_ms,
                        c.tenant.clone(),
                        op.clone(),
                        c.class.clone(),
                        before.clone(),
                        after.clone()
                    ),
                ));
                writes.push((
                    &s.insert_object_change,
                    query_values!(
                        c.id,
                        c.revision,
                        c.seq,
                        c.at_ms,
                        c.tenant.clone(),
                        op,
                        c.class.clone(),
                        before,
                        after
                    ),
                ));
            }
            self.exec_all(writes).await
        })
    }

    fn object_history(
        &self,
        id: Uuid,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApiChange>, StateError>> {
        Box::pin(async move {
            let rows = self
                .rows(&self.statements.select_object, query_values!(id))
                .await?;
            let mut changes = rows.iter().map(change_of).collect::<Result<Vec<_>, _>>()?;
            sort_changes(&mut changes);
            Ok(last(changes, limit))
        })
    }

    fn changes_between(
        &self,
        after: i64,
        upto: i64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApiChange>, StateError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            if after >= upto {
                return Ok(out);
            }
            let (first, end) = ((after + 1).div_euclid(BUCKET), upto.div_euclid(BUCKET));
            let buckets = self
                .index(&self.statements.select_buckets, "bucket")
                .await?;
            for bucket in buckets.into_iter().filter(|b| (first..=end).contains(b)) {
                let rows = self
                    .rows(&self.statements.select_bucket, query_values!(bucket))
                    .await?;
                let mut changes = Vec::with_capacity(rows.len());
                for row in &rows {
                    let c = change_of(row)?;
                    if c.revision > after && c.revision <= upto {
                        changes.push(c);
                    }
                }
                sort_changes(&mut changes);
                out.extend(changes);
                // Buckets hold whole revisions, so stopping between two loses nothing.
                if out.len() >= limit {
                    break;
                }
            }
            Ok(whole_revisions(out, limit))
        })
    }

    fn mark_recording_from(&self, rev: i64) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async move {
            self.exec(
                &self.statements.insert_start,
                query_values!(INDEX.to_string(), rev),
            )
            .await
        })
    }

    fn recording_from(&self) -> BoxFuture<'_, Result<Option<i64>, StateError>> {
        Box::pin(async move {
            let starts = self
                .index(&self.statements.select_starts, "revision")
                .await?;
            Ok(starts.first().copied())
        })
    }

    fn record_gni_apply(&self, apply: GniApply) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async move {
            let s = &self.statements;
            let errors = serde_json::to_string(&apply.errors).map_err(failed)?;
            let ops = i64::try_from(apply.operations).unwrap_or(i64::MAX);
            let ms = i64::try_from(apply.duration_ms).unwrap_or(i64::MAX);
            let day = apply.at_ms.div_euclid(DAY_MS);
            let writes = vec![
                (&s.insert_day, query_values!(INDEX.to_string(), day)),
                (
                    &s.insert_gni_day,
                    query_values!(
                        day,
                        apply.at_ms,
                        apply.version.clone(),
                        ops,
                        ms,
                        errors.clone()
                    ),
                ),
                (
                    &s.insert_gni_version,
                    query_values!(apply.at_ms, apply.version.clone(), ops, ms, errors),
                ),
            ];
            self.exec_all(writes).await
        })
    }

    fn gni_applies(
        &self,
        version: Option<String>,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<GniApply>, StateError>> {
        Box::pin(async move {
            let s = &self.statements;
            let mut out = Vec::new();
            match version {
                Some(v) => {
                    for row in self.rows(&s.select_gni_version, query_values!(v)).await? {
                        out.push(gni_of(&row)?);
                    }
                }
                None => {
                    // Newest day first, until the limit is reached.
                    for day in self.index(&s.select_days, "day").await?.into_iter().rev() {
                        for row in self.rows(&s.select_gni_day, query_values!(day)).await? {
                            out.push(gni_of(&row)?);
                        }
                        if out.len() >= limit {
                            break;
                        }
                    }
                }
            }
            out.sort_unstable_by(|a, b| (a.at_ms, &a.version).cmp(&(b.at_ms, &b.version)));
            Ok(last(out, limit))
        })
    }

    fn put_flow_state(
        &self,
        port: Uuid,
        entries: Vec<FlowStateEntry>,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<(), StateError>> {
        Box::pin(async move {
            let insert = self.flow_insert(ttl).await?;
            let expires =
                now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
            let mut writes = Vec::with_capacity(entries.len());
            for e in &entries {
                let json = serde_json::to_string(e).map_err(failed)?;
                writes.push((&insert, query_values!(port, json, expires)));
            }
            self.exec_all(writes).await
        })
    }

    fn flow_state(&self, port: Uuid) -> BoxFuture<'_, Result<Vec<FlowStateEntry>, StateError>> {
        Box::pin(async move {
            let now = now_ms();
            let mut out = Vec::new();
            for row in self
                .rows(&self.statements.select_flows, query_values!(port))
                .await?
            {
                if get::<i64>(&row, "expires_at")? <= now {
                    continue;
                }
                let json: String = get(&row, "entry")?;
                out.push(serde_json::from_str(&json).map_err(|e| corrupt("flow state entry", e))?);
            }
            Ok(out)
        })
    }
}
