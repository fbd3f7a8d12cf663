//! Serves instance metadata on the CLC host through per-VPC network namespaces: the host half of
//! eucanetd's legacy design (`reference/eucanetd.md` §3.1), whose MidoNet half (the DNAT/SNAT
//! rules and the subnet ports bound to `vn0_<sub8>`) is the `metadata` stage of `desired`.
//!
//! A request's path: an instance connects to `169.254.169.254:80`; its `ic_<if>_prechain`
//! rewrites that to its subnet's `.3:8008`; MidoNet carries it to the subnet bridge's port bound
//! to `vn0_<sub8>` on this host, whose veth peer `vn1_<sub8>` holds `.3` inside namespace
//! `vpc-…`; the proxy's listener in that namespace takes it, looks the source address up in the
//! VPC's instance map, and forwards it from the host namespace to the CLC (`127.0.0.1:8773`)
//! with `Euca-Instance-Id`; the answer goes back the same way, `ic_<if>_postchain` restoring
//! `169.254.169.254:80` as its source.
//!
//! What differs from eucanetd, and why:
//! - one proxy (this process) for every VPC instead of an nginx per namespace plus a host nginx;
//! - no address on the bridge `metabr` or anything else in the host namespace by default. eucanetd
//!   put `169.254.0.1/16` there so each namespace's nginx could reach the host nginx; our listener
//!   sockets live in the namespaces while the process forwards from the host namespace itself, so
//!   nothing needs to cross `metabr`. An address there would make the host, and every service
//!   listening on it, reachable from every VPC namespace, and add a `169.254.0.0/16` route to the
//!   host that can shadow other link-local uses. `MetadataConfig::bridge_address` opts back in
//!   (for tools that expect eucanetd's layout). `metabr` and the `vn2_`/`vn3_` pairs are kept
//!   because operators and scripts know them;
//! - IPv4 forwarding is off in each namespace, which joins every subnet of its VPC;
//! - namespaces are reconciled from what `ip` reports, in batches, not rebuilt command by command.

mod ip;
mod namespaces;
mod proxy;
mod view;

use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use ipnetwork::Ipv4Network;

pub use proxy::INSTANCE_ID_HEADER;
pub use view::{view, MetadataView, SubnetMetadata, VpcMetadata};

use crate::desired::METADATA_PROXY_PORT;
use crate::gni::VpcId;
use ip::{Ip, LinkDetail, LinkEntry};
use namespaces::Plumbing;
use proxy::Proxy;

/// The CLC's metadata service, on the CLC host (eucanetd's `NEXTHOP`).
pub const DEFAULT_CLC: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8773));

/// The Linux bridge joining the VPC namespaces (eucanetd's name).
pub const DEFAULT_BRIDGE: &str = "metabr";

/// Linux's limit on interface names, less the terminating zero (IFNAMSIZ - 1).
const MAX_IFNAME: usize = 15;

/// How the plane runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataConfig {
    /// Where requests go, with `Euca-Instance-Id` added. The CLC believes that header only from
    /// `127.0.0.1`, so this is the CLC on this host, on loopback.
    pub clc: SocketAddr,
    /// The port listened on in every namespace; the DNAT rules send to it.
    pub port: u16,
    /// The Linux bridge in the host namespace that the `vn2_` veths join.
    pub bridge: String,
    /// An address for the bridge, in the host namespace. `None` (the default) leaves it without
    /// one, so nothing of the host is reachable from the VPC namespaces (module doc). eucanetd
    /// used `169.254.0.1/16`.
    pub bridge_address: Option<Ipv4Network>,
}

impl Default for MetadataConfig {
    fn default() -> Self {
        MetadataConfig {
            clc: DEFAULT_CLC,
            port: METADATA_PROXY_PORT,
            bridge: DEFAULT_BRIDGE.to_owned(),
            bridge_address: None,
        }
    }
}

/// What one `sync` changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MetadataReport {
    pub namespaces_created: usize,
    pub namespaces_removed: usize,
    pub veth_pairs_created: usize,
    pub listeners_started: usize,
    /// Listeners of VPCs that left the view, and those replaced because their namespace was made
    /// anew.
    pub listeners_stopped: usize,
}

impl fmt::Display for MetadataReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "namespaces +{} -{}, veth pairs +{}, listeners +{} -{}",
            self.namespaces_created,
            self.namespaces_removed,
            self.veth_pairs_created,
            self.listeners_started,
            self.listeners_stopped
        )
    }
}

/// Why the metadata plane could not start or sync. Each message names the step and the object.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("metadata: managing network namespaces needs root; running as uid {euid}")]
    NotRoot { euid: u32 },
    #[error(
        "metadata: `ip` (iproute2) is neither on PATH nor in /usr/sbin, /sbin, /usr/bin, /bin"
    )]
    IpMissing,
    #[error("metadata: bridge name {name:?} {reason}")]
    BridgeName { name: String, reason: &'static str },
    #[error("metadata: {name} exists and is a {kind} link, not a bridge")]
    NotABridge { name: String, kind: String },
    #[error("metadata: could not run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("metadata: `{command}` failed ({status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("metadata: could not read the output of `{command}`: {source}")]
    Parse {
        command: String,
        source: serde_json::Error,
    },
    #[error("metadata: {first} and {second} both need host interface {name}")]
    NameCollision {
        name: String,
        first: String,
        second: String,
    },
    #[error("metadata: listener for {vpc}: could not {step}: {source}")]
    Listener {
        vpc: String,
        step: &'static str,
        source: std::io::Error,
    },
    #[error("metadata: could not enter namespace {netns}: {source}")]
    Enter {
        netns: String,
        source: std::io::Error,
    },
    #[error("metadata: the thread that enters namespaces failed: {source}")]
    Thread { source: std::io::Error },
    #[error("metadata: could not build the HTTP client for the CLC: {source}")]
    Client { source: reqwest::Error },
}

/// The running plane: the host plumbing and the proxy.
pub struct MetadataPlane {
    plumbing: Plumbing,
    proxy: Proxy,
}

impl MetadataPlane {
    /// Checks that this process is root and that `ip` runs, then creates the bridge (and its
    /// address, if configured) unless it exists. Namespaces wait for the first `sync`.
    pub async fn start(config: MetadataConfig) -> Result<MetadataPlane, MetadataError> {
        check_bridge_name(&config.bridge)?;
        let euid = nix::unistd::geteuid();
        if !euid.is_root() {
            return Err(MetadataError::NotRoot {
                euid: euid.as_raw(),
            });
        }
        let ip = Ip::locate().await?;
        ensure_bridge(&ip, &config.bridge, config.bridge_address).await?;
        let proxy = Proxy::new(config.clc, config.port)?;
        tracing::info!(
            bridge = %config.bridge,
            clc = %config.clc,
            port = config.port,
            "metadata plane started"
        );
        Ok(MetadataPlane {
            plumbing: Plumbing::new(ip, config.bridge),
            proxy,
        })
    }

    /// Makes the host serve `view`: replaces the instance maps (atomically, for every VPC at
    /// once), stops the listeners of VPCs that left, reconciles namespaces and veths
    /// (`namespaces`), and opens a listener in each namespace that lacks a running one.
    ///
    /// A view whose names collide is refused before anything changes. Otherwise the work goes
    /// as far as it can: on error the first is returned (the others are logged) and the next
    /// sync picks up what is missing.
    pub async fn sync(&mut self, view: &MetadataView) -> Result<MetadataReport, MetadataError> {
        namespaces::check_names(view)?;
        let mut report = MetadataReport::default();
        self.proxy.set_maps(view);
        let gone: Vec<VpcId> = self
            .proxy
            .listening()
            .filter(|v| !view.vpcs.contains_key(*v))
            .cloned()
            .collect();
        // Before their namespaces go: an open socket would keep a deleted namespace alive.
        report.listeners_stopped += self.proxy.stop(&gone).await;

        let plumbed = self.plumbing.sync(view).await?;
        report.namespaces_created = plumbed.created.len();
        report.namespaces_removed = plumbed.removed.len();
        report.veth_pairs_created = plumbed.veth_pairs_created;

        // A listener whose namespace was made anew listens in the old, deleted one.
        let stale: Vec<VpcId> = self
            .proxy
            .listening()
            .filter(|v| plumbed.created.contains(*v))
            .cloned()
            .collect();
        report.listeners_stopped += self.proxy.stop(&stale).await;
        let running: BTreeSet<&VpcId> = self.proxy.running().collect();
        let to_start: Vec<VpcId> = view
            .vpcs
            .keys()
            .filter(|v| !running.contains(v) && !plumbed.failed.contains(*v))
            .cloned()
            .collect();
        let (started, errors) = self.proxy.start(to_start).await;
        report.listeners_started = started;
        let mut errors = errors.into_iter();
        let first = errors.next();
        for e in errors {
            tracing::warn!(error = %e, "metadata listener not started");
        }
        if let Some(e) = plumbed.error.or(first) {
            return Err(e);
        }
        tracing::debug!(%report, "metadata synced");
        Ok(report)
    }

    /// The VPCs whose listener is running.
    pub fn serving(&self) -> Vec<VpcId> {
        self.proxy.running().cloned().collect()
    }

    /// Stops every listener (their open requests get a few seconds). Namespaces and veths stay:
    /// they outlive restarts, and MidoNet's ports stay bound to them meanwhile.
    pub async fn shutdown(self) {
        let stopped = self.proxy.shutdown().await;
        tracing::info!(listeners = stopped, "metadata plane stopped");
    }
}

/// Refuses names `ip` would reject or misread, before anything runs.
fn check_bridge_name(name: &str) -> Result<(), MetadataError> {
    let reason = if name.is_empty() {
        Some("is empty")
    } else if name.len() > MAX_IFNAME {
        Some("is longer than 15 bytes (IFNAMSIZ)")
    } else if name
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b == b'/' || b == b':' || !b.is_ascii_graphic())
    {
        Some("has a space, '/', ':' or a non-printing character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(MetadataError::BridgeName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Creates `bridge` if missing, brings it up, and gives it `address` if one is configured.
async fn ensure_bridge(
    ip: &Ip,
    bridge: &str,
    address: Option<Ipv4Network>,
) -> Result<(), MetadataError> {
    let links: Vec<LinkDetail> = ip.json(&["-d", "link", "show"]).await?;
    match links.iter().find(|l| l.ifname == bridge) {
        None => {
            let lines = [
                format!("link add name {bridge} type bridge"),
                format!("link set dev {bridge} up"),
            ];
            ip.batch(None, &lines).await?;
        }
        Some(link) => {
            let kind = link.linkinfo.as_ref().and_then(|i| i.info_kind.as_deref());
            if kind != Some("bridge") {
                return Err(MetadataError::NotABridge {
                    name: bridge.to_owned(),
                    kind: kind.unwrap_or("plain").to_owned(),
                });
            }
            ip.run(&["link", "set", "dev", bridge, "up"]).await?;
        }
    }
    let entries: Vec<LinkEntry> = ip.json(&["addr", "show", "dev", bridge]).await?;
    let present: Vec<String> = entries.iter().flat_map(|l| l.ipv4_addresses()).collect();
    match address {
        Some(a) if !entries.iter().any(|l| l.has_address(a)) => {
            ip.run(&["addr", "replace", &a.to_string(), "dev", bridge])
                .await?;
        }
        Some(_) => {}
        None if !present.is_empty() => {
            // Left alone: someone put it there (eucanetd did), and removing it could cut them off.
            tracing::warn!(
                bridge,
                addresses = ?present,
                "metadata bridge has addresses in the host namespace, which makes the host \
                 reachable from every VPC namespace; remove them unless needed"
            );
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_names_that_ip_would_refuse_are_refused_first() {
        assert!(check_bridge_name("metabr").is_ok());
        assert!(check_bridge_name("mdt0123456789ab").is_ok());
        for bad in ["", "mdt0123456789abc", "meta br", "meta/br", "meta:0"] {
            assert!(check_bridge_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_config_is_eucanetds_without_a_host_address() {
        let c = MetadataConfig::default();
        assert_eq!(c.clc.to_string(), "127.0.0.1:8773");
        assert_eq!(c.port, 8008);
        assert_eq!(c.bridge, "metabr");
        assert_eq!(c.bridge_address, None);
    }
}
