//! The MidoNet REST API gateway: MidoNet v5's API (and the v1.9 media types eucanetd sends)
//! served over a transactional topology store kept in ZooKeeper or in an embedded file.

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod fsck;
pub mod http;
pub mod openapi;
pub mod render;
pub mod state;
pub mod store;
pub mod testing;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::serve::ListenerExt;
use axum::ServiceExt;
use tower_http::normalize_path::NormalizePath;
use tower_http::trace::TraceLayer;

use crate::api::AppState;
use crate::store::Store;

/// Where the API lives on the server, as in MidoNet.
pub const API_ROOT: &str = "/midonet-api";

/// The whole service over `store`, without a socket (tests call it directly), with
/// authentication disabled. Paths are served with and without a trailing slash, as MidoNet
/// serves them.
pub fn app(store: Arc<Store>) -> NormalizePath<axum::Router> {
    app_with(store, auth::Access::Open)
}

/// The whole service over `store`, with `access` deciding who may do what.
pub fn app_with(store: Arc<Store>, access: auth::Access) -> NormalizePath<axum::Router> {
    let guard = auth::Guard::new(access, store.clone());
    let login = axum::Router::new()
        .route(
            "/login",
            axum::routing::post(auth::login).fallback(api::method_not_allowed),
        )
        .with_state(guard.clone());
    let api = api::routes()
        .merge(openapi::routes())
        .with_state(AppState { store })
        .merge(login)
        .layer(axum::middleware::from_fn_with_state(guard, auth::authorize));
    let router = axum::Router::new()
        .nest(API_ROOT, api)
        .layer(DefaultBodyLimit::max(http::MAX_BODY))
        .layer(TraceLayer::new_for_http());
    NormalizePath::trim_trailing_slash(router)
}

/// How `serve` serves: who may do what, and TLS when given.
#[derive(Clone)]
pub struct ServeOptions {
    pub access: auth::Access,
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl ServeOptions {
    /// Plain HTTP, no authentication: tests and in-process gateways.
    pub fn open() -> ServeOptions {
        ServeOptions {
            access: auth::Access::Open,
            tls: None,
        }
    }
}

/// Which backend holds the topology.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// The embedded redb file in this directory (the default).
    Embedded { dir: PathBuf },
    /// A ZooKeeper ensemble (`host:port,...`) under `root` (default `/midonet`).
    ZooKeeper { connect: String, root: String },
}

impl std::fmt::Display for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::Embedded { dir } => write!(f, "embedded store in {}", dir.display()),
            StoreConfig::ZooKeeper { connect, root } => {
                write!(f, "ZooKeeper store at {connect} under {root}")
            }
        }
    }
}

/// Opens the configured backend, without loading anything from it.
pub async fn open_backend(
    config: &StoreConfig,
) -> anyhow::Result<Arc<dyn store::backend::Backend>> {
    use anyhow::Context;
    Ok(match config {
        StoreConfig::Embedded { dir } => Arc::new(
            store::embedded::Embedded::open(dir)
                .with_context(|| format!("opening the embedded store in {}", dir.display()))?,
        ),
        StoreConfig::ZooKeeper { connect, root } => Arc::new(
            store::zookeeper::ZookeeperBackend::connect(connect, root)
                .await
                .with_context(|| format!("connecting to ZooKeeper at {connect}"))?,
        ),
    })
}

/// Opens the configured store and loads its mirror.
pub async fn open_store(config: &StoreConfig) -> anyhow::Result<Arc<Store>> {
    use anyhow::Context;
    Store::open(open_backend(config).await?)
        .await
        .context("loading the topology store")
}

/// How the gateway keeps history and flow state (the `[state]` block and its options).
#[derive(Debug, Clone)]
pub struct StateOptions {
    pub store: state::StateConfig,
    /// Record every API write's changes.
    pub history: bool,
    pub flow_ttl: std::time::Duration,
}

impl std::fmt::Display for StateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let history = if self.history { "on" } else { "off" };
        write!(
            f,
            "{}, history {history}, flow state TTL {}s",
            self.store,
            self.flow_ttl.as_secs()
        )
    }
}

/// Opens the state store (creating its tables), starts the history writer when history is on,
/// and attaches both to `store`.
pub async fn attach_state(store: &Store, options: &StateOptions) -> anyhow::Result<()> {
    use anyhow::Context;
    let opened = state::open(&options.store)
        .await
        .with_context(|| format!("opening the {}", options.store))?;
    let writer = if options.history {
        Some(
            state::history::HistoryWriter::start(opened.clone(), state::history::DEFAULT_QUEUE)
                .context("starting the history writer")?,
        )
    } else {
        None
    };
    store
        .attach_state(state::history::StateService {
            state: opened,
            writer,
            flow_ttl: options.flow_ttl,
        })
        .await
        .context("attaching the state store")?;
    Ok(())
}

/// Binds `listen`, reports the bound address through `bound`, and serves until `shutdown`,
/// over plain HTTP without authentication.
pub async fn serve(
    store: Arc<Store>,
    listen: SocketAddr,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(store, ServeOptions::open(), listen, bound, shutdown).await
}

/// Like [`serve`], with access control and TLS as `options` say.
pub async fn serve_with(
    store: Arc<Store>,
    options: ServeOptions,
    listen: SocketAddr,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    bound(listener.local_addr()?);
    let service =
        ServiceExt::<axum::extract::Request>::into_make_service(app_with(store, options.access));
    match options.tls {
        Some(config) => {
            let listener = tls::TlsListener::new(listener, config)?;
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        None => {
            // Replies are small and written in pieces: without TCP_NODELAY, Nagle's algorithm
            // meets the client's delayed ACK and every request pays for it.
            let listener = listener.tap_io(|tcp| {
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                }
            });
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
    }
    Ok(())
}
