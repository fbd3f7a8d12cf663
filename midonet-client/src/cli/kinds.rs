//! The object model of MidoNet's CLI as data, one table per kind: its type name (the alias
//! prefix and the first word of its line), its fields in print order, its sub-collections and
//! where the API keeps them. Ported from `midonet-cli` of python-midonetclient 5.2.0 (its
//! `ObjectType` subclasses), so that lines print identically; `mac-table` and `arp-table` of a
//! bridge are ours.

use midonet_client::{media, Media};

use super::schema::{
    boolean, choice, cidr, coll, field, list, mirrors, number, port_ref, reference, text, typed,
    up_down, yes_no, Attr, Class, Coll, Elem, Factory, Field, Init, Kind, KindInfo, Setter,
    SingleObj, Unset, Vt,
};

const fn local_media(one: &'static str, many: &'static str) -> Media {
    Media { one, many }
}

/// Media types our topology model has no resource for (MidoNet's, from its Python client).
const MAC_IP: Media = local_media(
    "application/vnd.org.midonet.MacIp-v1+json",
    "application/vnd.org.midonet.collection.MacIp-v1+json",
);
const CONDITION: Media = local_media(
    "application/vnd.org.midonet.Condition-v1+json",
    "application/vnd.org.midonet.collection.Condition-v1+json",
);
const MIRROR: Media = local_media(
    "application/vnd.org.midonet.Mirror-v1+json",
    "application/vnd.org.midonet.collection.Mirror-v1+json",
);
const L2_INSERTION: Media = local_media(
    "application/vnd.org.midonet.L2Insertion-v1+json",
    "application/vnd.org.midonet.collection.L2Insertion-v1+json",
);
const LOAD_BALANCER: Media = local_media(
    "application/vnd.org.midonet.LoadBalancer-v1+json",
    "application/vnd.org.midonet.collection.LoadBalancer-v1+json",
);
const VIP: Media = local_media(
    "application/vnd.org.midonet.VIP-v1+json",
    "application/vnd.org.midonet.collection.VIP-v1+json",
);
const POOL: Media = local_media(
    "application/vnd.org.midonet.Pool-v1+json",
    "application/vnd.org.midonet.collection.Pool-v1+json",
);
const POOL_MEMBER: Media = local_media(
    "application/vnd.org.midonet.PoolMember-v1+json",
    "application/vnd.org.midonet.collection.PoolMember-v1+json",
);
const HEALTH_MONITOR: Media = local_media(
    "application/vnd.org.midonet.HealthMonitor-v1+json",
    "application/vnd.org.midonet.collection.HealthMonitor-v1+json",
);
const POOL_STATISTIC: Media = local_media(
    "application/vnd.org.midonet.PoolStatistic-v1+json",
    "application/vnd.org.midonet.collection.PoolStatistic-v1+json",
);
const VTEP: Media = local_media(
    "application/vnd.org.midonet.VTEP-v2+json",
    "application/vnd.org.midonet.collection.VTEP-v2+json",
);
const VTEP_BINDING: Media = local_media(
    "application/vnd.org.midonet.VTEPBinding-v2+json",
    "application/vnd.org.midonet.collection.VTEPBinding-v2+json",
);
const VTEP_PORT: Media = local_media(
    "application/vnd.org.midonet.VTEPPort-v1+json",
    "application/vnd.org.midonet.collection.VTEPPort-v1+json",
);
const TRACE_REQUEST: Media = local_media(
    "application/vnd.org.midonet.TraceRequest-v1+json",
    "application/vnd.org.midonet.collection.TraceRequest-v1+json",
);
const CONTAINER: Media = local_media(
    "application/vnd.org.midonet.ServiceContainer-v1+json",
    "application/vnd.org.midonet.collection.ServiceContainer-v1+json",
);
const CONTAINER_GROUP: Media = local_media(
    "application/vnd.org.midonet.ServiceContainerGroup-v1+json",
    "application/vnd.org.midonet.collection.ServiceContainerGroup-v1+json",
);
/// Members of a GRE tunnel zone travel under their own media type.
pub const GRE_TUNNEL_ZONE_HOST: Media = local_media(
    "application/vnd.org.midonet.GreTunnelZoneHost-v1+json",
    "application/vnd.org.midonet.collection.GreTunnelZoneHost-v1+json",
);

const ID: Attr = Attr::Field(
    typed("id", "id", Vt::Uuid)
        .read_only()
        .hidden()
        .no_setter()
        .optional(),
);
const TENANT: Attr = Attr::Field(text("tenant", "tenantId").hidden().optional());

const ADMIN_STATE: Field = up_down("state", "adminStateUp");
const INFILTER: Field = reference("infilter", "inboundFilterId", "chain").clearable();
const OUTFILTER: Field = reference("outfilter", "outboundFilterId", "chain").clearable();

const ROUTE_TYPES: &[(&str, &str)] = &[
    ("Normal", "normal"),
    ("BlackHole", "blackhole"),
    ("Reject", "reject"),
];
const ZONE_TYPES: &[(&str, &str)] = &[("gre", "gre"), ("vxlan", "vxlan"), ("vtep", "vtep")];
const FRAGMENT_POLICIES: &[(&str, &str)] = &[
    ("any", "any"),
    ("header", "header"),
    ("nonheader", "nonheader"),
    ("unfragmented", "unfragmented"),
];
const RULE_TYPES: &[(&str, &str)] = &[
    ("accept", "accept"),
    ("continue", "continue"),
    ("drop", "drop"),
    ("jump", "jump"),
    ("l2_transform", "l2-transform"),
    ("redirect", "redirect"),
    ("reject", "reject"),
    ("return", "return"),
    ("trace", "trace"),
    ("dnat", "dnat"),
    ("snat", "snat"),
    ("rev_dnat", "rev_dnat"),
    ("rev_snat", "rev_snat"),
];
const FLOW_ACTIONS: &[(&str, &str)] = &[
    ("accept", "accept"),
    ("continue", "continue"),
    ("redirect", "redirect"),
    ("return", "return"),
];
const FLOWS: &[(&str, &str)] = &[
    ("fwd-flow", "matchForwardFlow"),
    ("return-flow", "matchReturnFlow"),
];
const CONTAINER_STATES: &[(&str, &str)] = &[
    ("STARTING", "starting"),
    ("RUNNING", "running"),
    ("STOPPING", "stopping"),
    ("STOPPED", "stopped"),
    ("ERROR", "error"),
];
const MEMBER_STATES: &[(&str, &str)] = &[("ACTIVE", "ACTIVE"), ("INACTIVE", "INACTIVE")];

const MIDONET: &[Attr] = &[
    Attr::Single(SingleObj {
        name: "system-state",
        kind: Kind::SystemState,
        root_key: "systemState",
    }),
    Attr::Coll(
        coll("router", Kind::Router, "routers")
            .get_top("routerTemplate", "routers")
            .tenant()
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll("mirror", Kind::Mirror, "mirrors")
            .get_top("mirrorTemplate", "mirrors")
            .tenant()
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll("bridge", Kind::Bridge, "bridges")
            .get_top("bridgeTemplate", "bridges")
            .tenant()
            .make(Init::Empty),
    ),
    Attr::Coll(Coll {
        elem: Elem::Port,
        ..coll("port", Kind::RouterPort, "ports")
            .get("portTemplate")
            .tenant()
    }),
    Attr::Coll(
        coll("chain", Kind::Chain, "chains")
            .get_top("chainTemplate", "chains")
            .tenant()
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll("l2insertion", Kind::L2Insertion, "l2insertions")
            .get_top("l2InsertionTemplate", "l2insertions")
            .tenant()
            .make(Init::Empty),
    ),
    Attr::Coll(coll("host", Kind::Host, "hosts").get_top("hostTemplate", "hosts")),
    Attr::Coll(
        coll("port-group", Kind::PortGroup, "portGroups")
            .get_top("portGroupTemplate", "portGroups")
            .tenant()
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll("ip-address-group", Kind::IpGroup, "ipAddrGroups")
            .get_top("ipAddrGroupTemplate", "ipAddrGroups")
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll("tunnel-zone", Kind::TunnelZone, "tunnelZones")
            .get_top("tunnelZoneTemplate", "tunnelZones")
            .tenant()
            .make(Init::Empty),
    ),
    Attr::Coll(coll("tenant", Kind::Tenant, "tenants")),
    Attr::Coll(
        coll("load-balancer", Kind::LoadBalancer, "loadBalancers")
            .get_top("loadBalancerTemplate", "loadBalancers")
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll("health-monitor", Kind::HealthMonitor, "healthMonitors")
            .get_top("healthMonitorTemplate", "healthMonitors")
            .make(Init::Empty),
    ),
    Attr::Coll(Coll {
        factory: Some(Factory::Broken("add_pool_statisic")),
        ..coll("pool-statistic", Kind::PoolStatistic, "poolStatistics")
            .get_top("poolStatisticTemplate", "poolStatistic")
    }),
    Attr::Coll(
        coll("vtep", Kind::Vtep, "vteps")
            .get_top("vtepTemplate", "vteps")
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll("tracerequest", Kind::TraceRequest, "traceRequests")
            .get_top("traceRequestTemplate", "traceRequests")
            .tenant()
            .make(Init::RandomId),
    ),
    Attr::Coll(
        coll("container", Kind::Container, "serviceContainers")
            .get("serviceContainerTemplate")
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll(
            "container-group",
            Kind::ContainerGroup,
            "serviceContainerGroups",
        )
        .get("serviceContainerGroupTemplate")
        .make(Init::Empty),
    ),
];

const ROUTER: &[Attr] = &[
    ID,
    TENANT,
    Attr::Coll(
        coll("port", Kind::RouterPort, "ports")
            .get("portTemplate")
            .make(Init::Type("Router")),
    ),
    Attr::Coll(
        coll("route", Kind::Route, "routes")
            .get("routeTemplate")
            .make(Init::Empty),
    ),
    Attr::Field(text("name", "name").optional()),
    Attr::Field(ADMIN_STATE),
    Attr::Field(INFILTER),
    Attr::Field(OUTFILTER),
    Attr::Field(
        reference("load-balancer", "loadBalancerId", "load-balancer")
            .clearable()
            .optional(),
    ),
    Attr::Field(number("asn", "asNumber")),
    Attr::Coll(
        coll("bgp-network", Kind::BgpNetwork, "bgpNetworks")
            .get("bgpNetworkTemplate")
            .make(Init::Empty),
    ),
    Attr::Coll(
        coll("bgp-peer", Kind::BgpPeer, "bgpPeers")
            .get("bgpPeerTemplate")
            .make(Init::Empty),
    ),
    Attr::Field(mirrors("in-mirrors", "inboundMirrorIds")),
    Attr::Field(mirrors("out-mirrors", "outboundMirrorIds")),
    Attr::Field(reference("local-redirect-chain", "localRedirectChainId", "chain").clearable()),
    Attr::Field(reference("forward-chain", "forwardChainId", "chain").clearable()),
];

const ROUTER_PORT: &[Attr] = &[
    ID,
    Attr::Field(reference("device", "deviceId", "router").no_setter()),
    Attr::Field(ADMIN_STATE),
    Attr::Field(yes_no("plugged", "active").no_setter()),
    Attr::Field(INFILTER),
    Attr::Field(OUTFILTER),
    Attr::Field(typed("mac", "portMac", Vt::Mac)),
    Attr::Field(typed("address", "portAddress", Vt::Ipv4)),
    Attr::Field(cidr("net", "networkAddress", "networkLength")),
    Attr::Field(PEER),
    Attr::Field(text("bgp-status", "bgpStatus").hidden().no_setter()),
    Attr::Field(mirrors("in-mirrors", "inboundMirrorIds")),
    Attr::Field(mirrors("out-mirrors", "outboundMirrorIds")),
    Attr::Field(mirrors("post-in-filter-mirrors", "postInFilterMirrorIds")),
    Attr::Field(mirrors("pre-out-filter-mirrors", "preOutFilterMirrorIds")),
    Attr::Field(typed("vni", "rtrPortVni", Vt::Vni).int()),
    Attr::Field(boolean("vxlan-off-ramp", "offRampVxlan")),
    Attr::Coll(coll("remote-peers", Kind::MacIp, "peeringTable").make(Init::Empty)),
];

const PEER: Field = Field {
    setter: Setter::Link,
    unset: Unset::Unlink,
    ..port_ref("peer", "peerId").optional()
};

const BRIDGE_PORT: &[Attr] = &[
    ID,
    Attr::Field(reference("device", "deviceId", "bridge").no_setter()),
    Attr::Field(ADMIN_STATE),
    Attr::Field(yes_no("plugged", "active").no_setter()),
    Attr::Field(INFILTER),
    Attr::Field(OUTFILTER),
    Attr::Field(
        field("vlan", Class::PortVlan, "vlanId", Vt::Str)
            .int()
            .optional(),
    ),
    Attr::Field(PEER),
    Attr::Field(reference("vtep", "vtepId", "vtep").no_setter()),
    Attr::Field(text("vni", "vni").no_setter()),
    Attr::Field(mirrors("in-mirrors", "inboundMirrorIds")),
    Attr::Field(mirrors("out-mirrors", "outboundMirrorIds")),
    Attr::Field(mirrors("post-in-filter-mirrors", "postInFilterMirrorIds")),
    Attr::Field(mirrors("pre-out-filter-mirrors", "preOutFilterMirrorIds")),
];

const ROUTE: &[Attr] = &[
    ID,
    Attr::Field(choice("type", "type", ROUTE_TYPES)),
    Attr::Field(cidr("src", "srcNetworkAddr", "srcNetworkLength").optional()),
    Attr::Field(cidr("dst", "dstNetworkAddr", "dstNetworkLength")),
    Attr::Field(typed("gw", "nextHopGateway", Vt::Ipv4).optional()),
    Attr::Field(port_ref("port", "nextHopPort").optional()),
    Attr::Field(number("weight", "weight").optional()),
    Attr::Field(boolean("learned", "learned").optional()),
];

const BGP_NETWORK: &[Attr] = &[
    ID,
    Attr::Field(cidr("net", "subnetAddress", "subnetLength")),
];

const BGP_PEER: &[Attr] = &[
    ID,
    Attr::Field(number("asn", "asNumber")),
    Attr::Field(typed("address", "address", Vt::Ipv4)),
    Attr::Field(number("keep-alive", "keepAlive").optional()),
    Attr::Field(number("hold-time", "holdTime").optional()),
    Attr::Field(number("connect-retry", "connectRetry").optional()),
    Attr::Field(text("password", "password").optional()),
];

const MAC_IP_FIELDS: &[Attr] = &[
    Attr::Field(typed("mac", "mac", Vt::Mac)),
    Attr::Field(typed("ip", "ip", Vt::Ipv4)),
];

const BRIDGE: &[Attr] = &[
    ID,
    TENANT,
    Attr::Coll(
        coll("port", Kind::BridgePort, "ports")
            .get("portTemplate")
            .make(Init::Type("Bridge")),
    ),
    Attr::Coll(coll("dhcp", Kind::Dhcp, "dhcpSubnets").make(Init::Empty)),
    Attr::Field(text("name", "name")),
    Attr::Field(ADMIN_STATE),
    Attr::Field(INFILTER),
    Attr::Field(OUTFILTER),
    Attr::Field(mirrors("in-mirrors", "inboundMirrorIds")),
    Attr::Field(mirrors("out-mirrors", "outboundMirrorIds")),
    // Ours: the bridge's API-seeded MAC and ARP tables (MidoNet's CLI has no words for them).
    Attr::Coll(coll("mac-table", Kind::MacEntry, "macTable").make(Init::Empty)),
    Attr::Coll(coll("arp-table", Kind::ArpEntry, "arpTable").make(Init::Empty)),
];

const DHCP: &[Attr] = &[
    Attr::Field(typed("gw", "defaultGateway", Vt::Ipv4)),
    Attr::Field(typed("server", "serverAddr", Vt::Ipv4)),
    Attr::Field(list("dns-servers", "dnsServerAddrs", Vt::Ipv4)),
    Attr::Field(cidr("subnet", "subnetPrefix", "subnetLength")),
    Attr::Field(number("interface-mtu", "interfaceMTU")),
    Attr::Field(field(
        "opt121-routes",
        Class::Opt121,
        "opt121Routes",
        Vt::Str,
    )),
    Attr::Coll(coll("host", Kind::DhcpHost, "hosts").make(Init::Empty)),
];

const DHCP_HOST: &[Attr] = &[
    Attr::Field(text("name", "name")),
    Attr::Field(typed("address", "ipAddr", Vt::Ipv4)),
    Attr::Field(typed("mac", "macAddr", Vt::Mac)),
];

const MAC_ENTRY: &[Attr] = &[
    Attr::Field(typed("mac", "macAddr", Vt::Mac)),
    Attr::Field(port_ref("port", "portId")),
    Attr::Field(number("vlan", "vlanId").optional()),
];

const ARP_ENTRY: &[Attr] = &[
    Attr::Field(typed("ip", "ip", Vt::Ipv4)),
    Attr::Field(typed("mac", "mac", Vt::Mac)),
];

const CHAIN: &[Attr] = &[
    ID,
    TENANT,
    Attr::Coll(Coll {
        sort_by: Some("pos"),
        ..coll("rule", Kind::Rule, "rules")
            .get("ruleTemplate")
            .make(Init::Empty)
    }),
    Attr::Field(text("name", "name")),
];

const CONDITION_FIELDS: &[Attr] = &[
    Attr::Field(yes_no("inverted", "condInvert").optional().cond()),
    Attr::Field(
        typed("hw-src", "dlSrc", Vt::Mac)
            .inv("invDlSrc")
            .optional()
            .cond(),
    ),
    Attr::Field(
        typed("hw-src-mask", "dlSrcMask", Vt::MacMask)
            .optional()
            .cond(),
    ),
    Attr::Field(
        typed("hw-dst", "dlDst", Vt::Mac)
            .inv("invDlDst")
            .optional()
            .cond(),
    ),
    Attr::Field(
        typed("hw-dst-mask", "dlDstMask", Vt::MacMask)
            .optional()
            .cond(),
    ),
    Attr::Field(
        number("ethertype", "dlType")
            .inv("invDlType")
            .optional()
            .cond(),
    ),
    Attr::Field(
        cidr("src", "nwSrcAddress", "nwSrcLength")
            .inv("invNwSrc")
            .optional()
            .cond(),
    ),
    Attr::Field(
        cidr("dst", "nwDstAddress", "nwDstLength")
            .inv("invNwDst")
            .optional()
            .cond(),
    ),
    Attr::Field(
        number("proto", "nwProto")
            .inv("invNwProto")
            .optional()
            .cond(),
    ),
    Attr::Field(number("tos", "nwTos").inv("invNwTos").optional().cond()),
    Attr::Field(
        field("src-port", Class::Range, "tpSrc", Vt::Str)
            .inv("invTpSrc")
            .optional()
            .cond(),
    ),
    Attr::Field(
        field("dst-port", Class::Range, "tpDst", Vt::Str)
            .inv("invTpDst")
            .optional()
            .cond(),
    ),
    Attr::Field(
        field("flow", Class::Flags(FLOWS), "", Vt::Str)
            .optional()
            .cond(),
    ),
    Attr::Field(
        reference("port-group", "portGroup", "port-group")
            .inv("invPortGroup")
            .optional()
            .cond(),
    ),
    Attr::Field(
        reference("in-port-group", "inPortGroup", "port-group")
            .inv("invInPortGroup")
            .optional()
            .cond(),
    ),
    Attr::Field(
        reference("out-port-group", "outPortGroup", "port-group")
            .inv("invOutPortGroup")
            .optional()
            .cond(),
    ),
    Attr::Field(
        reference("ip-address-group-src", "ipAddrGroupSrc", "ip-address-group")
            .inv("invIpAddrGroupSrc")
            .optional()
            .cond(),
    ),
    Attr::Field(
        reference("ip-address-group-dst", "ipAddrGroupDst", "ip-address-group")
            .inv("invIpAddrGroupDst")
            .optional()
            .cond(),
    ),
    Attr::Field(
        list("in-ports", "inPorts", Vt::PortRef)
            .inv("invInPorts")
            .optional()
            .cond(),
    ),
    Attr::Field(
        list("out-ports", "outPorts", Vt::PortRef)
            .inv("invOutPorts")
            .optional()
            .cond(),
    ),
    Attr::Field(choice("fragment-policy", "fragmentPolicy", FRAGMENT_POLICIES).cond()),
    Attr::Field(boolean("no-vlan", "noVlan").optional()),
    Attr::Field(number("vlan", "vlan").optional()),
    Attr::Field(
        cidr(
            "icmp-data-src",
            "icmpDataSrcIpAddress",
            "icmpDataSrcIpLength",
        )
        .inv("invIcmpDataSrcIp")
        .optional()
        .cond(),
    ),
    Attr::Field(
        cidr(
            "icmp-data-dst",
            "icmpDataDstIpAddress",
            "icmpDataDstIpLength",
        )
        .inv("invIcmpDataDstIp")
        .optional()
        .cond(),
    ),
];

const RULE_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(reference("chain", "chainId", "chain").hidden()),
    Attr::Field(number("pos", "position")),
    Attr::Field(choice("type", "type", RULE_TYPES)),
    Attr::Field(choice("action", "flowAction", FLOW_ACTIONS)),
    Attr::Field(reference("jump-to", "jumpChainId", "chain").optional()),
    Attr::Field(port_ref("target-port", "targetPortId").optional()),
    Attr::Field(boolean("ingress", "ingress").optional()),
    Attr::Field(boolean("fail-open", "failOpen").optional()),
    Attr::Field(boolean("pop-vlan", "popVlan").optional()),
    Attr::Field(number("push-vlan", "pushVlan").optional()),
    Attr::Field(field("target", Class::Nat, "natTargets", Vt::Str).optional()),
    Attr::Field(text("traceid", "requestId").optional()),
    Attr::Field(number("tracelimit", "limit").optional()),
];

const HOST: &[Attr] = &[
    ID,
    Attr::Field(text("name", "name").read_only().no_setter()),
    Attr::Field(boolean("alive", "alive").read_only().no_setter()),
    Attr::Field(
        list("addresses", "addresses", Vt::Str)
            .read_only()
            .no_setter(),
    ),
    Attr::Coll(coll("interface", Kind::Interface, "interfaces")),
    Attr::Coll(coll("binding", Kind::Binding, "ports").make(Init::Empty)),
    Attr::Field(
        typed(
            "flooding-proxy-weight",
            "floodingProxyWeight",
            Vt::FloodingProxyWeight,
        )
        .int(),
    ),
    Attr::Field(typed("container-weight", "containerWeight", Vt::ContainerWeight).int()),
    Attr::Field(field("container-limit", Class::Limit, "containerLimit", Vt::Any).int()),
    Attr::Field(boolean("enforce-container-limit", "enforceContainerLimit")),
];

const INTERFACE: &[Attr] = &[
    Attr::Field(text("iface", "name").read_only().no_setter()),
    Attr::Field(
        reference("host_id", "hostId", "host")
            .read_only()
            .no_setter(),
    ),
    Attr::Field(text("status", "status").read_only().no_setter()),
    Attr::Field(text("addresses", "addresses").read_only().no_setter()),
    Attr::Field(text("mac", "mac").read_only().no_setter()),
    Attr::Field(text("mtu", "mtu").read_only().no_setter()),
    Attr::Field(text("type", "type").read_only().no_setter()),
    Attr::Field(text("endpoint", "endpoint").read_only().no_setter()),
];

const BINDING: &[Attr] = &[
    Attr::Field(reference("host", "hostId", "host").no_setter()),
    Attr::Field(text("interface", "interfaceName")),
    Attr::Field(port_ref("port", "portId")),
];

const TUNNEL_ZONE: &[Attr] = &[
    ID,
    Attr::Field(text("name", "name")),
    Attr::Field(choice("type", "type", ZONE_TYPES)),
    Attr::Coll(coll("member", Kind::TzMember, "hosts").make(Init::Empty)),
];

const TZ_MEMBER: &[Attr] = &[
    Attr::Field(reference("zone", "tunnelZoneId", "tunnel-zone").no_setter()),
    Attr::Field(reference("host", "hostId", "host")),
    Attr::Field(typed("address", "ipAddress", Vt::Ipv4)),
];

const PORT_GROUP: &[Attr] = &[
    ID,
    TENANT,
    Attr::Field(text("name", "name")),
    Attr::Coll(coll("member", Kind::PgMember, "ports").make(Init::Empty)),
    Attr::Field(boolean("stateful", "stateful")),
];

const PG_MEMBER: &[Attr] = &[
    Attr::Field(reference("port-group", "portGroupId", "port-group").no_setter()),
    Attr::Field(port_ref("port", "portId")),
];

const IP_GROUP: &[Attr] = &[
    ID,
    Attr::Field(text("name", "name")),
    Attr::Coll(coll("ip", Kind::IpAddr, "addrs").make(Init::Version(4))),
    Attr::Coll(coll("ipv4", Kind::IpAddr, "addrs").make(Init::Version(4))),
    Attr::Coll(coll("ipv6", Kind::IpAddr, "addrs").make(Init::Version(6))),
];

const IP_ADDR: &[Attr] = &[Attr::Field(text("address", "addr"))];

const SYSTEM_STATE: &[Attr] = &[
    Attr::Field(text("state", "state")),
    Attr::Field(text("availability", "availability")),
];

const TENANT_FIELDS: &[Attr] = &[
    Attr::Field(text("tenant-id", "id").no_setter()),
    Attr::Field(text("name", "name")),
    Attr::Field(text("description", "description")),
    Attr::Field(yes_no("enabled", "enabled")),
];

const MIRROR_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(port_ref("to-port", "toPortId")),
    Attr::Coll(Coll {
        embedded: true,
        ..coll("matches", Kind::Condition, "conditions")
    }),
];

const L2_INSERTION_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(port_ref("port", "portId")),
    Attr::Field(port_ref("srv-port", "srvPortId")),
    Attr::Field(number("vlan", "vlan")),
    Attr::Field(number("pos", "position")),
    Attr::Field(boolean("fail-open", "failOpen").optional()),
    Attr::Field(text("mac", "mac")),
];

const LOAD_BALANCER_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(reference("router", "routerId", "router").optional()),
    Attr::Field(ADMIN_STATE),
    Attr::Coll(
        coll("pool", Kind::Pool, "pools")
            .get_top("poolTemplate", "pools")
            .make(Init::Empty),
    ),
    Attr::Coll(coll("vip", Kind::Vip, "vips").get_top("vipTemplate", "vips")),
];

const VIP_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(reference(
        "load-balancer",
        "loadBalancerId",
        "load-balancer",
    )),
    Attr::Field(typed("address", "address", Vt::Ipv4)),
    Attr::Field(typed("protocol-port", "protocolPort", Vt::L4Port).int()),
    Attr::Field(
        choice(
            "persistence",
            "sessionPersistence",
            &[("SOURCE_IP", "SOURCE_IP")],
        )
        .optional(),
    ),
    Attr::Field(ADMIN_STATE),
];

const POOL_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(reference(
        "load-balancer",
        "loadBalancerId",
        "load-balancer",
    )),
    Attr::Field(reference("health-monitor", "healthMonitorId", "health-monitor").clearable()),
    Attr::Field(choice(
        "lb-method",
        "lbMethod",
        &[("ROUND_ROBIN", "ROUND_ROBIN")],
    )),
    Attr::Field(choice("protocol", "protocol", &[("TCP", "TCP")]).read_only()),
    Attr::Coll(
        coll("member", Kind::PoolMember, "poolMembers")
            .get_top("poolMemberTemplate", "poolMembers")
            .make(Init::Empty),
    ),
    Attr::Field(ADMIN_STATE),
    Attr::Coll(
        coll("vip", Kind::Vip, "vips")
            .get_top("vipTemplate", "vips")
            .make(Init::Empty),
    ),
];

const POOL_MEMBER_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(typed("address", "address", Vt::Ipv4)),
    Attr::Field(typed("protocol-port", "protocolPort", Vt::L4Port).int()),
    Attr::Field(number("weight", "weight").optional()),
    Attr::Field(ADMIN_STATE),
    Attr::Field(choice("status", "status", MEMBER_STATES).read_only()),
];

const HEALTH_MONITOR_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(number("delay", "delay")),
    Attr::Field(number("timeout", "timeout")),
    Attr::Field(number("max-retries", "maxRetries")),
    Attr::Field(ADMIN_STATE),
    Attr::Field(choice("status", "status", MEMBER_STATES).read_only()),
    Attr::Field(choice("type", "type", &[("TCP", "TCP")])),
    Attr::Coll(coll("pool", Kind::Pool, "pools").make(Init::Empty)),
];

const POOL_STATISTIC_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(text("bytes-in", "bytesIn")),
    Attr::Field(text("bytes-out", "bytesOut")),
    Attr::Field(text("active-connections", "activeConnections")),
    Attr::Field(text("total-connections", "totalConnections")),
    Attr::Field(reference("pool", "poolId", "pool")),
];

const VTEP_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(text("name", "name").read_only().no_setter()),
    Attr::Field(text("description", "description").read_only().no_setter()),
    Attr::Field(typed("management-ip", "managementIp", Vt::Ipv4)),
    Attr::Field(typed("management-port", "managementPort", Vt::L4Port).int()),
    Attr::Field(reference("tunnel-zone", "tunnelZoneId", "tunnel-zone")),
    Attr::Field(text("connection-state", "connectionState").no_setter()),
    Attr::Coll(coll("binding", Kind::VtepBinding, "bindings").make(Init::Empty)),
    Attr::Coll(coll("port", Kind::VtepPort, "ports").get("portTemplate")),
];

const VTEP_BINDING_FIELDS: &[Attr] = &[
    Attr::Field(typed("management-ip", "mgmtIp", Vt::Ipv4).no_setter()),
    Attr::Field(text("physical-port", "portName")),
    Attr::Field(number("vlan", "vlanId")),
    Attr::Field(text("network-id", "networkId")),
];

const VTEP_PORT_FIELDS: &[Attr] = &[
    Attr::Field(text("name", "name").no_setter()),
    Attr::Field(text("description", "description").no_setter()),
];

const TRACE_REQUEST_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(text("name", "name")),
    Attr::Field(port_ref("port", "port")),
    Attr::Field(reference("router", "router", "router")),
    Attr::Field(reference("bridge", "bridge", "bridge")),
    Attr::Field(number("limit", "limit")),
    Attr::Field(boolean("enabled", "enabled")),
];

const CONTAINER_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(reference("container-group", "serviceGroupId", "container-group").optional()),
    Attr::Field(typed("configuration", "configurationId", Vt::Uuid).optional()),
    Attr::Field(reference("port", "portId", "port").optional()),
    Attr::Field(text("type", "serviceType")),
    Attr::Field(choice("status", "status", CONTAINER_STATES).read_only()),
    Attr::Field(reference("host", "hostId", "host").clearable().optional()),
    Attr::Field(text("namespace", "namespaceName").read_only().no_setter()),
    Attr::Field(text("interface", "interfaceName").read_only().no_setter()),
    Attr::Field(text("status-message", "statusMessage").hidden()),
];

const CONTAINER_GROUP_FIELDS: &[Attr] = &[
    ID,
    Attr::Field(
        choice(
            "policy",
            "policy",
            &[("WEIGHTED", "weighted"), ("LEAST", "least")],
        )
        .optional(),
    ),
    Attr::Field(reference("port-group", "portGroupId", "port-group").optional()),
    Attr::Coll(coll("container", Kind::Container, "serviceContainers").make(Init::Empty)),
];

macro_rules! kind_info {
    ($type_name:literal, $class:literal, $media:expr, [$($part:expr),*]) => {
        &KindInfo {
            type_name: $type_name,
            class_name: $class,
            media: $media,
            parts: &[$($part),*],
        }
    };
}

/// The table of `kind`.
pub(super) fn info(kind: Kind) -> &'static KindInfo {
    match kind {
        Kind::Midonet => kind_info!("object", "Midonet", media::APPLICATION, [MIDONET]),
        Kind::Router => kind_info!("router", "Router", media::ROUTER, [ROUTER]),
        Kind::RouterPort => kind_info!("port", "RouterPort", media::PORT, [ROUTER_PORT]),
        Kind::BridgePort => kind_info!("port", "BridgePort", media::PORT, [BRIDGE_PORT]),
        Kind::Route => kind_info!("route", "Route", media::ROUTE, [ROUTE]),
        Kind::BgpNetwork => kind_info!("net", "BgpNetwork", media::BGP_NETWORK, [BGP_NETWORK]),
        Kind::BgpPeer => kind_info!("peer", "BgpPeer", media::BGP_PEER, [BGP_PEER]),
        Kind::MacIp => kind_info!("macip", "MacIp", MAC_IP, [MAC_IP_FIELDS]),
        Kind::Bridge => kind_info!("bridge", "Bridge", media::BRIDGE, [BRIDGE]),
        Kind::Dhcp => kind_info!("dhcp", "Dhcp", media::DHCP_SUBNET, [DHCP]),
        Kind::DhcpHost => kind_info!("dhcp-host", "DhcpHost", media::DHCP_HOST, [DHCP_HOST]),
        Kind::MacEntry => kind_info!("mac", "MacEntry", media::MAC_PORT, [MAC_ENTRY]),
        Kind::ArpEntry => kind_info!("arp", "ArpEntry", media::IP4_MAC, [ARP_ENTRY]),
        Kind::Chain => kind_info!("chain", "Chain", media::CHAIN, [CHAIN]),
        Kind::Rule => kind_info!("rule", "Rule", media::RULE, [CONDITION_FIELDS, RULE_FIELDS]),
        Kind::Condition => kind_info!("object", "Condition", CONDITION, [CONDITION_FIELDS]),
        Kind::Host => kind_info!("host", "Host", media::HOST, [HOST]),
        Kind::Interface => kind_info!("interface", "Interface", media::INTERFACE, [INTERFACE]),
        Kind::Binding => {
            kind_info!(
                "binding",
                "PortBinding",
                media::HOST_INTERFACE_PORT,
                [BINDING]
            )
        }
        Kind::TunnelZone => kind_info!("tzone", "TunnelZone", media::TUNNEL_ZONE, [TUNNEL_ZONE]),
        Kind::TzMember => {
            kind_info!(
                "memb",
                "TunnelZoneHost",
                media::TUNNEL_ZONE_HOST,
                [TZ_MEMBER]
            )
        }
        Kind::PortGroup => kind_info!("pgroup", "PortGroup", media::PORT_GROUP, [PORT_GROUP]),
        Kind::PgMember => {
            kind_info!(
                "pgport",
                "PortGroupPort",
                media::PORT_GROUP_PORT,
                [PG_MEMBER]
            )
        }
        Kind::IpGroup => kind_info!("ipg", "IpAddressGroup", media::IP_ADDR_GROUP, [IP_GROUP]),
        Kind::IpAddr => kind_info!(
            "addr",
            "IpAddressGroupAddress",
            media::IP_ADDR_GROUP_ADDR,
            [IP_ADDR]
        ),
        Kind::SystemState => {
            kind_info!(
                "system_state",
                "SystemState",
                media::SYSTEM_STATE,
                [SYSTEM_STATE]
            )
        }
        Kind::Tenant => kind_info!("tenant", "Tenant", media::TENANT, [TENANT_FIELDS]),
        Kind::Mirror => kind_info!("mirror", "Mirror", MIRROR, [MIRROR_FIELDS]),
        Kind::L2Insertion => {
            kind_info!(
                "l2insertion",
                "L2Insertion",
                L2_INSERTION,
                [L2_INSERTION_FIELDS]
            )
        }
        Kind::LoadBalancer => {
            kind_info!("lb", "LoadBalancer", LOAD_BALANCER, [LOAD_BALANCER_FIELDS])
        }
        Kind::Vip => kind_info!("vip", "VIP", VIP, [VIP_FIELDS]),
        Kind::Pool => kind_info!("pool", "Pool", POOL, [POOL_FIELDS]),
        Kind::PoolMember => kind_info!("pm", "PoolMember", POOL_MEMBER, [POOL_MEMBER_FIELDS]),
        Kind::HealthMonitor => {
            kind_info!(
                "hm",
                "HealthMonitor",
                HEALTH_MONITOR,
                [HEALTH_MONITOR_FIELDS]
            )
        }
        Kind::PoolStatistic => {
            kind_info!(
                "ps",
                "PoolStatistic",
                POOL_STATISTIC,
                [POOL_STATISTIC_FIELDS]
            )
        }
        Kind::Vtep => kind_info!("vtep", "Vtep", VTEP, [VTEP_FIELDS]),
        Kind::VtepBinding => {
            kind_info!(
                "binding",
                "VtepBinding",
                VTEP_BINDING,
                [VTEP_BINDING_FIELDS]
            )
        }
        Kind::VtepPort => kind_info!("port", "VtepPort", VTEP_PORT, [VTEP_PORT_FIELDS]),
        Kind::TraceRequest => kind_info!(
            "tr",
            "TraceRequest",
            TRACE_REQUEST,
            [CONDITION_FIELDS, TRACE_REQUEST_FIELDS]
        ),
        Kind::Container => {
            kind_info!(
                "container",
                "ServiceContainer",
                CONTAINER,
                [CONTAINER_FIELDS]
            )
        }
        Kind::ContainerGroup => kind_info!(
            "cgroup",
            "ServiceContainerGroup",
            CONTAINER_GROUP,
            [CONTAINER_GROUP_FIELDS]
        ),
    }
}
