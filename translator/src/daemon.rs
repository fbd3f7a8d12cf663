//! `translator run`: watches the GNI file and keeps MidoNet equal to it, as eucanetd's main
//! loop does (`reference/eucanetd.md` §4.1), with an incremental engine instead of a full
//! refresh.
//!
//! The file is watched with inotify (through `notify`), and polled every `poll` besides, as
//! inotify misses changes on some network filesystems. A document whose `version` was applied
//! already is skipped; one that does not parse or translate is reported (element and line)
//! and skipped until the file changes again, leaving the last applied topology in place.
//! After a cycle that applied every write, the version is written to
//! `global_network_info.version` next to the GNI, which is how the CLC and the node
//! controllers learn it was applied; a cycle with failed writes leaves the file as it was.
//!
//! Errors by class: a bad GNI waits for the next file change; an unreachable or failing
//! MidoNet is retried with exponential backoff (`Backoff`), re-reading everything; writes
//! that failed are reported and retried by the next cycle's full plan. SIGHUP forgets all
//! state and resyncs; SIGINT and SIGTERM stop after the cycle in progress.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::Watcher;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::engine::{CycleReport, Engine};
use crate::gni::{self, Gni};
use crate::history;
use crate::metadata::{self, MetadataPlane};

/// The file the applied version is written to, next to the GNI.
pub const VERSION_FILE: &str = "global_network_info.version";

/// Waits between retries after failures: doubles from `first` up to `max`, and starts over
/// after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Self {
        Backoff {
            first,
            max,
            next: first,
        }
    }

    /// The wait before the next retry, lengthening the one after.
    pub fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    pub fn succeeded(&mut self) {
        self.next = self.first;
    }
}

/// What `run` needs besides the engine.
pub struct Options {
    pub gni: PathBuf,
    pub poll: Duration,
    /// `None` runs without the metadata plane (`--no-metadata`).
    pub metadata: Option<MetadataPlane>,
}

/// Why the loop is woken.
enum Wake {
    Changed,
    Resync,
    Stop,
}

/// Runs until SIGINT or SIGTERM; see the module's contract.
pub async fn run(mut engine: Engine, mut options: Options) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::channel::<Wake>(16);
    let _watcher = watch(&options.gni, tx.clone())?;
    spawn_signals(tx.clone())?;
    let mut applied: Option<String> = None;
    // A version whose cycle had failed writes: tried again at `retry_at`, not at every poll.
    let mut pending: Option<String> = None;
    let mut refused: Option<String> = None;
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    let mut retry_at: Option<Instant> = None;
    let mut poll = tokio::time::interval(options.poll);
    // Re-reads only the elements whose bytes changed since the last good document.
    let mut parser = gni::GniParser::new();
    // The text of an earlier document, whose memory the next read reuses.
    let mut buffer = String::new();
    loop {
        let wake = tokio::select! {
            w = rx.recv() => w.unwrap_or(Wake::Stop),
            _ = poll.tick() => Wake::Changed,
            _ = sleep_until(retry_at) => Wake::Changed,
        };
        match wake {
            Wake::Stop => break,
            Wake::Resync => {
                tracing::info!("SIGHUP: reading and planning everything again");
                engine.resync();
                applied = None;
                pending = None;
                refused = None;
            }
            Wake::Changed => {}
        }
        let retrying = retry_at.is_some_and(|t| Instant::now() >= t);
        let woken = Instant::now();
        let read = gni::read_document_into(&options.gni, std::mem::take(&mut buffer)).await;
        let mut document = match read {
            Ok(d) => d,
            Err(e) => {
                if refused.as_deref() != Some("<unreadable>") {
                    tracing::warn!("{e:#}; waiting for another version");
                    refused = Some("<unreadable>".into());
                }
                continue;
            }
        };
        let version = peek_version(&document);
        let done = version.is_some() && (version == applied || version == pending);
        if !retrying && (done || version == refused) {
            buffer = document;
            continue;
        }
        let parsed = parser.parse_reusing(&mut document);
        buffer = document;
        let gni = match parsed {
            Ok(gni) => gni,
            Err(e) => {
                tracing::error!(
                    "{}: not applied, the last topology stays: {e}",
                    options.gni.display()
                );
                refused = version.or_else(|| Some(String::new()));
                continue;
            }
        };
        if gni.config.mode != "VPCMIDO" {
            tracing::error!("GNI mode is {}, not VPCMIDO: not applied", gni.config.mode);
            refused = Some(gni.version.clone());
            continue;
        }
        let version = gni.version.clone();
        let gni_read = woken.elapsed();
        let started = Instant::now();
        let mut outcome = engine.cycle(gni).await;
        if let Ok(report) = &mut outcome {
            report.gni_read = Some(gni_read);
        }
        let record = match &outcome {
            Ok(report) => history::record(&version, started.elapsed(), Some(report), None),
            Err(e) => history::record(&version, started.elapsed(), None, Some(e.to_string())),
        };
        // Off the handshake's path: the CLC waits for the version file, not for the history.
        let client = engine.client().clone();
        tokio::spawn(async move { history::report(&client, &record).await });
        match outcome {
            Ok(report) => {
                summary(&version, &report);
                refused = None;
                if report.apply.is_success() {
                    // Only a cycle that applied everything may tell the CLC so: the version
                    // file is its "applied" handshake.
                    write_version(&options.gni, &version).await;
                    applied = Some(version);
                    pending = None;
                    backoff.succeeded();
                    retry_at = None;
                } else {
                    pending = Some(version);
                    retry_at = Some(Instant::now() + backoff.failed());
                }
                if let (Some(plane), Some(gni)) = (options.metadata.as_mut(), engine.gni()) {
                    let view = metadata::view(gni, engine.allocations());
                    match plane.sync(&view).await {
                        Ok(done) => tracing::info!("metadata: {done}"),
                        Err(e) => {
                            tracing::error!("metadata: {e}; retrying");
                            retry_at.get_or_insert(Instant::now() + backoff.failed());
                        }
                    }
                }
            }
            Err(e) if e.is_input() => {
                tracing::error!("GNI version {version}: not applied, the last topology stays: {e}");
                refused = Some(version);
            }
            Err(e) => {
                let wait = backoff.failed();
                tracing::warn!("{e}; retrying in {wait:?}");
                pending = Some(version);
                retry_at = Some(Instant::now() + wait);
            }
        }
    }
    if let Some(plane) = options.metadata.take() {
        plane.shutdown().await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Watches the GNI's directory (the CLC replaces the file by renaming) for changes to it.
fn watch(gni: &Path, tx: mpsc::Sender<Wake>) -> anyhow::Result<notify::RecommendedWatcher> {
    let dir = gni
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = gni.file_name().map(|n| n.to_os_string());
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let ours = event
            .paths
            .iter()
            .any(|p| p.file_name().map(|n| n.to_os_string()) == name);
        if ours && !matches!(event.kind, notify::EventKind::Access(_)) {
            let _ = tx.try_send(Wake::Changed);
        }
    })?;
    watcher.watch(&dir, notify::RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

fn spawn_signals(tx: mpsc::Sender<Wake>) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        loop {
            let wake = tokio::select! {
                _ = hup.recv() => Wake::Resync,
                _ = term.recv() => Wake::Stop,
                _ = int.recv() => Wake::Stop,
            };
            let stop = matches!(wake, Wake::Stop);
            if tx.send(wake).await.is_err() || stop {
                return;
            }
        }
    });
    Ok(())
}

/// Writes `version` to the version file next to `gni`, replacing it atomically.
pub async fn write_version(gni: &Path, version: &str) {
    let dir = gni.parent().unwrap_or(Path::new("."));
    let path = dir.join(VERSION_FILE);
    let tmp = dir.join(format!(".{VERSION_FILE}.tmp"));
    let written = async {
        tokio::fs::write(&tmp, format!("{version}\n")).await?;
        tokio::fs::rename(&tmp, &path).await
    };
    if let Err(e) = written.await {
        tracing::error!("cannot write {}: {e}", path.display());
    }
}

/// One log line per cycle, and one per failure and diagnostic.
pub fn summary(version: &str, r: &CycleReport) {
    let (c, u, d) = r.planned;
    tracing::info!(
        "GNI version {version}: {c} creates, {u} updates, {d} deletes planned for {} of the parts \
         ({} retranslated); {} sent, {} failed; {}read MidoNet {:?}{}, translate {:?}, plan {:?}, apply {:?}, follow {:?}{}",
        r.parts_planned,
        r.parts_translated,
        r.apply.sent,
        r.apply.failed.len(),
        r.gni_read
            .map(|t| format!("GNI file {t:?}, "))
            .unwrap_or_default(),
        r.read,
        if r.full_read { " (full)" } else { "" },
        r.translate,
        r.plan,
        r.apply.elapsed,
        r.follow,
        if r.follow_skipped { " (from the plan)" } else { "" },
    );
    for (op, e) in r.apply.failed.iter().take(20) {
        tracing::error!("failed: {op}: {e}");
    }
    if r.apply.failed.len() > 20 {
        tracing::error!("... and {} more failures", r.apply.failed.len() - 20);
    }
}

/// The root element's `version` attribute, read without parsing the document, so an
/// unchanged version costs no parse.
pub fn peek_version(document: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(document);
    loop {
        match reader.read_event().ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = e.try_get_attribute("version").ok()??;
                return Some(attr.value.into_owned());
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

/// Reads the GNI at `path`: its text and the parsed, checked view.
pub async fn read_gni(path: &Path) -> anyhow::Result<Gni> {
    let document = gni::read_document(path).await?;
    gni::parse(&document).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_read_off_the_root_element() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- x --><network-data version=\"42\" appliedTime=\"t\"><a/></network-data>";
        assert_eq!(peek_version(doc).as_deref(), Some("42"));
        assert_eq!(peek_version("<network-data>"), None);
        assert_eq!(peek_version("not xml <"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_to_its_cap_and_restarts_after_success() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| b.failed().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        b.succeeded();
        let started = Instant::now();
        tokio::time::sleep(b.failed()).await;
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }
}
