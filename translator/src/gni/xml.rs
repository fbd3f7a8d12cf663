//! Mirrors the GNI's XML for serde, element by element, as the CLC writes it (`NetworkInfo`;
//! `reference/eucanetd.md` §1.2). Every leaf is an optional string and every list defaults to
//! empty: deciding what is required and what a value means is `convert`'s job, where errors can
//! name the element. Unknown elements and attributes are ignored, as the CLC adds fields.

use serde::Deserialize;

/// `<network-data version= applied-version= applied-time=>`, the root.
#[derive(Debug, Deserialize)]
pub(crate) struct NetworkData {
    #[serde(rename = "@version")]
    pub version: Option<String>,
    #[serde(rename = "@applied-version")]
    pub applied_version: Option<String>,
    #[serde(rename = "@applied-time")]
    pub applied_time: Option<String>,
    pub configuration: Option<Configuration>,
    #[serde(default)]
    pub vpcs: Vpcs,
    #[serde(default)]
    pub instances: Instances,
    #[serde(default, rename = "dhcpOptionSets")]
    pub dhcp_option_sets: DhcpOptionSets,
    #[serde(default, rename = "internetGateways")]
    pub internet_gateways: InternetGateways,
    #[serde(default, rename = "securityGroups")]
    pub security_groups: SecurityGroups,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Configuration {
    #[serde(default)]
    pub property: Vec<Property>,
}

/// `<property name=>`: a list of `value`s, or (for `mido`, `gateways`, `clusters`, `nodes`)
/// nested properties, `gateway`s, `cluster`s or `node`s.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Property {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    #[serde(default)]
    pub value: Vec<String>,
    #[serde(default)]
    pub property: Vec<Property>,
    #[serde(default)]
    pub gateway: Vec<Gateway>,
    #[serde(default)]
    pub cluster: Vec<Cluster>,
    #[serde(default)]
    pub node: Vec<Node>,
}

/// `<gateway>` under `mido`/`gateways`: properties `ip`, `externalCidr`, …
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Gateway {
    #[serde(default)]
    pub property: Vec<Property>,
}

/// `<cluster name=AZ>`: a `subnet`, properties, and the `nodes` property.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Cluster {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub subnet: Option<ClusterSubnet>,
    #[serde(default)]
    pub property: Vec<Property>,
}

/// `<subnet name=>` of a cluster: properties `subnet`, `netmask`, `gateway`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ClusterSubnet {
    #[serde(default)]
    pub property: Vec<Property>,
}

/// `<node name=NC>`: the instances that node runs.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Node {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    #[serde(default)]
    pub instance_ids: Values,
}

/// A wrapper of `<value>` elements.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Values {
    #[serde(default)]
    pub value: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Vpcs {
    #[serde(default)]
    pub vpc: Vec<Vpc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Vpc {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    pub cidr: Option<String>,
    pub dhcp_option_set: Option<String>,
    #[serde(default)]
    pub subnets: Subnets,
    #[serde(default)]
    pub network_acls: NetworkAcls,
    #[serde(default)]
    pub route_tables: RouteTables,
    #[serde(default)]
    pub nat_gateways: NatGateways,
    /// Ids of the attached internet gateways.
    #[serde(default)]
    pub internet_gateways: Values,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Subnets {
    #[serde(default)]
    pub subnet: Vec<Subnet>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Subnet {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    pub cidr: Option<String>,
    pub cluster: Option<String>,
    pub network_acl: Option<String>,
    pub route_table: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkAcls {
    #[serde(default)]
    pub network_acl: Vec<NetworkAcl>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkAcl {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    #[serde(default)]
    pub ingress_entries: AclEntries,
    #[serde(default)]
    pub egress_entries: AclEntries,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AclEntries {
    #[serde(default)]
    pub entry: Vec<AclEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AclEntry {
    #[serde(rename = "@number")]
    pub number: Option<String>,
    pub protocol: Option<String>,
    pub action: Option<String>,
    pub cidr: Option<String>,
    pub port_range_from: Option<String>,
    pub port_range_to: Option<String>,
    pub icmp_type: Option<String>,
    pub icmp_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteTables {
    #[serde(default)]
    pub route_table: Vec<RouteTable>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouteTable {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    #[serde(default)]
    pub routes: Routes,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Routes {
    #[serde(default)]
    pub route: Vec<Route>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Route {
    pub destination_cidr: Option<String>,
    pub gateway_id: Option<String>,
    pub network_interface_id: Option<String>,
    pub nat_gateway_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NatGateways {
    #[serde(default)]
    pub nat_gateway: Vec<NatGateway>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NatGateway {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    pub mac_address: Option<String>,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    pub vpc: Option<String>,
    pub subnet: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Instances {
    #[serde(default)]
    pub instance: Vec<Instance>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Instance {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    pub mac_address: Option<String>,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    pub vpc: Option<String>,
    pub subnet: Option<String>,
    #[serde(default)]
    pub network_interfaces: NetworkInterfaces,
    #[serde(default)]
    pub security_groups: Values,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkInterfaces {
    #[serde(default)]
    pub network_interface: Vec<NetworkInterface>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NetworkInterface {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    pub device_index: Option<String>,
    pub attachment_id: Option<String>,
    pub mac_address: Option<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    pub source_dest_check: Option<String>,
    pub vpc: Option<String>,
    pub subnet: Option<String>,
    #[serde(default)]
    pub security_groups: Values,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DhcpOptionSets {
    #[serde(default)]
    pub dhcp_option_set: Vec<DhcpOptionSet>,
}

/// `<dhcpOptionSet name=>`: properties `domain-name`, `domain-name-servers`, `ntp-servers`,
/// `netbios-name-servers`, `netbios-node-type`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DhcpOptionSet {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    #[serde(default)]
    pub property: Vec<Property>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InternetGateways {
    #[serde(default)]
    pub internet_gateway: Vec<InternetGateway>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InternetGateway {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecurityGroups {
    #[serde(default)]
    pub security_group: Vec<SecurityGroup>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecurityGroup {
    #[serde(rename = "@name")]
    pub name: Option<String>,
    pub owner_id: Option<String>,
    #[serde(default)]
    pub ingress_rules: Rules,
    #[serde(default)]
    pub egress_rules: Rules,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Rules {
    #[serde(default)]
    pub rule: Vec<Rule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rule {
    pub protocol: Option<String>,
    pub from_port: Option<String>,
    pub to_port: Option<String>,
    pub icmp_type: Option<String>,
    pub icmp_code: Option<String>,
    pub group_id: Option<String>,
    pub group_owner_id: Option<String>,
    pub cidr: Option<String>,
}
