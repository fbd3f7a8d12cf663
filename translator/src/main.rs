//! `translator`: keeps a MidoNet topology equal to Eucalyptus' global network view.
//!
//! Talks to a MidoNet API (`--api`), or, without one, serves its own gateway in-process over
//! the embedded store (`--data`) on `--listen`, so one command runs the whole product and
//! `midonet-cli` can look at the result while it runs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use api_gateway::config::layered;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use midonet_client::MidonetClient;
use topology::TunnelZoneType;
use tracing_subscriber::EnvFilter;
use translator::config::TranslatorFile;
use translator::daemon::{self, read_gni, Options};
use translator::desired::{Desired, Environment, DEFAULT_TENANT};
use translator::engine::Engine;
use translator::hosts::{self, Registration, WantedHost, DEFAULT_TUNNEL_ZONE};
use translator::metadata::{MetadataConfig, MetadataPlane};
use translator::reconcile::{actual, apply, plan};
use translator::trace;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "Translates Eucalyptus' global network view (GNI) into MidoNet topology"
)]
struct Cli {
    /// A TOML file with the options' settings (`gni`, `api`, `data`, `listen`, `tenant`,
    /// `euca_version`, `register_hosts`, `no_metadata`, `poll`, `clc`, and `register-hosts`'
    /// `tunnel_zone`, `tunnel_zone_type` and `[[hosts]]`); options given here or in the
    /// environment win over it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Check the configuration (file and options), say what is wrong, and exit.
    #[arg(long, global = true)]
    check_config: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Watch the GNI file and keep MidoNet equal to it, until SIGINT or SIGTERM (SIGHUP: resync).
    Run {
        #[command(flatten)]
        gni: GniArg,
        #[command(flatten)]
        target: Target,
        /// Poll the file this often besides watching it (seconds).
        #[arg(long, default_value_t = 1.0, value_parser = poll_seconds)]
        poll: f64,
        /// The CLC's metadata service the proxy forwards to.
        #[arg(
            long,
            default_value = "127.0.0.1:8773",
            env = "TRANSLATOR_CLC_METADATA"
        )]
        clc: SocketAddr,
    },
    /// Apply the GNI once, print what was done, and write the version file.
    Apply {
        /// Apply once and exit (the only mode; `run` is the daemon).
        #[arg(long, required = true)]
        once: bool,
        #[command(flatten)]
        gni: GniArg,
        #[command(flatten)]
        target: Target,
    },
    /// Print what applying the GNI would do (creates, updates, deletes by name); apply nothing.
    Plan {
        #[command(flatten)]
        gni: GniArg,
        #[command(flatten)]
        target: Target,
    },
    /// Register hosts with MidoNet and make them members of a tunnel zone (created if missing),
    /// as MidoNet's agents and the operator would; what is registered already is left as it is.
    /// The hosts are `--host`s, or the file's `[[hosts]]` tables. Needs our gateway: a real
    /// MidoNet registers hosts through its agents.
    RegisterHosts {
        /// The MidoNet API to register with.
        #[arg(long, env = "MIDONET_API")]
        api: Option<String>,
        /// A host, `NAME=ADDRESS[,INTERFACE...]` (repeatable; replaces the file's hosts). The
        /// interfaces are those ports will be bound to, such as a gateway's external device.
        #[command(flatten)]
        login: ApiLogin,
        #[arg(long = "host", value_name = "NAME=ADDRESS[,INTERFACE...]", value_parser = parse_host)]
        hosts: Vec<WantedHost>,
        /// The tunnel zone every host joins, at its address.
        #[arg(long, default_value = DEFAULT_TUNNEL_ZONE)]
        tunnel_zone: String,
        /// The zone's type if it is created: `gre` or `vxlan`.
        #[arg(long, default_value = "gre", value_parser = parse_zone_type)]
        tunnel_zone_type: TunnelZoneType,
        /// Change nothing: print what would change, and exit with status 1 if anything would
        /// (0 when everything is registered), as a guard for configuration management.
        #[arg(long)]
        check: bool,
    },
    /// Trace a packet through the GNI's translated topology, one hop per line: no store
    /// needed, every node and gateway taken as a live MidoNet host.
    Trace {
        #[command(flatten)]
        gni: GniArg,
        /// Where the packet comes from: an instance (`i-…`), an interface (`eni-…`), or
        /// `internet` (in by the first gateway).
        #[arg(long)]
        from: String,
        /// Where it goes: an address, or an instance or interface (its private address).
        #[arg(long)]
        to: String,
        /// `tcp`, `udp` or `icmp` (an echo request).
        #[arg(long, default_value = "tcp")]
        proto: String,
        /// The destination port (tcp, udp).
        #[arg(long)]
        dport: Option<u16>,
        /// The source address of a packet from the internet.
        #[arg(long, default_value = "8.8.8.8")]
        src: std::net::Ipv4Addr,
        /// Trace the reply too (stateful: return flow, reverse NAT).
        #[arg(long)]
        reply: bool,
        /// List the rules that did not match as well.
        #[arg(long)]
        all_rules: bool,
        /// The source port (tcp, udp).
        #[arg(long, default_value_t = trace::SOURCE_PORT)]
        sport: u16,
        /// Keep connection state in this directory's state store (state.redb) between runs,
        /// so a later run tracing the reply sees the request's connection and NAT.
        #[arg(long)]
        flow_state: Option<PathBuf>,
    },
    /// Print the GNI's reachability matrix: which instances reach which on which ports, and
    /// which the internet reaches, traced through a fresh translation (no store needed).
    Audit {
        #[command(flatten)]
        gni: GniArg,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the GNI versions applied (or failed), newest last, from the gateway's history:
    /// when, how many operations, how long, and what failed. Needs our gateway with a state
    /// store.
    History {
        /// The gateway's API.
        #[arg(long, env = "MIDONET_API")]
        api: Option<String>,
        /// Only this GNI version's cycles.
        #[arg(long)]
        version: Option<String>,
        /// At most this many (the newest).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        limit: u64,
    },
    /// Delete everything the translator made but the core (`eucart`, `eucabr`, gateways).
    Flush {
        /// Delete the core too.
        #[arg(long)]
        all: bool,
        /// The GNI whose core to keep (without --all).
        #[arg(long, default_value = DEFAULT_GNI, env = "TRANSLATOR_GNI")]
        gni: PathBuf,
        #[command(flatten)]
        target: Target,
    },
}

const DEFAULT_GNI: &str = "examples/gni/two-vpcs.xml";

#[derive(Args)]
struct GniArg {
    /// The global network view file the CLC writes.
    #[arg(long, default_value = DEFAULT_GNI, env = "TRANSLATOR_GNI")]
    gni: PathBuf,
}

/// Credentials for a MidoNet API that checks them (`POST /login`); without them, requests go
/// without a token. Best given in the environment, which `ps` does not show.
#[derive(Args)]
struct ApiLogin {
    /// The user to log in to the API as.
    #[arg(long, env = "MIDO_USER", requires = "api_password")]
    api_user: Option<String>,
    /// That user's password.
    #[arg(long, env = "MIDO_PASSWORD", hide_env_values = true)]
    api_password: Option<String>,
}

impl ApiLogin {
    /// A client of the API at `url`, logged in when credentials were given.
    async fn connect(&self, url: &str) -> anyhow::Result<MidonetClient> {
        let client = match (&self.api_user, &self.api_password) {
            (Some(user), Some(password)) => MidonetClient::connect_as(url, user, password).await,
            _ => MidonetClient::connect(url).await,
        };
        client.with_context(|| format!("cannot reach the MidoNet API at {url}"))
    }
}

#[derive(Args)]
struct Target {
    /// A MidoNet API to write to; without it, a gateway runs in-process on the embedded store.
    #[arg(long, env = "MIDONET_API")]
    api: Option<String>,
    #[command(flatten)]
    login: ApiLogin,
    /// The embedded store's directory (without --api).
    #[arg(long, default_value = "./midonet-data")]
    data: PathBuf,
    /// Where the in-process gateway listens (without --api).
    #[arg(long, default_value = "127.0.0.1:8181")]
    listen: SocketAddr,
    /// The tenant everything is made under.
    #[arg(long, default_value = DEFAULT_TENANT)]
    tenant: String,
    /// The Eucalyptus version stored in `euca_version` (a dotted quad).
    #[arg(long, default_value = "5.0.0.0")]
    euca_version: String,
    /// Register a MidoNet host for every node, gateway and the CLC of the GNI that has none,
    /// as their agents would: for trying the translator without a cloud.
    #[arg(long)]
    register_hosts: bool,
    /// Without the metadata plane (its namespaces and proxy need root): `run` starts none, and
    /// the topology has no metadata rules or ports.
    #[arg(long)]
    no_metadata: bool,
}

impl Command {
    /// Takes the settings not given explicitly (on the command line or in the environment)
    /// from the configuration file, as far as this command has them.
    fn layer(&mut self, m: &ArgMatches, mut file: TranslatorFile) {
        if let Command::RegisterHosts {
            api,
            hosts,
            tunnel_zone,
            tunnel_zone_type,
            ..
        } = self
        {
            let file_hosts = file
                .hosts
                .map(|entries| entries.iter().map(|e| e.get_ref().wanted()).collect());
            *api = layered(m, "api", api.take(), file.api.map(|a| Some(a.into_inner())));
            *hosts = layered(m, "hosts", std::mem::take(hosts), file_hosts);
            *tunnel_zone = layered(
                m,
                "tunnel_zone",
                std::mem::take(tunnel_zone),
                file.tunnel_zone.map(toml::Spanned::into_inner),
            );
            *tunnel_zone_type = layered(
                m,
                "tunnel_zone_type",
                *tunnel_zone_type,
                file.tunnel_zone_type.map(toml::Spanned::into_inner),
            );
            return;
        }
        if let Command::History { api, .. } = self {
            *api = layered(m, "api", api.take(), file.api.map(|a| Some(a.into_inner())));
            return;
        }
        let gni_file = file.gni.take().map(toml::Spanned::into_inner);
        if let Command::Trace { gni, .. } | Command::Audit { gni, .. } = self {
            gni.gni = layered(m, "gni", std::mem::take(&mut gni.gni), gni_file);
            return;
        }
        let (gni, target) = match self {
            Command::Run {
                gni,
                target,
                poll,
                clc,
            } => {
                *poll = layered(m, "poll", *poll, file.poll.take().map(|p| p.into_inner()));
                *clc = layered(m, "clc", *clc, file.clc);
                (&mut gni.gni, target)
            }
            Command::Apply { gni, target, .. } | Command::Plan { gni, target } => {
                (&mut gni.gni, target)
            }
            Command::Flush { gni, target, .. } => (gni, target),
            Command::RegisterHosts { .. }
            | Command::Trace { .. }
            | Command::Audit { .. }
            | Command::History { .. } => {
                unreachable!("layered above")
            }
        };
        *gni = layered(m, "gni", std::mem::take(gni), gni_file);
        target.layer(m, file);
    }

    /// The settings in force, for `--check-config`.
    fn describe(&self) -> String {
        let (gni, target) = match self {
            Command::Run { gni, target, .. }
            | Command::Apply { gni, target, .. }
            | Command::Plan { gni, target } => (&gni.gni, target),
            Command::Flush { gni, target, .. } => (gni, target),
            Command::Trace { gni, .. } | Command::Audit { gni, .. } => {
                return format!("GNI {}", gni.gni.display())
            }
            Command::History { api, .. } => {
                return format!("API {}", api.as_deref().unwrap_or_default())
            }
            Command::RegisterHosts {
                api,
                hosts,
                tunnel_zone,
                tunnel_zone_type,
                ..
            } => {
                let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
                return format!(
                    "API {}, tunnel zone {tunnel_zone} ({}), {} hosts ({})",
                    api.as_deref().unwrap_or_default(),
                    hosts::zone_type_name(*tunnel_zone_type),
                    hosts.len(),
                    names.join(", ")
                );
            }
        };
        let api = match &target.api {
            Some(url) => format!("API {url}"),
            None => format!(
                "in-process gateway on {} over {}",
                target.listen,
                target.data.display()
            ),
        };
        let metadata = match self {
            Command::Run { clc, .. } if !target.no_metadata => format!(", metadata from {clc}"),
            _ => String::new(),
        };
        format!(
            "GNI {}, {api}, tenant {}{metadata}",
            gni.display(),
            target.tenant
        )
    }
}

impl Target {
    fn layer(&mut self, m: &ArgMatches, file: TranslatorFile) {
        let inner = |v: Option<toml::Spanned<String>>| v.map(toml::Spanned::into_inner);
        self.api = layered(
            m,
            "api",
            self.api.take(),
            file.api.map(|a| Some(a.into_inner())),
        );
        self.data = layered(m, "data", std::mem::take(&mut self.data), file.data);
        self.listen = layered(m, "listen", self.listen, file.listen);
        self.tenant = layered(
            m,
            "tenant",
            std::mem::take(&mut self.tenant),
            inner(file.tenant),
        );
        self.euca_version = layered(
            m,
            "euca_version",
            std::mem::take(&mut self.euca_version),
            inner(file.euca_version),
        );
        self.register_hosts = layered(
            m,
            "register_hosts",
            self.register_hosts,
            file.register_hosts,
        );
        self.no_metadata = layered(m, "no_metadata", self.no_metadata, file.no_metadata);
    }

    /// A client of the API, starting the in-process gateway when there is none.
    async fn connect(&self) -> anyhow::Result<MidonetClient> {
        let url = match &self.api {
            Some(url) => url.clone(),
            None => {
                let config = api_gateway::StoreConfig::Embedded {
                    dir: self.data.clone(),
                };
                let store = api_gateway::open_store(&config).await?;
                let listener = tokio::net::TcpListener::bind(self.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", self.listen))?;
                let addr = listener.local_addr()?;
                let app = api_gateway::app(store);
                tokio::spawn(async move {
                    let service =
                        axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
                    if let Err(e) = axum::serve(listener, service).await {
                        tracing::error!("in-process gateway stopped: {e}");
                    }
                });
                let url = format!("http://{addr}{}", api_gateway::API_ROOT);
                eprintln!(
                    "gateway (embedded store {}) on {url}; try: midonet-cli --midonet-url {url} -e 'router list'",
                    self.data.display()
                );
                url
            }
        };
        self.login.connect(&url).await
    }

    fn environment(&self) -> Environment {
        let mut env = Environment::new(&self.euca_version);
        env.tenant = self.tenant.clone();
        // Without the plane, no metadata rules or ports that would lead nowhere.
        env.constants.legacy_metadata = !self.no_metadata;
        env
    }
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
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let (_, sub) = matches
        .subcommand()
        .context("clap returned no subcommand matches")?;
    let file = match &cli.config {
        Some(path) => {
            let file = api_gateway::config::load::<TranslatorFile>(path)?;
            translator::config::check(&file)?;
            file.values
        }
        None => TranslatorFile::default(),
    };
    cli.command.layer(sub, file);
    if let Command::RegisterHosts { api: None, .. } = &cli.command {
        anyhow::bail!(
            "register-hosts needs the MidoNet API: --api, MIDONET_API or `api` in the file"
        );
    }
    if let Command::History { api: None, .. } = &cli.command {
        anyhow::bail!("history needs the gateway's API: --api, MIDONET_API or `api` in the file");
    }
    if cli.check_config {
        let source = cli
            .config
            .map_or("options".into(), |p| p.display().to_string());
        println!("{source}: configuration ok: {}", cli.command.describe());
        return Ok(());
    }
    match cli.command {
        Command::Run {
            gni,
            target,
            poll,
            clc,
        } => {
            let metadata = if target.no_metadata {
                None
            } else {
                let config = MetadataConfig {
                    clc,
                    ..MetadataConfig::default()
                };
                Some(MetadataPlane::start(config).await.context(
                    "starting the metadata plane (pass --no-metadata to run without it)",
                )?)
            };
            let client = target.connect().await?;
            if target.register_hosts {
                register_hosts(&client, &read_gni(&gni.gni).await?).await?;
            }
            let engine = Engine::new(client, target.environment());
            let poll = Duration::try_from_secs_f64(poll).context("--poll")?;
            daemon::run(
                engine,
                Options {
                    gni: gni.gni,
                    poll,
                    metadata,
                },
            )
            .await
        }
        Command::Apply { gni, target, .. } => {
            let client = target.connect().await?;
            let reading = std::time::Instant::now();
            let view = read_gni(&gni.gni).await?;
            let gni_read = reading.elapsed();
            if target.register_hosts {
                register_hosts(&client, &view).await?;
            }
            let version = view.version.clone();
            let mut engine = Engine::new(client, target.environment());
            let started = std::time::Instant::now();
            let mut outcome = engine.cycle(view).await;
            if let Ok(report) = &mut outcome {
                report.gni_read = Some(gni_read);
            }
            let record = match &outcome {
                Ok(r) => translator::history::record(&version, started.elapsed(), Some(r), None),
                Err(e) => {
                    let e = e.to_string();
                    translator::history::record(&version, started.elapsed(), None, Some(e))
                }
            };
            translator::history::report(engine.client(), &record).await;
            let report = outcome?;
            daemon::summary(&version, &report);
            daemon::write_version(&gni.gni, &version).await;
            print_built(&engine.desired(), &report.diagnostics);
            if !report.apply.is_success() {
                anyhow::bail!("{} operations failed", report.apply.failed.len());
            }
            Ok(())
        }
        Command::Trace {
            gni,
            from,
            to,
            proto,
            dport,
            src,
            reply,
            all_rules,
            sport,
            flow_state,
        } => {
            let view = read_gni(&gni.gni).await?;
            let proto = trace::parse_proto(&proto, dport).map_err(anyhow::Error::msg)?;
            let env = trace::offline_environment(&view, "5.0.0.0");
            let mut tracer = trace::Tracer::new(&view, &env)?;
            tracer.source_port = sport;
            let request = trace::TraceRequest {
                from,
                to,
                proto,
                internet_source: src,
                reply,
                all_rules,
            };
            let Some(dir) = flow_state else {
                print!("{}", tracer.run(&request)?);
                return Ok(());
            };
            let store = api_gateway::state::open(&api_gateway::state::StateConfig::Embedded {
                dir: dir.clone(),
            })
            .await
            .with_context(|| format!("opening the flow state in {}", dir.display()))?;
            let kept = translator::flow_state::trace_keeping_state(
                &mut tracer,
                &request,
                store.as_ref(),
                api_gateway::state::config::DEFAULT_FLOW_TTL,
            )
            .await?;
            print!("{}", kept.rendered);
            eprintln!(
                "flow state in {}: {} entries loaded, {} stored",
                dir.display(),
                kept.loaded,
                kept.stored
            );
            Ok(())
        }
        Command::History {
            api,
            version,
            limit,
        } => {
            let url = api.context("history needs the gateway's API")?;
            let client = MidonetClient::connect(&url)
                .await
                .with_context(|| format!("connecting to {url}"))?;
            let answer = client
                .gni_applies(version.as_deref(), usize::try_from(limit).ok())
                .await?;
            let applies = answer["applies"].as_array().cloned().unwrap_or_default();
            if applies.is_empty() {
                println!("no GNI version recorded");
            }
            for a in &applies {
                println!("{}", translator::history::line(a));
            }
            Ok(())
        }
        Command::Audit { gni, json } => {
            let view = read_gni(&gni.gni).await?;
            let started = std::time::Instant::now();
            let env = trace::offline_environment(&view, "5.0.0.0");
            let tracer = trace::Tracer::new(&view, &env)?;
            let audit = translator::audit::audit(&view, &tracer)?;
            if json {
                println!("{:#}", audit.json());
            } else {
                print!("{}", audit.table());
                println!("in {:.3} s", started.elapsed().as_secs_f64());
            }
            Ok(())
        }
        Command::Plan { gni, target } => {
            let client = target.connect().await?;
            let view = read_gni(&gni.gni).await?;
            let plan = Engine::new(client, target.environment())
                .dry_run(&view)
                .await?;
            print!("{plan}");
            let (c, u, d) = plan.counts();
            println!("plan: {c} to create, {u} to update, {d} to delete");
            Ok(())
        }
        Command::RegisterHosts {
            api,
            login,
            hosts: wanted,
            tunnel_zone,
            tunnel_zone_type,
            check,
        } => {
            let api = api.context("checked above")?;
            let client = login.connect(&api).await?;
            let wanted = Registration {
                tunnel_zone,
                zone_type: tunnel_zone_type,
                hosts: wanted,
            };
            let changes = if check {
                let existing = hosts::read(&client, &wanted.tunnel_zone)
                    .await
                    .context("reading hosts and tunnel zones")?;
                let changes = hosts::plan(&wanted, &existing)?;
                for change in &changes {
                    println!("would {change}");
                }
                changes
            } else {
                let changes = hosts::register(&client, &wanted).await?;
                for change in &changes {
                    println!("{change}");
                }
                changes
            };
            let outcome = match (changes.len(), check) {
                (0, _) => "nothing to change".to_owned(),
                (n, true) => format!("{n} changes needed"),
                (n, false) => format!("{n} changes made"),
            };
            println!(
                "register-hosts: {} hosts in tunnel zone {}: {outcome}",
                wanted.hosts.len(),
                wanted.tunnel_zone
            );
            if check && !changes.is_empty() {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Flush { all, gni, target } => {
            let client = target.connect().await?;
            let env = target.environment();
            let have = actual::read(&client, &env.tenant).await?;
            let keep = if all {
                Desired::default()
            } else {
                let view = read_gni(&gni).await?;
                let mut env = env.clone();
                env.hosts = registered_hosts(&client).await?;
                let index = translator::desired::Index::new(&view);
                let allocations = translator::desired::allocate(&view, &env)?;
                translator::desired::translate_part(
                    &view,
                    &env,
                    &allocations,
                    &index,
                    &translator::desired::Part::Core,
                )?
            };
            let plan = plan::plan(&keep, &have);
            let (_, _, d) = plan.counts();
            eprintln!("flushing: {d} objects to delete");
            let report = apply::apply(&client, &plan).await;
            eprintln!(
                "flushed: {} operations sent, {} failed in {:?}",
                report.sent,
                report.failed.len(),
                report.elapsed
            );
            for (op, e) in &report.failed {
                eprintln!("failed: {op}: {e}");
            }
            if !report.is_success() {
                anyhow::bail!("{} operations failed", report.failed.len());
            }
            Ok(())
        }
    }
}

async fn registered_hosts(
    client: &MidonetClient,
) -> anyhow::Result<Vec<translator::desired::RegisteredHost>> {
    Ok(client
        .hosts()
        .await?
        .into_iter()
        .map(|h| translator::desired::RegisteredHost {
            id: h.id,
            name: h.name.unwrap_or_default(),
            addresses: h.addresses.iter().filter_map(|a| a.parse().ok()).collect(),
        })
        .collect())
}

/// The GNI's nodes, gateways (with their external devices) and CLC as hosts of `mido-tz`, one
/// per address (a lab's CLC may be a node too): what their agents would register.
fn gni_registration(gni: &translator::gni::Gni) -> Registration {
    let mut wanted: Vec<WantedHost> = Vec::new();
    let mut add = |name: String, address: std::net::Ipv4Addr, interface: Option<&str>| {
        let address = std::net::IpAddr::V4(address);
        let host = match wanted.iter_mut().find(|h| h.address == address) {
            Some(host) => host,
            None => {
                wanted.push(WantedHost {
                    name,
                    address,
                    interfaces: Vec::new(),
                });
                wanted.last_mut().expect("just pushed")
            }
        };
        if let Some(interface) = interface {
            if !host.interfaces.iter().any(|i| i == interface) {
                host.interfaces.push(interface.to_owned());
            }
        }
    };
    for cluster in gni.config.clusters.values() {
        for node in cluster.nodes.keys() {
            add(format!("node-{node}"), *node, None);
        }
    }
    for gateway in &gni.config.gateways {
        add(
            format!("gateway-{}", gateway.host_ip),
            gateway.host_ip,
            Some(&gateway.external_device),
        );
    }
    add(
        format!("clc-{}", gni.config.clc_ip),
        gni.config.clc_ip,
        None,
    );
    Registration {
        tunnel_zone: DEFAULT_TUNNEL_ZONE.to_owned(),
        zone_type: TunnelZoneType::Gre,
        hosts: wanted,
    }
}

/// `--register-hosts`: registers the GNI's hosts (see [`gni_registration`]) that are missing.
async fn register_hosts(client: &MidonetClient, gni: &translator::gni::Gni) -> anyhow::Result<()> {
    for change in hosts::register(client, &gni_registration(gni)).await? {
        eprintln!("{change}");
    }
    Ok(())
}

/// `--host NAME=ADDRESS[,INTERFACE...]`.
fn parse_host(text: &str) -> Result<WantedHost, String> {
    let (name, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=ADDRESS[,INTERFACE...]"))?;
    let mut parts = rest.split(',');
    let address = parts.next().unwrap_or_default();
    let host = WantedHost {
        name: name.to_owned(),
        address: address
            .parse()
            .map_err(|_| format!("{text:?}: {address:?} is not an IP address"))?,
        interfaces: parts.map(str::to_owned).collect(),
    };
    translator::config::check_host(&host)?;
    Ok(host)
}

/// `--tunnel-zone-type gre|vxlan`.
fn parse_zone_type(text: &str) -> Result<TunnelZoneType, String> {
    match text {
        "gre" => Ok(TunnelZoneType::Gre),
        "vxlan" => Ok(TunnelZoneType::Vxlan),
        _ => Err(format!("{text:?}: hosts tunnel in gre or vxlan zones")),
    }
}

/// The one-screen summary of what the translator made.
fn print_built(d: &Desired, diagnostics: &[String]) {
    let count = |prefix: &str| {
        d.routers
            .values()
            .filter_map(|r| r.name.as_deref())
            .chain(d.bridges.values().filter_map(|b| b.name.as_deref()))
            .filter(|n| n.starts_with(prefix))
            .count()
    };
    let rules: usize = d.chains.values().map(|c| c.rules.len()).sum();
    let bound = d.ports.values().filter(|p| p.binding.is_some()).count();
    println!("built:");
    println!(
        "  core        {} (eucart), {} (eucabr)",
        count("eucart"),
        count("eucabr")
    );
    println!(
        "  VPCs        {} routers (vr_), {} NAT gateway routers (natr_)",
        count("vr_"),
        count("natr_")
    );
    println!(
        "  subnets     {} bridges (vb_), {} DHCP subnets, {} DHCP hosts",
        count("vb_"),
        d.dhcp_subnets.len(),
        d.dhcp_hosts.len()
    );
    println!(
        "  ports       {} in all, {} bound to host interfaces",
        d.ports.len(),
        bound
    );
    println!("  chains      {} with {} rules", d.chains.len(), rules);
    println!("  routes      {}", d.routes.len());
    println!(
        "  IP groups   {}; port groups {}",
        d.ip_addr_groups.len(),
        d.port_groups.len()
    );
    if !diagnostics.is_empty() {
        println!("  notes       {}:", diagnostics.len());
        for note in diagnostics.iter().take(10) {
            println!("    {note}");
        }
    }
}

/// `--poll`: a positive number of seconds (a zero interval would spin, and tokio refuses it).
fn poll_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if seconds.is_finite() && seconds > 0.0 && Duration::try_from_secs_f64(seconds).is_ok() {
        Ok(seconds)
    } else {
        Err(format!(
            "'{text}': give a positive number of seconds, such as 1 or 0.5"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::poll_seconds;

    #[test]
    fn poll_takes_positive_seconds_only() {
        assert_eq!(poll_seconds("0.5"), Ok(0.5));
        assert_eq!(poll_seconds("2"), Ok(2.0));
        for bad in ["0", "-1", "nan", "inf", "1e300", "abc"] {
            let error = poll_seconds(bad).expect_err(bad);
            assert!(error.contains(bad), "{error}");
        }
    }
}
