//! JSON values that keep the server's key order, and Python's `str()`/`repr()` of them.
//! MidoNet's CLI prints what its Python library read from the server: a list or an object
//! field shows as Python's repr (`opt121-routes []`, `addresses ['10.0.0.11']`) with the keys
//! in the server's order, a boolean as `True`, a missing value as `None`. `serde_json::Value`
//! sorts keys, so the CLI reads bodies into this type instead.

use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value with object keys in document order.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An empty object, the body of a new resource before its fields are set.
    pub fn object() -> Json {
        Json::Obj(Vec::new())
    }

    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    pub fn int(n: i64) -> Json {
        Json::Num(n.into())
    }

    /// Parses a body; an empty body is `Null`.
    pub fn parse(body: &[u8]) -> Result<Json, serde_json::Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Json::Null);
        }
        serde_json::from_slice(body)
    }

    /// The value under `key` of an object: `None` when the key is absent (Python's `KeyError`),
    /// `Some(Null)` when it is present and null.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value under `key` when present and not null.
    pub fn get_some(&self, key: &str) -> Option<&Json> {
        self.get(key).filter(|v| !v.is_null())
    }

    /// The string under `key`, if it is one.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Json::as_str)
    }

    /// Sets `key` like a Python dict assignment: in place when present, appended otherwise.
    /// A non-object becomes an object first.
    pub fn set(&mut self, key: &str, value: Json) {
        if !matches!(self, Json::Obj(_)) {
            *self = Json::object();
        }
        if let Json::Obj(entries) = self {
            match entries.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => entries.push((key.to_string(), value)),
            }
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Num(n) => n.as_i64(),
            _ => None,
        }
    }

    /// Python's truth value: `None`, `False`, `0`, `""`, `[]` and `{}` are false.
    pub fn truthy(&self) -> bool {
        match self {
            Json::Null => false,
            Json::Bool(b) => *b,
            Json::Num(n) => n.as_f64().is_some_and(|f| f != 0.0),
            Json::Str(s) => !s.is_empty(),
            Json::Arr(items) => !items.is_empty(),
            Json::Obj(entries) => !entries.is_empty(),
        }
    }

    /// Python's `str()`: strings as they are, everything else as `repr()`.
    pub fn py_str(&self) -> String {
        match self {
            Json::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr()` of the value json.loads made of this JSON.
    pub fn py_repr(&self) -> String {
        match self {
            Json::Null => "None".to_string(),
            Json::Bool(true) => "True".to_string(),
            Json::Bool(false) => "False".to_string(),
            Json::Num(n) => py_number(n),
            Json::Str(s) => py_repr_str(s),
            Json::Arr(items) => {
                let inner: Vec<String> = items.iter().map(Json::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            Json::Obj(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", py_repr_str(k), v.py_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// An order for sorting mixed values (Python sorts ints numerically, strings by code
    /// point; MidoNet's CLI sorts rules by position).
    pub fn py_cmp(&self, other: &Json) -> Ordering {
        match (self, other) {
            (Json::Num(a), Json::Num(b)) => a
                .as_f64()
                .partial_cmp(&b.as_f64())
                .unwrap_or(Ordering::Equal),
            (Json::Str(a), Json::Str(b)) => a.cmp(b),
            (Json::Bool(a), Json::Bool(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Json::Null => 0,
            Json::Bool(_) => 1,
            Json::Num(_) => 2,
            Json::Str(_) => 3,
            Json::Arr(_) => 4,
            Json::Obj(_) => 5,
        }
    }

    /// Compact JSON text, keys in order.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".to_string())
    }

    /// Indented JSON text, keys in order.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "null".to_string())
    }
}

impl fmt::Display for Json {
    /// Python's `str()`, the form MidoNet's CLI prints values in.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.py_str())
    }
}

/// Python prints an integral JSON number as an int and any other as a float (`1.5`, `100.0`).
fn py_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
        Some(f) => f.to_string(),
        None => n.to_string(),
    }
}

/// Python's `repr()` of a string: single quotes unless the text has a single quote and no
/// double quote; backslash escapes for the quote, backslash and control characters.
pub fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::Str(s)
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Num(n) => n.serialize(serializer),
            Json::Str(s) => serializer.serialize_str(s),
            Json::Arr(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Obj(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Num(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Num(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Num))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            // A repeated key keeps the last value at the first position, as json.loads does.
            match entries.iter_mut().find(|(key, _)| *key == k) {
                Some((_, old)) => *old = v,
                None => entries.push((k, v)),
            }
        }
        Ok(Json::Obj(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_servers_order_and_print_as_python_does() {
        let v = Json::parse(
            br#"{"destinationPrefix": "10.0.0.0", "destinationLength": 8, "gatewayAddr": "10.0.0.1"}"#,
        )
        .unwrap();
        assert_eq!(
            v.py_repr(),
            "{'destinationPrefix': '10.0.0.0', 'destinationLength': 8, 'gatewayAddr': '10.0.0.1'}"
        );
        assert_eq!(
            Json::parse(br#"["10.0.0.11", true, null, 1.5, 2.0]"#)
                .unwrap()
                .py_str(),
            "['10.0.0.11', True, None, 1.5, 2.0]"
        );
        assert_eq!(Json::parse(b"[]").unwrap().py_str(), "[]");
        assert_eq!(Json::str("it's").py_repr(), "\"it's\"");
        assert_eq!(Json::str("a\tb'\"").py_repr(), "'a\\tb\\'\"'");
        assert_eq!(
            v.to_json_string(),
            r#"{"destinationPrefix":"10.0.0.0","destinationLength":8,"gatewayAddr":"10.0.0.1"}"#
        );
    }

    #[test]
    fn missing_null_and_falsy_values_are_told_apart() {
        let mut v = Json::parse(br#"{"a": null, "b": 0, "c": "x"}"#).unwrap();
        assert_eq!(v.get("a"), Some(&Json::Null));
        assert_eq!(v.get("z"), None);
        assert!(!v.get("b").unwrap().truthy());
        v.set("a", Json::int(3));
        v.set("d", Json::Bool(true));
        assert_eq!(v.to_json_string(), r#"{"a":3,"b":0,"c":"x","d":true}"#);
    }
}
