//! Computes a GNI's reachability matrix by tracing packets through its translated topology:
//! which instance interfaces reach which on which probes, and which the internet reaches.
//! The probes are tcp/22, tcp/80, tcp/443, ICMP echo, and every tcp/udp port a security-group
//! ingress rule names (its range's first port), so that each rule is exercised at least once.
//! Each probe is a fresh connection (empty connection state): reachability means a new
//! connection is accepted, not that a reply gets back.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::net::Ipv4Addr;

use serde_json::json;
use topology::sim::{simulate, ConnectionState, Verdict};

use crate::gni::{Gni, Protocol};
use crate::trace::{Proto, TraceError, Tracer};

/// The internet host probes from the outside come from.
pub const INTERNET_SOURCE: Ipv4Addr = Ipv4Addr::new(8, 8, 8, 8);

/// One reachable (from, to, probe).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reach {
    /// An interface name (`i-…`, `eni-…`), or `internet`.
    pub from: String,
    pub to: String,
    /// The address probed: the private one, or the public one from the internet.
    pub address: Ipv4Addr,
    pub probe: String,
}

#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub probes: Vec<Proto>,
    pub interfaces: usize,
    pub traces: usize,
    pub reachable: Vec<Reach>,
}

/// The probes for `gni`: the fixed ones plus each port a security-group ingress rule names.
pub fn probes(gni: &Gni) -> Vec<Proto> {
    let mut set = BTreeSet::from([(6u8, 22u16), (6, 80), (6, 443), (1, 0)]);
    for g in gni.security_groups.values() {
        for r in &g.ingress {
            match r.protocol {
                Protocol::Tcp(range) => set.insert((6, range.from.max(1))),
                Protocol::Udp(range) => set.insert((17, range.from.max(1))),
                _ => false,
            };
        }
    }
    set.into_iter()
        .map(|(proto, port)| match proto {
            6 => Proto::Tcp(port),
            17 => Proto::Udp(port),
            _ => Proto::Icmp,
        })
        .collect()
}

pub fn probe_name(p: Proto) -> String {
    match p {
        Proto::Tcp(port) => format!("tcp/{port}"),
        Proto::Udp(port) => format!("udp/{port}"),
        Proto::Icmp => "icmp".into(),
    }
}

/// Traces every probe between every pair of interfaces of the same VPC, and from the internet
/// to every interface's public address.
pub fn audit(gni: &Gni, tracer: &Tracer<'_>) -> Result<Audit, TraceError> {
    let probes = probes(gni);
    let interfaces: Vec<_> = gni.interfaces().map(|(_, i)| i).collect();
    let mut out = Audit {
        probes: probes.clone(),
        interfaces: interfaces.len(),
        ..Audit::default()
    };
    for from in &interfaces {
        let Ok(port) = tracer.port_of(from.name.as_str()) else {
            continue;
        };
        for to in interfaces
            .iter()
            .filter(|t| t.vpc == from.vpc && t.name != from.name)
        {
            let Ok(target) = tracer.port_of(to.name.as_str()) else {
                continue;
            };
            for &probe in &probes {
                let Ok(packet) = tracer.packet_from(from.name.as_str(), to.private_ip, probe)
                else {
                    continue;
                };
                let r = simulate(&tracer.snapshot, &mut ConnectionState::new(), port, packet)?;
                out.traces += 1;
                if r.verdict.is_delivered_to(target) {
                    out.reachable.push(Reach {
                        from: from.name.to_string(),
                        to: to.name.to_string(),
                        address: to.private_ip,
                        probe: probe_name(probe),
                    });
                }
            }
        }
    }
    for to in &interfaces {
        let (Some(public), Ok(target)) = (to.public_ip, tracer.port_of(to.name.as_str())) else {
            continue;
        };
        for &probe in &probes {
            let r = tracer.trace_from_internet(
                INTERNET_SOURCE,
                public,
                probe,
                &mut ConnectionState::new(),
            )?;
            out.traces += 1;
            if matches!(r.verdict, Verdict::Delivered { port, .. } if port == target) {
                out.reachable.push(Reach {
                    from: "internet".into(),
                    to: to.name.to_string(),
                    address: public,
                    probe: probe_name(probe),
                });
            }
        }
    }
    Ok(out)
}

impl Audit {
    /// One line per (from, to): the probes that got through.
    pub fn table(&self) -> String {
        let mut rows: Vec<(String, String, Ipv4Addr, Vec<&str>)> = Vec::new();
        for r in &self.reachable {
            match rows.last_mut() {
                Some((f, t, _, probes)) if *f == r.from && *t == r.to => probes.push(&r.probe),
                _ => rows.push((r.from.clone(), r.to.clone(), r.address, vec![&r.probe])),
            }
        }
        let mut out = format!(
            "{:<16} {:<16} {:<16} reachable on\n",
            "from", "to", "address"
        );
        for (from, to, address, probes) in rows {
            let _ = writeln!(
                out,
                "{from:<16} {to:<16} {:<16} {}",
                address.to_string(),
                probes.join(" ")
            );
        }
        let probes: Vec<_> = self.probes.iter().map(|p| probe_name(*p)).collect();
        let _ = writeln!(
            out,
            "{} interfaces, {} traces, probes: {}",
            self.interfaces,
            self.traces,
            probes.join(" ")
        );
        out
    }

    pub fn json(&self) -> serde_json::Value {
        let reachable: Vec<_> = self
            .reachable
            .iter()
            .map(|r| json!({"from": r.from, "to": r.to, "address": r.address.to_string(), "probe": r.probe}))
            .collect();
        let probes: Vec<_> = self.probes.iter().map(|p| probe_name(*p)).collect();
        json!({"probes": probes, "interfaces": self.interfaces, "traces": self.traces, "reachable": reachable})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::offline_environment;

    #[test]
    fn the_matrix_of_two_vpcs_follows_the_security_groups() {
        let gni = crate::gni::parse(include_str!("../testdata/gni/two-vpcs.xml")).unwrap();
        let tracer = Tracer::new(&gni, &offline_environment(&gni, "5.0.0.0")).unwrap();
        let a = audit(&gni, &tracer).unwrap();
        let has = |from: &str, to: &str, probe: &str| {
            a.reachable
                .iter()
                .any(|r| r.from == from && r.to == to && r.probe == probe)
        };
        // sg-a2 takes tcp/5432 from sg-a1 members, nothing else from them.
        assert!(has("i-00000a01", "i-00000a02", "tcp/5432"));
        assert!(!has("i-00000a01", "i-00000a02", "tcp/22"));
        // sg-a1 takes tcp/80 from anywhere, icmp from the VPC.
        assert!(has("i-00000a02", "i-00000a03", "tcp/80"));
        assert!(has("i-00000a02", "i-00000a03", "icmp"));
        // From the internet: i-00000a01's elastic IP on tcp/80 only (tcp/22 is for 198.51.100/24).
        assert!(has("internet", "i-00000a01", "tcp/80"));
        assert!(!has("internet", "i-00000a01", "tcp/22"));
        // Nothing crosses VPCs.
        assert!(!a.reachable.iter().any(|r| r.from == "i-00000b01"
            && r.to != "i-00000b01"
            && r.from != "internet"
            && r.to.starts_with("i-00000a")));
        let table = a.table();
        assert!(
            table.contains("i-00000a01") && table.contains("tcp/5432"),
            "{table}"
        );
        assert_eq!(
            a.json()["reachable"].as_array().map(Vec::len),
            Some(a.reachable.len())
        );
    }
}
