//! Mirrors the GNI's XML, element by element, as the CLC writes it (`NetworkInfo`;
//! `reference/eucanetd.md` §1.2). Every leaf is an optional string and every list defaults to
//! empty: deciding what is required and what a value means is `convert`'s job, where errors can
//! name the element. Unknown elements and attributes are ignored, as the CLC adds fields.
//!
//! The serde attributes here say how a document maps to the mirror; `element` reads the same
//! mapping without serde (its `element!` table repeats these names). Text borrows the document
//! unless the XML escaped something in it.

use std::borrow::Cow;

use serde::Deserialize;

/// A leaf's text: borrowed from the document unless the XML escaped something in it.
pub(crate) type Text<'a> = Cow<'a, str>;

/// `<network-data version= applied-version= applied-time=>`, the root.
#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct NetworkData<'a> {
    #[serde(rename = "@version", borrow)]
    pub version: Option<Text<'a>>,
    #[serde(rename = "@applied-version", borrow)]
    pub applied_version: Option<Text<'a>>,
    #[serde(rename = "@applied-time", borrow)]
    pub applied_time: Option<Text<'a>>,
    #[serde(borrow)]
    pub configuration: Option<Configuration<'a>>,
    #[serde(default, borrow)]
    pub vpcs: Vpcs<'a>,
    #[serde(default, borrow)]
    pub instances: Instances<'a>,
    #[serde(default, rename = "dhcpOptionSets", borrow)]
    pub dhcp_option_sets: DhcpOptionSets<'a>,
    #[serde(default, rename = "internetGateways", borrow)]
    pub internet_gateways: InternetGateways<'a>,
    #[serde(default, rename = "securityGroups", borrow)]
    pub security_groups: SecurityGroups<'a>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Configuration<'a> {
    #[serde(default, borrow)]
    pub property: Vec<Property<'a>>,
}

/// `<property name=>`: a list of `value`s, or (for `mido`, `gateways`, `clusters`, `nodes`)
/// nested properties, `gateway`s, `cluster`s or `node`s.
#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Property<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub value: Vec<Text<'a>>,
    #[serde(default, borrow)]
    pub property: Vec<Property<'a>>,
    #[serde(default, borrow)]
    pub gateway: Vec<Gateway<'a>>,
    #[serde(default, borrow)]
    pub cluster: Vec<Cluster<'a>>,
    #[serde(default, borrow)]
    pub node: Vec<Node<'a>>,
}

/// `<gateway>` under `mido`/`gateways`: properties `ip`, `externalCidr`, …
#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Gateway<'a> {
    #[serde(default, borrow)]
    pub property: Vec<Property<'a>>,
}

/// `<cluster name=AZ>`: a `subnet`, properties, and the `nodes` property.
#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Cluster<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub subnet: Option<ClusterSubnet<'a>>,
    #[serde(default, borrow)]
    pub property: Vec<Property<'a>>,
}

/// `<subnet name=>` of a cluster: properties `subnet`, `netmask`, `gateway`.
#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct ClusterSubnet<'a> {
    #[serde(default, borrow)]
    pub property: Vec<Property<'a>>,
}

/// `<node name=NC>`: the instances that node runs.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Node<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub instance_ids: Values<'a>,
}

/// A wrapper of `<value>` elements.
#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Values<'a> {
    #[serde(default, borrow)]
    pub value: Vec<Text<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Vpcs<'a> {
    #[serde(default, borrow)]
    pub vpc: Vec<Vpc<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Vpc<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub cidr: Option<Text<'a>>,
    #[serde(borrow)]
    pub dhcp_option_set: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub subnets: Subnets<'a>,
    #[serde(default, borrow)]
    pub network_acls: NetworkAcls<'a>,
    #[serde(default, borrow)]
    pub route_tables: RouteTables<'a>,
    #[serde(default, borrow)]
    pub nat_gateways: NatGateways<'a>,
    /// Ids of the attached internet gateways.
    #[serde(default, borrow)]
    pub internet_gateways: Values<'a>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Subnets<'a> {
    #[serde(default, borrow)]
    pub subnet: Vec<Subnet<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Subnet<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub cidr: Option<Text<'a>>,
    #[serde(borrow)]
    pub cluster: Option<Text<'a>>,
    #[serde(borrow)]
    pub network_acl: Option<Text<'a>>,
    #[serde(borrow)]
    pub route_table: Option<Text<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkAcls<'a> {
    #[serde(default, borrow)]
    pub network_acl: Vec<NetworkAcl<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkAcl<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub ingress_entries: AclEntries<'a>,
    #[serde(default, borrow)]
    pub egress_entries: AclEntries<'a>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct AclEntries<'a> {
    #[serde(default, borrow)]
    pub entry: Vec<AclEntry<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AclEntry<'a> {
    #[serde(rename = "@number", borrow)]
    pub number: Option<Text<'a>>,
    #[serde(borrow)]
    pub protocol: Option<Text<'a>>,
    #[serde(borrow)]
    pub action: Option<Text<'a>>,
    #[serde(borrow)]
    pub cidr: Option<Text<'a>>,
    #[serde(borrow)]
    pub port_range_from: Option<Text<'a>>,
    #[serde(borrow)]
    pub port_range_to: Option<Text<'a>>,
    #[serde(borrow)]
    pub icmp_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub icmp_code: Option<Text<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteTables<'a> {
    #[serde(default, borrow)]
    pub route_table: Vec<RouteTable<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteTable<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub routes: Routes<'a>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Routes<'a> {
    #[serde(default, borrow)]
    pub route: Vec<Route<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Route<'a> {
    #[serde(borrow)]
    pub destination_cidr: Option<Text<'a>>,
    #[serde(borrow)]
    pub gateway_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub network_interface_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub nat_gateway_id: Option<Text<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NatGateways<'a> {
    #[serde(default, borrow)]
    pub nat_gateway: Vec<NatGateway<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NatGateway<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub mac_address: Option<Text<'a>>,
    #[serde(borrow)]
    pub public_ip: Option<Text<'a>>,
    #[serde(borrow)]
    pub private_ip: Option<Text<'a>>,
    #[serde(borrow)]
    pub vpc: Option<Text<'a>>,
    #[serde(borrow)]
    pub subnet: Option<Text<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Instances<'a> {
    #[serde(default, borrow)]
    pub instance: Vec<Instance<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Instance<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub mac_address: Option<Text<'a>>,
    #[serde(borrow)]
    pub public_ip: Option<Text<'a>>,
    #[serde(borrow)]
    pub private_ip: Option<Text<'a>>,
    #[serde(borrow)]
    pub vpc: Option<Text<'a>>,
    #[serde(borrow)]
    pub subnet: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub network_interfaces: NetworkInterfaces<'a>,
    #[serde(default, borrow)]
    pub security_groups: Values<'a>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkInterfaces<'a> {
    #[serde(default, borrow)]
    pub network_interface: Vec<NetworkInterface<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkInterface<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub device_index: Option<Text<'a>>,
    #[serde(borrow)]
    pub attachment_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub mac_address: Option<Text<'a>>,
    #[serde(borrow)]
    pub private_ip: Option<Text<'a>>,
    #[serde(borrow)]
    pub public_ip: Option<Text<'a>>,
    #[serde(borrow)]
    pub source_dest_check: Option<Text<'a>>,
    #[serde(borrow)]
    pub vpc: Option<Text<'a>>,
    #[serde(borrow)]
    pub subnet: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub security_groups: Values<'a>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DhcpOptionSets<'a> {
    #[serde(default, borrow)]
    pub dhcp_option_set: Vec<DhcpOptionSet<'a>>,
}

/// `<dhcpOptionSet name=>`: properties `domain-name`, `domain-name-servers`, `ntp-servers`,
/// `netbios-name-servers`, `netbios-node-type`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DhcpOptionSet<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub property: Vec<Property<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InternetGateways<'a> {
    #[serde(default, borrow)]
    pub internet_gateway: Vec<InternetGateway<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InternetGateway<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecurityGroups<'a> {
    #[serde(default, borrow)]
    pub security_group: Vec<SecurityGroup<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecurityGroup<'a> {
    #[serde(rename = "@name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(borrow)]
    pub owner_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub ingress_rules: Rules<'a>,
    #[serde(default, borrow)]
    pub egress_rules: Rules<'a>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
pub(crate) struct Rules<'a> {
    #[serde(default, borrow)]
    pub rule: Vec<Rule<'a>>,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rule<'a> {
    #[serde(borrow)]
    pub protocol: Option<Text<'a>>,
    #[serde(borrow)]
    pub from_port: Option<Text<'a>>,
    #[serde(borrow)]
    pub to_port: Option<Text<'a>>,
    #[serde(borrow)]
    pub icmp_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub icmp_code: Option<Text<'a>>,
    #[serde(borrow)]
    pub group_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub group_owner_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub cidr: Option<Text<'a>>,
}
