//! A gateway for reconcile tests: in-process, over a fresh embedded store, with the examples'
//! gateway host and two nodes registered and in the tunnel zone `mido-tz`.

#![allow(dead_code)]

pub mod changes;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use api_gateway::testing::{LocalGateway, ZkServer};
use api_gateway::StoreConfig;
use midonet_client::MidonetClient;
use topology::{Host, TunnelZone, TunnelZoneType};
use translator::desired::{Environment, RegisteredHost};
use uuid::Uuid;

/// A gateway over a fresh embedded store, with the examples' gateway host and two nodes
/// registered and in the tunnel zone `mido-tz`, so ports can be bound to them.
pub struct Cloud {
    pub client: MidonetClient,
    /// The environment naming those hosts, for `translate`.
    pub env: Environment,
    gateway: LocalGateway,
    _dir: tempfile::TempDir,
    _zookeeper: Option<ZkServer>,
}

impl Cloud {
    pub async fn start() -> Cloud {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = StoreConfig::Embedded {
            dir: dir.path().to_path_buf(),
        };
        Cloud::start_on(config, dir, None).await
    }

    /// The same cloud over a fresh real ZooKeeper; `None` (skip) when ZooKeeper is not
    /// installed, which fails the test instead under `CI=true`.
    pub async fn start_on_zookeeper() -> Option<Cloud> {
        let zookeeper = api_gateway::testing::zookeeper_or_skip().await?;
        let config = StoreConfig::ZooKeeper {
            connect: zookeeper.connect_string(),
            root: "/midonet".into(),
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        Some(Cloud::start_on(config, dir, Some(zookeeper)).await)
    }

    async fn start_on(
        config: StoreConfig,
        dir: tempfile::TempDir,
        zookeeper: Option<ZkServer>,
    ) -> Cloud {
        let gateway = LocalGateway::start(&config).await.expect("a gateway");
        let client = MidonetClient::connect(&gateway.url).await.expect("connect");
        let zone = TunnelZone {
            id: Uuid::new_v4(),
            name: Some("mido-tz".into()),
            zone_type: TunnelZoneType::Gre,
        };
        let zone = client.create_tunnel_zone(&zone).await.expect("tunnel zone");
        let mut env = Environment::new("5.0.0.0");
        for (n, last) in [(5u128, 5u8), (21, 21), (22, 22)] {
            let address = Ipv4Addr::new(10, 1, 0, last);
            let host = Host {
                id: Uuid::from_u128(n),
                name: Some(format!("host{n}")),
                addresses: vec![address.to_string()],
                alive: true,
                flooding_proxy_weight: 1,
                container_weight: 1,
                container_limit: -1,
                enforce_container_limit: false,
                host_interfaces: Vec::new(),
            };
            client.register_host(&host).await.expect("register host");
            client
                .add_tunnel_zone_member(zone.id, host.id, IpAddr::V4(address))
                .await
                .expect("tunnel zone member");
            env.hosts.push(RegisteredHost {
                id: host.id,
                name: format!("host{n}"),
                addresses: vec![IpAddr::V4(address)],
            });
        }
        Cloud {
            client,
            env,
            gateway,
            _dir: dir,
            _zookeeper: zookeeper,
        }
    }
}

/// Something to do once, at a chosen point of a conversation with the gateway.
pub type Hook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Which request a hook runs before: its method and path (with query).
pub type Picks = fn(&str, &str) -> bool;

/// The hook an `Interposer` holds until it runs.
type Armed = Arc<Mutex<Option<(Picks, Hook)>>>;

/// A pass-through proxy in front of a cloud's gateway: a client connected through it talks to
/// the gateway as usual, and an armed hook runs just before the first request it picks is
/// passed on, so someone else's write lands at an exact point of a cycle.
pub struct Interposer {
    /// Connected through the proxy.
    pub client: MidonetClient,
    armed: Armed,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Interposer {
    /// Runs `hook` before passing on the first request whose method and path (with query)
    /// `picks` accepts.
    pub fn arm(&self, picks: Picks, hook: Hook) {
        *self.armed.lock().expect("not poisoned") = Some((picks, hook));
    }

    /// Whether the armed hook has run.
    pub fn fired(&self) -> bool {
        self.armed.lock().expect("not poisoned").is_none()
    }
}

impl Cloud {
    /// A proxy in front of this cloud's gateway; see `Interposer`.
    pub async fn interpose(&self) -> Interposer {
        use axum::body::Body;
        use axum::extract::{Request, State};
        use axum::response::Response;

        #[derive(Clone)]
        struct Proxy {
            upstream: String,
            http: reqwest::Client,
            armed: Armed,
        }
        async fn pass(State(p): State<Proxy>, request: Request) -> Response {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .expect("a request body");
            let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let hook = {
                let mut armed = p.armed.lock().expect("not poisoned");
                match armed.as_ref() {
                    Some((picks, _)) if picks(parts.method.as_str(), target) => {
                        armed.take().map(|(_, hook)| hook)
                    }
                    _ => None,
                }
            };
            if let Some(hook) = hook {
                hook().await;
            }
            // The Host header goes along, so the gateway's links point back at the proxy.
            let answer = p
                .http
                .request(parts.method, format!("{}{target}", p.upstream))
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .expect("the gateway answers");
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                if name != "content-length" && name != "transfer-encoding" {
                    response = response.header(name, value);
                }
            }
            let bytes = answer.bytes().await.expect("an answer body");
            response.body(Body::from(bytes)).expect("a response")
        }

        let upstream = self
            .gateway
            .url
            .strip_suffix("/midonet-api")
            .expect("the API root")
            .to_string();
        let armed: Armed = Arc::new(Mutex::new(None));
        let proxy = Proxy {
            upstream,
            http: reqwest::Client::new(),
            armed: armed.clone(),
        };
        let app = axum::Router::new().fallback(pass).with_state(proxy);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let client = MidonetClient::connect(&format!("http://{addr}/midonet-api"))
            .await
            .expect("connect through the proxy");
        Interposer {
            client,
            armed,
            _stop: stop,
        }
    }
}
