//! Field values between the words an operator types and the JSON the API holds: validation as
//! MidoNet's CLI does it (`inet_aton` addresses, MAC patterns, its loose UUID pattern) and the
//! composite forms (CIDR pairs printed without `/32`, NAT targets, port ranges, DHCP option 121
//! routes).

use super::error::{CliError, CliResult};
use super::json::{py_repr_str, Json};
use super::schema::Enc;

/// MidoNet's UUID test: `^[0-F]{8}-[0-F]{4}-[0-F]{4}-[0-F]{4}-[0-F]{12}$`, case-insensitive.
/// The class `[0-F]` also admits `:;<=>?@`; kept, so that the same words are ids.
pub fn is_uuid(s: &str) -> bool {
    let in_class = |c: char| ('0'..='F').contains(&c) || ('a'..='f').contains(&c);
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.chars().count() == n && g.chars().all(in_class))
}

/// A Keystone project id: 32 hex digits (the CLI warns when a tenant is not one).
pub fn is_hex_uuid(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Python's `int()` of a text: optional sign, decimal digits, `_` between digits, spaces
/// around.
pub fn py_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    digits
        .replace('_', "")
        .parse::<i64>()
        .ok()
        .map(|n| sign * n)
}

/// Python's message for a failed `int()`.
pub fn int_error(s: &str) -> CliError {
    CliError::internal(format!(
        "invalid literal for int() with base 10: {}",
        py_repr_str(s)
    ))
}

/// Whether C's `inet_aton` accepts `s`: one to four parts, each decimal, octal (`0` prefix)
/// or hex (`0x`), the last filling the remaining bytes.
pub fn inet_aton(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return false;
    }
    let mut values = Vec::with_capacity(parts.len());
    for part in &parts {
        let value = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            if hex.is_empty() {
                Some(0)
            } else {
                u64::from_str_radix(hex, 16).ok()
            }
        } else if part.len() > 1 && part.starts_with('0') {
            u64::from_str_radix(&part[1..], 8).ok()
        } else if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
            part.parse::<u64>().ok()
        } else {
            None
        };
        match value {
            Some(v) => values.push(v),
            None => return false,
        }
    }
    let (last, leading) = match values.split_last() {
        Some(split) => split,
        None => return false,
    };
    let last_max: u64 = match leading.len() {
        0 => 0xffff_ffff,
        1 => 0x00ff_ffff,
        2 => 0xffff,
        _ => 0xff,
    };
    leading.iter().all(|v| *v <= 0xff) && *last <= last_max
}

/// `aa:bb:cc:dd:ee:ff`, one or two hex digits per byte.
pub fn is_mac(s: &str) -> bool {
    let bytes: Vec<&str> = s.split(':').collect();
    bytes.len() == 6
        && bytes
            .iter()
            .all(|b| (1..=2).contains(&b.len()) && b.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A MAC mask `ffff.ffff.0000`.
pub fn is_mac_mask(s: &str) -> bool {
    let groups: Vec<&str> = s.split('.').collect();
    groups.len() == 3
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `a.b.c.d` or `a.b.c.d/len` with len in 0..=32.
pub fn is_ipv4_subnet(s: &str) -> bool {
    let mut parts = s.split('/');
    let Some(address) = parts.next() else {
        return false;
    };
    if !inet_aton(address) {
        return false;
    }
    match (parts.next(), parts.next()) {
        (None, _) => true,
        (Some(mask), None) => py_int(mask).is_some_and(|m| (0..=32).contains(&m)),
        _ => false,
    }
}

/// The JSON sent for a typed value: a number where the API holds one and the text is one
/// (MidoNet's CLI sends the text, which the API reads as the same number).
pub fn encode(text: &str, enc: Enc) -> Json {
    match enc {
        Enc::Int => py_int(text).map_or_else(|| Json::str(text), Json::int),
        Enc::Str => Json::str(text),
    }
}

/// A CIDR pair as the CLI prints it: `address/length`, the address alone for a /32,
/// `0.0.0.0/0` for an empty address.
pub fn cidr_text(address: &Json, length: Option<&Json>) -> String {
    let address = if address.truthy() {
        address.py_str()
    } else {
        "0.0.0.0".to_string()
    };
    match length {
        // Only the number 32 hides the length: the text "32" does not (a Python quirk kept).
        Some(Json::Num(n)) if n.as_i64() == Some(32) => address,
        Some(len) if len.truthy() => format!("{address}/{}", len.py_str()),
        _ => format!("{address}/0"),
    }
}

/// The items of a list value; `None` for an empty (or null) one, MidoNet's error for a value
/// that is not a list.
pub fn list_items(value: &Json) -> CliResult<Option<&[Json]>> {
    if !value.truthy() {
        return Ok(None);
    }
    match value {
        Json::Arr(items) => Ok(Some(items)),
        other => Err(CliError::internal(format!(
            "Bug: expected a list, received '{}'",
            other.py_str()
        ))),
    }
}

/// NAT targets as the CLI prints them: `from[-to][:port[-port]]`, joined by `,`; `None` when
/// there are none.
pub fn nat_text(value: &Json) -> CliResult<Option<String>> {
    let Some(targets) = list_items(value)? else {
        return Ok(None);
    };
    let mut texts = Vec::with_capacity(targets.len());
    for target in targets {
        let from = target.get("addressFrom").filter(|v| v.truthy());
        let mut text = from.map(Json::py_str).unwrap_or_default();
        if let Some(to) = target.get("addressTo").filter(|v| v.truthy()) {
            if from != Some(to) {
                text = format!("{text}-{}", to.py_str());
            }
        }
        let port = |key: &str| {
            target
                .get(key)
                .filter(|v| v.truthy())
                .map(|v| v.as_i64().or_else(|| py_int(&v.py_str())).unwrap_or(0))
        };
        if let Some(port_from) = port("portFrom") {
            let port_to = port("portTo").unwrap_or(0);
            if port_from != 0 && port_to != 0 && port_from != port_to {
                text = format!("{text}:{port_from}-{port_to}");
            } else if port_from != 0 {
                text = format!("{text}:{port_from}");
            }
        }
        texts.push(text);
    }
    Ok(Some(texts.join(",")))
}

/// NAT targets from the CLI's `a[-b][:p[-q]],...` (ports default to 0).
pub fn nat_targets(value: &str) -> CliResult<Json> {
    let mut targets = Vec::new();
    for target in value.split(',').map(str::trim) {
        let invalid = || CliError::internal(format!("Invalid NAT target: {target}"));
        let parts: Vec<&str> = target.split(':').map(str::trim).collect();
        let (addresses, ports) = match parts.as_slice() {
            [addresses] => (*addresses, "0-0"),
            [addresses, ports] => (*addresses, *ports),
            _ => return Err(invalid()),
        };
        let addresses: Vec<&str> = addresses.split('-').collect();
        let ports: Vec<&str> = ports.split('-').collect();
        if addresses.len() > 2 || ports.len() > 2 {
            return Err(invalid());
        }
        let (from, to) = (addresses[0], *addresses.last().unwrap_or(&addresses[0]));
        if !inet_aton(from) || !inet_aton(to) {
            return Err(invalid());
        }
        let mut numbers = Vec::with_capacity(2);
        for p in [ports[0], *ports.last().unwrap_or(&ports[0])] {
            let n = py_int(p).ok_or_else(|| int_error(p))?;
            if !(0..=65535).contains(&n) {
                return Err(invalid());
            }
            numbers.push(n);
        }
        targets.push(Json::Obj(vec![
            ("addressFrom".into(), Json::str(from)),
            ("addressTo".into(), Json::str(to)),
            ("portFrom".into(), Json::int(numbers[0])),
            ("portTo".into(), Json::int(numbers[1])),
        ]));
    }
    Ok(Json::Arr(targets))
}

/// A port range as the CLI prints it: `start`, or `start-end` when they differ; the start is
/// printed as the value it is.
pub fn range_text(value: &Json) -> CliResult<Option<Json>> {
    if !value.truthy() {
        return Ok(None);
    }
    if !matches!(value, Json::Obj(_)) {
        return Err(CliError::internal(format!(
            "Bug: expected a dict, received '{}'",
            value.py_str()
        )));
    }
    let Some(start) = value.get("start").filter(|v| v.truthy()) else {
        return Ok(None);
    };
    match value.get("end").filter(|v| v.truthy()) {
        Some(end) if end != start => Ok(Some(Json::str(format!(
            "{}-{}",
            start.py_str(),
            end.py_str()
        )))),
        _ => Ok(Some(start.clone())),
    }
}

/// A port range from `start[-end]`.
pub fn port_range(value: &str) -> CliResult<Json> {
    let ports: Vec<&str> = value.split('-').map(str::trim).collect();
    if ports.len() > 2 {
        return Err(CliError::internal(format!("Invalid port range: {value}")));
    }
    let start = encode(ports[0], Enc::Int);
    let end = ports
        .get(1)
        .map_or_else(|| start.clone(), |p| encode(p, Enc::Int));
    Ok(Json::Obj(vec![
        ("start".into(), start),
        ("end".into(), end),
    ]))
}

/// DHCP option 121 routes from `dst/len:gw[,dst/len:gw...]` (`[]` or nothing for none). Text
/// that is not in this form is sent as it is, as MidoNet's CLI sends every value.
pub fn opt121_routes(value: &str) -> Json {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed == "[]" {
        return Json::Arr(Vec::new());
    }
    let mut routes = Vec::new();
    for route in trimmed.split(',').map(str::trim) {
        let parsed = route.split_once(':').and_then(|(destination, gateway)| {
            let (prefix, length) = destination.split_once('/').unwrap_or((destination, "32"));
            let length = py_int(length).filter(|l| (0..=32).contains(l))?;
            (inet_aton(prefix) && inet_aton(gateway)).then(|| {
                Json::Obj(vec![
                    ("destinationPrefix".into(), Json::str(prefix)),
                    ("destinationLength".into(), Json::int(length)),
                    ("gatewayAddr".into(), Json::str(gateway)),
                ])
            })
        });
        match parsed {
            Some(r) => routes.push(r),
            None => return Json::str(value),
        }
    }
    Json::Arr(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_and_addresses_are_checked_as_midonet_does() {
        assert!(is_uuid("5d2f3a43-7e0c-4a36-9c55-0c8f2a0b9a11"));
        assert!(is_uuid("5D2F3A43-7E0C-4A36-9C55-0C8F2A0B9A11"));
        assert!(!is_uuid("router0"));
        assert!(!is_uuid("5d2f3a43-7e0c-4a36-9c55-0c8f2a0b9a1"));
        assert!(inet_aton("10.0.0.1") && inet_aton("10") && inet_aton("0x0a.1"));
        assert!(!inet_aton("10.0.0.256") && !inet_aton("a.b.c.d") && !inet_aton(""));
        assert!(is_ipv4_subnet("10.0.0.0/24") && is_ipv4_subnet("10.0.0.1"));
        assert!(!is_ipv4_subnet("10.0.0.0/33") && !is_ipv4_subnet("10.0.0.0/8/1"));
        assert!(is_mac("52:54:00:aa:bb:cc") && !is_mac("52:54:00:aa:bb"));
        assert_eq!(py_int(" 24 "), Some(24));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int("0x10"), None);
    }

    #[test]
    fn cidr_pairs_omit_a_32_bit_length() {
        let addr = Json::str("172.16.3.3");
        assert_eq!(cidr_text(&addr, Some(&Json::int(32))), "172.16.3.3");
        assert_eq!(cidr_text(&addr, Some(&Json::int(24))), "172.16.3.3/24");
        assert_eq!(cidr_text(&addr, Some(&Json::str("32"))), "172.16.3.3/32");
        assert_eq!(cidr_text(&Json::str(""), Some(&Json::int(0))), "0.0.0.0/0");
        assert_eq!(cidr_text(&Json::Null, None), "0.0.0.0/0");
    }

    #[test]
    fn nat_targets_print_compactly_and_parse_back() {
        let one = nat_targets("10.0.0.5").unwrap();
        assert_eq!(
            one.to_json_string(),
            r#"[{"addressFrom":"10.0.0.5","addressTo":"10.0.0.5","portFrom":0,"portTo":0}]"#
        );
        assert_eq!(nat_text(&one).unwrap().as_deref(), Some("10.0.0.5"));
        let many = nat_targets("203.0.113.10-203.0.113.20:1024-65535,198.51.100.1:80").unwrap();
        assert_eq!(
            nat_text(&many).unwrap().as_deref(),
            Some("203.0.113.10-203.0.113.20:1024-65535,198.51.100.1:80")
        );
        assert_eq!(nat_text(&Json::Arr(vec![])).unwrap(), None);
        assert_eq!(
            nat_targets("1.2.3.4:1:2").unwrap_err().line(),
            "Internal error: Invalid NAT target: 1.2.3.4:1:2"
        );
        assert_eq!(
            nat_targets("1.2.3.4:x").unwrap_err().line(),
            "Internal error: invalid literal for int() with base 10: 'x'"
        );
    }

    #[test]
    fn port_ranges_print_one_port_when_start_equals_end() {
        let r = port_range("22").unwrap();
        assert_eq!(r.to_json_string(), r#"{"start":22,"end":22}"#);
        assert_eq!(range_text(&r).unwrap(), Some(Json::int(22)));
        let r = port_range("1024-2048").unwrap();
        assert_eq!(range_text(&r).unwrap(), Some(Json::str("1024-2048")));
        assert!(port_range("1-2-3").is_err());
    }

    #[test]
    fn opt121_routes_parse_or_pass_through() {
        assert_eq!(
            opt121_routes("169.254.169.254/32:10.0.0.2").to_json_string(),
            r#"[{"destinationPrefix":"169.254.169.254","destinationLength":32,"gatewayAddr":"10.0.0.2"}]"#
        );
        assert_eq!(opt121_routes("[]"), Json::Arr(vec![]));
        assert_eq!(opt121_routes("junk"), Json::str("junk"));
    }
}
