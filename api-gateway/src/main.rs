//! `api-gateway`: serves the MidoNet REST API, and registers hosts on a running gateway.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use api_gateway::config::{self, Backend, ServeFile};
use api_gateway::state::config::{CassandraConfig, StateBackend, StateConfig, StateFile};
use api_gateway::{StateOptions, StoreConfig};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

// The gateway allocates many small JSON values per request; mimalloc keeps that off the
// profile (glibc's malloc and free were a fifth of the CPU per create).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "MidoNet-compatible REST API gateway over ZooKeeper or an embedded store"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API under /midonet-api until interrupted.
    Serve {
        /// A TOML file with these options' settings (`listen`, `store`, `data_dir`, `zookeeper`
        /// as a list, `zk_root`, and a `[state]` block); options given here or in the
        /// environment win over it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Check the configuration (file and options), say what is wrong, and exit.
        #[arg(long)]
        check_config: bool,
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8181", env = "MIDONET_API_LISTEN")]
        listen: SocketAddr,
        /// Where the topology is stored.
        #[arg(long, value_enum, default_value = "embedded")]
        store: Backend,
        /// Directory of the embedded store.
        #[arg(long, default_value = "./midonet-data")]
        data_dir: PathBuf,
        /// ZooKeeper ensemble, `host:port[,host:port...]`.
        #[arg(long, default_value = "127.0.0.1:2181", env = "MIDONET_ZOOKEEPER")]
        zookeeper: String,
        /// Root znode of the topology in ZooKeeper.
        #[arg(long, default_value = "/midonet")]
        zk_root: String,
        /// Where history and flow state are kept: `embedded` (state.redb in --data-dir) or
        /// `cassandra`.
        #[arg(long, value_enum, default_value = "embedded")]
        state_store: StateBackend,
        /// Cassandra nodes, `host:port[,host:port...]`, for `--state-store cassandra`.
        #[arg(long, default_value = "127.0.0.1:9042", env = "MIDONET_CASSANDRAS")]
        cassandras: String,
        /// Do not record API writes in the history.
        #[arg(long)]
        no_history: bool,
    },
    /// Register (or refresh) a host and its interfaces on a running gateway (our extension:
    /// MidoNet's agent does this on its own hosts).
    RegisterHost {
        /// The gateway's API URL.
        #[arg(
            long,
            default_value = "http://127.0.0.1:8181/midonet-api",
            env = "MIDO_API_URL"
        )]
        url: String,
        /// The host's id; defaults to one derived from its name, so re-registering is stable.
        #[arg(long)]
        id: Option<uuid::Uuid>,
        #[arg(long)]
        name: String,
        /// The host's addresses (repeatable).
        #[arg(long = "address")]
        addresses: Vec<String>,
        /// Interfaces, `name[=mac]` (repeatable).
        #[arg(long = "interface")]
        interfaces: Vec<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not for journald or a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // The matches say which options were given explicitly, to layer them over the file.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        Command::Serve {
            config: config_path,
            check_config,
            listen,
            store,
            data_dir: data_dir_cli,
            zookeeper,
            zk_root: zk_root_cli,
            state_store,
            cassandras,
            no_history,
        } => {
            let serve = matches
                .subcommand_matches("serve")
                .context("clap returned no matches for serve")?;
            let file = match &config_path {
                Some(path) => {
                    let file = config::load::<ServeFile>(path)?;
                    file.check()?;
                    file.values
                }
                None => ServeFile::default(),
            };
            let listen = config::layered(serve, "listen", listen, file.listen);
            let store = config::layered(serve, "store", store, file.store);
            let zookeeper =
                config::layered(serve, "zookeeper", zookeeper, file.zookeeper_connect());
            let data_dir = file.data_dir.map(toml::Spanned::into_inner);
            let data_dir = config::layered(serve, "data_dir", data_dir_cli, data_dir);
            let state = state_options(
                serve,
                file.state.unwrap_or_default(),
                (state_store, cassandras, no_history),
                &data_dir,
            )?;
            let zk_root = file.zk_root.map(toml::Spanned::into_inner);
            let zk_root = config::layered(serve, "zk_root", zk_root_cli, zk_root);
            let config = match store {
                Backend::Embedded => StoreConfig::Embedded { dir: data_dir },
                Backend::Zookeeper => StoreConfig::ZooKeeper {
                    connect: zookeeper,
                    root: zk_root,
                },
            };
            if check_config {
                let source = config_path.map_or("options".into(), |p| p.display().to_string());
                println!("{source}: configuration ok: listen {listen}, {config}, {state}");
                return Ok(());
            }
            let store = api_gateway::open_store(&config).await?;
            api_gateway::attach_state(&store, &state).await?;
            api_gateway::serve(
                store,
                listen,
                |addr| {
                    // The first stdout line says where to reach us (tests and scripts read it).
                    println!(
                        "api-gateway listening on http://{addr}{}",
                        api_gateway::API_ROOT
                    );
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await
        }
        Command::RegisterHost {
            url,
            id,
            name,
            addresses,
            interfaces,
        } => {
            let id = id
                .unwrap_or_else(|| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, name.as_bytes()));
            let ifaces: Vec<serde_json::Value> = interfaces
                .iter()
                .map(|i| match i.split_once('=') {
                    Some((n, mac)) => serde_json::json!({"name": n, "mac": mac}),
                    None => serde_json::json!({"name": i}),
                })
                .collect();
            let body = serde_json::json!({"id": id, "name": name, "addresses": addresses, "hostInterfaces": ifaces});
            let endpoint = format!("{}/admin/hosts", url.trim_end_matches('/'));
            let resp = reqwest::Client::new()
                .post(&endpoint)
                .json(&body)
                .send()
                .await
                .with_context(|| format!("cannot reach the gateway at {endpoint}"))?;
            let status = resp.status();
            if !status.is_success() {
                let text = resp.text().await.unwrap_or_default();
                anyhow::bail!("{endpoint} answered {status}: {text}");
            }
            println!("host {id} {name} registered");
            Ok(())
        }
    }
}

/// The state store settings: options given explicitly win over the file's `[state]` block,
/// which wins over defaults.
fn state_options(
    serve: &clap::ArgMatches,
    file: StateFile,
    (backend, cassandras, no_history): (StateBackend, String, bool),
    data_dir: &std::path::Path,
) -> anyhow::Result<StateOptions> {
    let backend = config::layered(serve, "state_store", backend, file.backend);
    let cassandras = config::layered(
        serve,
        "cassandras",
        cassandras,
        file.cassandras().map(|c| c.join(",")),
    );
    let store = match backend {
        StateBackend::Embedded => StateConfig::Embedded {
            dir: data_dir.to_path_buf(),
        },
        StateBackend::Cassandra => {
            let points: Vec<String> = cassandras.split(',').map(str::to_string).collect();
            for p in &points {
                config::check_host_port(p).map_err(|why| anyhow::anyhow!("--cassandras: {why}"))?;
            }
            let mut c = CassandraConfig::new(points);
            if let Some(ks) = &file.keyspace {
                c.keyspace = ks.get_ref().clone();
            }
            if let Some(replication) = file.replication() {
                c.replication = replication;
            }
            StateConfig::Cassandra(c)
        }
    };
    Ok(StateOptions {
        store,
        history: !no_history && file.history.unwrap_or(true),
        flow_ttl: file
            .flow_state_ttl()
            .unwrap_or(api_gateway::state::config::DEFAULT_FLOW_TTL),
    })
}
