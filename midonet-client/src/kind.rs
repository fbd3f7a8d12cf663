//! Resources addressed by id: where each is found in the root resource (collection key,
//! `{id}` template) and its media type, the generic calls over them, and the typed one-line
//! wrappers (`routers`, `router`, `create_router`, ...) generated from one table.

use serde::Serialize;
use topology::{
    BgpNetwork, BgpPeer, Bridge, Chain, Host, IpAddrGroup, Port, PortGroup, Resource, Route,
    Router, Rule, TunnelZone,
};
use uuid::Uuid;

use crate::media::{self, Media};
use crate::{ClientError, MidonetClient};

/// A resource with an id and a `<kind>Template` in the root resource.
pub trait Kind: Resource + Send + Sync + 'static {
    /// Media type of one object and of a list.
    const MEDIA: Media;
    /// Root key of the `<collection>/{id}` template.
    const TEMPLATE: &'static str;
    /// Root key of the top-level collection, for kinds listed (and created) there; routes,
    /// rules and BGP objects are listed and created under their router or chain.
    const COLLECTION: Option<&'static str>;
}

macro_rules! kind {
    ($t:ty, $media:expr, $template:literal, $collection:expr) => {
        impl Kind for $t {
            const MEDIA: Media = $media;
            const TEMPLATE: &'static str = $template;
            const COLLECTION: Option<&'static str> = $collection;
        }
    };
}

kind!(Router, media::ROUTER, "routerTemplate", Some("routers"));
kind!(Bridge, media::BRIDGE, "bridgeTemplate", Some("bridges"));
kind!(Port, media::PORT, "portTemplate", Some("ports"));
kind!(Chain, media::CHAIN, "chainTemplate", Some("chains"));
kind!(Rule, media::RULE, "ruleTemplate", None);
kind!(Route, media::ROUTE, "routeTemplate", None);
kind!(
    IpAddrGroup,
    media::IP_ADDR_GROUP,
    "ipAddrGroupTemplate",
    Some("ipAddrGroups")
);
kind!(
    PortGroup,
    media::PORT_GROUP,
    "portGroupTemplate",
    Some("portGroups")
);
kind!(Host, media::HOST, "hostTemplate", Some("hosts"));
kind!(
    TunnelZone,
    media::TUNNEL_ZONE,
    "tunnelZoneTemplate",
    Some("tunnelZones")
);
kind!(BgpPeer, media::BGP_PEER, "bgpPeerTemplate", None);
kind!(BgpNetwork, media::BGP_NETWORK, "bgpNetworkTemplate", None);

impl MidonetClient {
    /// The URI of object `id` of kind `K`, from the root's template.
    pub fn uri_of<K: Kind>(&self, id: Uuid) -> Result<String, ClientError> {
        self.root().expand(K::TEMPLATE, &id.to_string())
    }

    fn collection_of<K: Kind>(&self) -> Result<&str, ClientError> {
        let key = K::COLLECTION.ok_or_else(|| ClientError::Unsupported {
            what: format!(
                "a top-level collection of {} (they live under their parent)",
                K::CLASS.noun()
            ),
        })?;
        self.root().uri(key)
    }

    /// Object `id` of kind `K`.
    pub async fn object<K: Kind>(&self, id: Uuid) -> Result<K, ClientError> {
        self.get(&self.uri_of::<K>(id)?, K::MEDIA).await
    }

    /// Every object of kind `K`, from the root's collection.
    pub async fn objects<K: Kind>(&self) -> Result<Vec<K>, ClientError> {
        self.list(self.collection_of::<K>()?, K::MEDIA).await
    }

    /// Objects of kind `K` owned by `tenant` (`?tenant_id=`; MidoNet filters routers, bridges,
    /// chains and port groups this way).
    pub async fn objects_of_tenant<K: Kind>(&self, tenant: &str) -> Result<Vec<K>, ClientError> {
        let uri = MidonetClient::with_query(self.collection_of::<K>()?, "tenant_id", tenant)?;
        self.list(&uri, K::MEDIA).await
    }

    /// Creates `obj` in the root's collection of `K` and reads it back from its `Location`.
    /// The id in `obj` is kept, so a deterministic id makes a repeated create a 409, never a
    /// duplicate.
    pub async fn create_object<K: Kind>(&self, obj: &K) -> Result<K, ClientError> {
        self.create(self.collection_of::<K>()?, K::MEDIA, obj).await
    }

    /// Replaces the writable fields of object `obj.id()` (PUT to its template URI). MidoNet
    /// keeps what only other endpoints change: a port's peer and binding, a host's interfaces.
    pub async fn update_object<K: Kind>(&self, obj: &K) -> Result<(), ClientError> {
        self.update(&self.uri_of::<K>(obj.id())?, K::MEDIA, obj)
            .await
    }

    /// Deletes object `id`; MidoNet cascades to what it owns.
    pub async fn delete_object<K: Kind>(&self, id: Uuid) -> Result<(), ClientError> {
        self.delete(&self.uri_of::<K>(id)?).await
    }

    /// The link `name` of object `id` of kind `P` (e.g. a router's `ports`).
    pub(crate) async fn link_of<P: Kind>(
        &self,
        id: Uuid,
        name: &str,
    ) -> Result<String, ClientError> {
        self.link(&self.uri_of::<P>(id)?, P::MEDIA, name).await
    }

    /// The collection under link `name` of parent `id`.
    pub(crate) async fn linked_list<P: Kind, T: serde::de::DeserializeOwned>(
        &self,
        id: Uuid,
        name: &str,
        media: Media,
    ) -> Result<Vec<T>, ClientError> {
        self.list(&self.link_of::<P>(id, name).await?, media).await
    }

    /// Creates `body` in the collection under link `name` of parent `id`.
    pub(crate) async fn linked_create<P, B, T>(
        &self,
        id: Uuid,
        name: &str,
        media: Media,
        body: &B,
    ) -> Result<T, ClientError>
    where
        P: Kind,
        B: Serialize + ?Sized,
        T: serde::de::DeserializeOwned,
    {
        self.create(&self.link_of::<P>(id, name).await?, media, body)
            .await
    }
}

/// One typed wrapper over a generic call; `$op` picks which.
macro_rules! typed_method {
    ($kind:ty, $noun:literal, list, $name:ident) => {
        #[doc = concat!("Every ", $noun, ".")]
        pub async fn $name(&self) -> Result<Vec<$kind>, ClientError> {
            self.objects::<$kind>().await
        }
    };
    ($kind:ty, $noun:literal, tenant, $name:ident) => {
        #[doc = concat!("The ", $noun, "s owned by `tenant`.")]
        pub async fn $name(&self, tenant: &str) -> Result<Vec<$kind>, ClientError> {
            self.objects_of_tenant::<$kind>(tenant).await
        }
    };
    ($kind:ty, $noun:literal, get, $name:ident) => {
        #[doc = concat!("The ", $noun, " `id`.")]
        pub async fn $name(&self, id: Uuid) -> Result<$kind, ClientError> {
            self.object::<$kind>(id).await
        }
    };
    ($kind:ty, $noun:literal, create, $name:ident) => {
        #[doc = concat!("Creates a ", $noun, " and reads it back (POST, then GET `Location`).")]
        pub async fn $name(&self, obj: &$kind) -> Result<$kind, ClientError> {
            self.create_object(obj).await
        }
    };
    ($kind:ty, $noun:literal, update, $name:ident) => {
        #[doc = concat!("Updates a ", $noun, " (PUT to its URI).")]
        pub async fn $name(&self, obj: &$kind) -> Result<(), ClientError> {
            self.update_object(obj).await
        }
    };
    ($kind:ty, $noun:literal, delete, $name:ident) => {
        #[doc = concat!("Deletes a ", $noun, " and what it owns.")]
        pub async fn $name(&self, id: Uuid) -> Result<(), ClientError> {
            self.delete_object::<$kind>(id).await
        }
    };
}

macro_rules! typed_methods {
    ($($kind:ty, $noun:literal { $($op:ident: $name:ident),* $(,)? })*) => {
        impl MidonetClient {
            $($(typed_method!($kind, $noun, $op, $name);)*)*
        }
    };
}

// Which calls each kind has follows MidoNet v5: chains, rules, routes, IP address groups and
// BGP networks are immutable (no PUT); ports, routes, rules and BGP objects are created under
// their parent (see `devices` and `chains`); hosts are created by their agent (or
// `register_host`).
typed_methods! {
    Router, "router" {
        list: routers, tenant: routers_of_tenant, get: router,
        create: create_router, update: update_router, delete: delete_router,
    }
    Bridge, "bridge" {
        list: bridges, tenant: bridges_of_tenant, get: bridge,
        create: create_bridge, update: update_bridge, delete: delete_bridge,
    }
    Port, "port" { list: ports, get: port, update: update_port, delete: delete_port }
    Chain, "chain" {
        list: chains, tenant: chains_of_tenant, get: chain,
        create: create_chain, delete: delete_chain,
    }
    Rule, "rule" { get: rule, delete: delete_rule }
    Route, "route" { get: route, delete: delete_route }
    IpAddrGroup, "IP address group" {
        list: ip_addr_groups, get: ip_addr_group,
        create: create_ip_addr_group, delete: delete_ip_addr_group,
    }
    PortGroup, "port group" {
        list: port_groups, tenant: port_groups_of_tenant, get: port_group,
        create: create_port_group, update: update_port_group, delete: delete_port_group,
    }
    Host, "host" { list: hosts, get: host, update: update_host, delete: delete_host }
    TunnelZone, "tunnel zone" {
        list: tunnel_zones, get: tunnel_zone,
        create: create_tunnel_zone, update: update_tunnel_zone, delete: delete_tunnel_zone,
    }
    BgpPeer, "BGP peer" { get: bgp_peer, update: update_bgp_peer, delete: delete_bgp_peer }
    BgpNetwork, "BGP network" { get: bgp_network, delete: delete_bgp_network }
}
