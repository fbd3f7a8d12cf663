//! Reads and checks the translator's configuration file (`translator --config FILE`): the
//! options of `run` and of the one-off commands, in TOML, named like the options with `_` for
//! `-`. Loading, line numbers and layering are the gateway's ([`api_gateway::config`]), so both
//! binaries report a bad file the same way.
//!
//! `register-hosts` reads its hosts from the same file (`tunnel_zone`, `tunnel_zone_type` and
//! `[[hosts]]` tables), so the Chef cookbook writes one file for the CLC; other commands ignore
//! those keys, but `--check-config` checks them whichever command it is given.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use api_gateway::config::{ConfigError, ConfigFile};
use serde::Deserialize;
use toml::Spanned;

use crate::desired::Environment;
use crate::hosts::{self, WantedHost};
use topology::TunnelZoneType;

/// The translator's file. Every key is optional; a missing one keeps the option's value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranslatorFile {
    /// `--gni`: the global network view the CLC writes.
    pub gni: Option<Spanned<PathBuf>>,
    /// `--api`: the MidoNet API to write to; without it, an in-process gateway.
    pub api: Option<Spanned<String>>,
    /// `--data`: the in-process gateway's embedded store (without `api`).
    pub data: Option<PathBuf>,
    /// `--listen`: where the in-process gateway listens (without `api`).
    pub listen: Option<SocketAddr>,
    /// `--tenant`: the tenant everything is made under.
    pub tenant: Option<Spanned<String>>,
    /// `--euca-version`: the dotted quad stored in `euca_version`.
    pub euca_version: Option<Spanned<String>>,
    /// `--register-hosts`.
    pub register_hosts: Option<bool>,
    /// `--no-metadata`.
    pub no_metadata: Option<bool>,
    /// `--poll` (`run`): seconds between polls of the GNI.
    pub poll: Option<Spanned<f64>>,
    /// `--clc` (`run`): the CLC's metadata service.
    pub clc: Option<SocketAddr>,
    /// `--tunnel-zone` (`register-hosts`): the zone the hosts join.
    pub tunnel_zone: Option<Spanned<String>>,
    /// `--tunnel-zone-type` (`register-hosts`): `gre` or `vxlan`.
    pub tunnel_zone_type: Option<Spanned<TunnelZoneType>>,
    /// `--host` (`register-hosts`): `[[hosts]]` tables.
    pub hosts: Option<Vec<Spanned<HostEntry>>>,
}

/// One `[[hosts]]` table: `name`, `address`, and optionally the `interfaces` ports will be
/// bound to (a gateway host's external device).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostEntry {
    pub name: String,
    pub address: IpAddr,
    #[serde(default)]
    pub interfaces: Vec<String>,
}

impl HostEntry {
    pub fn wanted(&self) -> WantedHost {
        WantedHost {
            name: self.name.clone(),
            address: self.address,
            interfaces: self.interfaces.clone(),
        }
    }
}

/// Checks a host's name, and its interfaces' (Linux names: 1 to 15 bytes, no `/` or space).
pub fn check_host(host: &WantedHost) -> Result<(), String> {
    if host.name.trim().is_empty() || host.name.contains(char::is_whitespace) {
        return Err(format!("{:?} is not a host name", host.name));
    }
    for interface in &host.interfaces {
        let bad = interface.is_empty()
            || interface.len() > 15
            || interface.contains(|c: char| c == '/' || c.is_whitespace());
        if bad {
            return Err(format!(
                "host {}: {interface:?} is not an interface name (1 to 15 bytes, no '/' or space)",
                host.name
            ));
        }
    }
    Ok(())
}

/// Checks a tunnel zone's name and type for `register-hosts` (hosts tunnel in GRE or VXLAN
/// zones; VTEP zones hold switches).
pub fn check_zone(name: &str, zone_type: TunnelZoneType) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("is empty".into());
    }
    if zone_type == TunnelZoneType::Vtep {
        return Err("vtep zones hold VTEP switches, not hosts: gre or vxlan".into());
    }
    Ok(())
}

/// Checks what parsing cannot: that the GNI's directory exists (the daemon watches it; the file
/// itself may appear later), that `api` is an http(s) URL, and the tenant, version and poll.
pub fn check(file: &ConfigFile<TranslatorFile>) -> Result<(), ConfigError> {
    let v = &file.values;
    if let Some(gni) = &v.gni {
        let dir = match gni.get_ref().parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => std::path::Path::new("."),
        };
        if !dir.is_dir() {
            let why = format!("the directory {} does not exist", dir.display());
            return Err(file.invalid("gni", gni.span(), why));
        }
    }
    if let Some(api) = &v.api {
        check_api_url(api.get_ref()).map_err(|why| file.invalid("api", api.span(), why))?;
    }
    if let Some(tenant) = &v.tenant {
        if tenant.get_ref().trim().is_empty() {
            return Err(file.invalid("tenant", tenant.span(), "is empty"));
        }
    }
    if let Some(version) = &v.euca_version {
        Environment::new(version.get_ref())
            .version_address()
            .map_err(|e| file.invalid("euca_version", version.span(), e))?;
    }
    if let Some(zone) = &v.tunnel_zone {
        check_zone(zone.get_ref(), TunnelZoneType::Gre)
            .map_err(|why| file.invalid("tunnel_zone", zone.span(), why))?;
    }
    if let Some(zone_type) = &v.tunnel_zone_type {
        check_zone("-", *zone_type.get_ref())
            .map_err(|why| file.invalid("tunnel_zone_type", zone_type.span(), why))?;
    }
    if let Some(entries) = &v.hosts {
        let mut wanted = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let host = entry.get_ref().wanted();
            let key = format!("hosts[{i}]");
            check_host(&host).map_err(|why| file.invalid(&key, entry.span(), why))?;
            wanted.push(host);
            hosts::check_unique(&wanted).map_err(|why| file.invalid(&key, entry.span(), why))?;
        }
    }
    if let Some(poll) = &v.poll {
        let seconds = *poll.get_ref();
        if !(seconds > 0.0 && Duration::try_from_secs_f64(seconds).is_ok()) {
            let why = format!("{seconds} is not a positive number of seconds");
            return Err(file.invalid("poll", poll.span(), why));
        }
    }
    Ok(())
}

/// Checks a MidoNet API address: an absolute `http` or `https` URL with a host.
pub fn check_api_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "{url:?} is not an http:// or https:// URL with a host"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_gateway::config::load;

    /// The message after the file name (the temporary directory differs per run).
    fn error(text: &str) -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("translator.toml");
        std::fs::write(&path, text).expect("write");
        let err = load::<TranslatorFile>(&path)
            .and_then(|f| check(&f))
            .expect_err("refused");
        let message = err.to_string();
        message
            .split_once("translator.toml: ")
            .map_or(message.clone(), |(_, rest)| rest.to_string())
    }

    #[test]
    fn a_full_file_is_read_with_every_key() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("translator.toml");
        let text = format!(
            "gni = \"{}/global_network_info.xml\"\napi = \"http://10.0.0.5:8181/midonet-api\"\n\
             data = \"/var/lib/x\"\nlisten = \"127.0.0.1:8181\"\ntenant = \"euca_tenant_1\"\n\
             euca_version = \"5.0.0.0\"\nregister_hosts = false\nno_metadata = true\n\
             poll = 0.5\nclc = \"127.0.0.1:8773\"\n",
            dir.path().display()
        );
        std::fs::write(&path, text).expect("write");
        let file = load::<TranslatorFile>(&path).expect("parses");
        check(&file).expect("valid");
        assert_eq!(file.values.no_metadata, Some(true));
        assert_eq!(file.values.poll.map(|p| p.into_inner()), Some(0.5));
        assert_eq!(file.values.clc, Some("127.0.0.1:8773".parse().unwrap()));
    }

    #[test]
    fn each_bad_value_is_named_by_key_and_line() {
        assert_eq!(
            error("gni = \"/nonexistent/dir/global_network_info.xml\"\n"),
            "line 1: gni: the directory /nonexistent/dir does not exist"
        );
        assert_eq!(
            error("\napi = \"ftp://10.0.0.5/midonet-api\"\n"),
            "line 2: api: \"ftp://10.0.0.5/midonet-api\" is not an http:// or https:// URL with a host"
        );
        assert!(
            error("api = \"10.0.0.5:8181\"").starts_with("line 1: api: \"10.0.0.5:8181\" is not")
        );
        assert_eq!(
            error("euca_version = \"5.0\""),
            "line 1: euca_version: core: euca_version \"5.0\" is not a dotted four-part version"
        );
        assert_eq!(error("tenant = \" \""), "line 1: tenant: is empty");
        assert_eq!(
            error("poll = 0"),
            "line 1: poll: 0 is not a positive number of seconds"
        );
    }

    #[test]
    fn register_hosts_keys_are_read_and_each_bad_host_is_named_by_index_and_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("translator.toml");
        std::fs::write(
            &path,
            "tunnel_zone = \"tz1\"\ntunnel_zone_type = \"vxlan\"\n\n[[hosts]]\n\
             name = \"b-05\"\naddress = \"10.111.1.5\"\n\n[[hosts]]\nname = \"b-22\"\n\
             address = \"10.111.1.22\"\ninterfaces = [\"em1.116\"]\n",
        )
        .expect("write");
        let file = load::<TranslatorFile>(&path).expect("parses");
        check(&file).expect("valid");
        let hosts: Vec<WantedHost> = file
            .values
            .hosts
            .expect("hosts")
            .iter()
            .map(|h| h.get_ref().wanted())
            .collect();
        assert_eq!(hosts[1].interfaces, ["em1.116"]);
        assert_eq!(hosts[0].address, "10.111.1.5".parse::<IpAddr>().unwrap());

        let two = "[[hosts]]\nname = \"b-05\"\naddress = \"10.111.1.5\"\n\n\
                   [[hosts]]\nname = \"b-06\"\naddress = \"10.111.1.5\"\n";
        assert_eq!(
            error(two),
            "line 5: hosts[1]: hosts b-05 and b-06 both have address 10.111.1.5"
        );
        assert_eq!(
            error("[[hosts]]\nname = \"b-22\"\naddress = \"10.0.0.1\"\ninterfaces = [\"em1/116\"]\n"),
            "line 1: hosts[0]: host b-22: \"em1/116\" is not an interface name (1 to 15 bytes, no '/' or space)"
        );
        assert_eq!(
            error("tunnel_zone_type = \"vtep\""),
            "line 1: tunnel_zone_type: vtep zones hold VTEP switches, not hosts: gre or vxlan"
        );
        let address = error("[[hosts]]\nname = \"b-05\"\naddress = \"b-05.example\"\n");
        assert!(
            address.contains("line 3") && address.contains("invalid IP address"),
            "{address}"
        );
        let unknown = error("[[hosts]]\nname = \"b-05\"\naddress = \"10.0.0.1\"\nip = \"x\"\n");
        assert!(unknown.contains("unknown field `ip`"), "{unknown}");
    }

    #[test]
    fn a_misspelt_key_or_wrong_type_is_refused_with_its_line() {
        let unknown = error("gni = \"x.xml\"\nno-metadata = true\n");
        assert!(unknown.contains("line 2"), "{unknown}");
        assert!(unknown.contains("unknown field `no-metadata`"), "{unknown}");
        let typed = error("poll = \"1\"\n");
        assert!(
            typed.contains("line 1") && typed.contains("invalid type"),
            "{typed}"
        );
        let clc = error("clc = \"clc.example\"\n");
        assert!(clc.contains("invalid socket address"), "{clc}");
    }
}
