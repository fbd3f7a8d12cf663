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
        #[command(flatten)]
        store: StoreOptions,
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
        #[command(flatten)]
        access: AccessOptions,
    },
    /// Read a password on standard input and print its Argon2 hash, for the credentials file.
    HashPassword,
    /// Check the stored topology for consistency (dangling and one-sided references, orphans,
    /// malformed keys, orphan state tables): prints every problem and a summary line; exits 0
    /// when clean, 1 with problems, 2 when the store cannot be read. With the embedded store,
    /// stop the gateway first (it locks the file).
    Fsck {
        /// The gateway's configuration file, for its store settings.
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreOptions,
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

/// Where the topology is, as `serve` and `fsck` take it.
#[derive(clap::Args)]
struct StoreOptions {
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
}

impl StoreOptions {
    /// The data directory (the embedded store's, and the embedded state store's), layered
    /// over the configuration file's.
    fn data_dir(&self, matches: &clap::ArgMatches, file: &ServeFile) -> PathBuf {
        let data_dir = file.data_dir.clone().map(toml::Spanned::into_inner);
        config::layered(matches, "data_dir", self.data_dir.clone(), data_dir)
    }

    /// The store these options name, layered over the configuration file's settings.
    fn layered(self, matches: &clap::ArgMatches, file: &ServeFile) -> StoreConfig {
        let store = config::layered(matches, "store", self.store, file.store);
        let zookeeper = config::layered(
            matches,
            "zookeeper",
            self.zookeeper,
            file.zookeeper_connect(),
        );
        let data_dir = file.data_dir.clone().map(toml::Spanned::into_inner);
        let data_dir = config::layered(matches, "data_dir", self.data_dir, data_dir);
        let zk_root = file.zk_root.clone().map(toml::Spanned::into_inner);
        let zk_root = config::layered(matches, "zk_root", self.zk_root, zk_root);
        match store {
            Backend::Embedded => StoreConfig::Embedded { dir: data_dir },
            Backend::Zookeeper => StoreConfig::ZooKeeper {
                connect: zookeeper,
                root: zk_root,
            },
        }
    }
}

/// Who may use the API, and over what: `serve`'s authentication and TLS options.
#[derive(clap::Args)]
struct AccessOptions {
    /// The users who may log in (TOML: `[[users]]` with `name`, `password` from
    /// `hash-password`, `role` = admin | tenant_admin | tenant_user, and `tenant`).
    #[arg(long, conflicts_with = "no_auth")]
    credentials: Option<PathBuf>,
    /// Serve without authentication: every request is the admin's. Required when no
    /// credentials file is given, so an open API is always a decision.
    #[arg(long)]
    no_auth: bool,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl AccessOptions {
    /// The access control and TLS these options (over the file's) ask for, with the files
    /// read and checked.
    fn serve_options(
        self,
        matches: &clap::ArgMatches,
        file: &ServeFile,
    ) -> anyhow::Result<api_gateway::ServeOptions> {
        let spanned = |v: &Option<toml::Spanned<PathBuf>>| v.clone().map(toml::Spanned::into_inner);
        let credentials = config::layered(
            matches,
            "credentials",
            self.credentials,
            spanned(&file.credentials).map(Some),
        );
        let no_auth = self.no_auth || file.no_auth == Some(true);
        let access = match (credentials, no_auth) {
            (Some(_), true) => anyhow::bail!(
                "both a credentials file and no_auth: choose one (no_auth serves everyone as admin)"
            ),
            (Some(path), false) => {
                let credentials = api_gateway::auth::credentials::Credentials::load(&path)?;
                if credentials.is_empty() {
                    anyhow::bail!("{}: names no user: nobody could log in", path.display());
                }
                api_gateway::auth::Access::Checked(std::sync::Arc::new(credentials))
            }
            (None, true) => api_gateway::auth::Access::Open,
            (None, false) => anyhow::bail!(
                "no credentials file: give --credentials FILE (users and roles), or --no-auth \
                 to serve without authentication"
            ),
        };
        let cert = config::layered(
            matches,
            "tls_cert",
            self.tls_cert,
            spanned(&file.tls_cert).map(Some),
        );
        let key = config::layered(
            matches,
            "tls_key",
            self.tls_key,
            spanned(&file.tls_key).map(Some),
        );
        let tls = match (cert, key) {
            (Some(cert), Some(key)) => Some(api_gateway::tls::server_config(&cert, &key)?),
            (None, None) => None,
            _ => anyhow::bail!("TLS needs both a certificate (tls_cert) and its key (tls_key)"),
        };
        Ok(api_gateway::ServeOptions { access, tls })
    }
}

/// The configuration file's settings, checked, or none.
fn serve_file(path: Option<&PathBuf>) -> anyhow::Result<ServeFile> {
    Ok(match path {
        Some(path) => {
            let file = config::load::<ServeFile>(path)?;
            file.check()?;
            file.values
        }
        None => ServeFile::default(),
    })
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
            state_store,
            cassandras,
            no_history,
            access,
        } => {
            let serve = matches
                .subcommand_matches("serve")
                .context("clap returned no matches for serve")?;
            let mut file = serve_file(config_path.as_ref())?;
            let listen = config::layered(serve, "listen", listen, file.listen);
            let data_dir = store.data_dir(serve, &file);
            let config = store.layered(serve, &file);
            let state = state_options(
                serve,
                file.state.take().unwrap_or_default(),
                (state_store, cassandras, no_history),
                &data_dir,
            )?;
            let options = access.serve_options(serve, &file)?;
            let scheme = if options.tls.is_some() {
                "https"
            } else {
                "http"
            };
            let auth = match &options.access {
                api_gateway::auth::Access::Open => "no authentication",
                api_gateway::auth::Access::Checked(_) => "token authentication",
            };
            if check_config {
                let source = config_path.map_or("options".into(), |p| p.display().to_string());
                println!(
                    "{source}: configuration ok: listen {listen}, {config}, {state}, {auth}{}",
                    if scheme == "https" { ", TLS" } else { "" }
                );
                return Ok(());
            }
            let store = api_gateway::open_store(&config).await?;
            api_gateway::attach_state(&store, &state).await?;
            if matches!(options.access, api_gateway::auth::Access::Open)
                && !listen.ip().is_loopback()
            {
                tracing::warn!(
                    "serving {listen} without authentication: anyone who reaches it is admin"
                );
            }
            api_gateway::serve_with(
                store,
                options,
                listen,
                |addr| {
                    // The first stdout line says where to reach us (tests and scripts read it).
                    println!(
                        "api-gateway listening on {scheme}://{addr}{}",
                        api_gateway::API_ROOT
                    );
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await
        }
        Command::HashPassword => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.is_empty() {
                anyhow::bail!("an empty password: give one on standard input");
            }
            println!(
                "{}",
                api_gateway::auth::credentials::hash_password(password)?
            );
            Ok(())
        }
        Command::Fsck {
            config: config_path,
            store,
        } => {
            let fsck = matches
                .subcommand_matches("fsck")
                .context("clap returned no matches for fsck")?;
            let file = serve_file(config_path.as_ref())?;
            let config = store.layered(fsck, &file);
            let report = async {
                let backend = api_gateway::open_backend(&config).await?;
                api_gateway::fsck::run(backend.as_ref())
                    .await
                    .with_context(|| format!("reading the {config}"))
            }
            .await;
            match report {
                Ok(report) => {
                    println!("{report}");
                    std::process::exit(if report.is_clean() { 0 } else { 1 });
                }
                Err(e) => {
                    eprintln!("Error: {e:#}");
                    std::process::exit(2);
                }
            }
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
