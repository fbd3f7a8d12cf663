//! Serves instance metadata for every VPC from one process: a listener inside each VPC namespace,
//! all served by this process's tokio runtime, each request told apart by its source address and
//! forwarded to the CLC's metadata service with `Euca-Instance-Id` added.
//!
//! How one process spans namespaces: a socket belongs to the namespace its creator was in when it
//! created it, and keeps it for life. A short-lived std thread enters a VPC's namespace
//! (`setns`), binds the listener there and ends; the listener, moved to the runtime, goes on
//! accepting in that namespace, while the runtime's own threads (and so the client sockets to the
//! CLC) stay in the host namespace. No thread of the runtime ever changes namespace: they are
//! pooled, and a pooled thread left in a VPC namespace would quietly open the next connection to
//! the CLC there.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use nix::sched::{setns, CloneFlags};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::ip::NETNS_DIR;
use super::{MetadataError, MetadataView};
use crate::gni::VpcId;

/// The header that tells the CLC which instance asks (eucanetd's nginx sets the same).
pub const INSTANCE_ID_HEADER: &str = "Euca-Instance-Id";

/// The largest request body forwarded; metadata requests are small (a token `PUT` at most).
const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// How long a stopped listener's open requests may take to finish before they are cut.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The CLC is on this host (eucanetd's design): a slow answer is a stuck CLC, not a far one.
const CLC_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CLC_TIMEOUT: Duration = Duration::from_secs(30);

/// Hop-by-hop headers (RFC 9110 §7.6.1), which a proxy must not pass on.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// Private address to instance id, for one VPC.
type InstanceMap = Arc<BTreeMap<Ipv4Addr, String>>;

/// What every listener shares: where the CLC is, the client to it, and the instance maps, which a
/// sync replaces in one swap so no request sees half of an update.
struct Shared {
    clc: SocketAddr,
    client: reqwest::Client,
    maps: RwLock<Arc<HashMap<VpcId, InstanceMap>>>,
}

impl Shared {
    fn instance(&self, vpc: &VpcId, ip: Ipv4Addr) -> Option<String> {
        // A poisoned lock only means a writer panicked mid-swap; the Arc it holds is whole.
        let maps = self.maps.read().unwrap_or_else(|e| e.into_inner()).clone();
        maps.get(vpc).and_then(|m| m.get(&ip).cloned())
    }
}

/// A running listener: the signal that stops it and its task.
struct Listener {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// The listeners, one per VPC namespace, and what they share.
pub(super) struct Proxy {
    shared: Arc<Shared>,
    port: u16,
    listeners: BTreeMap<VpcId, Listener>,
}

impl Proxy {
    pub(super) fn new(clc: SocketAddr, port: u16) -> Result<Proxy, MetadataError> {
        let client = reqwest::Client::builder()
            // The CLC is local; an operator's HTTP_PROXY must not send instance requests away.
            .no_proxy()
            .connect_timeout(CLC_CONNECT_TIMEOUT)
            .timeout(CLC_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| MetadataError::Client { source })?;
        Ok(Proxy {
            shared: Arc::new(Shared {
                clc,
                client,
                maps: RwLock::new(Arc::new(HashMap::new())),
            }),
            port,
            listeners: BTreeMap::new(),
        })
    }

    /// Replaces every VPC's instance map at once.
    pub(super) fn set_maps(&self, view: &MetadataView) {
        let maps: HashMap<VpcId, InstanceMap> = view
            .vpcs
            .values()
            .map(|v| (v.id.clone(), Arc::new(v.instances.clone())))
            .collect();
        *self.shared.maps.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(maps);
    }

    /// The VPCs with a listener that still runs.
    pub(super) fn running(&self) -> impl Iterator<Item = &VpcId> {
        self.listeners
            .iter()
            .filter(|(_, l)| !l.task.is_finished())
            .map(|(vpc, _)| vpc)
    }

    /// The VPCs with a listener, running or not.
    pub(super) fn listening(&self) -> impl Iterator<Item = &VpcId> {
        self.listeners.keys()
    }

    /// Opens a listener in each VPC's namespace and serves it. Returns how many started and the
    /// failures, each naming its VPC; the others start regardless.
    pub(super) async fn start(&mut self, vpcs: Vec<VpcId>) -> (usize, Vec<MetadataError>) {
        if vpcs.is_empty() {
            return (0, Vec::new());
        }
        // A listener being replaced still holds the port if its namespace is the same one.
        self.stop(&vpcs).await;
        let names: Vec<String> = vpcs.iter().map(|v| v.to_string()).collect();
        let port = self.port;
        let (tx, rx) = oneshot::channel();
        // A thread of its own, never one of the runtime's: it changes namespace (module doc).
        let spawned = std::thread::Builder::new()
            .name("metadata-netns".into())
            .spawn(move || {
                let bound: Vec<_> = names.iter().map(|n| bind_in_namespace(n, port)).collect();
                let _ = tx.send(bound);
            });
        let bound = match spawned.map(|_| rx) {
            Ok(rx) => match rx.await {
                Ok(bound) => bound,
                Err(_) => {
                    let source = std::io::Error::other("it ended without an answer (a panic)");
                    return (0, vec![MetadataError::Thread { source }]);
                }
            },
            Err(source) => return (0, vec![MetadataError::Thread { source }]),
        };
        let mut started = 0;
        let mut errors = Vec::new();
        for (vpc, result) in vpcs.into_iter().zip(bound) {
            let listener = result.and_then(|l| {
                tokio::net::TcpListener::from_std(l).map_err(|source| MetadataError::Listener {
                    vpc: vpc.to_string(),
                    step: "register with the runtime",
                    source,
                })
            });
            match listener {
                Ok(listener) => {
                    let running = self.serve(vpc.clone(), listener);
                    self.listeners.insert(vpc, running);
                    started += 1;
                }
                Err(e) => errors.push(e),
            }
        }
        (started, errors)
    }

    fn serve(&self, vpc: VpcId, listener: tokio::net::TcpListener) -> Listener {
        let state = Arc::new(VpcProxy {
            vpc: vpc.clone(),
            shared: self.shared.clone(),
        });
        let app = Router::new().fallback(forward).with_state(state);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<SocketAddr>();
            let served = axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!(vpc = %vpc, error = %e, "metadata listener failed");
            }
        });
        Listener { stop, task }
    }

    /// Stops the listeners of `vpcs`; returns how many there were.
    pub(super) async fn stop(&mut self, vpcs: &[VpcId]) -> usize {
        let stopping: Vec<Listener> = vpcs
            .iter()
            .filter_map(|v| self.listeners.remove(v))
            .collect();
        let count = stopping.len();
        futures::future::join_all(stopping.into_iter().map(stop_listener)).await;
        count
    }

    pub(super) async fn shutdown(mut self) -> usize {
        let all: Vec<VpcId> = self.listeners.keys().cloned().collect();
        self.stop(&all).await
    }
}

/// Signals a listener to stop accepting, lets open requests finish within `STOP_GRACE`, then
/// cuts the rest. When it returns the listening socket is closed.
async fn stop_listener(listener: Listener) {
    let Listener { stop, mut task } = listener;
    let _ = stop.send(());
    if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
        task.abort();
        let _ = task.await;
    }
}

/// Binds `0.0.0.0:<port>` inside namespace `name`, from the calling thread, which it leaves in
/// that namespace: call it only from a thread of its own. Also turns IPv4 forwarding off there,
/// so the namespace, which joins every subnet of its VPC and `metabr`, can never route between
/// them; only the proxy answers in it.
fn bind_in_namespace(name: &str, port: u16) -> Result<TcpListener, MetadataError> {
    let fail = |step: &'static str| {
        move |source: std::io::Error| MetadataError::Listener {
            vpc: name.to_owned(),
            step,
            source,
        }
    };
    let path: PathBuf = [NETNS_DIR, name].iter().collect();
    let netns = File::open(&path).map_err(fail("open its namespace"))?;
    setns(&netns, CloneFlags::CLONE_NEWNET)
        .map_err(|errno| fail("enter its namespace")(std::io::Error::from(errno)))?;
    // /proc/sys/net is the namespace of the thread that opens it.
    std::fs::write("/proc/sys/net/ipv4/conf/all/forwarding", "0")
        .map_err(fail("turn forwarding off"))?;
    let listener =
        TcpListener::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).map_err(fail("bind"))?;
    // tokio requires it before `from_std`.
    listener.set_nonblocking(true).map_err(fail("bind"))?;
    Ok(listener)
}

/// The state of one VPC's listener.
struct VpcProxy {
    vpc: VpcId,
    shared: Arc<Shared>,
}

/// Every request on a VPC's listener: identify the instance by source address, forward to the
/// CLC, relay the answer.
async fn forward(
    State(proxy): State<Arc<VpcProxy>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let source = match peer.ip() {
        std::net::IpAddr::V4(v4) => v4,
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED),
    };
    let Some(instance) = proxy.shared.instance(&proxy.vpc, source) else {
        tracing::debug!(vpc = %proxy.vpc, %source, "metadata request from an unknown address");
        let message = format!(
            "metadata: {} has no instance with address {source}\n",
            proxy.vpc
        );
        return (StatusCode::FORBIDDEN, message).into_response();
    };
    match relay(&proxy.shared, &instance, request).await {
        Ok(response) => response,
        Err(response) => response,
    }
}

/// Forwards the request as `instance`'s and converts the CLC's answer; an `Err` is the answer
/// to give instead.
async fn relay(shared: &Shared, instance: &str, request: Request) -> Result<Response, Response> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_REQUEST_BODY)
        .await
        .map_err(|_| {
            let message = format!("metadata: request body over {MAX_REQUEST_BODY} bytes\n");
            (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
        })?;
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let url = format!("http://{}{path}", shared.clc);
    let mut headers = end_to_end(&parts.headers);
    // Only the proxy says who asks: an instance's own header would let it read another's data.
    headers.remove(INSTANCE_ID_HEADER);
    // The instance's Host (169.254.169.254) goes through, since the client keeps a Host it is
    // given: the CLC answers `/` only for that Host.
    let id = HeaderValue::from_str(instance).map_err(|_| {
        let message = format!("metadata: instance id {instance:?} is not a header value\n");
        (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
    })?;
    headers.insert(HeaderName::from_static("euca-instance-id"), id);
    let answer = shared
        .client
        .request(parts.method, &url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|e| bad_gateway(shared.clc, &e))?;
    let status = answer.status();
    let headers = end_to_end(answer.headers());
    let bytes = answer
        .bytes()
        .await
        .map_err(|e| bad_gateway(shared.clc, &e))?;
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

fn bad_gateway(clc: SocketAddr, error: &reqwest::Error) -> Response {
    tracing::warn!(%clc, error = %error, "metadata: the CLC did not answer");
    let message = format!("metadata: the CLC metadata service at {clc} did not answer\n");
    (StatusCode::BAD_GATEWAY, message).into_response()
}

/// `headers` without the hop-by-hop ones, including those `Connection` names.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let mut out = headers.clone();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        out.remove(name);
    }
    // Framing is the server's own business on each leg.
    out.remove(header::TRANSFER_ENCODING);
    out.remove(header::CONTENT_LENGTH);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-trace"),
        );
        h.insert("x-trace", HeaderValue::from_static("1"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        let kept = end_to_end(&h);
        let names: Vec<&str> = kept.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["accept"]);
    }

    #[test]
    fn instances_are_looked_up_in_their_own_vpc_only() {
        let proxy = Proxy::new("127.0.0.1:9".parse().expect("an address"), 8008).expect("a client");
        let gni = crate::gni::parse(include_str!("../../testdata/gni/two-vpcs.xml"))
            .expect("the example parses");
        let env = crate::desired::Environment::new("5.0.0.0");
        let desired = crate::desired::translate(&gni, &env).expect("it translates");
        proxy.set_maps(&super::super::view(&gni, &desired.allocations));
        let vpc = |s: &str| VpcId::parse(s).expect("an id");
        let ip = Ipv4Addr::new(10, 20, 1, 10);
        let a = proxy.shared.instance(&vpc("vpc-0000000a"), ip);
        let b = proxy.shared.instance(&vpc("vpc-0000000b"), ip);
        assert_eq!(a.as_deref(), Some("i-00000a01"));
        assert_eq!(b.as_deref(), Some("i-00000b01"));
        let unknown = Ipv4Addr::new(10, 20, 1, 99);
        assert_eq!(proxy.shared.instance(&vpc("vpc-0000000a"), unknown), None);
    }
}
