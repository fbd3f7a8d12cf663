//! Memberships and host-side objects: addresses of IP address groups, ports of port groups,
//! hosts of tunnel zones, port bindings to host interfaces, a host's interfaces, and our host
//! registration extension. A member has no id of its own; it is addressed as
//! `<collection link>/<key>` (port id, host id, interface name), or, for addresses, by the
//! `uri` the listing gives it (MidoNet puts those under `versions/{4|6}/ip_addrs`, not under
//! the `addrs` link).

use std::net::IpAddr;

use topology::{
    Host, HostInterfacePort, IpAddrGroup, IpAddrGroupAddr, PortGroup, PortGroupPort, TunnelZone,
    TunnelZoneHost,
};
use uuid::Uuid;

use crate::kind::Kind;
use crate::media::{self, Media};
use crate::{ClientError, MidonetClient};

impl MidonetClient {
    /// The member `key` of the collection under link `name` of parent `id`.
    async fn member_uri<P: Kind>(
        &self,
        id: Uuid,
        name: &str,
        key: &str,
    ) -> Result<String, ClientError> {
        MidonetClient::child(&self.link_of::<P>(id, name).await?, key)
    }

    /// GETs member `key` under link `name` of parent `id`.
    async fn member<P: Kind, T: serde::de::DeserializeOwned>(
        &self,
        id: Uuid,
        name: &str,
        key: &str,
        media: Media,
    ) -> Result<T, ClientError> {
        self.get(&self.member_uri::<P>(id, name, key).await?, media)
            .await
    }

    /// DELETEs member `key` under link `name` of parent `id`.
    async fn remove_member<P: Kind>(
        &self,
        id: Uuid,
        name: &str,
        key: &str,
    ) -> Result<(), ClientError> {
        self.delete(&self.member_uri::<P>(id, name, key).await?)
            .await
    }

    /// Addresses of IP address group `group`.
    pub async fn ip_addr_group_addrs(
        &self,
        group: Uuid,
    ) -> Result<Vec<IpAddrGroupAddr>, ClientError> {
        self.linked_list::<IpAddrGroup, _>(group, "addrs", media::IP_ADDR_GROUP_ADDR)
            .await
    }

    /// Adds `addr` (IPv4 or IPv6) to IP address group `group`.
    pub async fn add_ip_addr_group_addr(
        &self,
        group: Uuid,
        addr: IpAddr,
    ) -> Result<IpAddrGroupAddr, ClientError> {
        let mut member = IpAddrGroupAddr {
            ip_addr_group_id: Some(group),
            addr,
            version: None,
        };
        // MidoNet v5 picks the address class by `version` (its JSON type discriminator).
        member.version = Some(member.ip_version());
        self.linked_create::<IpAddrGroup, _, _>(group, "addrs", media::IP_ADDR_GROUP_ADDR, &member)
            .await
    }

    /// The URI of member `addr` of IP address group `group`, as the group's listing gives it;
    /// [`ClientError::NotListed`] when it is not a member.
    async fn ip_addr_group_addr_uri(
        &self,
        group: Uuid,
        addr: IpAddr,
    ) -> Result<String, ClientError> {
        let addrs = self.link_of::<IpAddrGroup>(group, "addrs").await?;
        let listed: Vec<serde_json::Value> = self.list(&addrs, media::IP_ADDR_GROUP_ADDR).await?;
        listed
            .iter()
            .find(|m| {
                m.get("addr")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|a| a.parse::<IpAddr>().ok())
                    == Some(addr)
            })
            .and_then(|m| Some(m.get("uri")?.as_str()?.to_string()))
            .ok_or(ClientError::NotListed {
                what: format!("address {addr}"),
                url: addrs,
            })
    }

    /// Member `addr` of IP address group `group`.
    pub async fn ip_addr_group_addr(
        &self,
        group: Uuid,
        addr: IpAddr,
    ) -> Result<IpAddrGroupAddr, ClientError> {
        let uri = self.ip_addr_group_addr_uri(group, addr).await?;
        self.get(&uri, media::IP_ADDR_GROUP_ADDR).await
    }

    /// Removes `addr` from IP address group `group`.
    pub async fn remove_ip_addr_group_addr(
        &self,
        group: Uuid,
        addr: IpAddr,
    ) -> Result<(), ClientError> {
        self.delete(&self.ip_addr_group_addr_uri(group, addr).await?)
            .await
    }

    /// Member ports of port group `group`.
    pub async fn port_group_ports(&self, group: Uuid) -> Result<Vec<PortGroupPort>, ClientError> {
        self.linked_list::<PortGroup, _>(group, "ports", media::PORT_GROUP_PORT)
            .await
    }

    /// The membership of `port` in port group `group` (404 when it is not a member).
    pub async fn port_group_port(
        &self,
        group: Uuid,
        port: Uuid,
    ) -> Result<PortGroupPort, ClientError> {
        self.member::<PortGroup, _>(group, "ports", &port.to_string(), media::PORT_GROUP_PORT)
            .await
    }

    /// Adds `port` to port group `group`.
    pub async fn add_port_group_port(
        &self,
        group: Uuid,
        port: Uuid,
    ) -> Result<PortGroupPort, ClientError> {
        let member = PortGroupPort {
            port_group_id: Some(group),
            port_id: port,
        };
        self.linked_create::<PortGroup, _, _>(group, "ports", media::PORT_GROUP_PORT, &member)
            .await
    }

    /// Removes `port` from port group `group`.
    pub async fn remove_port_group_port(&self, group: Uuid, port: Uuid) -> Result<(), ClientError> {
        self.remove_member::<PortGroup>(group, "ports", &port.to_string())
            .await
    }

    /// Member hosts of tunnel zone `zone`, with their underlay addresses.
    pub async fn tunnel_zone_members(
        &self,
        zone: Uuid,
    ) -> Result<Vec<TunnelZoneHost>, ClientError> {
        self.linked_list::<TunnelZone, _>(zone, "hosts", media::TUNNEL_ZONE_HOST)
            .await
    }

    /// The membership of `host` in tunnel zone `zone`.
    pub async fn tunnel_zone_member(
        &self,
        zone: Uuid,
        host: Uuid,
    ) -> Result<TunnelZoneHost, ClientError> {
        self.member::<TunnelZone, _>(zone, "hosts", &host.to_string(), media::TUNNEL_ZONE_HOST)
            .await
    }

    /// Adds `host` to tunnel zone `zone`, tunnelling from `address` (409 if already a member).
    pub async fn add_tunnel_zone_member(
        &self,
        zone: Uuid,
        host: Uuid,
        address: IpAddr,
    ) -> Result<TunnelZoneHost, ClientError> {
        let member = TunnelZoneHost {
            tunnel_zone_id: Some(zone),
            host_id: host,
            ip_address: address,
        };
        self.linked_create::<TunnelZone, _, _>(zone, "hosts", media::TUNNEL_ZONE_HOST, &member)
            .await
    }

    /// Removes `host` from tunnel zone `zone`.
    pub async fn remove_tunnel_zone_member(
        &self,
        zone: Uuid,
        host: Uuid,
    ) -> Result<(), ClientError> {
        self.remove_member::<TunnelZone>(zone, "hosts", &host.to_string())
            .await
    }

    /// Ports bound to interfaces of host `host`.
    pub async fn host_bindings(&self, host: Uuid) -> Result<Vec<HostInterfacePort>, ClientError> {
        self.linked_list::<Host, _>(host, "ports", media::HOST_INTERFACE_PORT)
            .await
    }

    /// The binding of `port` on host `host` (404 when the port is not bound there).
    pub async fn host_binding(
        &self,
        host: Uuid,
        port: Uuid,
    ) -> Result<HostInterfacePort, ClientError> {
        self.member::<Host, _>(host, "ports", &port.to_string(), media::HOST_INTERFACE_PORT)
            .await
    }

    /// Binds `port` to interface `interface` of `host`, making it exterior. MidoNet v5 answers
    /// 409 when the host is in no tunnel zone, the port is already bound or linked, or another
    /// port uses the interface.
    pub async fn bind_port(
        &self,
        host: Uuid,
        port: Uuid,
        interface: &str,
    ) -> Result<HostInterfacePort, ClientError> {
        let binding = HostInterfacePort {
            host_id: Some(host),
            port_id: port,
            interface_name: interface.to_string(),
        };
        self.linked_create::<Host, _, _>(host, "ports", media::HOST_INTERFACE_PORT, &binding)
            .await
    }

    /// Unbinds `port` from host `host`.
    pub async fn unbind_port(&self, host: Uuid, port: Uuid) -> Result<(), ClientError> {
        self.remove_member::<Host>(host, "ports", &port.to_string())
            .await
    }

    /// Interfaces host `host` reported.
    pub async fn host_interfaces(
        &self,
        host: Uuid,
    ) -> Result<Vec<topology::Interface>, ClientError> {
        self.linked_list::<Host, _>(host, "interfaces", media::INTERFACE)
            .await
    }

    /// Interface `name` of host `host`.
    pub async fn host_interface(
        &self,
        host: Uuid,
        name: &str,
    ) -> Result<topology::Interface, ClientError> {
        self.member::<Host, _>(host, "interfaces", name, media::INTERFACE)
            .await
    }

    /// Registers `host` (or refreshes it when its id exists) through our gateway's `adminHosts`
    /// extension and reads it back. A real MidoNet has no such endpoint (its agents register
    /// themselves): there this is [`ClientError::Unsupported`]. `host.alive` is sent as given.
    pub async fn register_host(&self, host: &Host) -> Result<Host, ClientError> {
        let uri = self
            .root()
            .get(crate::ADMIN_HOSTS)
            .ok_or_else(|| ClientError::Unsupported {
                what: format!(
                    "host registration (no `{}` in the root resource at {}; on MidoNet the agent registers its host)",
                    crate::ADMIN_HOSTS,
                    self.root().url()
                ),
            })?
            .to_string();
        self.create(&uri, media::HOST, host).await
    }
}
