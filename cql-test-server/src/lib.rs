//! Serves CQL v4 on a loopback port from kassandra's in-memory, single-node engine, so tests
//! can drive a Cassandra driver for real without an Apache Cassandra installation.
//!
//! kassandra's engine is one session shared by every connection (its `USE` keyspace too), so
//! clients should name tables with their keyspace. It understands a subset of CQL: equality
//! `WHERE` clauses, `LIMIT`, paging, prepared statements and batches; what it does not parse
//! after a statement (`USING TTL`, for one) it ignores. The server runs on its own thread
//! and stops when the handle is dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use futures_util::{SinkExt, StreamExt};
use kassandra::error::DbError;
use kassandra::frame::request::Request;
use kassandra::frame::response::error::Error;
use kassandra::frame::response::Response;
use kassandra::frame::{request_stream, response_sink};
use kassandra::KassandraSession;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A running server. Dropping it closes the port and discards the data.
pub struct CqlTestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

type Shared = Arc<Mutex<KassandraSession>>;

impl CqlTestServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> anyhow::Result<CqlTestServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        // The engine's futures are not `Send`: one thread with its own runtime serves them.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(format!("cql-test-server-{}", addr.port()))
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, async move {
                    let listener = match TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(error = %e, "cql test server cannot listen");
                            return;
                        }
                    };
                    let session: Shared = Arc::new(Mutex::new(KassandraSession::new()));
                    tokio::select! {
                        _ = accept(listener, session) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(CqlTestServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for CqlTestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(listener: TcpListener, session: Shared) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::task::spawn_local(connection(stream, session.clone()));
            }
            Err(e) => tracing::warn!(error = %e, "cql test server: accept failed"),
        }
    }
}

/// Answers one client's frames in order until it hangs up.
async fn connection(mut stream: TcpStream, session: Shared) {
    let (mut read, mut write) = stream.split();
    let mut requests = request_stream(&mut read);
    let mut responses = response_sink(&mut write);
    while let Some(frame) = requests.next().await {
        let Ok((frame, opcode, data)) = frame else {
            break;
        };
        let response = match Request::deserialize(opcode, &data, frame.flags) {
            Ok(request) => answer(&session, request),
            Err(e) => Response::Error(Error::new(
                DbError::ProtocolError,
                format!("cannot parse the request: {e}"),
            )),
        };
        if responses.send((response, frame.stream)).await.is_err() {
            break;
        }
    }
}

fn answer(session: &Shared, request: Request) -> Response {
    let mut session = session.lock().unwrap_or_else(|e| e.into_inner());
    let result = match request {
        Request::StartUp(_) | Request::Register { .. } => return Response::Ready,
        Request::Options => return Response::options(),
        Request::Query(query) => session.process(query),
        Request::Prepare(query) => session.prepare(query),
        Request::Execute(execute) => session.execute(execute),
        Request::Batch(batch) => session.process_batch(batch),
        Request::AuthResponse => {
            return Response::Error(Error::new(
                DbError::ProtocolError,
                "this test server has no authentication",
            ))
        }
    };
    match result {
        Ok(result) => Response::Result(result),
        Err(e) => Response::Error(e),
    }
}
