//! Reading a command: words split as Python's `shlex.split`, then matched against the token
//! patterns of every command, exactly as MidoNet's CLI matches them (its `CommandToken`
//! classes, including the prefix factoring of `Or.optimize`), so the same words pick the same
//! command and a failure names the same rest of the line. Also tab completion over the same
//! patterns.
//!
//! A match works on a context: the object reached so far, the words left, the tokens parsed.
//! A token answers a new context ([`R::Ctx`]), a partial match that says how many words were
//! left unparsed ([`R::Sub`]), or nothing. Among alternatives the first complete command wins,
//! then the context with fewest words left, then the deepest failure.

use std::rc::Rc;

use super::error::{CliError, CliResult, INCOMPLETE};
use super::objects::{is_reference, FieldVal, Obj};
use super::schema::{Coll, Field, Kind};
use super::session::Session;

/// Splits a line as Python's `shlex.split` does (POSIX rules, no comments): MidoNet's CLI
/// reads its words so. The `shlex` crate would take `#` as the start of a comment and lose
/// words such as `name #1`, hence this small port.
pub fn split_words(line: &str) -> Result<Vec<String>, &'static str> {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        Space,
        Word,
        Single,
        Double,
        Escape(bool),
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut st = St::Space;
    for c in line.chars() {
        match st {
            St::Space | St::Word => match c {
                ' ' | '\t' | '\r' | '\n' => {
                    if st == St::Word {
                        words.push(std::mem::take(&mut word));
                        quoted = false;
                    }
                    st = St::Space;
                }
                '\'' => {
                    st = St::Single;
                    quoted = true;
                }
                '"' => {
                    st = St::Double;
                    quoted = true;
                }
                '\\' => st = St::Escape(false),
                c => {
                    word.push(c);
                    st = St::Word;
                }
            },
            St::Single => match c {
                '\'' => st = St::Word,
                c => word.push(c),
            },
            St::Double => match c {
                '"' => st = St::Word,
                '\\' => st = St::Escape(true),
                c => word.push(c),
            },
            St::Escape(in_double) => {
                // Inside double quotes a backslash escapes only `"` and itself.
                if in_double && c != '"' && c != '\\' {
                    word.push('\\');
                }
                word.push(c);
                st = if in_double { St::Double } else { St::Word };
            }
        }
    }
    match st {
        St::Single | St::Double => Err("No closing quotation"),
        St::Escape(_) => Err("No escaped character"),
        St::Word => {
            words.push(word);
            Ok(words)
        }
        St::Space => {
            if quoted {
                words.push(word);
            }
            Ok(words)
        }
    }
}

/// The commands a pattern can select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmd {
    Show,
    List,
    Create,
    Delete,
    Set,
    Clear,
    Describe,
    Debug,
    SetTenant,
    ClearTenant,
    Tree,
}

/// A literal word; `partial` accepts a prefix (`l` for `list`), at least `min`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verb {
    pub name: &'static str,
    pub partial: bool,
    pub min: Option<&'static str>,
    pub command: Option<Cmd>,
}

/// A pattern token (MidoNet's `CommandToken` subclasses).
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Verb(Verb),
    /// Any one word (`SingleValue`).
    Value,
    Concat(Box<Tok>, Box<Tok>),
    OnceOrMore(Box<Tok>),
    ZeroOrMore(Box<Tok>),
    ZeroOrOne(Box<Tok>),
    Or(Vec<Tok>),
    /// A field name of the current object (`clear <field>`).
    FieldReference,
    /// A collection name of the current object.
    CollectionByType,
    /// `<collection> <field> <value>...` naming exactly one element.
    ObjectFromCollection,
    /// The current object itself, consuming nothing.
    RootCtx,
    /// `<field> <value>` of the object being created.
    NewObjectFieldAssignment,
    /// `<field> <value>` of the current object.
    FieldAssignment,
    /// `<field> <value>...` filtering the collection just named.
    ListFilter,
    /// `<collection> <id or alias>`.
    ObjectById,
    /// A field of the current object, shown (a reference moves to the object it names).
    FieldByName,
    /// `system-state`.
    SingleObjectByName,
}

impl std::ops::Add for Tok {
    type Output = Tok;
    fn add(self, other: Tok) -> Tok {
        Tok::Concat(Box::new(self), Box::new(other))
    }
}

impl std::ops::BitOr for Tok {
    type Output = Tok;
    fn bitor(self, other: Tok) -> Tok {
        Tok::Or(vec![self, other])
    }
}

impl Tok {
    /// `token("+")`.
    pub fn once(self) -> Tok {
        Tok::OnceOrMore(Box::new(self))
    }
    /// `token("*")`.
    pub fn many(self) -> Tok {
        Tok::ZeroOrMore(Box::new(self))
    }
    /// `token("?")`.
    pub fn opt(self) -> Tok {
        Tok::ZeroOrOne(Box::new(self))
    }
}

/// A token matched, as the command receives it.
#[derive(Clone, Debug)]
pub enum Parsed {
    Verb(&'static str),
    Value(String),
    Obj(Rc<Obj>),
    Coll(&'static Coll),
    /// An assignment, or a field to show.
    Field(FieldVal),
    Filter(Vec<FieldVal>),
    /// A field named for `clear`.
    Spec(&'static Field),
    /// A field shown that holds nothing.
    Empty,
}

/// Where matching stands (MidoNet's `MatchingContext`).
#[derive(Clone, Debug)]
pub struct Ctx {
    pub obj: Rc<Obj>,
    pub args: Vec<String>,
    pub parsed: Vec<Parsed>,
    pub command: Option<Cmd>,
}

/// A partial match (MidoNet's `ParsingSubmatch`). `Broken` is one made of another partial
/// match, on which MidoNet's CLI fails with a Python error; ours says the words ran out.
#[derive(Clone, Debug)]
pub enum Sub {
    At(Ctx),
    Broken,
}

impl Sub {
    fn unparsed(&self) -> CliResult<usize> {
        match self {
            Sub::At(ctx) => Ok(ctx.args.len()),
            Sub::Broken => Err(CliError::Incomplete),
        }
    }

    /// The line for a failed match.
    pub fn describe(&self) -> String {
        match self {
            Sub::At(ctx) if !ctx.args.is_empty() => {
                format!("Syntax error at: ...{}", ctx.args.join(" "))
            }
            _ => INCOMPLETE.to_string(),
        }
    }

    /// `self` unless `that` parsed strictly further (ties go to `that`).
    fn best(self, that: Sub) -> CliResult<Sub> {
        Ok(if self.unparsed()? < that.unparsed()? {
            self
        } else {
            that
        })
    }
}

/// What a token answers.
#[derive(Clone, Debug)]
pub enum R {
    Ctx(Ctx),
    Sub(Sub),
    /// No answer at all (a collection name expected and no word left).
    Nothing,
}

impl Ctx {
    pub fn new(obj: Rc<Obj>, args: Vec<String>) -> Ctx {
        Ctx {
            obj,
            args,
            parsed: Vec::new(),
            command: None,
        }
    }

    /// A command selected and every word used.
    pub fn is_complete(&self) -> bool {
        self.args.is_empty() && self.command.is_some()
    }

    /// A partial match at this context.
    fn sub(&self) -> R {
        R::Sub(Sub::At(self.clone()))
    }

    /// MidoNet's `copy`: a context with no words left and no command is a partial match.
    fn copy(
        &self,
        obj: Option<Rc<Obj>>,
        args: Option<Vec<String>>,
        new: Vec<Parsed>,
        command: Option<Cmd>,
    ) -> R {
        let mut parsed = self.parsed.clone();
        parsed.extend(new);
        let ctx = Ctx {
            obj: obj.unwrap_or_else(|| self.obj.clone()),
            args: args.unwrap_or_else(|| self.args.clone()),
            parsed,
            command: command.or(self.command),
        };
        if ctx.args.is_empty() && ctx.command.is_none() {
            R::Sub(Sub::At(ctx))
        } else {
            R::Ctx(ctx)
        }
    }

    fn rest(&self, n: usize) -> Vec<String> {
        self.args
            .get(n..)
            .map(<[String]>::to_vec)
            .unwrap_or_default()
    }

    fn last_coll(&self) -> Option<&'static Coll> {
        self.parsed.iter().rev().find_map(|p| match p {
            Parsed::Coll(c) => Some(*c),
            _ => None,
        })
    }
}

/// `ParsingSubmatch(context.copy(...))`: a partial match of a copy, broken when the copy was
/// itself one.
fn sub_of(r: R) -> R {
    match r {
        R::Ctx(ctx) => R::Sub(Sub::At(ctx)),
        _ => R::Sub(Sub::Broken),
    }
}

/// The uuid an alias names among the children of `parent` (or at the root).
fn lookup_alias(s: &Session, name: &str, parent: &Obj) -> Option<String> {
    let parent_id = match parent.kind {
        Kind::Midonet => None,
        _ => Some(parent.dto.get_some("id")?.py_str()),
    };
    s.aliases.borrow().lookup(name, parent_id.as_deref())
}

impl Tok {
    /// Matches this token at `ctx`.
    pub fn matches(&self, s: &Session, ctx: &Ctx) -> CliResult<R> {
        match self {
            Tok::Verb(v) => {
                let Some(word) = ctx.args.first() else {
                    return Ok(ctx.sub());
                };
                if (word == v.name || (v.partial && v.name.starts_with(word.as_str())))
                    && v.min.is_none_or(|m| word.starts_with(m))
                {
                    return Ok(ctx.copy(
                        None,
                        Some(ctx.rest(1)),
                        vec![Parsed::Verb(v.name)],
                        v.command,
                    ));
                }
                Ok(ctx.sub())
            }
            Tok::Value => match ctx.args.first() {
                None => Ok(ctx.sub()),
                Some(word) => Ok(ctx.copy(
                    None,
                    Some(ctx.rest(1)),
                    vec![Parsed::Value(word.clone())],
                    None,
                )),
            },
            Tok::Concat(a, b) => match a.matches(s, ctx)? {
                R::Ctx(next) => b.matches(s, &next),
                R::Nothing => Ok(ctx.sub()),
                other => Ok(other),
            },
            Tok::OnceOrMore(t) => {
                let mut res = t.matches(s, ctx)?;
                while let R::Ctx(c) = &res {
                    match t.matches(s, c)? {
                        next @ R::Ctx(_) => res = next,
                        _ => break,
                    }
                }
                Ok(match res {
                    R::Nothing => ctx.sub(),
                    other => other,
                })
            }
            Tok::ZeroOrMore(t) => {
                let mut at = ctx.clone();
                loop {
                    match t.matches(s, &at)? {
                        R::Ctx(next) => at = next,
                        _ => return Ok(R::Ctx(at)),
                    }
                }
            }
            Tok::ZeroOrOne(t) => match t.matches(s, ctx)? {
                R::Ctx(next) => Ok(R::Ctx(next)),
                _ => Ok(R::Ctx(ctx.clone())),
            },
            Tok::Or(tokens) => {
                let mut best = Sub::At(ctx.clone());
                let mut found: Vec<Ctx> = Vec::new();
                for t in tokens {
                    match t.matches(s, ctx)? {
                        R::Nothing => continue,
                        R::Ctx(c) if c.is_complete() => return Ok(R::Ctx(c)),
                        R::Ctx(c) => found.push(c),
                        R::Sub(sub) => best = best.best(sub)?,
                    }
                }
                // The context with fewest words left; the first of equals.
                let mut fewest: Option<Ctx> = None;
                for c in found {
                    if fewest.as_ref().is_none_or(|f| c.args.len() < f.args.len()) {
                        fewest = Some(c);
                    }
                }
                Ok(match fewest {
                    Some(c) => R::Ctx(c),
                    None => R::Sub(best),
                })
            }
            Tok::FieldReference => {
                let Some(name) = ctx.args.first() else {
                    return Ok(ctx.sub());
                };
                match ctx.obj.kind.field(name) {
                    Some(f) => Ok(ctx.copy(None, Some(ctx.rest(1)), vec![Parsed::Spec(f)], None)),
                    None => Ok(ctx.sub()),
                }
            }
            Tok::CollectionByType => {
                let Some(name) = ctx.args.first() else {
                    return Ok(R::Nothing);
                };
                match ctx.obj.kind.coll(name) {
                    Some(c) => Ok(ctx.copy(None, Some(ctx.rest(1)), vec![Parsed::Coll(c)], None)),
                    None => Ok(ctx.sub()),
                }
            }
            Tok::ObjectFromCollection => {
                let res = match Tok::CollectionByType.matches(s, ctx)? {
                    R::Ctx(next) => Tok::ListFilter.matches(s, &next)?,
                    R::Nothing => ctx.sub(),
                    other => other,
                };
                let R::Ctx(found) = res else {
                    return Ok(res);
                };
                let Some(coll) = found.last_coll() else {
                    return Ok(ctx.sub());
                };
                let filter: &[FieldVal] = found
                    .parsed
                    .iter()
                    .rev()
                    .find_map(|p| match p {
                        Parsed::Filter(f) => Some(f.as_slice()),
                        _ => None,
                    })
                    .unwrap_or(&[]);
                let mut elems = found.obj.fetch_all(s, coll.name, filter)?;
                if elems.len() != 1 {
                    return Ok(ctx.sub());
                }
                let elem = elems.remove(0);
                Ok(ctx.copy(
                    Some(elem.clone()),
                    Some(found.args.clone()),
                    vec![Parsed::Obj(elem)],
                    None,
                ))
            }
            Tok::RootCtx => Ok(ctx.copy(None, None, vec![Parsed::Obj(ctx.obj.clone())], None)),
            Tok::NewObjectFieldAssignment => match ctx.last_coll() {
                None => Ok(ctx.sub()),
                Some(coll) => assignment(s, ctx, coll.elem.stub_kind()),
            },
            Tok::FieldAssignment => assignment(s, ctx, ctx.obj.kind),
            Tok::ListFilter => {
                let Some(coll) = ctx.last_coll() else {
                    return Ok(ctx.sub());
                };
                let kind = coll.elem.stub_kind();
                let mut args = ctx.args.as_slice();
                let mut filter = Vec::new();
                while args.len() > 1 {
                    let Some(spec) = kind.field(&args[0]) else {
                        break;
                    };
                    filter.push(FieldVal {
                        spec,
                        value: args[1].clone().into(),
                    });
                    args = &args[2..];
                }
                if filter.is_empty() {
                    Ok(sub_of(ctx.copy(
                        None,
                        Some(args.to_vec()),
                        Vec::new(),
                        None,
                    )))
                } else {
                    Ok(ctx.copy(
                        None,
                        Some(args.to_vec()),
                        vec![Parsed::Filter(filter)],
                        None,
                    ))
                }
            }
            Tok::ObjectById => {
                let Some(collection) = ctx.args.first() else {
                    return Ok(ctx.sub());
                };
                if ctx.obj.kind.coll(collection).is_none() {
                    return Ok(ctx.sub());
                }
                let Some(word) = ctx.args.get(1) else {
                    return Ok(sub_of(ctx.copy(None, Some(Vec::new()), Vec::new(), None)));
                };
                let id = lookup_alias(s, word, &ctx.obj).unwrap_or_else(|| word.clone());
                match ctx.obj.fetch_one(s, collection, &id)? {
                    Some(obj) => Ok(ctx.copy(
                        Some(obj.clone()),
                        Some(ctx.rest(2)),
                        vec![Parsed::Obj(obj)],
                        None,
                    )),
                    None => Ok(sub_of(ctx.copy(None, Some(ctx.rest(1)), Vec::new(), None))),
                }
            }
            Tok::FieldByName => {
                let Some(name) = ctx.args.first() else {
                    return Ok(ctx.sub());
                };
                let Some(spec) = ctx.obj.kind.field(name) else {
                    return Ok(ctx.sub());
                };
                let Some(value) = ctx.obj.fetch_field(s, name)? else {
                    return Ok(ctx.copy(None, Some(ctx.rest(1)), vec![Parsed::Empty], None));
                };
                let field = FieldVal { spec, value };
                if is_reference(spec) {
                    return match field.dereference(s)? {
                        Some(obj) => Ok(ctx.copy(
                            Some(obj.clone()),
                            Some(ctx.rest(1)),
                            vec![Parsed::Obj(obj)],
                            None,
                        )),
                        None => Err(CliError::internal(format!(
                            "reference to a dead object: {}",
                            field.value.py_str()
                        ))),
                    };
                }
                Ok(ctx.copy(None, Some(ctx.rest(1)), vec![Parsed::Field(field)], None))
            }
            Tok::SingleObjectByName => {
                let Some(name) = ctx.args.first() else {
                    return Ok(ctx.sub());
                };
                if ctx.obj.kind.single(name).is_none() {
                    return Ok(ctx.sub());
                }
                let obj = ctx.obj.fetch_single(s, name)?;
                Ok(ctx.copy(
                    Some(obj.clone()),
                    Some(ctx.rest(1)),
                    vec![Parsed::Obj(obj)],
                    None,
                ))
            }
        }
    }

    /// The words that may come next at `ctx` (the last word being typed is the prefix).
    pub fn complete(&self, s: &Session, ctx: &Ctx) -> Vec<String> {
        let starting = |names: Vec<&'static str>, prefix: &str| -> Vec<String> {
            names
                .into_iter()
                .filter(|n| n.starts_with(prefix))
                .map(str::to_string)
                .collect()
        };
        match self {
            Tok::Verb(v) => match ctx.args.as_slice() {
                [word] if v.name.starts_with(word.as_str()) => vec![v.name.to_string()],
                _ => Vec::new(),
            },
            Tok::Concat(a, b) => match a.matches(s, ctx) {
                Ok(R::Ctx(next)) if !next.args.is_empty() => {
                    let mut all = a.complete(s, ctx);
                    all.extend(b.complete(s, &next));
                    all
                }
                _ => a.complete(s, ctx),
            },
            Tok::OnceOrMore(t) | Tok::ZeroOrMore(t) => {
                let mut last = ctx.clone();
                loop {
                    match t.matches(s, &last) {
                        Ok(R::Ctx(next)) if !next.args.is_empty() => last = next,
                        _ => return t.complete(s, &last),
                    }
                }
            }
            Tok::ZeroOrOne(t) => t.complete(s, ctx),
            Tok::Or(tokens) => tokens.iter().flat_map(|t| t.complete(s, ctx)).collect(),
            Tok::FieldReference | Tok::FieldByName => match ctx.args.as_slice() {
                [word] => starting(ctx.obj.kind.fields(), word),
                _ => Vec::new(),
            },
            Tok::CollectionByType => match ctx.args.as_slice() {
                [word] => starting(ctx.obj.kind.types(), word),
                _ => Vec::new(),
            },
            Tok::ObjectFromCollection => (Tok::CollectionByType + Tok::ListFilter).complete(s, ctx),
            Tok::NewObjectFieldAssignment => match ctx.last_coll() {
                Some(coll) => complete_assignment(ctx, coll.elem.stub_kind()),
                None => Vec::new(),
            },
            Tok::FieldAssignment => complete_assignment(ctx, ctx.obj.kind),
            Tok::ListFilter => {
                let Some(coll) = ctx.last_coll() else {
                    return Vec::new();
                };
                let kind = coll.elem.stub_kind();
                let mut args = ctx.args.as_slice();
                while args.len() > 1 && kind.has_field(&args[0]) {
                    args = &args[2..];
                }
                let names: Vec<&'static str> = kind.attrs().map(|a| a.name()).collect();
                match args {
                    [] => names.into_iter().map(str::to_string).collect(),
                    [word] => starting(names, word),
                    _ => Vec::new(),
                }
            }
            Tok::ObjectById => match ctx.args.as_slice() {
                [word] => starting(ctx.obj.kind.types(), word),
                [collection, word] if ctx.obj.kind.coll(collection).is_some() => {
                    let parent = match ctx.obj.kind {
                        Kind::Midonet => None,
                        _ => ctx.obj.dto.get_some("id").map(|v| v.py_str()),
                    };
                    s.aliases.borrow().complete(word, parent.as_deref())
                }
                _ => Vec::new(),
            },
            Tok::SingleObjectByName => match ctx.args.first() {
                Some(word) => starting(ctx.obj.kind.single_objects(), word),
                None => Vec::new(),
            },
            Tok::Value | Tok::RootCtx => Vec::new(),
        }
    }

    /// MidoNet's `optimize`: alternatives flattened and deduplicated, and sequences that start
    /// with the same token share it (`show` once, then each way a show can go on).
    pub fn optimize(self) -> Tok {
        match self {
            Tok::Concat(a, b) => Tok::Concat(Box::new(a.optimize()), Box::new(b.optimize())),
            Tok::OnceOrMore(t) => Tok::OnceOrMore(Box::new(t.optimize())),
            Tok::ZeroOrMore(t) => Tok::ZeroOrMore(Box::new(t.optimize())),
            Tok::ZeroOrOne(t) => Tok::ZeroOrOne(Box::new(t.optimize())),
            Tok::Or(tokens) => optimize_or(tokens),
            other => other,
        }
    }

    fn flatten_concat(self) -> Vec<Tok> {
        match self {
            Tok::Concat(a, b) => {
                let mut all = a.flatten_concat();
                all.extend(b.flatten_concat());
                all
            }
            other => vec![other],
        }
    }
}

fn uniq(tokens: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::new();
    for t in tokens {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn flatten_or(tokens: Vec<Tok>) -> Vec<Tok> {
    let mut out = Vec::new();
    for t in tokens {
        match t {
            Tok::Or(inner) => out.extend(flatten_or(inner)),
            other => out.push(other),
        }
    }
    uniq(out)
}

fn optimize_or(tokens: Vec<Tok>) -> Tok {
    let mut results = Vec::new();
    let mut lists = Vec::new();
    for t in flatten_or(tokens) {
        match t {
            concat @ Tok::Concat(..) => lists.push(concat.optimize().flatten_concat()),
            other => results.push(other.optimize()),
        }
    }
    results.extend(optimize_lists(lists));
    if results.len() == 1 {
        results.remove(0)
    } else {
        Tok::Or(uniq(results))
    }
}

fn concat_all(tokens: Vec<Tok>) -> Option<Tok> {
    tokens.into_iter().reduce(|a, b| a + b)
}

/// Groups sequences by their first token, keeping the order in which heads first appear.
fn optimize_lists(lists: Vec<Vec<Tok>>) -> Vec<Tok> {
    let mut unmatched = lists;
    let mut results = Vec::new();
    while !unmatched.is_empty() {
        let first = unmatched.remove(0);
        let (mut group, others): (Vec<Vec<Tok>>, Vec<Vec<Tok>>) = match first.first() {
            Some(head) if !unmatched.is_empty() => {
                let head = head.clone();
                unmatched
                    .into_iter()
                    .partition(|l| l.first() == Some(&head))
            }
            _ => (Vec::new(), unmatched),
        };
        unmatched = others;
        group.insert(0, first);
        if group.len() == 1 {
            if let Some(t) = concat_all(group.remove(0)) {
                results.push(t);
            }
            continue;
        }
        let head = group[0][0].clone();
        let mut tails = Vec::new();
        let mut optional = false;
        for mut list in group {
            if list.len() == 1 {
                optional = true;
            } else if let Some(t) = concat_all(list.split_off(1)) {
                tails.push(t);
            }
        }
        let mut tail = Tok::Or(tails).optimize();
        if optional {
            tail = tail.opt();
        }
        results.push(head + tail);
    }
    results
}

/// `<field> <value>` for an object of `kind`; a reference may also be written
/// `<collection> <id>` (MidoNet tries that first).
fn assignment(s: &Session, ctx: &Ctx, kind: Kind) -> CliResult<R> {
    if ctx.args.len() < 2 {
        return Ok(ctx.sub());
    }
    let Some(spec) = kind.field(&ctx.args[0]) else {
        return Ok(ctx.sub());
    };
    let rest = ctx.rest(1);
    if is_reference(spec) {
        let at_root = Ctx {
            obj: s.root.clone(),
            args: rest.clone(),
            parsed: ctx.parsed.clone(),
            command: ctx.command,
        };
        if let R::Ctx(found) = Tok::ObjectById.once().matches(s, &at_root)? {
            let value = found
                .obj
                .fetch_field(s, "id")?
                .unwrap_or(super::json::Json::Null);
            return Ok(ctx.copy(
                None,
                Some(found.args),
                vec![Parsed::Field(FieldVal { spec, value })],
                None,
            ));
        }
        // A word that is neither: an alias at the root, or the text as it is.
        let word = &rest[0];
        let value = s
            .aliases
            .borrow()
            .lookup(word, None)
            .unwrap_or_else(|| word.clone());
        return Ok(ctx.copy(
            None,
            Some(rest[1..].to_vec()),
            vec![Parsed::Field(FieldVal {
                spec,
                value: value.into(),
            })],
            None,
        ));
    }
    Ok(ctx.copy(
        None,
        Some(rest[1..].to_vec()),
        vec![Parsed::Field(FieldVal {
            spec,
            value: rest[0].clone().into(),
        })],
        None,
    ))
}

fn complete_assignment(ctx: &Ctx, kind: Kind) -> Vec<String> {
    match ctx.args.as_slice() {
        [word] => kind
            .fields()
            .into_iter()
            .filter(|f| f.starts_with(word.as_str()))
            .map(str::to_string)
            .collect(),
        [name, word] => match kind.field(name).map(|f| f.class) {
            Some(super::schema::Class::Enum(map)) => map
                .iter()
                .filter(|(_, cli)| cli.starts_with(word.as_str()))
                .map(|(_, cli)| cli.to_string())
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_words(line).unwrap()
    }

    #[test]
    fn words_split_as_pythons_shlex() {
        assert_eq!(
            words("create router name 'two words'"),
            ["create", "router", "name", "two words"]
        );
        assert_eq!(words(r#"name "a \"b\" \c""#), ["name", r#"a "b" \c"#]);
        assert_eq!(words(r"a\ b c"), ["a b", "c"]);
        assert_eq!(words("name #1"), ["name", "#1"]);
        assert_eq!(words("x '' y"), ["x", "", "y"]);
        assert_eq!(words("  "), Vec::<String>::new());
        assert_eq!(split_words("name 'open"), Err("No closing quotation"));
        assert_eq!(split_words("a\\"), Err("No escaped character"));
    }

    fn verb(name: &'static str) -> Tok {
        Tok::Verb(Verb {
            name,
            partial: false,
            min: None,
            command: None,
        })
    }

    #[test]
    fn optimize_shares_common_heads_and_drops_duplicates() {
        let a = verb("a");
        let (b, c) = (verb("b"), verb("c"));
        let grammar =
            (a.clone() + b.clone()) | (a.clone() + c.clone()) | (a.clone() + b.clone()) | a.clone();
        let optimized = grammar.optimize();
        assert_eq!(
            optimized,
            Tok::Or(vec![
                a.clone(),
                a.clone() + Tok::Or(vec![b.clone(), c.clone()])
            ])
        );
        // A bare token and a sequence are not merged, only sequences are.
        let grammar = (a.clone() + b.clone()) | (a.clone() + b.clone() + c.clone());
        assert_eq!(grammar.optimize(), a + Tok::Or(vec![b.clone(), b + c]));
    }
}
