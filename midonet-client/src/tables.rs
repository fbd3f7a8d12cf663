//! A bridge's API-seeded state tables: MAC table entries (MAC -> port, per VLAN) and ARP table
//! entries (IPv4 -> MAC). Entries are addressed through the bridge's `macPortTemplate` and
//! `vlanMacPortTemplate` and under its `arpTable` link.

use topology::{mac_to_uri, Bridge, Ip4Mac, MacPort};
use uuid::Uuid;

use crate::media;
use crate::{ClientError, MidonetClient};

impl MidonetClient {
    /// The URI of MAC entry `entry`: the VLAN template for a tagged entry, else the plain one.
    async fn mac_entry_uri(&self, bridge: Uuid, entry: &MacPort) -> Result<String, ClientError> {
        let vlan = entry.vlan_id.filter(|v| *v != 0);
        let template = match vlan {
            Some(_) => "vlanMacPortTemplate",
            None => "macPortTemplate",
        };
        Ok(self
            .link_of::<Bridge>(bridge, template)
            .await?
            .replace("{vlanId}", &vlan.unwrap_or(0).to_string())
            .replace("{macAddress}", &mac_to_uri(&entry.mac_addr))
            .replace("{portId}", &entry.port_id.to_string()))
    }

    /// MAC table entries of bridge `bridge`, every VLAN.
    pub async fn mac_table(&self, bridge: Uuid) -> Result<Vec<MacPort>, ClientError> {
        self.linked_list::<Bridge, _>(bridge, "macTable", media::MAC_PORT)
            .await
    }

    /// The MAC table of VLAN `vlan` (`vlanMacTableTemplate`), or of the whole bridge.
    async fn mac_table_uri(&self, bridge: Uuid, vlan: Option<u16>) -> Result<String, ClientError> {
        Ok(match vlan {
            Some(vlan) => self
                .link_of::<Bridge>(bridge, "vlanMacTableTemplate")
                .await?
                .replace("{vlanId}", &vlan.to_string()),
            None => self.link_of::<Bridge>(bridge, "macTable").await?,
        })
    }

    /// MAC table entries of VLAN `vlan` of bridge `bridge`.
    pub async fn vlan_mac_table(
        &self,
        bridge: Uuid,
        vlan: u16,
    ) -> Result<Vec<MacPort>, ClientError> {
        let uri = self.mac_table_uri(bridge, Some(vlan)).await?;
        self.list(&uri, media::MAC_PORT).await
    }

    /// Adds a MAC entry, to the table of `entry.vlan_id` (untagged when absent or 0); the port
    /// must be one of the bridge's (400 otherwise).
    pub async fn add_mac_entry(
        &self,
        bridge: Uuid,
        entry: &MacPort,
    ) -> Result<MacPort, ClientError> {
        let uri = self
            .mac_table_uri(bridge, entry.vlan_id.filter(|v| *v != 0))
            .await?;
        self.create(&uri, media::MAC_PORT, entry).await
    }

    /// Reads the MAC entry `entry` back (404 when absent).
    pub async fn mac_entry(&self, bridge: Uuid, entry: &MacPort) -> Result<MacPort, ClientError> {
        self.get(&self.mac_entry_uri(bridge, entry).await?, media::MAC_PORT)
            .await
    }

    /// Removes the MAC entry `entry`.
    pub async fn delete_mac_entry(&self, bridge: Uuid, entry: &MacPort) -> Result<(), ClientError> {
        self.delete(&self.mac_entry_uri(bridge, entry).await?).await
    }

    async fn arp_entry_uri(&self, bridge: Uuid, entry: &Ip4Mac) -> Result<String, ClientError> {
        MidonetClient::child(
            &self.link_of::<Bridge>(bridge, "arpTable").await?,
            &entry.uri_key(),
        )
    }

    /// ARP table entries of bridge `bridge`.
    pub async fn arp_table(&self, bridge: Uuid) -> Result<Vec<Ip4Mac>, ClientError> {
        self.linked_list::<Bridge, _>(bridge, "arpTable", media::IP4_MAC)
            .await
    }

    /// Adds an ARP entry.
    pub async fn add_arp_entry(&self, bridge: Uuid, entry: &Ip4Mac) -> Result<Ip4Mac, ClientError> {
        self.linked_create::<Bridge, _, _>(bridge, "arpTable", media::IP4_MAC, entry)
            .await
    }

    /// Reads the ARP entry `entry` back (404 when absent).
    pub async fn arp_entry(&self, bridge: Uuid, entry: &Ip4Mac) -> Result<Ip4Mac, ClientError> {
        self.get(&self.arp_entry_uri(bridge, entry).await?, media::IP4_MAC)
            .await
    }

    /// Removes the ARP entry `entry`.
    pub async fn delete_arp_entry(&self, bridge: Uuid, entry: &Ip4Mac) -> Result<(), ClientError> {
        self.delete(&self.arp_entry_uri(bridge, entry).await?).await
    }
}
