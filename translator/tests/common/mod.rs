//! A gateway for reconcile tests: in-process, over a fresh embedded store, with the examples'
//! gateway host and two nodes registered and in the tunnel zone `mido-tz`.

#![allow(dead_code)]

pub mod changes;

use std::net::{IpAddr, Ipv4Addr};

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
    _gateway: LocalGateway,
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
            _gateway: gateway,
            _dir: dir,
            _zookeeper: zookeeper,
        }
    }
}
