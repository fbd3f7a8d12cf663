//! Reads and checks the gateway's configuration file (`api-gateway serve --config FILE`): the
//! same settings as `serve`'s options, in TOML, named like the options with `_` for `-`.
//!
//! Also the parts every binary's file shares, which the translator reuses: [`load`] (TOML into
//! a struct that refuses unknown keys), [`ConfigError`] (the file, the key and its line) and
//! [`layered`] (the command line and the environment win over the file, the file over defaults).
//! A file is checked in full before anything starts, so a typo stops the service at once with a
//! message instead of leaving it running on a default.

use std::fmt::Display;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned;

/// Which backend holds the topology (`--store`, `store = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// A local redb file (single gateway, no ZooKeeper needed).
    Embedded,
    /// A ZooKeeper ensemble, shared by any number of gateways.
    Zookeeper,
}

/// `api-gateway serve`'s file. Every key is optional; a missing one keeps the option's value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeFile {
    /// `--listen`: the address to serve on.
    pub listen: Option<SocketAddr>,
    /// `--store`: `embedded` or `zookeeper`.
    pub store: Option<Backend>,
    /// `--data-dir`: the embedded store's directory.
    pub data_dir: Option<Spanned<PathBuf>>,
    /// `--zookeeper`, as a list: `["10.0.0.1:2181", "10.0.0.2:2181"]`.
    pub zookeeper: Option<Spanned<Vec<Spanned<String>>>>,
    /// `--zk-root`: the topology's root znode.
    pub zk_root: Option<Spanned<String>>,
    /// The `[state]` block: history and flow state (see `state::config`).
    pub state: Option<crate::state::config::StateFile>,
    /// `--credentials`: the users who may log in (`auth::credentials`).
    pub credentials: Option<Spanned<PathBuf>>,
    /// `--no-auth`: serve without authentication (only this or `credentials`).
    pub no_auth: Option<bool>,
    /// `--tls-cert`, `--tls-key`: serve HTTPS with this PEM certificate chain and key.
    pub tls_cert: Option<Spanned<PathBuf>>,
    pub tls_key: Option<Spanned<PathBuf>>,
}

impl ServeFile {
    /// The ensemble as the `--zookeeper` option spells it (`host:port,host:port`).
    pub fn zookeeper_connect(&self) -> Option<String> {
        self.zookeeper.as_ref().map(|hosts| {
            let hosts: Vec<&str> = hosts
                .get_ref()
                .iter()
                .map(|h| h.get_ref().as_str())
                .collect();
            hosts.join(",")
        })
    }
}

/// A configuration file as read: its path, its values, and its text (for line numbers).
#[derive(Debug)]
pub struct ConfigFile<T> {
    pub path: PathBuf,
    pub values: T,
    text: String,
}

/// Why a configuration file was refused. Each names the file; a bad value names its key and line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// TOML syntax, a value of the wrong type or form, or an unknown key; `message` is the toml
    /// crate's, which gives the line and column and shows the line.
    #[error("{}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{}: line {line}: {key}: {reason}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        key: String,
        reason: String,
    },
}

/// Reads `path` as TOML into `T`. Unknown keys are refused when `T` says so
/// (`#[serde(deny_unknown_fields)]`), which every file of ours does.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<ConfigFile<T>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let values = toml::from_str(&text).map_err(|e: toml::de::Error| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    Ok(ConfigFile {
        path: path.to_path_buf(),
        values,
        text,
    })
}

impl<T> ConfigFile<T> {
    /// The error for the value of `key` found at `span` of the file.
    pub fn invalid(&self, key: &str, span: Range<usize>, reason: impl Display) -> ConfigError {
        let before = self.text.get(..span.start).unwrap_or(&self.text);
        ConfigError::Invalid {
            path: self.path.clone(),
            line: before.matches('\n').count() + 1,
            key: key.to_string(),
            reason: reason.to_string(),
        }
    }
}

impl ConfigFile<ServeFile> {
    /// Checks what parsing cannot: the ensemble's `host:port`s, the root znode, the data
    /// directory.
    pub fn check(&self) -> Result<(), ConfigError> {
        let v = &self.values;
        if let Some(hosts) = &v.zookeeper {
            if hosts.get_ref().is_empty() {
                return Err(self.invalid("zookeeper", hosts.span(), "names no server"));
            }
            for (i, host) in hosts.get_ref().iter().enumerate() {
                check_host_port(host.get_ref())
                    .map_err(|why| self.invalid(&format!("zookeeper[{i}]"), host.span(), why))?;
            }
        }
        if let Some(root) = &v.zk_root {
            crate::store::zookeeper::check_root(root.get_ref())
                .map_err(|why| self.invalid("zk_root", root.span(), why))?;
        }
        for (key, file) in [
            ("credentials", &v.credentials),
            ("tls_cert", &v.tls_cert),
            ("tls_key", &v.tls_key),
        ] {
            if let Some(file) = file {
                if !file.get_ref().is_file() {
                    let why = format!("{} is not a readable file", file.get_ref().display());
                    return Err(self.invalid(key, file.span(), why));
                }
            }
        }
        if let Some(dir) = &v.data_dir {
            // The store creates a missing directory; something else in its place is a mistake.
            let path = dir.get_ref();
            if path.exists() && !path.is_dir() {
                let why = format!("{} exists and is not a directory", path.display());
                return Err(self.invalid("data_dir", dir.span(), why));
            }
        }
        self.check_state()
    }
}

/// Checks a ZooKeeper server address: `host:port`, with a port in 1..=65535 (IPv6 in brackets).
pub fn check_host_port(address: &str) -> Result<(), String> {
    let (host, port) = address
        .rsplit_once(':')
        .ok_or_else(|| format!("{address:?} is not host:port"))?;
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty() && !host.contains(|c: char| c.is_whitespace() || "/,:[]".contains(c))
        }
    };
    if !host_ok {
        return Err(format!(
            "{address:?}: {host:?} is not a host name or address"
        ));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("{address:?}: port {port:?} is not in 1..=65535")),
    }
}

/// The value to use for the option `id`: the one on the command line or in the environment
/// (`cli`) unless it is clap's default and the file has one. So the file overrides defaults,
/// and an option given explicitly overrides the file. A flag can only be switched on from the
/// command line, never off.
pub fn layered<T>(matches: &ArgMatches, id: &str, cli: T, file: Option<T>) -> T {
    let explicit = matches!(
        matches.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    );
    match file {
        Some(value) if !explicit => value,
        _ => cli,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<ConfigFile<ServeFile>, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("api-gateway.toml");
        std::fs::write(&path, text).expect("write");
        let file = load::<ServeFile>(&path)?;
        file.check()?;
        Ok(file)
    }

    fn error(text: &str) -> String {
        let err = file(text).expect_err("refused");
        // The temporary directory differs per run; keep the message after the file name.
        let message = err.to_string();
        message
            .split_once("api-gateway.toml: ")
            .map_or(message.clone(), |(_, rest)| rest.to_string())
    }

    #[test]
    fn a_full_file_is_read_with_every_key() {
        let f = file(
            "listen = \"0.0.0.0:8181\"\nstore = \"zookeeper\"\ndata_dir = \"/var/lib/x\"\n\
             zookeeper = [\"10.0.0.1:2181\", \"zk2.example:2182\", \"[fe80::1]:2181\"]\n\
             zk_root = \"/midonet\"\n",
        )
        .expect("valid");
        assert_eq!(f.values.listen, Some("0.0.0.0:8181".parse().unwrap()));
        assert_eq!(f.values.store, Some(Backend::Zookeeper));
        assert_eq!(
            f.values.zookeeper_connect().as_deref(),
            Some("10.0.0.1:2181,zk2.example:2182,[fe80::1]:2181")
        );
        assert_eq!(f.values.zk_root.unwrap().into_inner(), "/midonet");
    }

    #[test]
    fn an_empty_file_sets_nothing() {
        let f = file("# nothing\n").expect("valid");
        assert!(f.values.listen.is_none() && f.values.store.is_none());
    }

    #[test]
    fn a_bad_server_is_named_by_key_index_and_line() {
        assert_eq!(
            error("store = \"zookeeper\"\nzookeeper = [\"10.0.0.1:2181\",\n  \"10.0.0.2\"]\n"),
            "line 3: zookeeper[1]: \"10.0.0.2\" is not host:port"
        );
        assert_eq!(
            error("zookeeper = [\"10.0.0.1:0\"]"),
            "line 1: zookeeper[0]: \"10.0.0.1:0\": port \"0\" is not in 1..=65535"
        );
        assert_eq!(
            error("zookeeper = [\"a b:2181\"]"),
            "line 1: zookeeper[0]: \"a b:2181\": \"a b\" is not a host name or address"
        );
        assert_eq!(
            error("zookeeper = []"),
            "line 1: zookeeper: names no server"
        );
    }

    #[test]
    fn a_relative_root_is_refused() {
        assert_eq!(
            error("\nzk_root = \"midonet\""),
            "line 2: zk_root: invalid ZooKeeper root \"midonet\": must be an absolute path"
        );
    }

    #[test]
    fn a_data_dir_that_is_a_file_is_refused() {
        let file = tempfile::NamedTempFile::new().expect("a file");
        let path = file.path().display();
        assert_eq!(
            error(&format!("data_dir = \"{path}\"")),
            format!("line 1: data_dir: {path} exists and is not a directory")
        );
    }

    #[test]
    fn parse_errors_give_the_line_and_the_key() {
        let unknown = error("listen = \"127.0.0.1:8181\"\nlisten_port = 8181\n");
        assert!(unknown.contains("line 2"), "{unknown}");
        assert!(unknown.contains("unknown field `listen_port`"), "{unknown}");
        let address = error("listen = \"localhost\"\n");
        assert!(address.contains("line 1"), "{address}");
        assert!(address.contains("invalid socket address"), "{address}");
        let store = error("store = \"etcd\"\n");
        assert!(store.contains("unknown variant `etcd`"), "{store}");
    }

    #[test]
    fn a_missing_file_says_which() {
        let err = load::<ServeFile>(Path::new("/nonexistent/api-gateway.toml")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read the configuration file /nonexistent/api-gateway.toml:"),
            "{err}"
        );
    }

    #[test]
    fn explicit_options_win_over_the_file_and_the_file_over_defaults() {
        use clap::{Arg, Command};
        let command = Command::new("t")
            .arg(Arg::new("listen").long("listen").default_value("d"))
            .arg(Arg::new("root").long("root").default_value("d"));
        let m = command.get_matches_from(["t", "--listen", "cli"]);
        let listen: String = m.get_one::<String>("listen").unwrap().clone();
        let root: String = m.get_one::<String>("root").unwrap().clone();
        assert_eq!(layered(&m, "listen", listen, Some("file".into())), "cli");
        assert_eq!(
            layered(&m, "root", root.clone(), Some("file".into())),
            "file"
        );
        assert_eq!(layered(&m, "root", root, None), "d");
    }
}
