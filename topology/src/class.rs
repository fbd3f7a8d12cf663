//! Names the stored classes (MidoNet's ZOOM model names) and the contract every resource type meets.

use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

use crate::validation::Invalid;

/// A stored object class. `name()` is MidoNet's model name, used in store paths
/// (`zoom/0/models/<name>/<uuid>`), so existing tools recognise the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Router,
    Network,
    Port,
    Chain,
    Rule,
    Route,
    Dhcp,
    IpAddrGroup,
    PortGroup,
    Host,
    TunnelZone,
    BgpPeer,
    BgpNetwork,
    SystemState,
}

impl Class {
    pub const ALL: [Class; 14] = [
        Class::Router,
        Class::Network,
        Class::Port,
        Class::Chain,
        Class::Rule,
        Class::Route,
        Class::Dhcp,
        Class::IpAddrGroup,
        Class::PortGroup,
        Class::Host,
        Class::TunnelZone,
        Class::BgpPeer,
        Class::BgpNetwork,
        Class::SystemState,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Router => "Router",
            Class::Network => "Network",
            Class::Port => "Port",
            Class::Chain => "Chain",
            Class::Rule => "Rule",
            Class::Route => "Route",
            Class::Dhcp => "Dhcp",
            Class::IpAddrGroup => "IPAddrGroup",
            Class::PortGroup => "PortGroup",
            Class::Host => "Host",
            Class::TunnelZone => "TunnelZone",
            Class::BgpPeer => "BgpPeer",
            Class::BgpNetwork => "BgpNetwork",
            Class::SystemState => "SystemState",
        }
    }

    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }

    /// How operators and error messages call an object of this class.
    pub fn noun(self) -> &'static str {
        match self {
            Class::Router => "router",
            Class::Network => "bridge",
            Class::Port => "port",
            Class::Chain => "chain",
            Class::Rule => "rule",
            Class::Route => "route",
            Class::Dhcp => "DHCP subnet",
            Class::IpAddrGroup => "IP address group",
            Class::PortGroup => "port group",
            Class::Host => "host",
            Class::TunnelZone => "tunnel zone",
            Class::BgpPeer => "BGP peer",
            Class::BgpNetwork => "BGP network",
            Class::SystemState => "system state",
        }
    }

    /// Fields the server owns and never shows: back-references and nested member lists. They are
    /// stripped from API output and carried over unchanged when a client updates the object.
    pub fn internal_fields(self) -> &'static [&'static str] {
        match self {
            Class::Router => &["portIds", "routeIds", "bgpPeerIds", "bgpNetworkIds"],
            Class::Network => &["portIds", "dhcpIds"],
            Class::Port => &["routeIds", "portGroupIds", "previousHostId"],
            Class::Chain => &[
                "ruleIds",
                "jumpRuleIds",
                "routerInboundIds",
                "routerOutboundIds",
                "routerRedirectIds",
                "routerForwardIds",
                "networkInboundIds",
                "networkOutboundIds",
                "portInboundIds",
                "portOutboundIds",
            ],
            Class::Dhcp => &["id", "networkId", "hosts"],
            Class::IpAddrGroup => &["ipAddrs", "srcRuleIds", "dstRuleIds"],
            Class::PortGroup => &["portIds", "ruleIds", "inRuleIds", "outRuleIds"],
            Class::Host => &["portIds", "tunnelZoneIds"],
            Class::TunnelZone => &["hosts"],
            Class::SystemState => &["id"],
            Class::Rule | Class::Route | Class::BgpPeer | Class::BgpNetwork => &[],
        }
    }

    /// Visible fields clients may not set through create or update: they follow from the URL or
    /// are changed only through their own endpoints (link, binding).
    pub fn readonly_fields(self) -> &'static [&'static str] {
        match self {
            Class::Port => &[
                "deviceId",
                "peerId",
                "hostId",
                "interfaceName",
                "tunnelKey",
                "active",
            ],
            Class::Rule => &["chainId", "jumpChainName"],
            Class::Route => &["routerId", "learned"],
            Class::BgpPeer | Class::BgpNetwork => &["routerId"],
            Class::Host => &["alive"],
            Class::Network => &["vxLanPortIds"],
            _ => &[],
        }
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A stored resource type: its class, its identity and its validation.
pub trait Resource: Serialize + DeserializeOwned + Clone {
    const CLASS: Class;
    fn id(&self) -> Uuid;
    /// Checks the object on its own, as MidoNet's API does before touching storage.
    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }
}
