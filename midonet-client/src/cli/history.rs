//! Ours: `history [<TYPE>] <OBJECT> [limit <N>]` prints what our gateway recorded of an
//! object's changes (`GET /history/objects/{id}`), oldest first, one line each: when, the
//! store revision, the operation, the tenant, and for an update the fields that changed.

use serde_json::{Map, Value};

use midonet_client::utc;

use super::grammar::split_words;
use super::session::Session;

pub const USAGE: &str =
    "history - Show the recorded changes of an object (our gateway's history)\n\n    \
Usage: history [<TYPE>] <OBJECT> [limit <N>]\n\n    \
<OBJECT> is an alias (router0) or an id. Oldest first, at most N (100) changes.\n\n    \
Examples:\n           \
history router router0\n           \
history 2f0c8e0e-8a1c-4c0a-9a55-1f0e2f3c4d5e limit 10\n    ";

/// The object named and the limit, from the words after `history`.
pub fn request(s: &Session, arg: &str) -> Result<(uuid::Uuid, Option<usize>), String> {
    let words = split_words(arg).map_err(str::to_owned)?;
    let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut limit = None;
    if let Some(i) = words.iter().position(|w| *w == "limit") {
        let n = words
            .get(i + 1)
            .ok_or("'limit' needs a value")?
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("limit: '{}' is not a positive number", words[i + 1]))?;
        limit = Some(n);
        words.drain(i..i + 2);
    }
    // A leading type word (`router router0`) reads as people say it; the name decides.
    let name = match words.as_slice() {
        [name] | [_, name] => *name,
        [] => return Err("history needs an object".into()),
        _ => return Err(format!("unexpected '{}'", words[2..].join(" "))),
    };
    let id = s
        .aliases
        .borrow()
        .lookup(name, None)
        .unwrap_or_else(|| name.to_string());
    let id = id
        .parse()
        .map_err(|_| format!("'{name}' is neither an alias nor an id"))?;
    Ok((id, limit))
}

/// Runs `history` and prints the changes, or what is wrong.
pub fn run(s: &Session, arg: &str) {
    let (id, limit) = match request(s, arg) {
        Ok(r) => r,
        Err(e) => {
            s.println(&format!("Syntax error: {e}"));
            s.println(USAGE);
            return;
        }
    };
    match s.api.history(id, limit) {
        Ok(answer) => {
            let changes = answer["changes"].as_array().cloned().unwrap_or_default();
            if changes.is_empty() {
                s.println(&format!("no recorded changes of {id}"));
            }
            for c in &changes {
                s.println(&line(c));
            }
        }
        Err(e) => s.println(&e.line()),
    }
}

/// One change as a line: `2026-11-22T09:30:00.123Z rev 42 update Router <id> tenant acme:
/// name "r1" -> "r2"`.
pub fn line(c: &Value) -> String {
    let at = c["atMs"].as_i64().map_or_else(|| "?".into(), utc);
    let tenant = match c["tenant"].as_str() {
        Some(t) if !t.is_empty() => format!(" tenant {t}"),
        _ => String::new(),
    };
    let head = format!(
        "{at} rev {} {} {} {}{tenant}",
        c["revision"],
        c["operation"].as_str().unwrap_or("?"),
        c["class"].as_str().unwrap_or("?"),
        c["id"].as_str().unwrap_or("?"),
    );
    let empty = Map::new();
    let fields = |v: &Value| v.as_object().cloned().unwrap_or_else(|| empty.clone());
    match (c["before"].is_object(), c["after"].is_object()) {
        (true, true) => {
            let (before, after) = (fields(&c["before"]), fields(&c["after"]));
            let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
            keys.sort();
            keys.dedup();
            let changed: Vec<String> = keys
                .into_iter()
                .filter(|k| before.get(*k) != after.get(*k))
                .map(|k| {
                    let show = |v: Option<&Value>| v.map_or("(none)".into(), Value::to_string);
                    format!("{k} {} -> {}", show(before.get(k)), show(after.get(k)))
                })
                .collect();
            format!("{head}: {}", changed.join(", "))
        }
        (false, true) => format!("{head}: name {}", c["after"]["name"]),
        _ => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_update_shows_the_fields_it_changed() {
        let c = json!({"atMs": 0, "revision": 42, "operation": "update", "class": "Router",
            "id": "r", "tenant": "acme",
            "before": {"name": "r1", "adminStateUp": true},
            "after": {"name": "r2", "adminStateUp": true, "asNumber": 1}});
        assert_eq!(
            line(&c),
            "1970-01-01T00:00:00.000Z rev 42 update Router r tenant acme: asNumber (none) -> 1, name \"r1\" -> \"r2\""
        );
        let deleted = json!({"atMs": 0, "revision": 43, "operation": "delete", "class": "Port",
            "id": "p", "tenant": "", "before": {"id": "p"}, "after": null});
        assert_eq!(
            line(&deleted),
            "1970-01-01T00:00:00.000Z rev 43 delete Port p"
        );
    }
}
