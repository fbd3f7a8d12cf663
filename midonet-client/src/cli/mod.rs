//! `midonet-cli`: MidoNet's command line over [`midonet_client`], with the grammar, the output
//! lines and the error lines of MidoNet's own CLI (python-midonetclient 5.2.0), plus
//! `--output json` and `tree`. [`run`] is the whole program: settings, login, the startup
//! check MidoNet makes (`system_state`), then one command (`-e`) or the prompt.

pub mod aliases;
pub mod api;
pub mod commands;
pub mod config;
pub mod error;
pub mod format;
pub mod grammar;
pub mod help;
pub mod history;
pub mod json;
pub mod kinds;
pub mod objects;
pub mod repl;
pub mod schema;
pub mod session;
pub mod trace;
pub mod tree;
pub mod values;

#[cfg(test)]
mod fake;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use midonet_client::ClientError;

use api::{Api, Credentials};
use config::Options;
use session::Session;

/// Runs the CLI with the process's arguments and environment; the exit status is MidoNet's:
/// 0 success, 1 a failed command or an unreachable API, 2 bad settings.
pub fn run() -> ExitCode {
    let options = Options::parse();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let rc = home
        .as_ref()
        .map(|h| config::rc_file(&h.join(".midonetrc")))
        .unwrap_or_default();
    let layer = config::with_env(rc, |k| std::env::var(k).ok());
    let stdin_terminal = std::io::stdin().is_terminal();
    let settings = match config::settings(&options, layer, || {
        if !stdin_terminal {
            return None;
        }
        rpassword::prompt_password("Password: ").ok()
    }) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let api = match connect(&settings.api_url, settings.credentials.as_ref()) {
        Ok(api) => api,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(1);
        }
    };
    api.set_debug(options.debug);
    let aliases = settings.command.is_none() && stdin_terminal;
    let session = Session::new(
        Box::new(api),
        aliases,
        settings.tenant.clone(),
        settings.command.is_some(),
        options.output.into(),
        Box::new(std::io::stdout()),
    );
    session.debug.set(options.debug);
    let grammar = commands::grammar();
    let ok = match &settings.command {
        Some(command) => commands::run_line(&session, &grammar, command)
            .succeeded
            .unwrap_or(true),
        None => repl::run(&session, &grammar, stdin_terminal, repl::history_path()),
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Logs in if asked, reads the root and the system state as MidoNet's CLI does before its
/// first command; the error is the one line to print.
pub fn connect(url: &str, credentials: Option<&Credentials>) -> Result<Api, String> {
    let api = Api::connect(url, credentials).map_err(|e| startup_error(url, &e))?;
    let state = api.system_state().map_err(|e| match e {
        error::CliError::Unauthorized => {
            "Invalid credential. Wrong username/password. Bye.".to_string()
        }
        other => format!(
            "midonet-cli: the MidoNet API at {url} failed to answer its system state: {}",
            other.line()
        ),
    })?;
    // MidoNet's CLI reads `information` and stops when the key is missing; an operator
    // notice in it goes to stderr.
    match state.get("information") {
        None => {
            return Err(format!(
                "midonet-cli: the system state at {url} has no `information`: this is not a \
                 MidoNet API"
            ))
        }
        Some(info) if !info.is_null() => eprint!("{}", info.py_str()),
        Some(_) => {}
    }
    Ok(api)
}

fn startup_error(url: &str, e: &ClientError) -> String {
    match e {
        ClientError::Unreachable { .. } => format!("midonet-cli: {e}"),
        ClientError::Api { status: 401, .. } => {
            "Invalid credential. Wrong username/password. Bye.".to_string()
        }
        other => {
            format!("midonet-cli: the MidoNet API at {url} did not answer as MidoNet does: {other}")
        }
    }
}

/// A ready session over `backend`, for tests: UUIDs or aliases, lines into `out`.
#[cfg(test)]
pub fn test_session(
    backend: Box<dyn session::Backend>,
    aliases: bool,
    output: session::Output,
    out: Box<dyn std::io::Write>,
) -> Session {
    Session::new(backend, aliases, Some(String::new()), !aliases, output, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_is_one_line_naming_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let url = format!("http://127.0.0.1:{port}/midonet-api");
        let message = connect(&url, None).err().unwrap_or_default();
        assert!(
            message.starts_with(&format!(
                "midonet-cli: cannot reach the MidoNet API at {url}: "
            )),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }
}
