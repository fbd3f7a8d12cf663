//! The shape of MidoNet's CLI object model: kinds of objects, and how a field is read,
//! written, cleared and shown, how a collection is listed, fetched and added to. The tables of
//! every kind (its type name, fields in print order, sub-collections) are in `kinds`.

use midonet_client::Media;

/// A kind of object the CLI knows.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Kind {
    /// The root context: top-level collections and the system state.
    Midonet,
    Router,
    RouterPort,
    BridgePort,
    Route,
    BgpNetwork,
    BgpPeer,
    MacIp,
    Bridge,
    Dhcp,
    DhcpHost,
    MacEntry,
    ArpEntry,
    Chain,
    Rule,
    Condition,
    Host,
    Interface,
    Binding,
    TunnelZone,
    TzMember,
    PortGroup,
    PgMember,
    IpGroup,
    IpAddr,
    SystemState,
    Tenant,
    Mirror,
    L2Insertion,
    LoadBalancer,
    Vip,
    Pool,
    PoolMember,
    HealthMonitor,
    PoolStatistic,
    Vtep,
    VtepBinding,
    VtepPort,
    TraceRequest,
    Container,
    ContainerGroup,
}

/// How a field's value is read from the object and printed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Class {
    /// The value under the key as it is (`SingleAttr`).
    Single,
    /// A port's `vlanId`, hidden on VXLAN ports.
    PortVlan,
    /// API value -> CLI word (`EnumAttr`); other values print nothing.
    Enum(&'static [(&'static str, &'static str)]),
    /// A list joined by `,`; references print as aliases (`ListAttr`).
    List,
    /// The first flag key that is true prints its word (`FlagSet`).
    Flags(&'static [(&'static str, &'static str)]),
    /// `address/length` from two keys, `address` alone for /32 (`CidrPair`); the second key.
    Cidr(&'static str),
    /// NAT targets `from[-to][:port[-port]]` joined by `,`.
    Nat,
    /// A port range `start[-end]`.
    Range,
    /// `true`/`false`.
    Bool,
    /// `yes`/`no` (`ActiveAttr`, `EnabledAttr`).
    YesNo,
    /// `up`/`down` (admin state).
    UpDown,
    /// A container limit: negative or null prints `no-limit`.
    Limit,
    /// A DHCP subnet's option 121 routes: printed like `Single`; written from
    /// `dst/len:gw,...` (ours: MidoNet's CLI sends the text as it is).
    Opt121,
}

/// What a written value must look like (MidoNet's `ValueType`s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Vt {
    Str,
    /// Any value at all (`ValueType`).
    Any,
    Bool,
    /// The id (or alias) of an object of the named top-level collection (`ObjectRef`).
    Ref(&'static str),
    /// The id (or alias) of a router or bridge port (`PortRef`).
    PortRef,
    Mac,
    MacMask,
    Ipv4,
    L4Port,
    FloodingProxyWeight,
    ContainerWeight,
    Vni,
    Uuid,
}

impl Vt {
    /// Whether values are object references (dereferenced to print aliases).
    pub fn is_ref(self) -> bool {
        matches!(self, Vt::Ref(_) | Vt::PortRef)
    }
}

/// How a written text is sent: MidoNet's CLI sends every value as typed (`"24"`); we send a
/// number where the API holds one and the text is one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Enc {
    Str,
    Int,
}

/// How a field is written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Setter {
    /// No setter: writing it is a bug in MidoNet's type definition (and an error here).
    None,
    /// The getter's key(s).
    Key,
    /// A port's peer: POST to the port's `link`.
    Link,
}

/// How `clear` empties a field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unset {
    None,
    /// Set the key to null.
    Null,
    /// DELETE the port's `link`.
    Unlink,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub class: Class,
    pub key: &'static str,
    pub vt: Vt,
    pub enc: Enc,
    /// The key of the inversion flag (`invNwSrc`): `!` before the value.
    pub inv: Option<&'static str>,
    pub setter: Setter,
    pub unset: Unset,
    pub show: bool,
    pub writeable: bool,
    pub optional: bool,
    /// A condition field of a rule: read from (and written to) the body the rule object was
    /// made with, not the one last fetched. MidoNet's client binds these getters to the first
    /// body, so a rule fetched by id shows none of them (see `Obj::cond`).
    pub cond: bool,
}

impl Field {
    pub(super) const fn int(mut self) -> Field {
        self.enc = Enc::Int;
        self
    }
    pub(super) const fn inv(mut self, key: &'static str) -> Field {
        self.inv = Some(key);
        self
    }
    pub(super) const fn read_only(mut self) -> Field {
        self.writeable = false;
        self
    }
    pub(super) const fn no_setter(mut self) -> Field {
        self.setter = Setter::None;
        self
    }
    pub(super) const fn clearable(mut self) -> Field {
        self.unset = Unset::Null;
        self
    }
    pub(super) const fn hidden(mut self) -> Field {
        self.show = false;
        self
    }
    pub(super) const fn optional(mut self) -> Field {
        self.optional = true;
        self
    }
    pub(super) const fn cond(mut self) -> Field {
        self.cond = true;
        self
    }
}

pub(super) const fn field(name: &'static str, class: Class, key: &'static str, vt: Vt) -> Field {
    Field {
        name,
        class,
        key,
        vt,
        enc: Enc::Str,
        inv: None,
        setter: Setter::Key,
        unset: Unset::None,
        show: true,
        writeable: true,
        optional: false,
        cond: false,
    }
}

pub(super) const fn text(name: &'static str, key: &'static str) -> Field {
    field(name, Class::Single, key, Vt::Str)
}
pub(super) const fn number(name: &'static str, key: &'static str) -> Field {
    field(name, Class::Single, key, Vt::Str).int()
}
pub(super) const fn typed(name: &'static str, key: &'static str, vt: Vt) -> Field {
    field(name, Class::Single, key, vt)
}
pub(super) const fn reference(
    name: &'static str,
    key: &'static str,
    collection: &'static str,
) -> Field {
    field(name, Class::Single, key, Vt::Ref(collection))
}
pub(super) const fn port_ref(name: &'static str, key: &'static str) -> Field {
    field(name, Class::Single, key, Vt::PortRef)
}
pub(super) const fn choice(
    name: &'static str,
    key: &'static str,
    map: &'static [(&'static str, &'static str)],
) -> Field {
    field(name, Class::Enum(map), key, Vt::Str)
}
pub(super) const fn list(name: &'static str, key: &'static str, element: Vt) -> Field {
    field(name, Class::List, key, element)
}
pub(super) const fn cidr(name: &'static str, address: &'static str, length: &'static str) -> Field {
    field(name, Class::Cidr(length), address, Vt::Str)
}
pub(super) const fn boolean(name: &'static str, key: &'static str) -> Field {
    field(name, Class::Bool, key, Vt::Bool)
}
pub(super) const fn yes_no(name: &'static str, key: &'static str) -> Field {
    field(name, Class::YesNo, key, Vt::Bool)
}
pub(super) const fn up_down(name: &'static str, key: &'static str) -> Field {
    field(name, Class::UpDown, key, Vt::Bool)
}
pub(super) const fn mirrors(name: &'static str, key: &'static str) -> Field {
    list(name, key, Vt::Ref("mirror")).clearable().optional()
}

/// The element type of a collection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Elem {
    Kind(Kind),
    /// Top-level ports: a router port unless the port's `type` is `Bridge` or `Vxlan`.
    Port,
}

impl Elem {
    /// The kind a new (or fieldless) element has: MidoNet's resolver picks a router port.
    pub fn stub_kind(self) -> Kind {
        match self {
            Elem::Kind(kind) => kind,
            Elem::Port => Kind::RouterPort,
        }
    }
}

/// Where an element is fetched by id: the root's `{id}` template, and the root key MidoNet's
/// client also reads on the way (a missing one fails the lookup).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Getter {
    pub template: &'static str,
    pub collection: Option<&'static str>,
}

/// The body a new element starts from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    Empty,
    /// `{"type": <t>}` (router and bridge ports).
    Type(&'static str),
    /// `{"version": <v>}` (IP address group members).
    Version(i64),
    /// `{"id": <random uuid>}` (trace requests).
    RandomId,
}

/// How new elements are made: POSTed to the owner's `key` link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Factory {
    Post {
        key: &'static str,
        init: Init,
    },
    /// MidoNet's definition names a method that does not exist (`add_pool_statisic`).
    Broken(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coll {
    pub name: &'static str,
    pub elem: Elem,
    /// The owner's key holding the list URI (the root's collection key at the top).
    pub list: &'static str,
    pub getter: Option<Getter>,
    pub factory: Option<Factory>,
    /// Top-level lists filtered by `?tenant_id=` when a tenant is set.
    pub with_tenant: bool,
    pub sort_by: Option<&'static str>,
    /// Elements live inside the owner's own body (a mirror's conditions), not at a URI.
    pub embedded: bool,
}

pub(super) const fn coll(name: &'static str, elem: Kind, list: &'static str) -> Coll {
    Coll {
        name,
        elem: Elem::Kind(elem),
        list,
        getter: None,
        factory: None,
        with_tenant: false,
        sort_by: None,
        embedded: false,
    }
}

impl Coll {
    pub(super) const fn get(mut self, template: &'static str) -> Coll {
        self.getter = Some(Getter {
            template,
            collection: None,
        });
        self
    }
    /// Fetched by id through `template`, reading root key `collection` too.
    pub(super) const fn get_top(
        mut self,
        template: &'static str,
        collection: &'static str,
    ) -> Coll {
        self.getter = Some(Getter {
            template,
            collection: Some(collection),
        });
        self
    }
    pub(super) const fn make(mut self, init: Init) -> Coll {
        self.factory = Some(Factory::Post {
            key: self.list,
            init,
        });
        self
    }
    pub(super) const fn tenant(mut self) -> Coll {
        self.with_tenant = true;
        self
    }
}

/// A single object under the root (`system-state`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SingleObj {
    pub name: &'static str,
    pub kind: Kind,
    pub root_key: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Attr {
    Field(Field),
    Coll(Coll),
    Single(SingleObj),
}

impl Attr {
    pub fn name(&self) -> &'static str {
        match self {
            Attr::Field(f) => f.name,
            Attr::Coll(c) => c.name,
            Attr::Single(s) => s.name,
        }
    }
}

/// What the CLI knows about one kind.
pub struct KindInfo {
    /// The alias prefix and the first word of a listed line.
    pub type_name: &'static str,
    /// MidoNet's class name, as its errors say it (`bug in type definition: Host::None`).
    pub class_name: &'static str,
    pub media: Media,
    /// The attributes in MidoNet's order, in parts (rules share the condition fields).
    pub parts: &'static [&'static [Attr]],
}

impl Kind {
    pub fn info(self) -> &'static KindInfo {
        super::kinds::info(self)
    }

    pub fn type_name(self) -> &'static str {
        self.info().type_name
    }

    pub fn media(self) -> Media {
        self.info().media
    }

    /// Every attribute in order.
    pub fn attrs(self) -> impl Iterator<Item = &'static Attr> {
        self.info().parts.iter().flat_map(|part| part.iter())
    }

    /// The attribute called `name` (the last one when MidoNet defines it twice).
    pub fn attr(self, name: &str) -> Option<&'static Attr> {
        self.attrs().filter(|a| a.name() == name).last()
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        match self.attr(name)? {
            Attr::Field(f) => Some(f),
            _ => None,
        }
    }

    pub fn coll(self, name: &str) -> Option<&'static Coll> {
        match self.attr(name)? {
            Attr::Coll(c) => Some(c),
            _ => None,
        }
    }

    pub fn single(self, name: &str) -> Option<&'static SingleObj> {
        match self.attr(name)? {
            Attr::Single(s) => Some(s),
            _ => None,
        }
    }

    pub fn has_field(self, name: &str) -> bool {
        self.field(name).is_some()
    }

    /// Field names in order (`describe`, completion).
    pub fn fields(self) -> Vec<&'static str> {
        self.attrs()
            .filter_map(|a| match a {
                Attr::Field(f) => Some(f.name),
                _ => None,
            })
            .collect()
    }

    /// Collection names in order.
    pub fn types(self) -> Vec<&'static str> {
        self.attrs()
            .filter_map(|a| match a {
                Attr::Coll(c) => Some(c.name),
                _ => None,
            })
            .collect()
    }

    pub fn single_objects(self) -> Vec<&'static str> {
        self.attrs()
            .filter_map(|a| match a {
                Attr::Single(s) => Some(s.name),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_collections_are_in_midonets_order() {
        assert_eq!(
            Kind::Router.fields(),
            [
                "id",
                "tenant",
                "name",
                "state",
                "infilter",
                "outfilter",
                "load-balancer",
                "asn",
                "in-mirrors",
                "out-mirrors",
                "local-redirect-chain",
                "forward-chain"
            ]
        );
        assert_eq!(
            Kind::Router.types(),
            ["port", "route", "bgp-network", "bgp-peer"]
        );
        let rule = Kind::Rule.fields();
        assert_eq!(rule.first(), Some(&"inverted"));
        let id = rule.iter().position(|f| *f == "id").unwrap();
        assert_eq!(
            rule[id - 1],
            "icmp-data-dst",
            "a rule's id follows the condition fields"
        );
        assert_eq!(rule.last(), Some(&"tracelimit"));
        assert_eq!(Kind::Midonet.single_objects(), ["system-state"]);
        assert!(Kind::Dhcp.field("id").is_none(), "DHCP subnets have no id");
    }
}
