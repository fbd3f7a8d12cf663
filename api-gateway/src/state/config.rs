//! Where the state store lives and how it is reached: the `[state]` block of the gateway's
//! configuration file, checked in full before anything starts.
//!
//! ```toml
//! [state]
//! backend = "cassandra"            # or "embedded" (the default): state.redb in data_dir
//! history = true                   # record API writes (default true)
//! cassandras = ["10.0.0.5:9042", "10.0.0.6:9042"]
//! keyspace = "midonet_state"
//! replication = { class = "SimpleStrategy", replication_factor = 3 }
//! flow_state_ttl = 3600            # seconds
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::{check_host_port, ConfigError, ConfigFile, ServeFile};

pub const DEFAULT_KEYSPACE: &str = "midonet_state";
/// How long flow state lives unless configured: MidoNet's agents keep idle flows about a
/// minute; traces are read by people, so an hour.
pub const DEFAULT_FLOW_TTL: Duration = Duration::from_secs(3600);

/// Which state store, with what it needs.
#[derive(Debug, Clone)]
pub enum StateConfig {
    /// `state.redb` in this directory.
    Embedded {
        dir: PathBuf,
    },
    Cassandra(CassandraConfig),
}

impl std::fmt::Display for StateConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateConfig::Embedded { dir } => {
                write!(f, "embedded state store in {}", dir.display())
            }
            StateConfig::Cassandra(c) => write!(
                f,
                "Cassandra state store at {} in keyspace {}",
                c.contact_points.join(","),
                c.keyspace
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CassandraConfig {
    /// `host:port` of one or more nodes.
    pub contact_points: Vec<String>,
    pub keyspace: String,
    /// The keyspace's replication map, as CQL spells it (`class` and its options).
    pub replication: BTreeMap<String, String>,
    /// How long one attempt to reach Cassandra may take.
    pub timeout: Duration,
    /// How many attempts a request makes before it reports Cassandra unavailable.
    pub attempts: u32,
}

impl CassandraConfig {
    /// One node, keyspace `midonet_state`, SimpleStrategy with one replica.
    pub fn new(contact_points: Vec<String>) -> CassandraConfig {
        CassandraConfig {
            contact_points,
            keyspace: DEFAULT_KEYSPACE.into(),
            replication: simple_strategy(1),
            timeout: Duration::from_secs(5),
            attempts: 3,
        }
    }

    /// The replication map as a CQL map literal.
    pub fn replication_cql(&self) -> String {
        let items: Vec<String> = self
            .replication
            .iter()
            .map(|(k, v)| format!("'{k}': '{v}'"))
            .collect();
        format!("{{{}}}", items.join(", "))
    }
}

pub fn simple_strategy(factor: u32) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("class".into(), "SimpleStrategy".into()),
        ("replication_factor".into(), factor.to_string()),
    ])
}

/// Which backend (`backend = "..."`, `--state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateBackend {
    Embedded,
    Cassandra,
}

/// The `[state]` block. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    pub backend: Option<StateBackend>,
    pub history: Option<bool>,
    pub cassandras: Option<Spanned<Vec<Spanned<String>>>>,
    pub keyspace: Option<Spanned<String>>,
    pub replication: Option<Spanned<BTreeMap<String, toml::Value>>>,
    pub flow_state_ttl: Option<Spanned<i64>>,
}

impl StateFile {
    pub fn cassandras(&self) -> Option<Vec<String>> {
        self.cassandras.as_ref().map(|hosts| {
            hosts
                .get_ref()
                .iter()
                .map(|h| h.get_ref().clone())
                .collect()
        })
    }

    /// The replication map with every value as CQL text (numbers as digits).
    pub fn replication(&self) -> Option<BTreeMap<String, String>> {
        self.replication.as_ref().map(|map| {
            map.get_ref()
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Integer(n) => n.to_string(),
                        // Refused by the check, which names the key.
                        other => format!("{other:?}"),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
    }

    pub fn flow_state_ttl(&self) -> Option<Duration> {
        self.flow_state_ttl
            .as_ref()
            .map(|t| Duration::from_secs(u64::try_from(*t.get_ref()).unwrap_or(0)))
    }
}

/// Checks a keyspace name as Cassandra takes it unquoted: a letter, then letters, digits or
/// `_`, at most 48 characters.
pub fn check_keyspace(name: &str) -> Result<(), String> {
    let ok = name.len() <= 48
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a keyspace name (a letter, then letters, digits or _, at most 48)"
        ))
    }
}

/// Checks a replication map: SimpleStrategy with a positive `replication_factor`, or
/// NetworkTopologyStrategy with a positive replica count per data centre.
pub fn check_replication(map: &BTreeMap<String, String>) -> Result<(), String> {
    let count = |k: &str, v: &str| match v.parse::<u32>() {
        Ok(n) if n > 0 => Ok(()),
        _ => Err(format!("{k}: {v:?} is not a positive replica count")),
    };
    let plain = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    };
    match map.get("class").map(String::as_str) {
        Some("SimpleStrategy") => {
            if let Some(k) = map
                .keys()
                .find(|k| *k != "class" && *k != "replication_factor")
            {
                return Err(format!("SimpleStrategy takes no option {k:?}"));
            }
            let factor = map
                .get("replication_factor")
                .ok_or("SimpleStrategy needs replication_factor")?;
            count("replication_factor", factor)
        }
        Some("NetworkTopologyStrategy") => {
            let dcs: Vec<_> = map.iter().filter(|(k, _)| *k != "class").collect();
            if dcs.is_empty() {
                return Err("NetworkTopologyStrategy needs a replica count per data centre".into());
            }
            for (dc, n) in dcs {
                if !plain(dc) {
                    return Err(format!("{dc:?} is not a data centre name"));
                }
                count(dc, n)?;
            }
            Ok(())
        }
        Some(other) => Err(format!(
            "class {other:?} is not SimpleStrategy or NetworkTopologyStrategy"
        )),
        None => Err("names no class".into()),
    }
}

impl ConfigFile<ServeFile> {
    /// Checks the `[state]` block: Cassandra's `host:port`s, the keyspace, the replication map,
    /// the TTL, and that Cassandra has somewhere to connect to.
    pub fn check_state(&self) -> Result<(), ConfigError> {
        let Some(state) = &self.values.state else {
            return Ok(());
        };
        if let Some(hosts) = &state.cassandras {
            if hosts.get_ref().is_empty() {
                return Err(self.invalid("state.cassandras", hosts.span(), "names no server"));
            }
            for (i, host) in hosts.get_ref().iter().enumerate() {
                check_host_port(host.get_ref()).map_err(|why| {
                    self.invalid(&format!("state.cassandras[{i}]"), host.span(), why)
                })?;
            }
        }
        if let Some(ks) = &state.keyspace {
            check_keyspace(ks.get_ref())
                .map_err(|why| self.invalid("state.keyspace", ks.span(), why))?;
        }
        if let (Some(map), Some(spanned)) = (state.replication(), &state.replication) {
            check_replication(&map)
                .map_err(|why| self.invalid("state.replication", spanned.span(), why))?;
        }
        if let Some(ttl) = &state.flow_state_ttl {
            if *ttl.get_ref() <= 0 || *ttl.get_ref() > i64::from(i32::MAX) {
                return Err(self.invalid(
                    "state.flow_state_ttl",
                    ttl.span(),
                    format!(
                        "{} is not a number of seconds in 1..=2147483647",
                        ttl.get_ref()
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn replication_maps_are_checked_by_strategy() {
        assert!(check_replication(&simple_strategy(3)).is_ok());
        assert!(check_replication(&map(&[
            ("class", "NetworkTopologyStrategy"),
            ("dc1", "3"),
            ("dc2", "2")
        ]))
        .is_ok());
        assert_eq!(
            check_replication(&map(&[("class", "SimpleStrategy")])).unwrap_err(),
            "SimpleStrategy needs replication_factor"
        );
        assert_eq!(
            check_replication(&map(&[
                ("class", "SimpleStrategy"),
                ("replication_factor", "0")
            ]))
            .unwrap_err(),
            "replication_factor: \"0\" is not a positive replica count"
        );
        assert_eq!(
            check_replication(&map(&[("class", "LocalStrategy")])).unwrap_err(),
            "class \"LocalStrategy\" is not SimpleStrategy or NetworkTopologyStrategy"
        );
        assert_eq!(
            check_replication(&map(&[("class", "NetworkTopologyStrategy"), ("d'c", "1")]))
                .unwrap_err(),
            "\"d'c\" is not a data centre name"
        );
    }

    #[test]
    fn the_replication_map_renders_as_a_cql_map() {
        let mut c = CassandraConfig::new(vec!["127.0.0.1:9042".into()]);
        c.replication = simple_strategy(3);
        assert_eq!(
            c.replication_cql(),
            "{'class': 'SimpleStrategy', 'replication_factor': '3'}"
        );
    }

    #[test]
    fn keyspace_names_are_checked() {
        assert!(check_keyspace("midonet_state").is_ok());
        assert!(check_keyspace("1x").is_err());
        assert!(check_keyspace("a-b").is_err());
        assert!(check_keyspace(&"a".repeat(49)).is_err());
    }
}
