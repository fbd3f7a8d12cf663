//! Runs iproute2's `ip`: single commands, batches on standard input (`ip -batch -`, one process
//! for many changes), and JSON reads (`ip -j`) parsed with serde.
//!
//! Why the `ip` binary rather than netlink from Rust: `ip netns add` is more than a netlink call
//! (a bind mount of the namespace under `/var/run/netns`, made shared so other mount namespaces
//! see it), and that file is what operators inspect with `ip netns list` and enter with
//! `ip netns exec`. Driving the same tool keeps our namespaces exactly what they expect, and a
//! failing step reads as the command an operator would retype.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use nix::sched::{setns, CloneFlags};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::MetadataError;

/// Where `ip netns add` keeps the namespaces it names.
pub(super) const NETNS_DIR: &str = "/var/run/netns";

/// Where `ip` is looked for when `PATH` lacks it (a daemon's `PATH` may leave out `sbin`).
const FALLBACK_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// The `ip` binary.
#[derive(Debug, Clone)]
pub(super) struct Ip {
    path: PathBuf,
}

impl Ip {
    /// Finds `ip` on `PATH` or in the usual directories and checks it runs (`ip -V`).
    pub(super) async fn locate() -> Result<Ip, MetadataError> {
        let path_dirs = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default();
        let found = path_dirs
            .into_iter()
            .chain(FALLBACK_DIRS.iter().map(PathBuf::from))
            .map(|dir| dir.join("ip"))
            .find(|candidate| is_executable(candidate))
            .ok_or(MetadataError::IpMissing)?;
        let ip = Ip { path: found };
        ip.run(&["-V"]).await?;
        Ok(ip)
    }

    /// Runs `ip <args>` and returns its standard output.
    pub(super) async fn run(&self, args: &[&str]) -> Result<String, MetadataError> {
        self.execute(args, None).await
    }

    /// Runs `ip <args>` with `-j` and parses its output; empty output (some versions print
    /// nothing where there is nothing to list) reads as an empty list.
    pub(super) async fn json<T: DeserializeOwned>(
        &self,
        args: &[&str],
    ) -> Result<Vec<T>, MetadataError> {
        let mut full = vec!["-j"];
        full.extend_from_slice(args);
        let out = self.run(&full).await?;
        parse_json(&self.display(&full), &out)
    }

    /// Runs `lines` in one `ip [-n <netns>] -batch -`. It stops at the first failing line; the
    /// error names that line and the message `ip` gave.
    pub(super) async fn batch(
        &self,
        netns: Option<&str>,
        lines: &[String],
    ) -> Result<(), MetadataError> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut args = Vec::new();
        if let Some(ns) = netns {
            args.extend(["-n", ns]);
        }
        args.extend(["-batch", "-"]);
        let mut input = lines.join("\n");
        input.push('\n');
        self.execute(&args, Some(input))
            .await
            .map_err(|e| name_failed_line(e, lines))?;
        Ok(())
    }

    /// Runs each job inside its VPC namespace and returns its output, by namespace, in no
    /// particular order.
    ///
    /// Not `ip -n`: that also makes a mount namespace and remounts `/sys` for every run, which
    /// costs more than the work itself at a thousand namespaces. Instead a few threads of their
    /// own enter each namespace (`setns`) and start `ip` there, which inherits it. They are
    /// std threads, never the runtime's: a thread that changed namespace must not run anything
    /// else (see `proxy`).
    pub(super) async fn in_namespaces(
        &self,
        jobs: Vec<NamespaceJob>,
    ) -> Vec<(String, Result<String, MetadataError>)> {
        let total = jobs.len();
        if total == 0 {
            return Vec::new();
        }
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(2, 8)
            .min(total);
        let queue = Arc::new(Mutex::new(VecDeque::from(jobs)));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut started = 0;
        let mut spawn_error = None;
        for _ in 0..threads {
            let (queue, tx, path) = (queue.clone(), tx.clone(), self.path.clone());
            let spawned = std::thread::Builder::new()
                .name("metadata-netns".into())
                .spawn(move || loop {
                    // A poisoned queue only means another worker panicked; the jobs are whole.
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some(job) = job else { break };
                    let result = run_in_namespace(&path, &job);
                    if tx.send((job.netns, result)).is_err() {
                        break;
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(source) => spawn_error = Some(source),
            }
        }
        drop(tx);
        let mut out = Vec::with_capacity(total);
        if started > 0 {
            while let Some(result) = rx.recv().await {
                out.push(result);
            }
        }
        // Jobs no thread ran: none could start, or one panicked midway.
        let left: Vec<NamespaceJob> = queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for job in left {
            let source = std::io::Error::other(match &spawn_error {
                Some(e) => format!("no thread to run it: {e}"),
                None => "its thread stopped".to_owned(),
            });
            out.push((job.netns, Err(MetadataError::Thread { source })));
        }
        out
    }

    async fn execute(&self, args: &[&str], input: Option<String>) -> Result<String, MetadataError> {
        let command = self.display(args);
        let mut cmd = Command::new(&self.path);
        cmd.args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| MetadataError::Spawn {
            command: command.clone(),
            source,
        })?;
        // Feed standard input while collecting the output, so neither side can block the other
        // on a full pipe; dropping `stdin` after the write is the end of the batch.
        let stdin = child.stdin.take();
        let feed = async move {
            match (input, stdin) {
                (Some(text), Some(mut stdin)) => stdin.write_all(text.as_bytes()).await,
                _ => Ok(()),
            }
        };
        let (fed, out) = tokio::join!(feed, child.wait_with_output());
        let out = out.map_err(|source| MetadataError::Spawn {
            command: command.clone(),
            source,
        })?;
        // A failing `ip` may exit before reading all its input: its own message says more than
        // the broken pipe, so the exit status is looked at first.
        if !out.status.success() {
            return Err(MetadataError::Command {
                command,
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        if let Err(source) = fed {
            return Err(MetadataError::Spawn { command, source });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn display(&self, args: &[&str]) -> String {
        format!("ip {}", args.join(" "))
    }
}

/// One `ip` run inside a namespace: `ip <args>` with `input` on standard input.
#[derive(Debug, Clone)]
pub(super) struct NamespaceJob {
    pub netns: String,
    pub args: Vec<String>,
    /// Batch lines, for `-batch -`.
    pub input: Option<Vec<String>>,
}

/// Runs `job` from the calling thread, which it moves into the job's namespace: call it only
/// from a thread of its own.
fn run_in_namespace(ip: &Path, job: &NamespaceJob) -> Result<String, MetadataError> {
    // As an operator would type it; it does the same.
    let command = format!("ip -n {} {}", job.netns, job.args.join(" "));
    let path: PathBuf = [NETNS_DIR, &job.netns].iter().collect();
    let enter = File::open(&path)
        .and_then(|ns| setns(&ns, CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from));
    if let Err(source) = enter {
        return Err(MetadataError::Enter {
            netns: job.netns.clone(),
            source,
        });
    }
    let spawn_error = |source| MetadataError::Spawn {
        command: command.clone(),
        source,
    };
    let mut child = std::process::Command::new(ip)
        .args(&job.args)
        .stdin(if job.input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let text = job.input.as_ref().map(|lines| {
        let mut text = lines.join("\n");
        text.push('\n');
        text
    });
    // Written from a second thread while this one collects the output, so a full pipe on
    // either side cannot stall the other.
    let stdin = child.stdin.take();
    let (fed, out) = std::thread::scope(|scope| {
        let feeder = scope.spawn(|| match (text, stdin) {
            (Some(text), Some(mut stdin)) => stdin.write_all(text.as_bytes()),
            _ => Ok(()),
        });
        let out = child.wait_with_output();
        let fed = feeder
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the writer panicked")));
        (fed, out)
    });
    let out = out.map_err(spawn_error)?;
    if !out.status.success() {
        let error = MetadataError::Command {
            command: command.clone(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        };
        return Err(match &job.input {
            Some(lines) => name_failed_line(error, lines),
            None => error,
        });
    }
    fed.map_err(spawn_error)?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Adds to a failed batch's error the line `ip` names in "Command failed -:<line>".
fn name_failed_line(error: MetadataError, lines: &[String]) -> MetadataError {
    match error {
        MetadataError::Command {
            command,
            status,
            stderr,
        } => {
            let line = failed_line(&stderr)
                .and_then(|n| lines.get(n.wrapping_sub(1)))
                .map(|l| format!(" at `{l}`"))
                .unwrap_or_default();
            MetadataError::Command {
                command: format!("{command}{line}"),
                status,
                stderr,
            }
        }
        other => other,
    }
}

/// Parses `ip -j` output; empty output reads as an empty list.
pub(super) fn parse_json<T: DeserializeOwned>(
    command: &str,
    out: &str,
) -> Result<Vec<T>, MetadataError> {
    if out.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(out).map_err(|source| MetadataError::Parse {
        command: command.to_owned(),
        source,
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The 1-based input line `ip -batch` names in "Command failed -:<line>".
fn failed_line(stderr: &str) -> Option<usize> {
    stderr
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Command failed -:"))
        .and_then(|n| n.trim().parse().ok())
}

/// One entry of `ip -j netns list`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct NetnsEntry {
    pub name: String,
    /// The namespace's id as seen from this one; set once a link pairs them (a veth peer).
    pub id: Option<i64>,
}

/// One entry of `ip -j link show` or `ip -j addr show`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct LinkEntry {
    pub ifname: String,
    #[serde(default)]
    pub flags: Vec<String>,
    pub master: Option<String>,
    /// The namespace (by id, as `NetnsEntry::id`) of a veth's peer, when it is elsewhere.
    pub link_netnsid: Option<i64>,
    #[serde(default)]
    pub addr_info: Vec<AddrEntry>,
}

impl LinkEntry {
    /// Administratively up.
    pub fn is_up(&self) -> bool {
        self.flags.iter().any(|f| f == "UP")
    }

    pub fn has_address(&self, net: ipnetwork::Ipv4Network) -> bool {
        self.addr_info.iter().any(|a| {
            a.family.as_deref() == Some("inet")
                && a.local.as_deref() == Some(net.ip().to_string().as_str())
                && a.prefixlen == Some(net.prefix())
        })
    }

    /// Its IPv4 addresses, as `address/prefix`.
    pub fn ipv4_addresses(&self) -> Vec<String> {
        self.addr_info
            .iter()
            .filter(|a| a.family.as_deref() == Some("inet"))
            .filter_map(|a| Some(format!("{}/{}", a.local.as_deref()?, a.prefixlen?)))
            .collect()
    }
}

/// One address of a link.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct AddrEntry {
    pub family: Option<String>,
    pub local: Option<String>,
    pub prefixlen: Option<u8>,
}

/// One entry of `ip -j -d link show`, for a link's kind.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct LinkDetail {
    pub ifname: String,
    pub linkinfo: Option<LinkInfo>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct LinkInfo {
    pub info_kind: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_failures_name_their_line() {
        let stderr = "Cannot find device \"nosuch\"\nCommand failed -:4";
        assert_eq!(failed_line(stderr), Some(4));
        assert_eq!(failed_line("RTNETLINK answers: File exists"), None);
    }

    #[test]
    fn link_entries_parse_from_ip_json() {
        let json = r#"[{"ifindex":5,"link_index":2,"ifname":"vn2_0000000a",
            "flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"master":"metabr",
            "link_netnsid":3,"addr_info":[{"family":"inet","local":"10.20.1.3","prefixlen":24},
            {"family":"inet6","local":"fe80::1","prefixlen":64}]}]"#;
        let links: Vec<LinkEntry> = serde_json::from_str(json).expect("parses");
        let l = &links[0];
        assert!(l.is_up());
        assert_eq!(l.master.as_deref(), Some("metabr"));
        assert_eq!(l.link_netnsid, Some(3));
        let net = "10.20.1.3/24".parse().expect("a network");
        assert!(l.has_address(net));
        assert_eq!(l.ipv4_addresses(), ["10.20.1.3/24"]);
        let netns: Vec<NetnsEntry> =
            serde_json::from_str(r#"[{"name":"vpc-0000000a","id":0},{"name":"other"}]"#)
                .expect("parses");
        assert_eq!((netns[0].id, netns[1].id), (Some(0), None));
    }
}
