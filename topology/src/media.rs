//! MidoNet's vendor media types, one per resource, at the versions MidoNet v5 serves
//! (`MidonetMediaTypes.scala`; v5 dropped older versions: "you must use the newest available
//! version"). A single object travels as `application/vnd.org.midonet.<Name>-v<N>+json`, a
//! list as `application/vnd.org.midonet.collection.<Name>-v<N>+json`.

/// The media types of one resource: `one` for an object (Accept on GET, Content-Type on POST
/// and PUT), `many` for a list (Accept on a collection GET).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Media {
    pub one: &'static str,
    pub many: &'static str,
}

macro_rules! media {
    ($name:literal, $version:literal) => {
        Media {
            one: concat!(
                "application/vnd.org.midonet.",
                $name,
                "-v",
                $version,
                "+json"
            ),
            many: concat!(
                "application/vnd.org.midonet.collection.",
                $name,
                "-v",
                $version,
                "+json"
            ),
        }
    };
}

pub const APPLICATION: Media = media!("Application", 5);
pub const ROUTER: Media = media!("Router", 3);
pub const BRIDGE: Media = media!("Bridge", 4);
pub const PORT: Media = media!("Port", 3);
pub const PORT_LINK: Media = media!("PortLink", 1);
pub const CHAIN: Media = media!("Chain", 1);
pub const RULE: Media = media!("Rule", 2);
pub const ROUTE: Media = media!("Route", 1);
pub const DHCP_SUBNET: Media = media!("DhcpSubnet", 2);
pub const DHCP_HOST: Media = media!("DhcpHost", 2);
pub const HOST: Media = media!("Host", 3);
pub const INTERFACE: Media = media!("Interface", 1);
pub const HOST_INTERFACE_PORT: Media = media!("HostInterfacePort", 1);
pub const TUNNEL_ZONE: Media = media!("TunnelZone", 1);
pub const TUNNEL_ZONE_HOST: Media = media!("TunnelZoneHost", 1);
pub const PORT_GROUP: Media = media!("PortGroup", 1);
pub const PORT_GROUP_PORT: Media = media!("PortGroupPort", 1);
pub const IP_ADDR_GROUP: Media = media!("IpAddrGroup", 1);
pub const IP_ADDR_GROUP_ADDR: Media = media!("IpAddrGroupAddr", 1);
pub const BGP_PEER: Media = media!("BgpPeer", 1);
pub const BGP_NETWORK: Media = media!("BgpNetwork", 1);
pub const MAC_PORT: Media = media!("MacPort", 2);
pub const IP4_MAC: Media = media!("IP4Mac", 1);
pub const SYSTEM_STATE: Media = media!("SystemState", 2);
pub const TENANT: Media = media!("Tenant", 2);
pub const ERROR: Media = media!("Error", 1);

/// Every resource's media types, by resource name (the `<Name>` in the type).
pub const ALL: &[(&str, Media)] = &[
    ("Application", APPLICATION),
    ("Router", ROUTER),
    ("Bridge", BRIDGE),
    ("Port", PORT),
    ("PortLink", PORT_LINK),
    ("Chain", CHAIN),
    ("Rule", RULE),
    ("Route", ROUTE),
    ("DhcpSubnet", DHCP_SUBNET),
    ("DhcpHost", DHCP_HOST),
    ("Host", HOST),
    ("Interface", INTERFACE),
    ("HostInterfacePort", HOST_INTERFACE_PORT),
    ("TunnelZone", TUNNEL_ZONE),
    ("TunnelZoneHost", TUNNEL_ZONE_HOST),
    ("PortGroup", PORT_GROUP),
    ("PortGroupPort", PORT_GROUP_PORT),
    ("IpAddrGroup", IP_ADDR_GROUP),
    ("IpAddrGroupAddr", IP_ADDR_GROUP_ADDR),
    ("BgpPeer", BGP_PEER),
    ("BgpNetwork", BGP_NETWORK),
    ("MacPort", MAC_PORT),
    ("IP4Mac", IP4_MAC),
    ("SystemState", SYSTEM_STATE),
    ("Tenant", TENANT),
    ("Error", ERROR),
];

/// The current media types of the resource named `name`.
pub fn by_name(name: &str) -> Option<Media> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_midonet_v5_vendor_types() {
        assert_eq!(
            ROUTER.one, "application/vnd.org.midonet.Router-v3+json",
            "MidonetMediaTypes.APPLICATION_ROUTER_JSON_V3"
        );
        assert_eq!(
            PORT.many,
            "application/vnd.org.midonet.collection.Port-v3+json"
        );
        assert_eq!(IP4_MAC.one, "application/vnd.org.midonet.IP4Mac-v1+json");
        assert_eq!(
            APPLICATION.one,
            "application/vnd.org.midonet.Application-v5+json"
        );
    }
}
