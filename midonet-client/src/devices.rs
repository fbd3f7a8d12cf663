//! What hangs off routers, bridges, ports and chains: device ports and their peers, port links,
//! routes, BGP peers and networks, and the ordered rules of a chain. Each call follows a link of
//! the parent object (`ports`, `peerPorts`, `routes`, `link`, `rules`, ...).

use topology::{
    BgpNetwork, BgpPeer, Bridge, Chain, Port, PortGroupPort, PortLink, Route, Router, Rule,
};
use uuid::Uuid;

use crate::media;
use crate::{ClientError, MidonetClient};

impl MidonetClient {
    /// Ports of router `router`.
    pub async fn router_ports(&self, router: Uuid) -> Result<Vec<Port>, ClientError> {
        self.linked_list::<Router, _>(router, "ports", media::PORT)
            .await
    }

    /// Creates a port on router `router`. MidoNet needs `portAddress`, `networkAddress` and
    /// `networkLength`, generates a `portMac` when absent and adds a `Local` route to the
    /// port's address.
    pub async fn create_router_port(&self, router: Uuid, port: &Port) -> Result<Port, ClientError> {
        self.linked_create::<Router, _, _>(router, "ports", media::PORT, port)
            .await
    }

    /// The ports linked to router `router`'s ports (their peers).
    pub async fn router_peer_ports(&self, router: Uuid) -> Result<Vec<Port>, ClientError> {
        self.linked_list::<Router, _>(router, "peerPorts", media::PORT)
            .await
    }

    /// Ports of bridge `bridge`.
    pub async fn bridge_ports(&self, bridge: Uuid) -> Result<Vec<Port>, ClientError> {
        self.linked_list::<Bridge, _>(bridge, "ports", media::PORT)
            .await
    }

    /// Creates a port on bridge `bridge` (MidoNet reports an untagged one as `vlanId` 0).
    pub async fn create_bridge_port(&self, bridge: Uuid, port: &Port) -> Result<Port, ClientError> {
        self.linked_create::<Bridge, _, _>(bridge, "ports", media::PORT, port)
            .await
    }

    /// The ports linked to bridge `bridge`'s ports.
    pub async fn bridge_peer_ports(&self, bridge: Uuid) -> Result<Vec<Port>, ClientError> {
        self.linked_list::<Bridge, _>(bridge, "peerPorts", media::PORT)
            .await
    }

    /// Links `port` to `peer` (POST to the port's `link`), making both interior. MidoNet answers
    /// 409 when either already has a peer (or is bound), and refuses two bridge ports unless
    /// exactly one has a VLAN.
    pub async fn link_ports(&self, port: Uuid, peer: Uuid) -> Result<(), ClientError> {
        let uri = self.link_of::<Port>(port, "link").await?;
        let body = PortLink {
            port_id: Some(port),
            peer_id: peer,
        };
        // The answer's Location is the link itself, which has no GET: nothing to read back.
        self.post(&uri, media::PORT_LINK.one, &body).await?;
        Ok(())
    }

    /// Unlinks `port` from its peer (DELETE the port's `link`); both ends lose `peerId`.
    pub async fn unlink_port(&self, port: Uuid) -> Result<(), ClientError> {
        let uri = self.link_of::<Port>(port, "link").await?;
        self.delete(&uri).await
    }

    /// The port groups `port` belongs to, as memberships.
    pub async fn port_port_groups(&self, port: Uuid) -> Result<Vec<PortGroupPort>, ClientError> {
        self.linked_list::<Port, _>(port, "portGroups", media::PORT_GROUP_PORT)
            .await
    }

    /// Routes of router `router`, including the `Local` routes of its ports.
    pub async fn router_routes(&self, router: Uuid) -> Result<Vec<Route>, ClientError> {
        self.linked_list::<Router, _>(router, "routes", media::ROUTE)
            .await
    }

    /// Creates a route on router `router`; a `Normal` route needs a `nextHopPort` of that
    /// router. Routes are immutable: change one by deleting it and creating another.
    pub async fn create_route(&self, router: Uuid, route: &Route) -> Result<Route, ClientError> {
        self.linked_create::<Router, _, _>(router, "routes", media::ROUTE, route)
            .await
    }

    /// BGP peers of router `router`.
    pub async fn bgp_peers(&self, router: Uuid) -> Result<Vec<BgpPeer>, ClientError> {
        self.linked_list::<Router, _>(router, "bgpPeers", media::BGP_PEER)
            .await
    }

    /// Creates a BGP peer on router `router`.
    pub async fn create_bgp_peer(
        &self,
        router: Uuid,
        peer: &BgpPeer,
    ) -> Result<BgpPeer, ClientError> {
        self.linked_create::<Router, _, _>(router, "bgpPeers", media::BGP_PEER, peer)
            .await
    }

    /// Networks router `router` announces over BGP.
    pub async fn bgp_networks(&self, router: Uuid) -> Result<Vec<BgpNetwork>, ClientError> {
        self.linked_list::<Router, _>(router, "bgpNetworks", media::BGP_NETWORK)
            .await
    }

    /// Creates an announced network on router `router`.
    pub async fn create_bgp_network(
        &self,
        router: Uuid,
        network: &BgpNetwork,
    ) -> Result<BgpNetwork, ClientError> {
        self.linked_create::<Router, _, _>(router, "bgpNetworks", media::BGP_NETWORK, network)
            .await
    }

    /// Rules of chain `chain`, in evaluation order (each with its 1-based `position`).
    pub async fn chain_rules(&self, chain: Uuid) -> Result<Vec<Rule>, ClientError> {
        self.linked_list::<Chain, _>(chain, "rules", media::RULE)
            .await
    }

    /// Inserts `rule` into chain `chain` at `rule.position` and reads it back.
    ///
    /// Position semantics are MidoNet's: `position` is 1-based and says where the new rule goes,
    /// pushing the rule there and those after it down by one; it may be at most the chain's
    /// length + 1 (append), else 400. **The default, 1, inserts at the top**, so rules created
    /// one after another with the default end up in reverse order: to append, set `position`
    /// to the number of rules + 1. Rules are immutable: to change one, delete it and insert the
    /// new one at its position.
    pub async fn create_rule(&self, chain: Uuid, rule: &Rule) -> Result<Rule, ClientError> {
        self.linked_create::<Chain, _, _>(chain, "rules", media::RULE, rule)
            .await
    }
}
