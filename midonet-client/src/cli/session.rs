//! One CLI session: the API it talks to (behind [`Backend`], so tests run it on an in-memory
//! fake), the root context, the aliases, the tenant, and where lines go.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;

use midonet_client::Media;

use super::aliases::{AliasManager, Aliases};
use super::api::Api;
use super::error::CliResult;
use super::json::Json;
use super::objects::Obj;
use super::schema::Kind;

/// The calls a session makes; [`Api`] is the real one.
pub trait Backend {
    /// The root resource.
    fn root(&self) -> &Json;
    fn get(&self, uri: &str, media: Media) -> CliResult<Json>;
    fn list(&self, uri: &str, media: Media, query: Option<(&str, &str)>) -> CliResult<Vec<Json>>;
    /// POST, then GET the answer's `Location`.
    fn create(&self, uri: &str, media: Media, body: &Json) -> CliResult<Json>;
    fn post(&self, uri: &str, content_type: &'static str, body: &Json) -> CliResult<()>;
    /// PUT, then GET.
    fn update(&self, uri: &str, media: Media, body: &Json) -> CliResult<Json>;
    fn delete(&self, uri: &str) -> CliResult<()>;
    fn set_debug(&self, _on: bool) {}
    /// Our gateway's packet-path simulator (`POST /simulations`); a backend without one says so.
    fn simulate(&self, _request: &serde_json::Value) -> CliResult<serde_json::Value> {
        Err(super::error::CliError::internal(
            "this API has no packet-path simulator (POST /simulations)",
        ))
    }
    /// Our gateway's recorded changes of an object (`GET /history/objects/{id}`).
    fn history(&self, _id: uuid::Uuid, _limit: Option<usize>) -> CliResult<serde_json::Value> {
        Err(super::error::CliError::internal(
            "this API keeps no history (GET /history)",
        ))
    }
}

impl Backend for Api {
    fn root(&self) -> &Json {
        Api::root(self)
    }
    fn get(&self, uri: &str, media: Media) -> CliResult<Json> {
        Api::get(self, uri, media)
    }
    fn list(&self, uri: &str, media: Media, query: Option<(&str, &str)>) -> CliResult<Vec<Json>> {
        Api::list(self, uri, media, query)
    }
    fn create(&self, uri: &str, media: Media, body: &Json) -> CliResult<Json> {
        Api::create(self, uri, media, body)
    }
    fn post(&self, uri: &str, content_type: &'static str, body: &Json) -> CliResult<()> {
        Api::post(self, uri, content_type, body)
    }
    fn update(&self, uri: &str, media: Media, body: &Json) -> CliResult<Json> {
        Api::update(self, uri, media, body)
    }
    fn delete(&self, uri: &str) -> CliResult<()> {
        Api::delete(self, uri)
    }
    fn set_debug(&self, on: bool) {
        Api::set_debug(self, on)
    }
    fn simulate(&self, request: &serde_json::Value) -> CliResult<serde_json::Value> {
        Api::simulate(self, request)
    }
    fn history(&self, id: uuid::Uuid, limit: Option<usize>) -> CliResult<serde_json::Value> {
        Api::history(self, id, limit)
    }
}

/// How `list` and `show` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// MidoNet's lines.
    Text,
    /// The objects as the server sent them, one JSON document per command (ours).
    Json,
}

pub struct Session {
    pub api: Box<dyn Backend>,
    /// The root context every command starts from.
    pub root: Rc<Obj>,
    pub aliases: RefCell<Aliases>,
    /// The tenant new objects get and top-level lists are filtered by; MidoNet's CLI starts
    /// with the empty tenant unless one is configured, and `cleart` makes it none.
    pub tenant: RefCell<Option<String>>,
    /// One command from `-e`.
    pub eval: bool,
    pub debug: Cell<bool>,
    pub output: Output,
    out: RefCell<Box<dyn Write>>,
}

impl Session {
    pub fn new(
        api: Box<dyn Backend>,
        aliases: bool,
        tenant: Option<String>,
        eval: bool,
        output: Output,
        out: Box<dyn Write>,
    ) -> Session {
        let root = Rc::new(Obj::new(Kind::Midonet, api.root().clone()));
        Session {
            api,
            root,
            aliases: RefCell::new(if aliases {
                Aliases::Names(AliasManager::default())
            } else {
                Aliases::Off
            }),
            tenant: RefCell::new(tenant),
            eval,
            debug: Cell::new(false),
            output,
            out: RefCell::new(out),
        }
    }

    /// Prints one line (a line per command output line, as MidoNet's `print`).
    pub fn println(&self, line: &str) {
        self.write(&format!("{line}\n"));
    }

    /// Prints text as it is. A closed stdout (`| head`) is not an error worth a message.
    pub fn write(&self, text: &str) {
        let mut out = self.out.borrow_mut();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    pub fn tenant(&self) -> Option<String> {
        self.tenant.borrow().clone()
    }
}
