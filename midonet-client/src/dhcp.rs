//! DHCP service of a bridge: subnets, identified by their CIDR (`10.0.0.0_24` in URIs), and the
//! static hosts of a subnet, identified by MAC. Subnets are found under the bridge's
//! `dhcpSubnets` link, hosts under the subnet's `hosts` link.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use topology::{mac_to_uri, Bridge, DhcpHost, DhcpSubnet};
use uuid::Uuid;

use crate::media;
use crate::{ClientError, MidonetClient};

/// A DHCP subnet's identity within its bridge: prefix and length. Displays (and parses) as
/// MidoNet's URI form `10.0.0.0_24`; `10.0.0.0/24` parses too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubnetKey {
    pub prefix: Ipv4Addr,
    pub length: u8,
}

impl SubnetKey {
    pub fn new(prefix: Ipv4Addr, length: u8) -> Self {
        SubnetKey { prefix, length }
    }
}

impl From<&DhcpSubnet> for SubnetKey {
    fn from(s: &DhcpSubnet) -> Self {
        SubnetKey::new(s.subnet_prefix, s.subnet_length)
    }
}

impl fmt::Display for SubnetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.prefix, self.length)
    }
}

/// Why a text is not a subnet key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a subnet of the form 10.0.0.0/24 (or 10.0.0.0_24)")]
pub struct BadSubnetKey(String);

impl FromStr for SubnetKey {
    type Err = BadSubnetKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadSubnetKey(s.to_string());
        let (prefix, length) = s.split_once(['_', '/']).ok_or_else(bad)?;
        let length: u8 = length.parse().map_err(|_| bad())?;
        if length > 32 {
            return Err(bad());
        }
        Ok(SubnetKey::new(prefix.parse().map_err(|_| bad())?, length))
    }
}

impl MidonetClient {
    /// The URI of subnet `key` of bridge `bridge`.
    async fn subnet_uri(&self, bridge: Uuid, key: SubnetKey) -> Result<String, ClientError> {
        MidonetClient::child(
            &self.link_of::<Bridge>(bridge, "dhcpSubnets").await?,
            &key.to_string(),
        )
    }

    /// The URI of the static host `mac` of subnet `key`.
    async fn dhcp_host_uri(
        &self,
        bridge: Uuid,
        key: SubnetKey,
        mac: &str,
    ) -> Result<String, ClientError> {
        let hosts = self.dhcp_hosts_uri(bridge, key).await?;
        MidonetClient::child(&hosts, &mac_to_uri(mac))
    }

    async fn dhcp_hosts_uri(&self, bridge: Uuid, key: SubnetKey) -> Result<String, ClientError> {
        let subnet = self.subnet_uri(bridge, key).await?;
        self.link(&subnet, media::DHCP_SUBNET, "hosts").await
    }

    /// DHCP subnets of bridge `bridge`.
    pub async fn dhcp_subnets(&self, bridge: Uuid) -> Result<Vec<DhcpSubnet>, ClientError> {
        self.linked_list::<Bridge, _>(bridge, "dhcpSubnets", media::DHCP_SUBNET)
            .await
    }

    /// Subnet `key` of bridge `bridge`.
    pub async fn dhcp_subnet(
        &self,
        bridge: Uuid,
        key: SubnetKey,
    ) -> Result<DhcpSubnet, ClientError> {
        self.get(&self.subnet_uri(bridge, key).await?, media::DHCP_SUBNET)
            .await
    }

    /// Creates a DHCP subnet on bridge `bridge` (409 when the bridge has that CIDR already).
    pub async fn create_dhcp_subnet(
        &self,
        bridge: Uuid,
        subnet: &DhcpSubnet,
    ) -> Result<DhcpSubnet, ClientError> {
        self.linked_create::<Bridge, _, _>(bridge, "dhcpSubnets", media::DHCP_SUBNET, subnet)
            .await
    }

    /// Updates the subnet with `subnet`'s CIDR (the CIDR itself cannot change); its static hosts
    /// are kept.
    pub async fn update_dhcp_subnet(
        &self,
        bridge: Uuid,
        subnet: &DhcpSubnet,
    ) -> Result<(), ClientError> {
        let uri = self.subnet_uri(bridge, subnet.into()).await?;
        self.update(&uri, media::DHCP_SUBNET, subnet).await
    }

    /// Deletes subnet `key` of bridge `bridge` and its static hosts.
    pub async fn delete_dhcp_subnet(
        &self,
        bridge: Uuid,
        key: SubnetKey,
    ) -> Result<(), ClientError> {
        self.delete(&self.subnet_uri(bridge, key).await?).await
    }

    /// Static hosts of subnet `key` of bridge `bridge`.
    pub async fn dhcp_hosts(
        &self,
        bridge: Uuid,
        key: SubnetKey,
    ) -> Result<Vec<DhcpHost>, ClientError> {
        self.list(&self.dhcp_hosts_uri(bridge, key).await?, media::DHCP_HOST)
            .await
    }

    /// The static host with MAC `mac` (any case, `:` or `-`) in subnet `key`.
    pub async fn dhcp_host(
        &self,
        bridge: Uuid,
        key: SubnetKey,
        mac: &str,
    ) -> Result<DhcpHost, ClientError> {
        self.get(
            &self.dhcp_host_uri(bridge, key, mac).await?,
            media::DHCP_HOST,
        )
        .await
    }

    /// Adds a static host to subnet `key` (409 when its MAC is there already).
    pub async fn create_dhcp_host(
        &self,
        bridge: Uuid,
        key: SubnetKey,
        host: &DhcpHost,
    ) -> Result<DhcpHost, ClientError> {
        self.create(
            &self.dhcp_hosts_uri(bridge, key).await?,
            media::DHCP_HOST,
            host,
        )
        .await
    }

    /// Replaces the static host with `host.mac_addr` in subnet `key`.
    pub async fn update_dhcp_host(
        &self,
        bridge: Uuid,
        key: SubnetKey,
        host: &DhcpHost,
    ) -> Result<(), ClientError> {
        let uri = self.dhcp_host_uri(bridge, key, &host.mac_addr).await?;
        self.update(&uri, media::DHCP_HOST, host).await
    }

    /// Removes the static host with MAC `mac` from subnet `key`.
    pub async fn delete_dhcp_host(
        &self,
        bridge: Uuid,
        key: SubnetKey,
        mac: &str,
    ) -> Result<(), ClientError> {
        self.delete(&self.dhcp_host_uri(bridge, key, mac).await?)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_keys_print_as_midonet_uri_keys_and_parse_both_forms() {
        let key: SubnetKey = "172.31.0.0/20".parse().unwrap();
        assert_eq!(key.to_string(), "172.31.0.0_20");
        assert_eq!("172.31.0.0_20".parse::<SubnetKey>().unwrap(), key);
        assert!("172.31.0.0/33".parse::<SubnetKey>().is_err());
        assert!("172.31.0.0".parse::<SubnetKey>().is_err());
    }
}
