//! MidoNet's CLI grammar on any line: splitting words and matching commands answers a command
//! or an error, never a panic. The API behind it is empty and refuses every write, so only
//! the grammar and the command layer are exercised.
#![no_main]
#![allow(dead_code, unused_imports)]

#[path = "../../midonet-client/src/cli/mod.rs"]
mod cli;

use libfuzzer_sys::fuzz_target;

use cli::error::{CliError, CliResult};
use cli::json::Json;
use cli::session::{Backend, Output, Session};
use midonet_client::Media;

/// An API with a root resource and nothing else.
struct Empty(Json);

impl Backend for Empty {
    fn root(&self) -> &Json {
        &self.0
    }
    fn get(&self, uri: &str, _: Media) -> CliResult<Json> {
        Err(CliError::internal(format!("no {uri}")))
    }
    fn list(&self, _: &str, _: Media, _: Option<(&str, &str)>) -> CliResult<Vec<Json>> {
        Ok(Vec::new())
    }
    fn create(&self, uri: &str, _: Media, _: &Json) -> CliResult<Json> {
        Err(CliError::internal(format!("refused {uri}")))
    }
    fn post(&self, uri: &str, _: &'static str, _: &Json) -> CliResult<()> {
        Err(CliError::internal(format!("refused {uri}")))
    }
    fn update(&self, uri: &str, _: Media, _: &Json) -> CliResult<Json> {
        Err(CliError::internal(format!("refused {uri}")))
    }
    fn delete(&self, uri: &str) -> CliResult<()> {
        Err(CliError::internal(format!("refused {uri}")))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let _ = cli::grammar::split_words(line);
    let root = serde_json::json!({
        "uri": "http://fuzz/midonet-api/",
        "routers": "http://fuzz/midonet-api/routers",
        "bridges": "http://fuzz/midonet-api/bridges",
        "chains": "http://fuzz/midonet-api/chains",
        "ports": "http://fuzz/midonet-api/ports",
        "hosts": "http://fuzz/midonet-api/hosts",
        "tunnelZones": "http://fuzz/midonet-api/tunnel_zones",
        "portGroups": "http://fuzz/midonet-api/port_groups",
        "ipAddrGroups": "http://fuzz/midonet-api/ip_addr_groups",
    });
    let session = Session::new(
        Box::new(Empty(Json::parse(root.to_string().as_bytes()).expect("a root"))),
        true,
        None,
        true,
        Output::Text,
        Box::new(std::io::sink()),
    );
    let grammar = cli::commands::grammar();
    let _ = cli::commands::run_line(&session, &grammar, line);
});
