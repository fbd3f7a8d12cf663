//! Objects as the CLI handles them: a kind from the schema and the body the server sent.
//! Reading a field, writing one, listing and fetching children, creating, updating and
//! deleting follow MidoNet's CLI step for step (its `ObjectType` and attribute classes), so
//! the same words print the same line and fail with the same message.

use std::rc::Rc;

use midonet_client::{media, Media};

use super::aliases::Aliased;
use super::error::{CliError, CliResult};
use super::json::Json;
use super::kinds::GRE_TUNNEL_ZONE_HOST;
use super::schema::{Class, Coll, Elem, Factory, Field, Init, Kind, Setter, Unset, Vt};
use super::session::Session;
use super::values::{
    cidr_text, encode, inet_aton, is_ipv4_subnet, is_mac, is_mac_mask, is_uuid, list_items,
    nat_targets, nat_text, opt121_routes, port_range, py_int, range_text,
};

/// A field name with a value: a filter (`name r1`), an assignment, or a shown field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldVal {
    pub spec: &'static Field,
    pub value: Json,
}

impl FieldVal {
    /// Whether `obj`'s field has this value (MidoNet compares the printed forms, and an alias
    /// with the id it names).
    pub fn matches(&self, s: &Session, obj: &Obj) -> CliResult<bool> {
        if !obj.kind.has_field(self.spec.name) {
            return Ok(false);
        }
        let Some(v) = obj.fetch_field(s, self.spec.name)? else {
            return Ok(false);
        };
        let wanted = self.value.py_str();
        if v.py_str() == wanted {
            return Ok(true);
        }
        if is_reference(self.spec) {
            if let Some(uuid) = s.aliases.borrow().lookup(&wanted, None) {
                return Ok(uuid == v.py_str());
            }
        }
        Ok(false)
    }

    /// The referenced object, for reference fields; `None` when there is none to find.
    pub fn dereference(&self, s: &Session) -> CliResult<Option<Rc<Obj>>> {
        if !is_reference(self.spec) {
            return Ok(None);
        }
        let raw = self.value.py_str();
        let target = if self.spec.inv.is_some() {
            raw.trim_start_matches('!')
        } else {
            &raw
        };
        dereference(s, self.spec.vt, target)
    }

    /// The value as printed: references by alias (or id), everything else as it is.
    pub fn describe(&self, s: &Session) -> CliResult<String> {
        let raw = self.value.py_str();
        // With aliases off a reference prints as the id it holds: no lookup needed.
        if !s.aliases.borrow().enabled() {
            return Ok(raw);
        }
        match self.dereference(s)? {
            Some(obj) => {
                let names = s.aliases.borrow_mut().add(&[obj.chain_link()]).join(":");
                if self.spec.inv.is_some() && raw.starts_with('!') {
                    Ok(format!("!{names}"))
                } else {
                    Ok(names)
                }
            }
            None => Ok(raw),
        }
    }
}

/// A single-valued reference field (list fields resolve their elements themselves).
pub fn is_reference(f: &Field) -> bool {
    f.vt.is_ref() && f.class != Class::List
}

#[derive(Debug, Clone)]
pub struct Obj {
    pub kind: Kind,
    pub dto: Json,
    /// Where a new object is POSTed.
    pub create_uri: Option<String>,
    pub media: Media,
    /// The router or bridge of a port reached through a reference (`peer router0:port1`).
    pub parent: Option<Rc<Obj>>,
    /// Reached from a root reference: aliased in the root namespace.
    pub from_root: bool,
    /// The body a rule's condition fields read, when it is not `dto`: MidoNet's client binds
    /// them to the body the object was made with (`{"uri": ...}` for a rule fetched by id,
    /// the POSTed body for a new one), and MidoNet's CLI prints what they read.
    pub cond: Option<Json>,
}

impl Aliased for Obj {
    fn alias_id(&self) -> Option<Option<String>> {
        self.kind
            .has_field("id")
            .then(|| self.dto.get_some("id").map(Json::py_str))
    }
    fn alias_prefix(&self) -> &'static str {
        self.kind.type_name()
    }
    fn alias_from_root(&self) -> bool {
        self.from_root
    }
}

impl Obj {
    pub fn new(kind: Kind, dto: Json) -> Obj {
        Obj {
            kind,
            dto,
            create_uri: None,
            media: kind.media(),
            parent: None,
            from_root: false,
            cond: None,
        }
    }

    /// The body field `f` is read from.
    fn source(&self, f: &Field) -> &Json {
        match (&self.cond, f.cond) {
            (Some(cond), true) => cond,
            _ => &self.dto,
        }
    }

    /// The body field `f` is written to.
    fn target(&mut self, f: &Field) -> &mut Json {
        match (&mut self.cond, f.cond) {
            (Some(cond), true) => cond,
            _ => &mut self.dto,
        }
    }

    /// Replaces the body with the server's, keeping the first one for condition fields.
    fn replace_dto(&mut self, dto: Json) {
        let old = std::mem::replace(&mut self.dto, dto);
        if self.cond.is_none() {
            self.cond = Some(old);
        }
    }

    /// An element of a collection: top-level ports become router or bridge ports by type.
    pub fn element(elem: Elem, dto: Json) -> Obj {
        let kind = match elem {
            Elem::Kind(kind) => kind,
            Elem::Port => match dto.get_str("type") {
                Some("Bridge") | Some("Vxlan") => Kind::BridgePort,
                _ => Kind::RouterPort,
            },
        };
        Obj::new(kind, dto)
    }

    /// This object and its parent, as the alias manager takes them.
    pub fn chain_link(&self) -> (&dyn Aliased, Option<&dyn Aliased>) {
        (self, self.parent.as_deref().map(|p| p as &dyn Aliased))
    }

    pub fn class_name(&self) -> &'static str {
        self.kind.info().class_name
    }

    fn key(&self, key: &str) -> CliResult<&str> {
        self.dto
            .get_str(key)
            .ok_or_else(|| CliError::missing_key(key))
    }

    fn field(&self, name: &str) -> CliResult<&'static Field> {
        self.kind
            .field(name)
            .ok_or_else(|| CliError::internal(format!("{name}: no such member")))
    }

    /// The value of field `name` as the CLI prints it, `None` when it prints nothing.
    pub fn fetch_field(&self, s: &Session, name: &str) -> CliResult<Option<Json>> {
        let f = self.field(name)?;
        self.fetch(s, f)
    }

    fn fetch(&self, s: &Session, f: &Field) -> CliResult<Option<Json>> {
        let src = self.source(f);
        let Some(raw) = src.get(f.key) else {
            // A missing key prints nothing, whatever the class (Python's KeyError); flag
            // sets read other keys.
            return Ok(match f.class {
                Class::Flags(flags) => flag(src, flags),
                _ => None,
            });
        };
        let value = match f.class {
            // A null prints nothing, unless the field is inverted (`!None`, as MidoNet does).
            Class::Single | Class::Opt121 => (!raw.is_null()).then(|| raw.clone()),
            Class::PortVlan => {
                if self.dto.get_str("type") == Some("Vxlan") || self.dto.get("type").is_none() {
                    return Ok(None);
                }
                (!raw.is_null()).then(|| raw.clone())
            }
            Class::Enum(map) => {
                let Some(cli) = map
                    .iter()
                    .find(|(api, _)| raw.as_str() == Some(*api))
                    .map(|(_, cli)| *cli)
                else {
                    return Ok(None);
                };
                Some(Json::str(cli))
            }
            Class::List => self.list_text(s, f, raw)?.map(Json::Str),
            Class::Flags(flags) => return Ok(flag(src, flags)),
            Class::Cidr(length) => {
                if raw.is_null() {
                    return Ok(None);
                }
                Some(Json::Str(cidr_text(raw, src.get(length))))
            }
            Class::Nat => nat_text(raw)?.map(Json::Str),
            Class::Range => range_text(raw)?,
            Class::Bool => {
                return Ok((!raw.is_null()).then(|| Json::Str(raw.py_str().to_lowercase())))
            }
            Class::YesNo => return Ok(Some(Json::str(if raw.truthy() { "yes" } else { "no" }))),
            Class::UpDown => return Ok(Some(Json::str(if raw.truthy() { "up" } else { "down" }))),
            Class::Limit => {
                let unlimited = raw.is_null()
                    || matches!(raw, Json::Num(n) if n.as_f64().is_some_and(|v| v < 0.0));
                return Ok(Some(if unlimited {
                    Json::str("no-limit")
                } else {
                    raw.clone()
                }));
            }
        };
        Ok(self.with_inversion(f, value))
    }

    /// `!` before an inverted condition's value (MidoNet prints `!None` for an inverted
    /// field without a value, and so do we).
    fn with_inversion(&self, f: &Field, value: Option<Json>) -> Option<Json> {
        match f.inv {
            Some(inv) if self.source(f).get(inv).is_some_and(Json::truthy) => {
                let text = value.map_or_else(|| "None".to_string(), |v| v.py_str());
                Some(Json::Str(format!("!{text}")))
            }
            _ => value,
        }
    }

    /// A list field joined by `,`; references by alias when aliases are on.
    fn list_text(&self, s: &Session, f: &Field, raw: &Json) -> CliResult<Option<String>> {
        let Some(items) = list_items(raw)? else {
            return Ok(None);
        };
        let mut texts = Vec::with_capacity(items.len());
        for item in items {
            let id = item.py_str();
            if f.vt.is_ref() && s.aliases.borrow().enabled() {
                match dereference(s, f.vt, &id)? {
                    Some(obj) => {
                        texts.push(s.aliases.borrow_mut().add(&[obj.chain_link()]).join(":"))
                    }
                    None => texts.push(id),
                }
            } else {
                texts.push(id);
            }
        }
        Ok(Some(texts.join(",")))
    }

    /// The object's line after its type name and alias: `name r1 state up ...`.
    pub fn describe(&self, s: &Session) -> CliResult<String> {
        let mut parts = Vec::new();
        for f in self.kind.attrs().filter_map(|a| match a {
            super::schema::Attr::Field(f) if f.show => Some(f),
            _ => None,
        }) {
            if let Some(value) = self.fetch(s, f)? {
                let text = FieldVal { spec: f, value }.describe(s)?;
                parts.push(format!("{} {text}", f.name));
            }
        }
        Ok(parts.join(" "))
    }

    /// Writes field `name` from the words typed (MidoNet's `set_field`).
    pub fn set_field(&mut self, s: &Session, name: &str, value: &str) -> CliResult<()> {
        let f = self.field(name)?;
        match f.class {
            Class::Single | Class::PortVlan | Class::Opt121 => self.set_single(s, f, value),
            Class::Enum(map) => {
                let v = self.set_inversion(f, value)?;
                let api = map.iter().find(|(_, cli)| *cli == v).map(|(api, _)| *api);
                if api.is_none() && !f.optional {
                    return Err(invalid(f, value));
                }
                let v = api.map_or(Json::Null, Json::str);
                self.assign(s, f, v)
            }
            Class::List => {
                let v = self.set_inversion(f, value)?;
                let list = list_value(s, f, &v)?.ok_or_else(|| invalid(f, value))?;
                self.assign(s, f, list)
            }
            Class::Flags(flags) => {
                let mut found = false;
                for (literal, key) in flags {
                    let on = *literal == value;
                    found |= on;
                    self.target(f).set(key, Json::Bool(on));
                }
                if found {
                    Ok(())
                } else {
                    Err(CliError::internal(format!(
                        "{value} is not a valid {}",
                        f.name
                    )))
                }
            }
            Class::Cidr(length) => {
                let v = self.set_inversion(f, value)?;
                if !is_ipv4_subnet(&v) {
                    return Err(CliError::internal(format!("Invalid network address: {v}")));
                }
                let (address, len) = v.split_once('/').unwrap_or((&v, "32"));
                self.target(f).set(f.key, Json::str(address));
                self.target(f)
                    .set(length, encode(len, super::schema::Enc::Int));
                Ok(())
            }
            Class::Nat => {
                let v = self.set_inversion(f, value)?;
                let targets = nat_targets(&v)?;
                self.assign(s, f, targets)
            }
            Class::Range => {
                let v = self.set_inversion(f, value)?;
                let range = port_range(&v)?;
                self.assign(s, f, range)
            }
            Class::Bool | Class::YesNo | Class::UpDown => {
                let (yes, no) = match f.class {
                    Class::Bool => ("true", "false"),
                    Class::YesNo => ("yes", "no"),
                    _ => ("up", "down"),
                };
                self.writeable(f)?;
                self.set_inversion(f, value)?;
                let v = if value == yes {
                    true
                } else if value == no {
                    false
                } else {
                    return Err(invalid(f, "None"));
                };
                self.assign(s, f, Json::Bool(v))
            }
            Class::Limit => {
                self.writeable(f)?;
                let v = if value == "no-limit" {
                    Json::int(-1)
                } else {
                    encode(value, f.enc)
                };
                self.assign(s, f, v)
            }
        }
    }

    fn writeable(&self, f: &Field) -> CliResult<()> {
        if f.writeable {
            Ok(())
        } else {
            Err(CliError::User(format!(
                "{} is a read-only attribute.",
                f.name
            )))
        }
    }

    /// Strips a leading `!` into the field's inversion flag; every write passes here, and so
    /// does the read-only check.
    fn set_inversion(&mut self, f: &Field, value: &str) -> CliResult<String> {
        self.writeable(f)?;
        match f.inv {
            Some(inv) => {
                self.target(f).set(inv, Json::Bool(value.starts_with('!')));
                Ok(value.trim_start_matches('!').to_string())
            }
            None => Ok(value.to_string()),
        }
    }

    fn set_single(&mut self, s: &Session, f: &Field, value: &str) -> CliResult<()> {
        self.writeable(f)?;
        let v = self.set_inversion(f, value)?;
        if !valid(s, f.vt, &v)? {
            return Err(invalid(f, &v));
        }
        let json = match f.class {
            Class::Opt121 => opt121_routes(&v),
            _ => encode(&v, f.enc),
        };
        self.assign(s, f, json)
    }

    /// Calls the field's setter with an API value.
    fn assign(&mut self, s: &Session, f: &Field, value: Json) -> CliResult<()> {
        match f.setter {
            Setter::None => Err(CliError::internal(format!(
                "bug in type definition: {}::None",
                self.class_name()
            ))),
            Setter::Key => {
                self.target(f).set(f.key, value);
                Ok(())
            }
            Setter::Link => {
                // MidoNet's client POSTs the whole port, with the peer, to its `link`.
                self.dto.set(f.key, value);
                let link = self.key("link")?.to_string();
                s.api.post(&link, media::PORT_LINK.one, &self.dto)?;
                self.refresh(s)
            }
        }
    }

    /// Empties field `name` (MidoNet's `unset_field`).
    pub fn unset_field(&mut self, s: &Session, name: &str) -> CliResult<()> {
        let f = self.field(name)?;
        self.writeable(f)?;
        match f.unset {
            Unset::None => Err(CliError::internal(format!(
                "Field {} cannot be cleared.",
                f.name
            ))),
            Unset::Null => {
                self.target(f).set(f.key, Json::Null);
                Ok(())
            }
            Unset::Unlink => {
                let link = self.key("link")?.to_string();
                s.api.delete(&link)?;
                self.refresh(s)
            }
        }
    }

    /// Reads the object again from its `uri`.
    pub fn refresh(&mut self, s: &Session) -> CliResult<()> {
        let uri = self.key("uri")?.to_string();
        let dto = s.api.get(&uri, self.media)?;
        self.replace_dto(dto);
        Ok(())
    }

    /// PUTs the whole object and reads it back.
    pub fn update(&mut self, s: &Session) -> CliResult<()> {
        let uri = self.key("uri")?.to_string();
        let dto = s.api.update(&uri, self.media, &self.dto)?;
        self.replace_dto(dto);
        Ok(())
    }

    /// POSTs a new object made by [`Obj::new_element`] and keeps what the server stored.
    pub fn create(&mut self, s: &Session) -> CliResult<()> {
        let uri = self
            .create_uri
            .clone()
            .ok_or_else(|| CliError::missing_key("uri"))?;
        let dto = s.api.create(&uri, self.media, &self.dto)?;
        self.replace_dto(dto);
        Ok(())
    }

    pub fn delete(&self, s: &Session) -> CliResult<()> {
        let uri = self.key("uri")?;
        s.api.delete(uri)
    }

    /// The media type of members of this tunnel zone: GRE zones have their own.
    fn member_media(&self) -> CliResult<Media> {
        match self.dto.get("type") {
            None => Err(CliError::missing_key("type")),
            Some(t) if t.as_str() == Some("gre") => Ok(GRE_TUNNEL_ZONE_HOST),
            Some(_) => Ok(media::TUNNEL_ZONE_HOST),
        }
    }

    fn element_media(&self, coll: &Coll) -> CliResult<Media> {
        match coll.elem {
            Elem::Kind(Kind::TzMember) => self.member_media(),
            elem => Ok(elem.stub_kind().media()),
        }
    }

    /// A new, unsaved element of collection `name` (MidoNet's factory methods).
    pub fn new_element(&self, coll: &Coll) -> CliResult<Obj> {
        let (key, init) = match coll.factory {
            None => {
                return Err(CliError::internal(
                    "Creating elements of this type is not possible",
                ))
            }
            Some(Factory::Broken(method)) => {
                return Err(CliError::internal(format!(
                    "bug in type definition: {}::{method}",
                    self.class_name()
                )))
            }
            Some(Factory::Post { key, init }) => (key, init),
        };
        let uri = self.key(key)?.to_string();
        let dto = match init {
            Init::Empty => Json::object(),
            Init::Type(t) => Json::Obj(vec![("type".into(), Json::str(t))]),
            Init::Version(v) => Json::Obj(vec![("version".into(), Json::int(v))]),
            Init::RandomId => Json::Obj(vec![(
                "id".into(),
                Json::str(uuid::Uuid::new_v4().to_string()),
            )]),
        };
        let mut obj = Obj::new(coll.elem.stub_kind(), dto);
        obj.media = self.element_media(coll)?;
        obj.create_uri = Some(uri);
        Ok(obj)
    }

    /// The elements of collection `name` that match every filter, sorted as MidoNet sorts
    /// them (rules by position).
    pub fn fetch_all(
        &self,
        s: &Session,
        name: &str,
        filter: &[FieldVal],
    ) -> CliResult<Vec<Rc<Obj>>> {
        let coll = self
            .kind
            .coll(name)
            .ok_or_else(|| CliError::internal(format!("{name}: no such member")))?;
        let items = if coll.embedded {
            match self.dto.get(coll.list) {
                Some(Json::Arr(items)) => items.clone(),
                Some(_) => Vec::new(),
                None => return Err(CliError::missing_key(coll.list)),
            }
        } else {
            let uri = self.key(coll.list)?.to_string();
            let media = self.element_media(coll)?;
            let tenant = s.tenant().filter(|t| !t.is_empty());
            let query = match (&tenant, coll.with_tenant) {
                (Some(t), true) => Some(("tenant_id", t.as_str())),
                _ => None,
            };
            s.api.list(&uri, media, query)?
        };
        let media = self
            .element_media(coll)
            .unwrap_or(coll.elem.stub_kind().media());
        let mut results = Vec::new();
        for dto in items {
            let mut obj = Obj::element(coll.elem, dto);
            obj.media = media;
            let mut keep = true;
            for f in filter {
                if !f.matches(s, &obj)? {
                    keep = false;
                    break;
                }
            }
            if keep {
                results.push(obj);
            }
        }
        if let Some(key) = coll.sort_by {
            let mut keyed = Vec::with_capacity(results.len());
            for obj in results {
                keyed.push((obj.fetch_field(s, key)?.unwrap_or(Json::Null), obj));
            }
            keyed.sort_by(|(a, _), (b, _)| a.py_cmp(b));
            results = keyed.into_iter().map(|(_, obj)| obj).collect();
        }
        Ok(results.into_iter().map(Rc::new).collect())
    }

    /// The element of collection `name` with id `id`, fetched through the root's template;
    /// `None` when there is no such object (or the words are not an id).
    pub fn fetch_one(&self, s: &Session, name: &str, id: &str) -> CliResult<Option<Rc<Obj>>> {
        if !is_uuid(id) {
            return Ok(None);
        }
        let coll = self
            .kind
            .coll(name)
            .ok_or_else(|| CliError::internal(format!("{name}: no such member {id}")))?;
        let Some(getter) = coll.getter else {
            return Ok(None);
        };
        let media = coll.elem.stub_kind().media();
        let Some(dto) = get_by_id(s, getter.template, getter.collection, id, media)? else {
            return Ok(None);
        };
        let uri = dto.get("uri").cloned().unwrap_or(Json::Null);
        let mut obj = Obj::element(coll.elem, dto);
        // MidoNet's client made this object from `{"uri": ...}` and then read it.
        obj.cond = Some(Json::Obj(vec![("uri".into(), uri)]));
        Ok(Some(Rc::new(obj)))
    }

    /// The single object `name` (`system-state`).
    pub fn fetch_single(&self, s: &Session, name: &str) -> CliResult<Rc<Obj>> {
        let single = self
            .kind
            .single(name)
            .ok_or_else(|| CliError::internal(format!("{name}: no such member")))?;
        let uri = s
            .api
            .root()
            .get_str(single.root_key)
            .ok_or_else(|| CliError::missing_key(single.root_key))?
            .to_string();
        let dto = s.api.get(&uri, single.kind.media())?;
        Ok(Rc::new(Obj::new(single.kind, dto)))
    }
}

/// The word of the first flag that is on (`fwd-flow`, `return-flow`).
fn flag(src: &Json, flags: &[(&str, &str)]) -> Option<Json> {
    flags
        .iter()
        .find(|(_, key)| src.get(key).is_some_and(Json::truthy))
        .map(|(literal, _)| Json::str(*literal))
}

fn invalid(f: &Field, value: &str) -> CliError {
    CliError::internal(format!("Invalid value field {}: {value}", f.name))
}

/// GET `<template with id>` when the root has the template (and `collection`): `None` when it
/// does not or the server has no such object. A lost server is still an error.
pub fn get_by_id(
    s: &Session,
    template: &str,
    collection: Option<&str>,
    id: &str,
    media: Media,
) -> CliResult<Option<Json>> {
    let root = s.api.root();
    if collection.is_some_and(|c| root.get(c).is_none()) {
        return Ok(None);
    }
    let Some(template) = root.get_str(template) else {
        return Ok(None);
    };
    match s.api.get(&template.replace("{id}", id), media) {
        Ok(dto) => Ok(Some(dto)),
        Err(e @ (CliError::Unreachable(_) | CliError::Unauthorized)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The id a word names: itself when it is a UUID, else the root alias it is.
fn id_or_alias(s: &Session, word: &str) -> Option<String> {
    if is_uuid(word) {
        Some(word.to_string())
    } else {
        s.aliases.borrow().lookup(word, None)
    }
}

/// The object a reference names: a UUID or an alias, of a top-level collection or a port.
pub fn dereference(s: &Session, vt: Vt, value: &str) -> CliResult<Option<Rc<Obj>>> {
    let Some(uuid) = id_or_alias(s, value) else {
        return Ok(None);
    };
    match vt {
        Vt::Ref(collection) => Ok(s.root.fetch_one(s, collection, &uuid)?.map(|o| {
            let mut o = (*o).clone();
            o.from_root = true;
            Rc::new(o)
        })),
        Vt::PortRef => dereference_port(s, &uuid),
        _ => Ok(None),
    }
}

/// A port and its device: a router port when the device is a router, else a bridge port.
fn dereference_port(s: &Session, uuid: &str) -> CliResult<Option<Rc<Obj>>> {
    let Some(port) = get_by_id(s, "portTemplate", None, uuid, media::PORT)? else {
        return Ok(None);
    };
    for (kind, parent_kind, template, collection) in [
        (Kind::RouterPort, Kind::Router, "routerTemplate", "routers"),
        (Kind::BridgePort, Kind::Bridge, "bridgeTemplate", "bridges"),
    ] {
        let child = Obj::new(kind, port.clone());
        let Some(device) = child.fetch_field(s, "device")?.filter(Json::truthy) else {
            return Ok(None);
        };
        let Some(dto) = get_by_id(
            s,
            template,
            Some(collection),
            &device.py_str(),
            parent_kind.media(),
        )?
        else {
            continue;
        };
        let parent = Rc::new(Obj::new(parent_kind, dto));
        s.aliases
            .borrow_mut()
            .add(&[(parent.as_ref(), None), (&child, None)]);
        let mut child = child;
        child.parent = Some(parent);
        return Ok(Some(Rc::new(child)));
    }
    Ok(None)
}

/// Whether `value` is acceptable for a field of type `vt` (references must name an object).
fn valid(s: &Session, vt: Vt, value: &str) -> CliResult<bool> {
    // MidoNet's checks for these two name an undefined `false`: its message is what an
    // operator sees for a weight that is not a number.
    let name_error = || CliError::internal("name 'false' is not defined");
    Ok(match vt {
        Vt::Str | Vt::Any => true,
        Vt::Bool => matches!(value, "True" | "False"),
        Vt::Ref(_) | Vt::PortRef => dereference(s, vt, value)?.is_some(),
        Vt::Mac => is_mac(value),
        Vt::MacMask => is_mac_mask(value),
        Vt::Ipv4 => inet_aton(value),
        Vt::L4Port => py_int(value).is_some_and(|p| (0..=65535).contains(&p)),
        Vt::FloodingProxyWeight => (0..=65535).contains(&py_int(value).ok_or_else(name_error)?),
        Vt::ContainerWeight => py_int(value).ok_or_else(name_error)? >= 0,
        Vt::Vni => py_int(value).is_some_and(|v| (0..(1 << 24)).contains(&v)),
        Vt::Uuid => is_uuid(value),
    })
}

/// A list field's API value from `a,b,c`; references must each name an object.
fn list_value(s: &Session, f: &Field, value: &str) -> CliResult<Option<Json>> {
    if value.is_empty() {
        return Ok(Some(Json::Arr(Vec::new())));
    }
    let mut items = Vec::new();
    for v in value.split(',').map(str::trim) {
        if f.vt.is_ref() {
            let Some(uuid) = id_or_alias(s, v) else {
                return Ok(None);
            };
            if dereference(s, f.vt, &uuid)?.is_none() {
                return Ok(None);
            }
            items.push(Json::Str(uuid));
        } else {
            items.push(Json::str(v));
        }
    }
    Ok(Some(Json::Arr(items)))
}
