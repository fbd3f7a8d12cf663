//! The commands: their patterns (MidoNet's, in its order, plus our `tree`) and what each does
//! with the tokens it matched, and the line dispatcher that plays Python's `cmd.Cmd`
//! (`help`, `exit`, `quit`, `EOF`, empty lines, everything else through the grammar).

use std::rc::Rc;

use super::error::{CliError, CliResult};
use super::format::{columnize, json_list, object_line};
use super::grammar::{split_words, Cmd, Ctx, Parsed, Sub, Tok, Verb, R};
use super::help::{COMMANDS, COMMAND_HELP};
use super::json::Json;
use super::objects::Obj;
use super::session::{Output, Session};
use super::tree;
use super::values::is_hex_uuid;

fn verb(name: &'static str, partial: bool, min: Option<&'static str>, command: Option<Cmd>) -> Tok {
    Tok::Verb(Verb {
        name,
        partial,
        min,
        command,
    })
}

fn show() -> Tok {
    let show = verb("show", true, None, Some(Cmd::Show));
    let obj = Tok::ObjectById;
    let single_obj = Tok::SingleObjectByName.once() | Tok::RootCtx;
    let obj_in_col = Tok::ObjectFromCollection;
    let col_type = Tok::CollectionByType;
    let field = Tok::FieldByName;
    (show.clone() + col_type)
        | (show.clone() + single_obj.clone() + field.clone())
        | (single_obj.clone() + show.clone() + field.clone())
        | (single_obj + field.clone() + show.clone())
        | (obj.clone().once()
            + obj_in_col.clone().opt()
            + show.clone()
            + obj_in_col.clone().opt()
            + field.clone().opt())
        | (obj.clone().once() + show.clone() + obj_in_col.clone().opt() + field.clone().opt())
        | (show.clone() + obj.clone().once() + obj_in_col.clone().opt() + field.clone().opt())
        | (obj.once() + obj_in_col.clone().opt() + field.clone().opt() + show.clone())
        | (obj_in_col.once() + show + field.once())
}

fn list() -> Tok {
    let obj = Tok::ObjectById.once() | Tok::RootCtx;
    let verb = verb("list", true, None, Some(Cmd::List));
    let collection = Tok::ObjectFromCollection.opt();
    let col_type = Tok::CollectionByType;
    let filter = Tok::ListFilter.opt();
    (obj.clone() + collection.clone() + verb.clone() + col_type.clone() + filter.clone())
        | (obj.clone() + verb.clone() + collection.clone() + col_type.clone() + filter.clone())
        | (verb.clone() + obj.clone() + collection.clone() + col_type.clone() + filter.clone())
        | (obj + collection + col_type + verb + filter)
}

fn create() -> Tok {
    let create = verb("create", false, None, Some(Cmd::Create))
        | verb("add", false, None, Some(Cmd::Create));
    let obj = Tok::ObjectById;
    let obj_in_col = Tok::ObjectFromCollection;
    let col_type = Tok::CollectionByType;
    let assignment = Tok::NewObjectFieldAssignment;
    (create.clone()
        + obj.clone().many()
        + obj_in_col.clone().opt()
        + col_type.clone()
        + assignment.clone().many())
        | (obj.clone().many()
            + obj_in_col.clone().opt()
            + create.clone()
            + col_type.clone()
            + assignment.clone().many())
        | (obj.many() + obj_in_col.opt() + col_type + create + assignment.many())
}

fn delete() -> Tok {
    let delete = verb("delete", true, Some("del"), Some(Cmd::Delete));
    let obj_from_col = Tok::ObjectFromCollection;
    let obj = Tok::ObjectById;
    (delete.clone() + obj.clone().once() + obj_from_col.clone().many())
        | (delete.clone() + obj_from_col.clone().once())
        | (obj.clone().once() + delete.clone() + obj.clone().many() + obj_from_col.clone().many())
        | (obj.once() + obj_from_col.clone().many() + delete.clone() + obj_from_col.clone().many())
        | (obj_from_col.clone().once() + delete + obj_from_col.many())
}

fn set() -> Tok {
    let verb = verb("set", false, None, Some(Cmd::Set));
    let obj_from_col = Tok::ObjectFromCollection;
    let single_obj = Tok::SingleObjectByName;
    let obj = Tok::ObjectById.once() | Tok::RootCtx;
    let assignments = Tok::FieldAssignment.once();
    (single_obj.clone() + verb.clone() + assignments.clone())
        | (verb.clone() + single_obj + assignments.clone())
        | (verb.clone() + obj.clone() + obj_from_col.clone().many() + assignments.clone())
        | (obj + obj_from_col.many() + verb + assignments)
}

fn clear() -> Tok {
    let verb = verb("clear", false, None, Some(Cmd::Clear));
    (verb.clone() + Tok::ObjectById.once() + Tok::FieldReference.once())
        | (Tok::ObjectById.once() + verb + Tok::FieldReference.once())
}

fn describe() -> Tok {
    let describe = verb("describe", true, Some("desc"), Some(Cmd::Describe));
    let selector = (Tok::ObjectById.once() + Tok::ObjectFromCollection.many()) | Tok::RootCtx;
    (selector.clone() + describe.clone() + Tok::CollectionByType.opt())
        | (describe + selector + Tok::CollectionByType.opt())
}

fn debug() -> Tok {
    verb("debug", false, None, Some(Cmd::Debug))
        + (verb("on", false, None, None) | verb("off", false, None, None))
}

/// Ours: `tree <object>` / `<object> tree`.
fn tree_pattern() -> Tok {
    let tree = verb("tree", false, None, Some(Cmd::Tree));
    (tree.clone() + Tok::ObjectById.once()) | (Tok::ObjectById.once() + tree)
}

/// Every command's patterns, in MidoNet's order, optimized as MidoNet optimizes them.
pub fn grammar() -> Tok {
    let all = [
        show(),
        list(),
        create(),
        delete(),
        set(),
        clear(),
        describe(),
        debug(),
        verb("sett", false, None, Some(Cmd::SetTenant)) + Tok::Value,
        verb("cleart", false, None, Some(Cmd::ClearTenant)),
        tree_pattern(),
    ];
    all.into_iter()
        .reduce(|a, b| a | b)
        .unwrap_or(Tok::RootCtx)
        .optimize()
}

/// Runs the command a complete match selected.
pub fn execute(s: &Session, cmd: Cmd, parsed: Vec<Parsed>) -> CliResult<()> {
    match cmd {
        Cmd::Show => do_show(s, parsed),
        Cmd::List => do_list(s, parsed),
        Cmd::Create => do_create(s, parsed),
        Cmd::Delete => last_object(&parsed)?.delete(s),
        Cmd::Set => do_set(s, parsed),
        Cmd::Clear => do_clear(s, parsed),
        Cmd::Describe => do_describe(s, parsed),
        Cmd::Debug => {
            let on = parsed.iter().any(|p| matches!(p, Parsed::Verb("on")));
            s.debug.set(on);
            s.api.set_debug(on);
            s.println(if on {
                "turned on debug mode"
            } else {
                "turned off debug mode"
            });
            Ok(())
        }
        Cmd::SetTenant => {
            for p in parsed {
                if let Parsed::Value(tenant) = p {
                    if !s.eval && !is_hex_uuid(&tenant) {
                        s.println(&format!(
                            "WARNING!: tenant_id={tenant} is not a 32-char hex string, which is \
                             used in Keystone for project id format"
                        ));
                    }
                    s.println(&format!("tenant_id: {tenant}"));
                    *s.tenant.borrow_mut() = Some(tenant);
                }
            }
            Ok(())
        }
        Cmd::ClearTenant => {
            *s.tenant.borrow_mut() = None;
            s.println("tenant_id: None");
            Ok(())
        }
        Cmd::Tree => tree::show(s, last_object(&parsed)?),
    }
}

fn last_object(parsed: &[Parsed]) -> CliResult<Rc<Obj>> {
    parsed
        .iter()
        .rev()
        .find_map(|p| match p {
            Parsed::Obj(o) => Some(o.clone()),
            _ => None,
        })
        .ok_or(CliError::Incomplete)
}

/// The aliases of a chain of objects (each with its parent, if any).
fn names_of(s: &Session, chain: &[Rc<Obj>]) -> Vec<String> {
    let links: Vec<_> = chain.iter().map(|o| o.chain_link()).collect();
    s.aliases.borrow_mut().add(&links)
}

fn do_show(s: &Session, parsed: Vec<Parsed>) -> CliResult<()> {
    let mut chain: Vec<Rc<Obj>> = Vec::new();
    for p in parsed {
        match p {
            Parsed::Obj(o) => chain.push(o),
            Parsed::Field(f) => {
                let text = f.describe(s)?;
                match s.output {
                    Output::Text => s.println(&text),
                    Output::Json => s.println(
                        &Json::Obj(vec![(f.spec.name.to_string(), Json::Str(text))])
                            .to_json_pretty(),
                    ),
                }
                return Ok(());
            }
            // `show <collection>`: MidoNet's CLI fails calling the collection's getter with
            // no id; the words simply stop short of an object.
            Parsed::Coll(_) => return Err(CliError::Incomplete),
            _ => {}
        }
    }
    let names = names_of(s, &chain);
    let obj = chain.last().ok_or(CliError::Incomplete)?;
    if s.output == Output::Json {
        s.println(&obj.dto.to_json_pretty());
        return Ok(());
    }
    let description = obj.describe(s)?;
    match names.last() {
        Some(alias) => s.println(&format!("{} {alias} {description}", obj.kind.type_name())),
        None => s.println(&format!("{} {description}", obj.kind.type_name())),
    }
    Ok(())
}

fn do_list(s: &Session, parsed: Vec<Parsed>) -> CliResult<()> {
    let mut owner = None;
    let mut coll = None;
    let mut chain: Vec<Rc<Obj>> = Vec::new();
    let mut filter = Vec::new();
    for p in parsed {
        match p {
            Parsed::Coll(c) => coll = Some(c),
            Parsed::Obj(o) => {
                if o.kind != super::schema::Kind::Midonet {
                    chain.push(o.clone());
                }
                owner = Some(o);
            }
            Parsed::Filter(f) => filter = f,
            _ => {}
        }
    }
    let (Some(owner), Some(coll)) = (owner, coll) else {
        return Err(CliError::Incomplete);
    };
    let objects = owner.fetch_all(s, coll.name, &filter)?;
    if s.output == Output::Json {
        s.println(&json_list(objects.iter().map(|o| &o.dto)));
        return Ok(());
    }
    for obj in objects {
        if obj.kind.has_field("id") {
            let mut with = chain.clone();
            with.push(obj.clone());
            let names = names_of(s, &with);
            let description = obj.describe(s)?;
            s.println(&object_line(
                obj.kind.type_name(),
                Some(names.last().map(String::as_str).unwrap_or_default()),
                &description,
            ));
        } else {
            s.println(&obj.describe(s)?);
        }
    }
    Ok(())
}

fn do_create(s: &Session, parsed: Vec<Parsed>) -> CliResult<()> {
    let mut owner = s.root.clone();
    let mut chain: Vec<Rc<Obj>> = Vec::new();
    let mut fields = Vec::new();
    let mut coll = None;
    for p in parsed {
        match p {
            Parsed::Obj(o) => {
                owner = o.clone();
                chain.push(o);
            }
            Parsed::Field(f) => fields.push(f),
            Parsed::Coll(c) => coll = Some(c),
            _ => {}
        }
    }
    let coll = coll.ok_or_else(|| CliError::internal("Bug in command pattern definition"))?;
    if coll.embedded {
        return Err(CliError::internal(format!(
            "{}: adding to an embedded collection is not supported by this CLI",
            coll.name
        )));
    }
    let mut new = owner.new_element(coll)?;
    if new.kind.has_field("tenant") {
        match s.tenant() {
            Some(tenant) => new.set_field(s, "tenant", &tenant)?,
            None => new.dto.set("tenantId", Json::Null),
        }
    }
    for f in &fields {
        new.set_field(s, f.spec.name, &f.value.py_str())?;
    }
    new.create(s)?;
    if new.kind.has_field("id") {
        chain.push(Rc::new(new));
        s.println(&names_of(s, &chain).join(":"));
    } else {
        s.println(&new.describe(s)?);
    }
    Ok(())
}

fn do_set(s: &Session, parsed: Vec<Parsed>) -> CliResult<()> {
    let mut obj = (*last_object(&parsed)?).clone();
    for p in &parsed {
        if let Parsed::Field(f) = p {
            let value = match f.dereference(s)? {
                Some(target) => target
                    .fetch_field(s, "id")?
                    .map_or_else(|| "None".to_string(), |v| v.py_str()),
                None => f.value.py_str(),
            };
            obj.set_field(s, f.spec.name, &value)?;
        }
    }
    obj.update(s)
}

fn do_clear(s: &Session, parsed: Vec<Parsed>) -> CliResult<()> {
    let mut obj = (*last_object(&parsed)?).clone();
    for p in &parsed {
        if let Parsed::Spec(f) = p {
            if f.unset == super::schema::Unset::None {
                return Err(CliError::internal(format!(
                    "Field {} cannot be cleared.",
                    f.name
                )));
            }
            obj.unset_field(s, f.name)?;
        }
    }
    obj.update(s)
}

fn do_describe(s: &Session, parsed: Vec<Parsed>) -> CliResult<()> {
    let mut kinds = Vec::new();
    for p in parsed {
        match p {
            Parsed::Obj(o) => kinds.push(o.kind),
            Parsed::Field(f) => {
                s.println(&f.describe(s)?);
                return Ok(());
            }
            Parsed::Coll(c) => kinds.push(c.elem.stub_kind()),
            _ => {}
        }
    }
    let kind = kinds.pop().ok_or(CliError::Incomplete)?;
    for (title, names) in [
        ("Object collections:", kind.types()),
        ("Fields:", kind.fields()),
    ] {
        s.println(title);
        s.write("    ");
        if names.is_empty() {
            s.println("<NONE>");
        } else {
            s.write(&columnize(&names, 76));
        }
    }
    Ok(())
}

/// What a line did: whether it succeeded, and whether the session goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineOutcome {
    /// `None` when the line was not a command (empty, `help`): the last result stands.
    pub succeeded: Option<bool>,
    pub stop: bool,
}

impl LineOutcome {
    fn carry_on(succeeded: Option<bool>) -> LineOutcome {
        LineOutcome {
            succeeded,
            stop: false,
        }
    }
}

/// One line, as Python's `cmd.Cmd.onecmd` takes it.
pub fn run_line(s: &Session, grammar: &Tok, line: &str) -> LineOutcome {
    let mut line = line.trim().to_string();
    if line.is_empty() {
        return LineOutcome::carry_on(None);
    }
    if let Some(rest) = line.strip_prefix('?') {
        line = format!("help {rest}");
    }
    let word_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (word, arg) = (&line[..word_end], line[word_end..].trim());
    match word {
        "help" => {
            help(s, arg);
            LineOutcome::carry_on(None)
        }
        "trace" => {
            super::trace::run(s, arg);
            LineOutcome::carry_on(None)
        }
        "history" => {
            super::history::run(s, arg);
            LineOutcome::carry_on(None)
        }
        "exit" | "quit" => LineOutcome {
            succeeded: None,
            stop: true,
        },
        "EOF" => {
            s.println("");
            LineOutcome {
                succeeded: None,
                stop: true,
            }
        }
        _ => run_command(s, grammar, &line),
    }
}

/// MidoNet's `default`: the words through the grammar, then the command.
fn run_command(s: &Session, grammar: &Tok, line: &str) -> LineOutcome {
    let failed = LineOutcome::carry_on(Some(false));
    let args = match split_words(line) {
        Ok(args) => args,
        Err(_) => {
            s.println("Syntax error: unmatched quote");
            return failed;
        }
    };
    let ctx = Ctx::new(s.root.clone(), args);
    let result = grammar.matches(s, &ctx).and_then(|r| match r {
        R::Ctx(c) if c.is_complete() => {
            let cmd = c.command.ok_or(CliError::Incomplete)?;
            execute(s, cmd, c.parsed).map(|()| None)
        }
        R::Ctx(c) => Ok(Some(Sub::At(c).describe())),
        R::Sub(sub) => Ok(Some(sub.describe())),
        R::Nothing => Ok(Some(Sub::At(ctx.clone()).describe())),
    });
    match result {
        Ok(None) => LineOutcome::carry_on(Some(true)),
        Ok(Some(message)) => {
            s.println(&message);
            failed
        }
        Err(e) => {
            s.println(&e.line());
            LineOutcome {
                succeeded: Some(false),
                stop: e.ends_session(),
            }
        }
    }
}

/// `help` and `help <command>`, as `cmd.Cmd` prints them.
fn help(s: &Session, arg: &str) {
    if arg.is_empty() {
        s.println("Type 'help COMMAND' for detailed help.");
        s.println("");
        s.println("Available commands:");
        s.write("\n    ");
        s.write(&columnize(COMMANDS, 76));
        return;
    }
    match COMMAND_HELP.iter().find(|(name, _)| *name == arg) {
        Some((_, text)) => s.println(text),
        None => s.println(&format!("*** No help on {arg}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::fake::{uuid, Fake, BASE};
    use crate::cli::session::Output;

    /// Runs `lines` in one session; returns what it printed and whether the last succeeded.
    fn session_run(fake: Fake, aliases: bool, output: Output, lines: &[&str]) -> (String, bool) {
        let (s, out) = fake.session(aliases, output);
        let grammar = grammar();
        let mut ok = true;
        for line in lines {
            if let Some(result) = run_line(&s, &grammar, line).succeeded {
                ok = result;
            }
        }
        let text = String::from_utf8_lossy(&out.borrow()).into_owned();
        (text, ok)
    }

    /// A router with two ports, one linked to a bridge port; a bridge with a VM port.
    fn topology() -> Fake {
        let fake = Fake::new();
        let r = fake.router(1, "r1");
        let b = fake.bridge(2, "b1");
        let (rp, bp) = (uuid(11), uuid(21));
        fake.port(11, &r, Some("10.0.0.1"), &format!(r#""peerId": "{bp}""#));
        fake.port(12, &r, Some("10.0.1.1"), "");
        fake.port(21, &b, None, &format!(r#""peerId": "{rp}""#));
        let h = fake.host(5, "node1");
        fake.port(
            22,
            &b,
            None,
            &format!(r#""hostId": "{h}", "interfaceName": "tap0""#),
        );
        fake
    }

    #[test]
    fn aliases_count_per_parent_and_references_print_as_alias_chains() {
        let (text, ok) = session_run(
            topology(),
            true,
            Output::Text,
            &[
                "list router",
                "list bridge",
                "router router0 list port",
                "bridge bridge0 list port",
            ],
        );
        assert!(ok);
        assert_eq!(
            text,
            "router router0 name r1 state up asn 0\n\
             bridge bridge0 name b1 state up\n\
             port port0 device router0 state up plugged no mac 02:00:00:00:00:11 address 10.0.0.1 net 10.0.0.1/24 peer bridge0:port0\n\
             port port1 device router0 state up plugged no mac 02:00:00:00:00:12 address 10.0.1.1 net 10.0.1.1/24\n\
             port port0 device bridge0 state up plugged no vlan 0 peer router0:port0\n\
             port port1 device bridge0 state up plugged no vlan 0\n"
        );
    }

    #[test]
    fn with_aliases_off_every_object_is_its_uuid() {
        let r = uuid(1);
        let (text, ok) = session_run(
            topology(),
            false,
            Output::Text,
            &[
                &format!("router {r} port {} show", uuid(11)),
                "router0 list port",
            ],
        );
        assert!(!ok);
        assert_eq!(
            text,
            format!(
                "port {} device {r} state up plugged no mac 02:00:00:00:00:11 address 10.0.0.1 net 10.0.0.1/24 peer {}\n\
                 Syntax error at: ...router0 list port\n",
                uuid(11),
                uuid(21)
            )
        );
    }

    #[test]
    fn rules_print_inversions_without_32_bit_lengths_and_nat_targets() {
        let fake = Fake::new();
        let c = fake.chain(3, "c1");
        fake.rule(
            31,
            &c,
            r#""type": "drop", "position": 2, "dlType": 2054, "invDlType": true,
               "nwSrcAddress": "172.16.3.3", "nwSrcLength": 32, "invNwSrc": true,
               "nwProto": 0, "nwTos": 0, "fragmentPolicy": "any""#,
        );
        fake.rule(
            32,
            &c,
            r#""type": "snat", "position": 1, "flowAction": "accept",
               "nwDstAddress": "10.0.0.0", "nwDstLength": 8, "tpDst": {"start": 80, "end": 80},
               "natTargets": [{"addressFrom": "198.51.100.3", "addressTo": "198.51.100.9",
                               "portFrom": 1024, "portTo": 65535}]"#,
        );
        let (text, _) = session_run(
            fake,
            true,
            Output::Text,
            &["list chain", "chain chain0 list rule"],
        );
        assert_eq!(
            text,
            "chain chain0 name c1\n\
             rule rule0 inverted no dst 10.0.0.0/8 dst-port 80 no-vlan false pos 1 type snat action accept target 198.51.100.3-198.51.100.9:1024-65535\n\
             rule rule1 inverted no ethertype !2054 src !172.16.3.3 proto 0 tos 0 fragment-policy any no-vlan false pos 2 type drop\n",
            "rules sorted by position"
        );
    }

    #[test]
    fn creates_send_typed_values_and_print_the_new_name() {
        let fake = Fake::new();
        let r = fake.router(1, "r1");
        let requests = fake.requests.clone();
        let (text, ok) = session_run(
            fake,
            true,
            Output::Text,
            &[
                "router create name r2",
                &format!("router {r} add port address 10.0.0.1 net 10.0.0.0/24"),
                "router router1 add route dst 10.9.0.0/16 src 0.0.0.0/0 port router1:port0 type normal weight 100",
            ],
        );
        assert!(ok, "{text}");
        assert_eq!(text, "router0\nrouter1:port0\nrouter1:route0\n");
        let posts: Vec<String> = requests
            .borrow()
            .iter()
            .filter(|r| r.starts_with("POST"))
            .cloned()
            .collect();
        assert_eq!(
            posts,
            [
                format!(r#"POST {BASE}/routers {{"tenantId":"","name":"r2"}}"#),
                format!(
                    r#"POST {BASE}/routers/{r}/ports {{"type":"Router","portAddress":"10.0.0.1","networkAddress":"10.0.0.0","networkLength":24}}"#
                ),
                format!(
                    r#"POST {BASE}/routers/{r}/routes {{"dstNetworkAddr":"10.9.0.0","dstNetworkLength":16,"srcNetworkAddr":"0.0.0.0","srcNetworkLength":0,"nextHopPort":"{}","type":"Normal","weight":100}}"#,
                    uuid(902)
                ),
            ]
        );
    }

    #[test]
    fn set_peer_links_then_puts_the_whole_port_and_clear_unlinks() {
        let fake = Fake::new();
        let r = fake.router(1, "r1");
        let b = fake.bridge(2, "b1");
        let rp = fake.port(11, &r, Some("10.0.0.1"), "");
        let bp = fake.port(21, &b, None, "");
        let requests = fake.requests.clone();
        let (text, ok) = session_run(
            fake,
            false,
            Output::Text,
            &[
                &format!("port {rp} set peer {bp}"),
                &format!("port {rp} clear peer"),
            ],
        );
        assert!(ok, "{text}");
        let writes: Vec<String> = requests
            .borrow()
            .iter()
            .filter(|r| !r.starts_with("GET"))
            .map(|r| r.split(" {").next().unwrap_or_default().to_string())
            .collect();
        let port = format!("{BASE}/ports/{rp}");
        assert_eq!(
            writes,
            [
                format!("POST {port}/link"),
                format!("PUT {port}"),
                format!("DELETE {port}/link"),
                format!("PUT {port}"),
            ]
        );
        let link = requests
            .borrow()
            .iter()
            .find(|r| r.starts_with("POST"))
            .cloned()
            .unwrap_or_default();
        assert!(link.contains(&format!(r#""peerId":"{bp}""#)), "{link}");
    }

    #[test]
    fn bad_input_gets_midonets_one_line_answers() {
        let r = uuid(1);
        let cases = [
            ("frobnicate", "Syntax error at: ...frobnicate"),
            ("list routerx", "Syntax error at: ...routerx"),
            ("router", "Missing arguments, incomplete command"),
            ("show router", "Missing arguments, incomplete command"),
            ("set", "Missing arguments, incomplete command"),
            ("router create name 'x", "Syntax error: unmatched quote"),
            (
                &*format!("router {r} set state sideways"),
                "Internal error: Invalid value field state: None",
            ),
            (
                &*format!("router {r} add port net 10.0.0.0/40"),
                "Internal error: Invalid network address: 10.0.0.0/40",
            ),
            (
                &*format!("router {r} clear name"),
                "Internal error: Field name cannot be cleared.",
            ),
            (
                "show router 00000000-0000-0000-0000-000000000099",
                "Syntax error at: ...00000000-0000-0000-0000-000000000099",
            ),
            ("list mirror", "Internal error: 'mirrors'"),
        ];
        for (line, expected) in cases {
            let (text, ok) = session_run(topology(), false, Output::Text, &[line]);
            assert!(!ok, "`{line}` should fail");
            assert_eq!(text, format!("{expected}\n"), "`{line}`");
        }
    }

    #[test]
    fn help_and_empty_lines_do_not_change_the_outcome() {
        let (text, ok) = session_run(
            Fake::new(),
            false,
            Output::Text,
            &["", "help quit", "help nothing"],
        );
        assert!(ok);
        assert_eq!(
            text,
            "exit - end the current session and exit\n*** No help on nothing\n"
        );
        let (text, _) = session_run(Fake::new(), false, Output::Text, &["help"]);
        assert!(text.starts_with(
            "Type 'help COMMAND' for detailed help.\n\nAvailable commands:\n\n    show"
        ));
    }

    #[test]
    fn output_json_prints_the_objects_as_the_server_sent_them() {
        let fake = topology();
        let (text, ok) = session_run(
            fake,
            false,
            Output::Json,
            &["list router", &format!("show router {} name", uuid(1))],
        );
        assert!(ok);
        let mut docs = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
        let list = docs.next().and_then(Result::ok).unwrap_or_default();
        assert_eq!(list[0]["name"], "r1");
        assert_eq!(list[0]["id"], uuid(1));
        assert!(
            text.starts_with("[\n  {\n    \"id\""),
            "server key order kept: {text}"
        );
        let field = docs.next().and_then(Result::ok).unwrap_or_default();
        assert_eq!(field, serde_json::json!({"name": "r1"}));
    }

    #[test]
    fn the_tenant_is_sent_and_filters_lists() {
        let fake = Fake::new();
        let requests = fake.requests.clone();
        let (text, _) = session_run(
            fake,
            true,
            Output::Text,
            &[
                "sett 0123456789abcdef0123456789abcdef",
                "list router",
                "create bridge name b",
                "cleart",
                "sett t1",
            ],
        );
        assert_eq!(
            text,
            "tenant_id: 0123456789abcdef0123456789abcdef\nbridge0\ntenant_id: None\n\
             WARNING!: tenant_id=t1 is not a 32-char hex string, which is used in Keystone for project id format\n\
             tenant_id: t1\n"
        );
        let seen = requests.borrow();
        assert!(seen.contains(&format!(
            "GET {BASE}/routers?tenant_id=0123456789abcdef0123456789abcdef"
        )));
        assert!(seen
            .iter()
            .any(|r| r.contains(r#""tenantId":"0123456789abcdef0123456789abcdef""#)));
    }
}
