//! Ours: `trace port <id> src-mac <mac> dst-mac <mac> src <ip> dst <ip> [proto tcp|udp|icmp]
//! [sport N (40000)] [dport N] [reply] [all]` asks our gateway's packet-path simulator
//! (`POST /simulations`) and prints the path one hop per line, then the reply's with `reply`.

use serde_json::{json, Map, Value};

use super::grammar::split_words;
use super::session::Session;

pub const USAGE: &str = "trace - walk a packet through the virtual topology (our gateway's simulator)\n\n    \
Usage: trace port <PORT_ID> src-mac <MAC> dst-mac <MAC> src <IP> dst <IP>\n                 \
[proto tcp|udp|icmp] [sport <N>] [dport <N>] [reply] [all]\n\n    \
Example:\n           \
trace port 2f0c... src-mac d0:0d:00:00:0a:01 dst-mac ac:ca:ba:00:00:01 src 10.20.1.10 dst 10.20.2.20 proto tcp dport 5432 reply\n    ";

/// The endpoint's body for the words after `trace`.
pub fn request(arg: &str) -> Result<Value, String> {
    let words = split_words(arg).map_err(str::to_owned)?;
    let mut body = Map::new();
    body.insert("proto".into(), json!("tcp"));
    let mut it = words.iter();
    while let Some(key) = it.next() {
        let field = match key.as_str() {
            "reply" => {
                body.insert("reply".into(), json!(true));
                continue;
            }
            "all" => {
                body.insert("allRules".into(), json!(true));
                continue;
            }
            "port" => "ingressPortId",
            "src-mac" => "ethSrc",
            "dst-mac" => "ethDst",
            "src" => "nwSrc",
            "dst" => "nwDst",
            "proto" => "proto",
            "sport" => "tpSrc",
            "dport" => "tpDst",
            other => return Err(format!("unknown trace argument '{other}'")),
        };
        let value = it.next().ok_or_else(|| format!("'{key}' needs a value"))?;
        let value = if field.starts_with("tp") {
            json!(value
                .parse::<u16>()
                .map_err(|_| format!("{key}: '{value}' is not a port"))?)
        } else {
            json!(value)
        };
        body.insert(field.into(), value);
    }
    // A client port, so that the trace reads like real traffic (and its reply's tuple).
    body.entry("tpSrc").or_insert(json!(40000));
    for (field, word) in [
        ("ingressPortId", "port"),
        ("ethSrc", "src-mac"),
        ("ethDst", "dst-mac"),
        ("nwSrc", "src"),
        ("nwDst", "dst"),
    ] {
        if !body.contains_key(field) {
            return Err(format!("trace needs '{word}'"));
        }
    }
    Ok(Value::Object(body))
}

/// Runs `trace` and prints the answer, or what is wrong.
pub fn run(s: &Session, arg: &str) {
    let request = match request(arg) {
        Ok(r) => r,
        Err(e) => {
            s.println(&format!("Syntax error: {e}"));
            s.println(USAGE);
            return;
        }
    };
    match s.api.simulate(&request) {
        Ok(answer) => {
            for part in ["request", "reply"] {
                let Some(lines) = answer[part]["trace"].as_array() else {
                    continue;
                };
                if part == "reply" {
                    s.println("reply:");
                }
                for line in lines.iter().filter_map(Value::as_str) {
                    s.println(line);
                }
            }
        }
        Err(e) => s.println(&e.line()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_the_simulation_request() {
        let r = request("port 5 src-mac d0:0d:00:00:0a:01 dst-mac ac:ca:ba:00:00:01 src 10.0.0.1 dst 10.0.1.1 dport 22 reply").unwrap();
        assert_eq!(r["ingressPortId"], "5");
        assert_eq!(r["tpDst"], 22);
        assert_eq!(r["proto"], "tcp");
        assert_eq!(r["reply"], true);
        assert_eq!(r["tpSrc"], 40000);
        assert!(request("port 5 src 10.0.0.1")
            .unwrap_err()
            .contains("src-mac"));
        assert!(request("port 5 dport x")
            .unwrap_err()
            .contains("not a port"));
        assert!(request("colour blue").unwrap_err().contains("unknown"));
    }
}
