//! Test support: a throwaway standalone ZooKeeper server, run from the Debian `zookeeper` package
//! on a free loopback port with its data in a temporary directory, for tests that need the real
//! thing (sessions, watches, multi semantics) rather than a fake; and the same server run from a
//! configuration file written elsewhere ([`ZkPeer`]), for members of an ensemble.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};

/// Where Debian's `zookeeper` package puts the server; its manifest names its dependencies.
const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
/// An SLF4J binding, when installed, so the server's log says why it failed.
const SLF4J_SIMPLE_JAR: &str = "/usr/share/java/slf4j-simple.jar";
const MAIN_CLASS: &str = "org.apache.zookeeper.server.ZooKeeperServerMain";
/// The server main that reads `server.N` lines and joins an ensemble.
const QUORUM_MAIN_CLASS: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
/// Generous: a cold JVM on a loaded two-core CI machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const START_ATTEMPTS: usize = 3;

/// A standalone ZooKeeper server owned by a test: killed, and its directory removed, on drop.
pub struct ZkServer {
    java: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
    /// Whether the server fsyncs its transaction log (ZooKeeper's default, used by benchmarks);
    /// tests skip the fsync for speed.
    durable: bool,
}

impl ZkServer {
    /// Starts a server on a free loopback port and waits until it accepts sessions. Fails if
    /// ZooKeeper (or Java) is not installed.
    pub async fn start() -> anyhow::Result<ZkServer> {
        Self::start_with(false).await
    }

    /// Like [`ZkServer::start`], but fsyncing every transaction and with a heap sized for
    /// benchmark trees, as a production server is set up.
    pub async fn start_durable() -> anyhow::Result<ZkServer> {
        Self::start_with(true).await
    }

    async fn start_with(durable: bool) -> anyhow::Result<ZkServer> {
        let java = installation()?;
        let dir = temp_dir()?;
        let mut server = ZkServer {
            java,
            dir,
            port: 0,
            child: None,
            durable,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Another process may take the port between probing and binding it: try another.
            server.port = free_port()?;
            server.write_config()?;
            match server.launch().await {
                Ok(()) => return Ok(server),
                Err(err) if attempt < START_ATTEMPTS => {
                    eprintln!(
                        "ZooKeeper did not start on port {} (will retry): {err:#}",
                        server.port
                    );
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// `host:port` to hand to a client.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server process's id while it runs (for benchmarks that read its CPU time).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's own log, for diagnosing a failing test.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("zookeeper.log")
    }

    /// Kills the server at once, as a crash would; its data stays for [`ZkServer::restart`].
    pub fn stop(&mut self) {
        kill(&mut self.child);
    }

    /// Starts the server again on the same port with the same data (stopping it first if it
    /// runs), and waits until it accepts sessions.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.launch().await
    }

    fn write_config(&self) -> anyhow::Result<()> {
        let data = self.dir.join("data");
        fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
        // A short tick lets tests ask for sessions of a second or less (min is 2 ticks).
        // forceSync=no for tests: a killed process loses nothing that the page cache holds.
        let config = format!(
            "tickTime=200\n\
             dataDir={}\n\
             clientPort={}\n\
             clientPortAddress=127.0.0.1\n\
             maxClientCnxns=0\n\
             minSessionTimeout=400\n\
             maxSessionTimeout=60000\n\
             admin.enableServer=false\n\
             4lw.commands.whitelist=*\n\
             forceSync={}\n",
            data.display(),
            self.port,
            if self.durable { "yes" } else { "no" }
        );
        let path = self.dir.join("zoo.cfg");
        let mut file =
            File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        file.write_all(config.as_bytes())?;
        Ok(())
    }

    async fn launch(&mut self) -> anyhow::Result<()> {
        // Tests keep small trees; benchmarks (durable) hold hundreds of thousands of znodes,
        // which a 256 MB heap spends its time collecting.
        let heap = if self.durable { "-Xmx3g" } else { "-Xmx256m" };
        let child = spawn_java(
            &self.java,
            heap,
            MAIN_CLASS,
            &self.dir.join("zoo.cfg"),
            &self.log_path(),
        )?;
        self.child = Some(child);

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    self.child = None;
                    bail!(
                        "ZooKeeper exited ({status}) before serving; {}",
                        self.log_tail()
                    );
                }
            }
            let probe = zookeeper_client::Client::connector()
                .with_fail_eagerly()
                .with_session_timeout(Duration::from_secs(5))
                .connect(&self.connect_string())
                .await;
            match probe {
                Ok(_client) => return Ok(()),
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(err) => {
                    self.stop();
                    bail!(
                        "ZooKeeper did not serve within {START_TIMEOUT:?} ({err}); {}",
                        self.log_tail()
                    );
                }
            }
        }
    }

    fn log_tail(&self) -> String {
        log_tail(&self.log_path())
    }
}

/// Kills and reaps a server process, if there is one.
fn kill(child: &mut Option<Child>) {
    if let Some(mut child) = child.take() {
        // Errors mean it has already exited, which is what we want.
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The last lines of a server's log, for an error message.
fn log_tail(path: &Path) -> String {
    let log = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    format!(
        "log tail ({}):\n{}",
        path.display(),
        lines[lines.len().saturating_sub(20)..].join("\n")
    )
}

/// Starts `main_class` on the configuration file `config` with Debian's jars, logging to `log`.
fn spawn_java(
    java: &Path,
    heap: &str,
    main_class: &str,
    config: &Path,
    log: &Path,
) -> anyhow::Result<Child> {
    let log = File::options().create(true).append(true).open(log)?;
    let mut classpath = ZOOKEEPER_JAR.to_string();
    if Path::new(SLF4J_SIMPLE_JAR).exists() {
        classpath.push(':');
        classpath.push_str(SLF4J_SIMPLE_JAR);
    }
    Command::new(java)
        .args([heap, "-XX:+UseSerialGC"])
        .arg("-Dzookeeper.admin.enableServer=false")
        .arg("-cp")
        .arg(&classpath)
        .arg(main_class)
        .arg(config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("running {}", java.display()))
}

/// A ZooKeeper server run from a configuration file written elsewhere, such as one member of an
/// ensemble whose `zoo.cfg` files the Chef cookbook rendered (its `dataDir` must hold `myid`).
/// Killed on drop; its files are the caller's.
pub struct ZkPeer {
    child: Option<Child>,
    log: PathBuf,
}

impl ZkPeer {
    /// Starts the server on `config`, logging to `log`, and returns as soon as it runs: a member
    /// of an ensemble serves only once a quorum has formed, which [`four_letter_word`]`("srvr")`
    /// shows. Fails if ZooKeeper (or Java) is not installed.
    pub fn spawn(config: &Path, log: &Path) -> anyhow::Result<ZkPeer> {
        let child = spawn_java(&installation()?, "-Xmx256m", QUORUM_MAIN_CLASS, config, log)?;
        Ok(ZkPeer {
            child: Some(child),
            log: log.to_path_buf(),
        })
    }

    /// Kills the server at once, as a crash would.
    pub fn kill(&mut self) {
        kill(&mut self.child);
    }

    /// Whether the process still runs (it exits at once on a configuration it cannot use).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// The end of its log, for a failing test's message.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }
}

impl Drop for ZkPeer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends a four-letter command (`srvr`, `ruok`, `mntr`; the server must whitelist it) to the
/// server at `addr` and returns its whole answer.
pub fn four_letter_word(addr: SocketAddr, word: &str) -> std::io::Result<String> {
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(word.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Starts a server for a test, or returns `None` (after saying so) where ZooKeeper is not
/// installed. Under CI (`CI=true`) a missing ZooKeeper fails the test instead, and so does,
/// anywhere, an installed server that does not start.
pub async fn zookeeper_or_skip() -> Option<ZkServer> {
    if !zookeeper_installed_or_skip() {
        return None;
    }
    match ZkServer::start().await {
        Ok(server) => Some(server),
        Err(err) => panic!("ZooKeeper is installed but did not start: {err:#}"),
    }
}

/// Whether ZooKeeper and Java are installed; when not, says so and returns `false` so the test
/// can skip, except under CI (`CI=true`), where it panics.
pub fn zookeeper_installed_or_skip() -> bool {
    match installation() {
        Ok(_) => true,
        Err(missing) if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("ZooKeeper is required under CI: apt-get install zookeeper ({missing:#})")
        }
        Err(missing) => {
            eprintln!("skipping: {missing:#}; apt-get install zookeeper to run this test");
            false
        }
    }
}

/// The Java binary to run the server with, if ZooKeeper and Java are installed.
pub fn installation() -> anyhow::Result<PathBuf> {
    if !Path::new(ZOOKEEPER_JAR).is_file() {
        bail!("ZooKeeper is not installed ({ZOOKEEPER_JAR} is missing)");
    }
    let java_home = std::env::var_os("JAVA_HOME").map(|home| PathBuf::from(home).join("bin"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    java_home
        .into_iter()
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join("java"))
        .find(|java| java.is_file())
        .context("ZooKeeper needs Java, and no `java` is on PATH or in JAVA_HOME")
}

/// A loopback port nobody listens on now (another process may take it before the caller does).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("probing for a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A new, empty directory only this server uses.
fn temp_dir() -> anyhow::Result<PathBuf> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    loop {
        let name = format!(
            "zk-test-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(name);
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err).with_context(|| format!("creating {}", dir.display())),
        }
    }
}

/// A gateway served in-process on a free loopback port, for tests and benchmarks in any crate;
/// it stops serving when dropped.
pub struct LocalGateway {
    /// The API root, e.g. `http://127.0.0.1:40123/midonet-api`.
    pub url: String,
    pub store: std::sync::Arc<crate::store::Store>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl LocalGateway {
    /// Serves `store` on `127.0.0.1:0`.
    pub async fn serve(store: std::sync::Arc<crate::store::Store>) -> anyhow::Result<LocalGateway> {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let served = store.clone();
        tokio::spawn(async move {
            let result = crate::serve(
                served,
                std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                |addr| {
                    let _ = addr_tx.send(addr);
                },
                async {
                    let _ = stop_rx.await;
                },
            )
            .await;
            if let Err(e) = result {
                eprintln!("in-process gateway stopped: {e:#}");
            }
        });
        let addr = addr_rx
            .await
            .context("the in-process gateway did not start")?;
        Ok(LocalGateway {
            url: format!("http://{addr}{}", crate::API_ROOT),
            store,
            stop: Some(stop_tx),
        })
    }

    /// Opens the store described by `config` and serves it.
    pub async fn start(config: &crate::StoreConfig) -> anyhow::Result<LocalGateway> {
        Self::serve(crate::open_store(config).await?).await
    }

    /// Opens the store described by `config`, attaches the state store of `state`, and serves
    /// them.
    pub async fn start_with_state(
        config: &crate::StoreConfig,
        state: &crate::StateOptions,
    ) -> anyhow::Result<LocalGateway> {
        let store = crate::open_store(config).await?;
        crate::attach_state(&store, state).await?;
        Self::serve(store).await
    }
}

impl Drop for LocalGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
