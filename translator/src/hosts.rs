//! Registers MidoNet hosts and their tunnel zone through the API, as MidoNet's agents and the
//! midokura cookbook's `create-first-resources` recipe did: `translator register-hosts` (hosts
//! from the configuration file, as the Chef cookbook writes them) and `--register-hosts` (the
//! GNI's nodes, gateways and CLC).
//!
//! [`read`] fetches what exists, [`plan`] (pure) says what is missing, [`apply`] sends it. A
//! wanted host is the registered host of the same name, or else the one holding its address (an
//! agent may have registered it under its own host name); it is registered only when neither
//! exists, under a UUIDv5 of its name (the id `api-gateway register-host` gives it too). So a
//! second run plans nothing, and two runs at once make no duplicates. Nothing is ever removed:
//! hosts and members that are not wanted are left as they are.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use midonet_client::{ClientError, MidonetClient};
use topology::{Host, Interface, TunnelZone, TunnelZoneHost, TunnelZoneType};
use uuid::Uuid;

/// The tunnel zone `--register-hosts` puts the GNI's hosts in, and `register-hosts`' default
/// (the midokura cookbook's `default-tunnel-zone`).
pub const DEFAULT_TUNNEL_ZONE: &str = "mido-tz";

/// A host that should be registered and a member of the tunnel zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedHost {
    /// Its name (as `midolman-host-mapping` or the GNI names it).
    pub name: String,
    /// The address it tunnels from, and is found by when bindings are made.
    pub address: IpAddr,
    /// Interfaces ports will be bound to (a gateway's external device), which it must report.
    pub interfaces: Vec<String>,
}

/// What should exist: a tunnel zone, and hosts in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub tunnel_zone: String,
    pub zone_type: TunnelZoneType,
    pub hosts: Vec<WantedHost>,
}

/// What the API has: every tunnel zone and host, and the members of the zone named in the
/// registration (if it exists).
#[derive(Debug, Clone, Default)]
pub struct Existing {
    pub zones: Vec<TunnelZone>,
    pub hosts: Vec<Host>,
    pub members: Vec<TunnelZoneHost>,
}

/// One write that registration needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    CreateZone(TunnelZone),
    /// A new host, or a known one refreshed with an address or interfaces it lacks.
    RegisterHost {
        host: Host,
        new: bool,
    },
    AddMember {
        zone: Uuid,
        zone_name: String,
        host: Uuid,
        host_name: String,
        address: IpAddr,
    },
    /// A member that tunnels from another address: removed and added again.
    MoveMember {
        zone: Uuid,
        zone_name: String,
        host: Uuid,
        host_name: String,
        from: IpAddr,
        to: IpAddr,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::CreateZone(zone) => write!(
                f,
                "create tunnel zone {} ({})",
                zone.name.as_deref().unwrap_or_default(),
                zone_type_name(zone.zone_type)
            ),
            Change::RegisterHost { host, new } => {
                let name = host.name.as_deref().unwrap_or_default();
                let interfaces: Vec<&str> = host
                    .host_interfaces
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect();
                let verb = if *new { "register" } else { "refresh" };
                write!(f, "{verb} host {name} ({})", host.addresses.join(", "))?;
                if !interfaces.is_empty() {
                    write!(f, " with interfaces {}", interfaces.join(", "))?;
                }
                Ok(())
            }
            Change::AddMember {
                zone_name,
                host_name,
                address,
                ..
            } => write!(
                f,
                "add host {host_name} to tunnel zone {zone_name} at {address}"
            ),
            Change::MoveMember {
                zone_name,
                host_name,
                from,
                to,
                ..
            } => write!(
                f,
                "move host {host_name} in tunnel zone {zone_name} from {from} to {to}"
            ),
        }
    }
}

/// Why a registration cannot be planned: the wanted state contradicts itself or what exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("host {name} is listed twice")]
    DuplicateName { name: String },
    #[error("hosts {first} and {second} both have address {address}")]
    DuplicateAddress {
        address: IpAddr,
        first: String,
        second: String,
    },
    #[error("tunnel zone {name} is {found}, not {wanted}")]
    ZoneType {
        name: String,
        found: &'static str,
        wanted: &'static str,
    },
    #[error(
        "host {name}: registered as {id} without address {address}, which host {holder} ({holder_id}) has"
    )]
    AddressTaken {
        name: String,
        id: Uuid,
        address: IpAddr,
        holder: String,
        holder_id: Uuid,
    },
}

/// Why a registration failed: the read or the write (named by its change) the API refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("reading hosts and tunnel zones: {0}")]
    Read(#[source] ClientError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("{change}: {source}")]
    Apply {
        change: String,
        #[source]
        source: ClientError,
    },
}

/// `gre`, `vxlan`, `vtep`, as the API spells a zone's type.
pub fn zone_type_name(zone_type: TunnelZoneType) -> &'static str {
    match zone_type {
        TunnelZoneType::Gre => "gre",
        TunnelZoneType::Vxlan => "vxlan",
        TunnelZoneType::Vtep => "vtep",
    }
}

/// The id a host registered under `name` gets: stable, so registering again finds it.
pub fn host_id(name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_DNS, name.as_bytes())
}

/// The id a tunnel zone created under `name` gets (`mido-tz`'s is the one `--register-hosts`
/// always gave it).
pub fn zone_id(name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_DNS, name.as_bytes())
}

/// Checks that no two wanted hosts share a name or an address.
pub fn check_unique(hosts: &[WantedHost]) -> Result<(), PlanError> {
    let mut names = BTreeMap::new();
    let mut addresses: BTreeMap<IpAddr, &str> = BTreeMap::new();
    for host in hosts {
        if names.insert(host.name.as_str(), ()).is_some() {
            return Err(PlanError::DuplicateName {
                name: host.name.clone(),
            });
        }
        if let Some(first) = addresses.insert(host.address, &host.name) {
            return Err(PlanError::DuplicateAddress {
                address: host.address,
                first: first.to_owned(),
                second: host.name.clone(),
            });
        }
    }
    Ok(())
}

/// The changes that make `existing` hold `wanted`, in the order they must be sent: the zone,
/// then each host before its membership. Empty when everything is registered already.
pub fn plan(wanted: &Registration, existing: &Existing) -> Result<Vec<Change>, PlanError> {
    check_unique(&wanted.hosts)?;
    let mut changes = Vec::new();
    let zone = match existing
        .zones
        .iter()
        .find(|z| z.name.as_deref() == Some(wanted.tunnel_zone.as_str()))
    {
        Some(zone) if zone.zone_type != wanted.zone_type => {
            return Err(PlanError::ZoneType {
                name: wanted.tunnel_zone.clone(),
                found: zone_type_name(zone.zone_type),
                wanted: zone_type_name(wanted.zone_type),
            })
        }
        Some(zone) => zone.id,
        None => {
            let zone = TunnelZone {
                id: zone_id(&wanted.tunnel_zone),
                name: Some(wanted.tunnel_zone.clone()),
                zone_type: wanted.zone_type,
            };
            let id = zone.id;
            changes.push(Change::CreateZone(zone));
            id
        }
    };
    let holder = |address: IpAddr| {
        let text = address.to_string();
        existing.hosts.iter().find(|h| h.addresses.contains(&text))
    };
    for want in &wanted.hosts {
        let named = existing
            .hosts
            .iter()
            .find(|h| h.name.as_deref() == Some(want.name.as_str()));
        let host_id = match named.or_else(|| holder(want.address)) {
            None => {
                changes.push(Change::RegisterHost {
                    host: new_host(want),
                    new: true,
                });
                host_id(&want.name)
            }
            Some(host) => {
                let address = want.address.to_string();
                let lacks_address = !host.addresses.contains(&address);
                if lacks_address {
                    if let Some(other) = holder(want.address) {
                        return Err(PlanError::AddressTaken {
                            name: want.name.clone(),
                            id: host.id,
                            address: want.address,
                            holder: other.name.clone().unwrap_or_default(),
                            holder_id: other.id,
                        });
                    }
                }
                let lacking: Vec<&String> = want
                    .interfaces
                    .iter()
                    .filter(|name| !host.host_interfaces.iter().any(|i| &&i.name == name))
                    .collect();
                if lacks_address || !lacking.is_empty() {
                    let mut refreshed = host.clone();
                    if lacks_address {
                        refreshed.addresses.push(address);
                    }
                    refreshed
                        .host_interfaces
                        .extend(lacking.into_iter().map(|name| Interface::named(name)));
                    changes.push(Change::RegisterHost {
                        host: refreshed,
                        new: false,
                    });
                }
                host.id
            }
        };
        match existing.members.iter().find(|m| m.host_id == host_id) {
            Some(member) if member.ip_address == want.address => {}
            Some(member) => changes.push(Change::MoveMember {
                zone,
                zone_name: wanted.tunnel_zone.clone(),
                host: host_id,
                host_name: want.name.clone(),
                from: member.ip_address,
                to: want.address,
            }),
            None => changes.push(Change::AddMember {
                zone,
                zone_name: wanted.tunnel_zone.clone(),
                host: host_id,
                host_name: want.name.clone(),
                address: want.address,
            }),
        }
    }
    Ok(changes)
}

fn new_host(want: &WantedHost) -> Host {
    Host {
        id: host_id(&want.name),
        name: Some(want.name.clone()),
        addresses: vec![want.address.to_string()],
        alive: true,
        flooding_proxy_weight: 1,
        container_weight: 1,
        container_limit: -1,
        enforce_container_limit: false,
        host_interfaces: want
            .interfaces
            .iter()
            .map(|name| Interface::named(name))
            .collect(),
    }
}

/// Reads every tunnel zone and host, and the members of the zone named `zone_name`.
pub async fn read(client: &MidonetClient, zone_name: &str) -> Result<Existing, ClientError> {
    let zones = client.tunnel_zones().await?;
    let hosts = client.hosts().await?;
    let members = match zones.iter().find(|z| z.name.as_deref() == Some(zone_name)) {
        Some(zone) => client.tunnel_zone_members(zone.id).await?,
        None => Vec::new(),
    };
    Ok(Existing {
        zones,
        hosts,
        members,
    })
}

/// Sends `changes` in order, stopping at the first the API refuses. A conflict on a create (a
/// zone or member another registrar added meanwhile) counts as done.
pub async fn apply(client: &MidonetClient, changes: &[Change]) -> Result<(), RegisterError> {
    for change in changes {
        let failed = |source| RegisterError::Apply {
            change: change.to_string(),
            source,
        };
        let done = match change {
            Change::CreateZone(zone) => client.create_tunnel_zone(zone).await.map(drop),
            Change::RegisterHost { host, .. } => client.register_host(host).await.map(drop),
            Change::AddMember {
                zone,
                host,
                address,
                ..
            } => client
                .add_tunnel_zone_member(*zone, *host, *address)
                .await
                .map(drop),
            Change::MoveMember { zone, host, to, .. } => {
                client
                    .remove_tunnel_zone_member(*zone, *host)
                    .await
                    .map_err(failed)?;
                client
                    .add_tunnel_zone_member(*zone, *host, *to)
                    .await
                    .map(drop)
            }
        };
        match done {
            Err(e) if e.is_conflict() && !matches!(change, Change::RegisterHost { .. }) => {}
            other => other.map_err(failed)?,
        }
    }
    Ok(())
}

/// Reads, plans and applies `wanted`; the changes sent (none when all was registered).
pub async fn register(
    client: &MidonetClient,
    wanted: &Registration,
) -> Result<Vec<Change>, RegisterError> {
    let existing = read(client, &wanted.tunnel_zone)
        .await
        .map_err(RegisterError::Read)?;
    let changes = plan(wanted, &existing)?;
    apply(client, &changes).await?;
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(name: &str, address: &str, interfaces: &[&str]) -> WantedHost {
        WantedHost {
            name: name.into(),
            address: address.parse().unwrap(),
            interfaces: interfaces.iter().map(|i| i.to_string()).collect(),
        }
    }

    fn registration(hosts: Vec<WantedHost>) -> Registration {
        Registration {
            tunnel_zone: "mido-tz".into(),
            zone_type: TunnelZoneType::Gre,
            hosts,
        }
    }

    /// What the API would hold after `changes` were applied to `existing`.
    fn applied(mut existing: Existing, changes: &[Change]) -> Existing {
        for change in changes {
            match change {
                Change::CreateZone(zone) => existing.zones.push(zone.clone()),
                Change::RegisterHost { host, .. } => {
                    existing.hosts.retain(|h| h.id != host.id);
                    existing.hosts.push(host.clone());
                }
                Change::AddMember {
                    zone,
                    host,
                    address,
                    ..
                } => existing.members.push(TunnelZoneHost {
                    tunnel_zone_id: Some(*zone),
                    host_id: *host,
                    ip_address: *address,
                }),
                Change::MoveMember { host, to, .. } => {
                    for m in existing.members.iter_mut().filter(|m| m.host_id == *host) {
                        m.ip_address = *to;
                    }
                }
            }
        }
        existing
    }

    fn text(changes: &[Change]) -> Vec<String> {
        changes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn an_empty_api_gets_the_zone_then_each_host_before_its_membership() {
        let wanted = registration(vec![
            want("b-05", "10.111.1.5", &[]),
            want("b-22", "10.111.1.22", &["em1.116"]),
        ]);
        let changes = plan(&wanted, &Existing::default()).unwrap();
        assert_eq!(
            text(&changes),
            [
                "create tunnel zone mido-tz (gre)",
                "register host b-05 (10.111.1.5)",
                "add host b-05 to tunnel zone mido-tz at 10.111.1.5",
                "register host b-22 (10.111.1.22) with interfaces em1.116",
                "add host b-22 to tunnel zone mido-tz at 10.111.1.22",
            ]
        );
        let Change::RegisterHost { host, .. } = &changes[1] else {
            panic!("{changes:?}")
        };
        assert_eq!(host.id, host_id("b-05"));
        assert!(host.alive);
    }

    #[test]
    fn a_second_plan_after_the_first_was_applied_is_empty() {
        let wanted = registration(vec![
            want("b-05", "10.111.1.5", &[]),
            want("b-22", "10.111.1.22", &["em1.116"]),
        ]);
        let first = plan(&wanted, &Existing::default()).unwrap();
        let after = applied(Existing::default(), &first);
        assert_eq!(plan(&wanted, &after).unwrap(), []);
    }

    #[test]
    fn a_host_an_agent_registered_under_another_name_is_found_by_address() {
        let agent = Host {
            name: Some("b-05.qa1.example".into()),
            ..new_host(&want("x", "10.111.1.5", &[]))
        };
        let existing = Existing {
            hosts: vec![agent.clone()],
            ..Existing::default()
        };
        let changes = plan(
            &registration(vec![want("b-05", "10.111.1.5", &[])]),
            &existing,
        )
        .unwrap();
        assert_eq!(
            text(&changes),
            [
                "create tunnel zone mido-tz (gre)",
                "add host b-05 to tunnel zone mido-tz at 10.111.1.5"
            ]
        );
        let Change::AddMember { host, .. } = &changes[1] else {
            panic!()
        };
        assert_eq!(*host, agent.id);
    }

    #[test]
    fn a_known_host_gets_a_missing_interface_or_address_and_a_moved_member_moves() {
        let first = registration(vec![want("b-22", "10.111.1.22", &[])]);
        let existing = applied(
            Existing::default(),
            &plan(&first, &Existing::default()).unwrap(),
        );
        let changes = plan(
            &registration(vec![want("b-22", "10.111.2.22", &["em1.116"])]),
            &existing,
        )
        .unwrap();
        assert_eq!(
            text(&changes),
            [
                "refresh host b-22 (10.111.1.22, 10.111.2.22) with interfaces em1.116",
                "move host b-22 in tunnel zone mido-tz from 10.111.1.22 to 10.111.2.22",
            ]
        );
    }

    #[test]
    fn contradictions_are_refused_naming_hosts_and_zone() {
        let twice = registration(vec![
            want("b-05", "10.111.1.5", &[]),
            want("b-06", "10.111.1.5", &[]),
        ]);
        assert_eq!(
            plan(&twice, &Existing::default()).unwrap_err().to_string(),
            "hosts b-05 and b-06 both have address 10.111.1.5"
        );
        let existing = Existing {
            zones: vec![TunnelZone {
                id: Uuid::from_u128(1),
                name: Some("mido-tz".into()),
                zone_type: TunnelZoneType::Vxlan,
            }],
            ..Existing::default()
        };
        assert_eq!(
            plan(&registration(vec![]), &existing)
                .unwrap_err()
                .to_string(),
            "tunnel zone mido-tz is vxlan, not gre"
        );
        let taken = Existing {
            hosts: vec![
                new_host(&want("b-05", "10.111.1.5", &[])),
                new_host(&want("node-10.111.1.6", "10.111.1.6", &[])),
            ],
            ..Existing::default()
        };
        let err = plan(&registration(vec![want("b-05", "10.111.1.6", &[])]), &taken).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "host b-05: registered as {} without address 10.111.1.6, which host \
                 node-10.111.1.6 ({}) has",
                host_id("b-05"),
                host_id("node-10.111.1.6")
            )
        );
    }
}
