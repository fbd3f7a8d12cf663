//! Where the CLI's settings come from, with MidoNet's precedence: `~/.midonetrc` (section
//! `[cli]`: `api_url`, `username`, `password`, `project_id`, `tenant`) is overridden by the
//! environment (`MIDO_API_URL`, `MIDO_USER`, `MIDO_PASSWORD`, `MIDO_PROJECT_ID`,
//! `MIDO_TENANT`), which options override (`--midonet-url`, `-u`, `-i`, `--tenant`, `-p`).

use std::collections::HashMap;
use std::path::Path;

use clap::{Parser, ValueEnum};

use super::api::Credentials;
use super::session::Output;

const ABOUT: &str = "MidoNet's command line, for a MidoNet API (our api-gateway or MidoNet itself)";

const LONG_ABOUT: &str = "\
MidoNet's command line, for a MidoNet API (our api-gateway or MidoNet itself): the grammar,
the output lines and the error lines of MidoNet's own `midonet-cli` (python-midonetclient),
so that operators and scripts that know that tool keep working.

Without -e it reads commands at the prompt `midonet> ` (history in ~/.midonet-cli-history,
tab completion of verbs, collections, fields and aliases). Objects are named by alias
(`router0`, `router0:port1`), by UUID, or by `<collection> <field> <value>`; verbs may come
anywhere in the path (`list router`, `router router0 list port`, `router router0 port list`).
With -e, or when stdin is not a terminal, there are no aliases: UUIDs everywhere.

Settings: ~/.midonetrc [cli] (api_url, username, password, project_id, tenant) < environment
(MIDO_API_URL, MIDO_USER, MIDO_PASSWORD, MIDO_PROJECT_ID, MIDO_TENANT) < options.";

const AFTER_HELP: &str = "\
Commands (type `help <command>` at the prompt for more):
  list|l      [<object>...] <collection> [<field> <value>...]
  show|s      <object>... [<field>]
  create|add  [<object>...] <collection> [<field> <value>...]
  set         <object>... <field> <value>...
  clear       <object>... <field>...
  delete|del  <object>...
  describe    [<object>...] [<collection>]
  sett <tenant> / cleart, debug on|off, help [<command>], quit|exit
  tree        <router or bridge>    (ours: ports, peers, bridges, host bindings)

Collections: router (port, route, bgp-peer, bgp-network), bridge (port, dhcp (host),
mac-table, arp-table), port, chain (rule), ip-address-group (ip), port-group (member),
host (interface, binding), tunnel-zone (member), tenant, system-state; and MidoNet's others
(mirror, vtep, load-balancer, ...) where the API offers them.

Values: `!` before a condition's value inverts it (`src !10.0.0.0/8`, `port-group !pgroup0`);
addresses with a length are `a.b.c.d/len` (a /32 prints without it); port ranges `start-end`;
NAT targets `from[-to][:port[-port]],...`; lists `a,b,c`; DHCP `opt121-routes dst/len:gw,...`
(ours: MidoNet's CLI sends that text unparsed).

Examples:
  midonet-cli -A --midonet-url http://127.0.0.1:8181/midonet-api -e list router
  midonet-cli -A -e router <uuid> add port address 10.0.0.1 net 10.0.0.0/24
  midonet-cli -A -e chain <uuid> add rule type accept src !10.0.0.0/8 dst-port 22 pos 1
  midonet-cli -A --output json -e list bridge
  midonet-cli -A -e tree router <uuid>

Exit status: 0 when the command (or the last one at the prompt) succeeded; 1 when it failed
or the API could not be reached; 2 for bad options or settings.";

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "midonet-cli",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP
)]
pub struct Options {
    /// Skip authentication: no login, no X-Auth-Token (our gateway, or MidoNet's mock auth)
    #[arg(short = 'A', long = "no-auth")]
    pub no_auth: bool,

    /// The MidoNet API, e.g. http://127.0.0.1:8181/midonet-api [default: $MIDO_API_URL,
    /// or api_url in ~/.midonetrc]
    #[arg(long = "midonet-url", value_name = "URL")]
    pub midonet_url: Option<String>,

    /// User name to log in with [default: $MIDO_USER, or username in ~/.midonetrc]
    #[arg(short = 'u', long = "user", value_name = "USERNAME")]
    pub user: Option<String>,

    /// Ask for the password at the terminal [default: $MIDO_PASSWORD, or password in
    /// ~/.midonetrc]
    #[arg(short = 'p', long = "password")]
    pub ask_password: bool,

    /// Project (Keystone tenant) to log in to, sent as X-Auth-Project [default:
    /// $MIDO_PROJECT_ID, or project_id in ~/.midonetrc]
    #[arg(short = 'i', long = "project-id", value_name = "PROJECT_ID")]
    pub project_id: Option<String>,

    /// Tenant that new routers, bridges, chains and port groups get and that top-level lists
    /// are filtered by [default: $MIDO_TENANT, or tenant in ~/.midonetrc, or none]
    #[arg(long = "tenant", value_name = "UUID")]
    pub tenant: Option<String>,

    /// Evaluate one command, given as the remaining arguments, and exit
    #[arg(short = 'e', long = "eval")]
    pub eval: bool,

    /// Print each request on stderr
    #[arg(short = 'd', long = "debug")]
    pub debug: bool,

    /// How `list`, `show` and `tree` print: MidoNet's lines, or JSON for scripts (ours)
    #[arg(long = "output", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// The command to evaluate with -e (words, joined with spaces and split again as a shell
    /// would: quote a value with spaces twice, as in `name "'two words'"`)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

impl From<OutputFormat> for Output {
    fn from(f: OutputFormat) -> Output {
        match f {
            OutputFormat::Text => Output::Text,
            OutputFormat::Json => Output::Json,
        }
    }
}

/// The merged settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub api_url: String,
    pub credentials: Option<Credentials>,
    pub tenant: Option<String>,
    /// The command to evaluate (`-e`).
    pub command: Option<String>,
}

/// Values from `~/.midonetrc` and the environment, before options.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Layer {
    pub api_url: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub project_id: Option<String>,
    pub tenant: Option<String>,
}

/// The `[cli]` section of `path`. A missing file gives the empty tenant MidoNet's CLI starts
/// with; an unreadable one is skipped, as MidoNet's CLI skips it.
pub fn rc_file(path: &Path) -> Layer {
    let opt = ini::ParseOption {
        // configparser takes values as written: no quote or escape processing.
        enabled_quote: false,
        enabled_escape: false,
        ..ini::ParseOption::default()
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(_) => {
            return Layer {
                tenant: Some(String::new()),
                ..Layer::default()
            }
        }
    };
    let Ok(parsed) = ini::Ini::load_from_str_opt(&text, opt) else {
        return Layer::default();
    };
    // configparser reads option names case-insensitively.
    let cli: HashMap<String, String> = parsed
        .section(Some("cli"))
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| (k.to_lowercase(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let get = |k: &str| cli.get(k).cloned();
    Layer {
        api_url: get("api_url"),
        username: get("username"),
        password: get("password"),
        project_id: get("project_id"),
        tenant: Some(get("tenant").unwrap_or_default()),
    }
}

/// The environment over `base`.
pub fn with_env(base: Layer, env: impl Fn(&str) -> Option<String>) -> Layer {
    Layer {
        api_url: env("MIDO_API_URL").or(base.api_url),
        username: env("MIDO_USER").or(base.username),
        password: env("MIDO_PASSWORD").or(base.password),
        project_id: env("MIDO_PROJECT_ID").or(base.project_id),
        tenant: env("MIDO_TENANT").or(base.tenant),
    }
}

/// Options over `base`; `ask_password` is called for `-p` (at a terminal, with auth on).
/// The error is MidoNet's message for what is missing.
pub fn settings(
    options: &Options,
    base: Layer,
    ask_password: impl FnOnce() -> Option<String>,
) -> Result<Settings, String> {
    if !options.eval && !options.command.is_empty() {
        return Err(format!(
            "Unrecognized command: {} (use -e to evaluate a command)",
            options.command.join(" ")
        ));
    }
    let mut password = base.password;
    if !options.no_auth && options.ask_password {
        if let Some(p) = ask_password() {
            password = Some(p);
        }
    }
    let api_url = options
        .midonet_url
        .clone()
        .or(base.api_url)
        .ok_or("Missing: Midonet API URL")?;
    let username = options.user.clone().or(base.username);
    let project = options.project_id.clone().or(base.project_id);
    let credentials = if options.no_auth {
        None
    } else {
        let user = username.ok_or("Missing: username")?;
        let project = project.ok_or("Missing: Midonet Project ID")?;
        let password = password.ok_or(
            "No password given (add it to ~/.midonetrc or get a prompt using the -p option)",
        )?;
        Some(Credentials {
            user,
            password,
            project: Some(project),
        })
    };
    Ok(Settings {
        // MidoNet's client strips the trailing slash before it reads the root.
        api_url: api_url.trim_end_matches('/').to_string(),
        credentials,
        tenant: options.tenant.clone().or(base.tenant),
        command: options.eval.then(|| options.command.join(" ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> Options {
        Options::parse_from(std::iter::once("midonet-cli").chain(args.iter().copied()))
    }

    #[test]
    fn options_override_the_environment_which_overrides_the_rc_file() {
        let dir = tempfile::tempdir().unwrap();
        let rc = dir.path().join(".midonetrc");
        std::fs::write(
            &rc,
            "[cli]\napi_url = http://rc:8181/midonet-api\nusername = rcuser\npassword = rc\n\
             project_id = p1\ntenant = t-rc\n",
        )
        .unwrap();
        let base = rc_file(&rc);
        assert_eq!(base.api_url.as_deref(), Some("http://rc:8181/midonet-api"));
        let env = |k: &str| (k == "MIDO_USER").then(|| "envuser".to_string());
        let layer = with_env(base, env);
        let s = settings(&options(&["-u", "optuser"]), layer.clone(), || None).unwrap();
        assert_eq!(s.api_url, "http://rc:8181/midonet-api");
        assert_eq!(
            s.credentials,
            Some(Credentials {
                user: "optuser".into(),
                password: "rc".into(),
                project: Some("p1".into())
            })
        );
        assert_eq!(s.tenant.as_deref(), Some("t-rc"));
        let s = settings(&options(&[]), layer.clone(), || None).unwrap();
        assert_eq!(s.credentials.unwrap().user, "envuser");
        let s = settings(
            &options(&[
                "-A",
                "--midonet-url",
                "http://o/midonet-api/",
                "-e",
                "list",
                "router",
            ]),
            layer,
            || None,
        )
        .unwrap();
        assert_eq!(s.api_url, "http://o/midonet-api");
        assert_eq!(s.credentials, None);
        assert_eq!(s.command.as_deref(), Some("list router"));
    }

    #[test]
    fn missing_settings_are_named_as_midonet_names_them() {
        let none = Layer::default();
        assert_eq!(
            settings(&options(&["-A"]), none.clone(), || None).unwrap_err(),
            "Missing: Midonet API URL"
        );
        let url = Layer {
            api_url: Some("http://h/midonet-api".into()),
            ..Layer::default()
        };
        assert_eq!(
            settings(&options(&[]), url.clone(), || None).unwrap_err(),
            "Missing: username"
        );
        let s = settings(&options(&["-u", "u", "-i", "p", "-p"]), url, || {
            Some("secret".into())
        })
        .unwrap();
        assert_eq!(s.credentials.unwrap().password, "secret");
        let missing = rc_file(Path::new("/nonexistent/.midonetrc"));
        assert_eq!(
            missing.tenant.as_deref(),
            Some(""),
            "MidoNet's default tenant"
        );
    }

    #[test]
    fn eval_takes_the_remaining_words_even_with_dashes() {
        let o = options(&[
            "-A",
            "-e",
            "chain",
            "c",
            "add",
            "rule",
            "src",
            "!10.0.0.0/8",
        ]);
        assert!(o.eval);
        assert_eq!(
            o.command,
            ["chain", "c", "add", "rule", "src", "!10.0.0.0/8"]
        );
        assert!(settings(&options(&["list", "router"]), Layer::default(), || None).is_err());
    }
}
