//! Session-local aliases (`router0`, `router0:port1`) as MidoNet's CLI gives them: a name is
//! `<type name><n>`, counted per prefix within the namespace of the parent object, assigned on
//! first sight and kept for the session. With `-e` or a non-terminal stdin aliases are off and
//! every object prints and is named by its UUID (MidoNet's `NoOpAliasManager`).

use std::collections::HashMap;

/// What the alias manager needs to know of an object.
pub trait Aliased {
    /// `None` for objects without ids (DHCP subnets, bindings, members): they get no alias.
    fn alias_id(&self) -> Option<Option<String>>;
    fn alias_prefix(&self) -> &'static str;
    /// An object reached from a root reference (`infilter chain0`) is named in the root
    /// namespace even when it sits in a chain.
    fn alias_from_root(&self) -> bool;
}

/// The aliases of one namespace (the root, or one object's children).
#[derive(Debug, Default, Clone)]
struct Namespace {
    /// alias -> uuid, in assignment order (completion lists them so).
    aliases: Vec<(String, String)>,
    reverse: HashMap<String, String>,
    counters: HashMap<&'static str, usize>,
}

impl Namespace {
    fn make_name(&mut self, prefix: &'static str) -> String {
        let count = match self.counters.get(prefix) {
            Some(n) => n + 1,
            None => 0,
        };
        self.counters.insert(prefix, count);
        format!("{prefix}{count}")
    }

    /// The uuid of `name`; `!name` gives `!uuid` (an inverted condition).
    fn lookup(&self, name: &str) -> Option<String> {
        let plain = name.trim_start_matches('!');
        let inverted = plain.len() != name.len();
        let uuid = self.aliases.iter().find(|(a, _)| a == plain)?.1.clone();
        Some(if inverted { format!("!{uuid}") } else { uuid })
    }

    fn add(&mut self, uuid: &str, prefix: &'static str) -> String {
        if let Some(alias) = self.reverse.get(uuid) {
            return alias.clone();
        }
        let alias = self.make_name(prefix);
        self.aliases.push((alias.clone(), uuid.to_string()));
        self.reverse.insert(uuid.to_string(), alias.clone());
        alias
    }
}

/// MidoNet's `AliasManager`.
#[derive(Debug, Default, Clone)]
pub struct AliasManager {
    root: Namespace,
    /// The namespace of each aliased object's children, by uuid.
    children: HashMap<String, Namespace>,
}

impl AliasManager {
    /// The uuid named by `name` (`port0`, `router0:port0`, `!pgroup0`), looked up among the
    /// children of `parent` (a uuid) or at the root.
    pub fn lookup(&self, name: &str, parent: Option<&str>) -> Option<String> {
        // MidoNet first reads the parent itself as an alias (it may be one).
        let owner = parent.map(|p| self.lookup(p, None).unwrap_or_else(|| p.to_string()));
        self.lookup_from(name, owner)
    }

    fn lookup_from(&self, name: &str, parent: Option<String>) -> Option<String> {
        let mut owner = parent;
        let mut resolved = None;
        for element in name.split(':') {
            let ns = match &owner {
                Some(uuid) => self.children.get(uuid)?,
                None => &self.root,
            };
            let uuid = ns.lookup(element)?;
            owner = Some(uuid.clone());
            resolved = Some(uuid);
        }
        resolved
    }

    /// Aliases in `parent`'s namespace (or the root's) starting with `prefix`.
    pub fn complete(&self, prefix: &str, parent: Option<&str>) -> Vec<String> {
        let ns = match parent {
            None => Some(&self.root),
            Some(parent) => match self.lookup(parent, None) {
                Some(resolved) => self.children.get(&resolved),
                None => self.children.get(parent),
            },
        };
        ns.map(|ns| {
            ns.aliases
                .iter()
                .filter(|(a, _)| a.starts_with(prefix))
                .map(|(a, _)| a.clone())
                .collect()
        })
        .unwrap_or_default()
    }

    /// Names a chain of objects (each preceded by its parent, if it has one) and returns the
    /// alias of each: `["router0", "port1"]`. Empty when one of them has no id.
    pub fn add(&mut self, chain: &[(&dyn Aliased, Option<&dyn Aliased>)]) -> Vec<String> {
        let mut objects: Vec<&dyn Aliased> = Vec::new();
        for (obj, parent) in chain {
            if let Some(parent) = parent {
                objects.push(*parent);
            }
            objects.push(*obj);
        }
        let mut ns: Option<String> = None;
        let mut names = Vec::new();
        for obj in objects {
            let Some(id) = obj.alias_id() else {
                return Vec::new();
            };
            // An id-field holding null still names an object, as `None` did in Python.
            let uuid = id.unwrap_or_else(|| "None".to_string());
            if obj.alias_from_root() {
                ns = None;
            }
            let namespace = match &ns {
                None => &mut self.root,
                Some(owner) => self.children.entry(owner.clone()).or_default(),
            };
            let alias = match namespace.reverse.get(&uuid) {
                Some(alias) => alias.clone(),
                None => {
                    let alias = namespace.add(&uuid, obj.alias_prefix());
                    self.children.insert(uuid.clone(), Namespace::default());
                    alias
                }
            };
            ns = Some(uuid);
            names.push(alias);
        }
        names
    }
}

/// The session's aliases: MidoNet's manager, or none at all.
#[derive(Debug, Clone)]
pub enum Aliases {
    Names(AliasManager),
    /// `-e` or a non-terminal stdin: UUIDs everywhere.
    Off,
}

impl Aliases {
    pub fn lookup(&self, name: &str, parent: Option<&str>) -> Option<String> {
        match self {
            Aliases::Names(m) => m.lookup(name, parent),
            Aliases::Off => None,
        }
    }

    pub fn complete(&self, prefix: &str, parent: Option<&str>) -> Vec<String> {
        match self {
            Aliases::Names(m) => m.complete(prefix, parent),
            Aliases::Off => Vec::new(),
        }
    }

    /// The names of a chain of objects; with aliases off, the last object's id alone.
    pub fn add(&mut self, chain: &[(&dyn Aliased, Option<&dyn Aliased>)]) -> Vec<String> {
        match self {
            Aliases::Names(m) => m.add(chain),
            Aliases::Off => match chain.last().map(|(obj, _)| obj.alias_id()) {
                Some(Some(id)) => vec![id.unwrap_or_else(|| "None".to_string())],
                _ => Vec::new(),
            },
        }
    }

    pub fn enabled(&self) -> bool {
        matches!(self, Aliases::Names(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct O(&'static str, &'static str, bool);
    impl Aliased for O {
        fn alias_id(&self) -> Option<Option<String>> {
            Some(Some(self.0.to_string()))
        }
        fn alias_prefix(&self) -> &'static str {
            self.1
        }
        fn alias_from_root(&self) -> bool {
            self.2
        }
    }

    #[test]
    fn aliases_count_per_prefix_within_the_parent() {
        let mut m = AliasManager::default();
        let (r0, r1) = (O("R0", "router", false), O("R1", "router", false));
        let (p0, p1, q0) = (
            O("P0", "port", false),
            O("P1", "port", false),
            O("Q0", "port", false),
        );
        assert_eq!(m.add(&[(&r0, None)]), ["router0"]);
        assert_eq!(m.add(&[(&r0, None), (&p0, None)]), ["router0", "port0"]);
        assert_eq!(m.add(&[(&p1, Some(&r0))]), ["router0", "port1"]);
        assert_eq!(m.add(&[(&r1, None), (&q0, None)]), ["router1", "port0"]);
        // Seen again: same names.
        assert_eq!(m.add(&[(&r0, None), (&p0, None)]), ["router0", "port0"]);
        assert_eq!(m.lookup("router0:port1", None).as_deref(), Some("P1"));
        assert_eq!(m.lookup("port0", Some("R1")).as_deref(), Some("Q0"));
        assert_eq!(m.lookup("!router1", None).as_deref(), Some("!R1"));
        assert_eq!(m.lookup("port0", None), None, "ports are not root names");
        assert_eq!(m.complete("port", Some("R0")), ["port0", "port1"]);
        // A chain reached from a root reference is named at the root.
        let c = O("C", "chain", true);
        assert_eq!(m.add(&[(&r0, None), (&c, None)]), ["router0", "chain0"]);
        assert_eq!(m.lookup("chain0", None).as_deref(), Some("C"));
    }

    #[test]
    fn with_aliases_off_the_id_is_the_name() {
        let mut a = Aliases::Off;
        let (r, p) = (O("R", "router", false), O("P", "port", false));
        assert_eq!(a.add(&[(&r, None), (&p, None)]), ["P"]);
        assert_eq!(a.lookup("router0", None), None);
    }
}
