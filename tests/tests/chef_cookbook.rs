//! The Chef cookbook (`chef/`) checked with the real tools, since no Chef runs here: every Ruby
//! file parses (`ruby -c`); every template compiles (`erb -x | ruby -c`) and renders with
//! attributes/default.rb's values alone (`chef/test/render.rb`, whose node refuses attributes
//! default.rb does not define); templates, recipes and libraries read no `node['midonet_vpc']`
//! path default.rb lacks, and every attribute is read somewhere; the rendered units pass
//! `systemd-analyze verify` without a warning and stay under an exposure bound (`systemd-analyze
//! security --offline`); the rendered configuration files pass the binaries' `--check-config`,
//! and a broken one fails naming its key and line; and three rendered `zoo.cfg` files on loopback
//! ports form a ZooKeeper ensemble that elects one leader, serves a gateway started from the
//! rendered `api-gateway.toml`, and keeps its data and a quorum when the leader is killed.
//!
//! Run: `cargo build -p api-gateway -p translator && cargo test -p system-tests --test
//! chef_cookbook`. Needs `ruby` with `erb` (Debian: `ruby`), `systemd-analyze` (`systemd`) and
//! ZooKeeper (`zookeeper`); outside CI a missing one skips its tests with a message, with
//! `CI=true` they fail.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use api_gateway::testing::{
    four_letter_word, free_port, installation, zookeeper_installed_or_skip, ZkPeer,
};
use serde_json::{json, Value};
use system_tests::{binary, in_ci, repo_root};

/// How long a fresh ensemble (three cold JVMs on a shared two-core machine) may take to elect.
const ELECTION_TIMEOUT: Duration = Duration::from_secs(120);

fn cookbook() -> PathBuf {
    repo_root().join("chef")
}

/// `name` on PATH, or `None` after saying why the test skips (a panic under CI).
fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        let why = format!("`{name}` is not installed (apt-get install {package})");
        assert!(!in_ci(), "{why}, and CI=true");
        eprintln!("SKIPPED: {why}");
    }
    found
}

/// Runs `command` to completion; panics if it cannot start.
fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir` (recursively) whose name ends with `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            found.extend(files(&path, suffix));
        } else if path.to_string_lossy().ends_with(suffix) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The cookbook's renderer (`chef/test/render.rb`) run by `ruby`.
struct Renderer {
    ruby: PathBuf,
}

impl Renderer {
    fn new() -> Option<Renderer> {
        Some(Renderer {
            ruby: tool("ruby", "ruby")?,
        })
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.ruby);
        command.arg(cookbook().join("test/render.rb"));
        command
    }

    /// `template` rendered with default.rb's attributes overridden by `set`, and `vars` as its
    /// @variables; the renderer's message when it refuses.
    fn try_render(
        &self,
        template: &str,
        set: &Value,
        vars: &[(&str, Value)],
    ) -> Result<String, String> {
        let mut command = self.command();
        command.arg(template).arg("--set").arg(set.to_string());
        for (name, value) in vars {
            command.arg("--var").arg(format!("{name}={value}"));
        }
        let out = run(&mut command);
        if out.status.success() {
            Ok(text(&out.stdout))
        } else {
            Err(text(&out.stderr))
        }
    }

    fn render(&self, template: &str, set: &Value, vars: &[(&str, Value)]) -> String {
        self.try_render(template, set, vars)
            .unwrap_or_else(|why| panic!("rendering {template} with {set}: {why}"))
    }

    /// Every attribute path default.rb defines, dotted (`midonet_vpc.zookeeper.data_dir`).
    fn attributes(&self) -> BTreeSet<String> {
        let out = run(self.command().arg("--attributes"));
        assert!(
            out.status.success(),
            "render.rb --attributes: {}",
            text(&out.stderr)
        );
        text(&out.stdout).lines().map(str::to_owned).collect()
    }
}

/// The templates and the @variables each takes: a new template must be added here to be tested.
fn templates() -> Vec<(&'static str, Vec<(&'static str, Value)>)> {
    let member = || vec![("my_id", json!(1))];
    vec![
        ("api-gateway.service.erb", vec![]),
        ("api-gateway.toml.erb", vec![]),
        ("myid.erb", member()),
        ("translator.service.erb", vec![]),
        ("translator.toml.erb", vec![]),
        ("zoo.cfg.erb", member()),
        ("zookeeper.service.erb", member()),
    ]
}

#[test]
fn every_ruby_file_of_the_cookbook_parses() {
    let Some(ruby) = tool("ruby", "ruby") else {
        return;
    };
    let sources = files(&cookbook(), ".rb");
    for required in [
        "metadata.rb",
        "attributes/default.rb",
        "recipes/default.rb",
        "test/render.rb",
    ] {
        assert!(
            sources.contains(&cookbook().join(required)),
            "chef/{required} is missing"
        );
    }
    for source in &sources {
        let out = run(Command::new(&ruby).arg("-c").arg(source));
        assert!(
            out.status.success() && text(&out.stdout).contains("Syntax OK"),
            "ruby -c {}: {}{}",
            source.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

#[test]
fn every_template_compiles_and_renders_with_the_default_attributes_alone() {
    let (Some(renderer), Some(erb)) = (Renderer::new(), tool("erb", "ruby")) else {
        return;
    };
    let on_disk: BTreeSet<String> = files(&cookbook().join("templates/default"), ".erb")
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = templates().iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(on_disk, listed, "templates() must list every template");

    for (template, vars) in templates() {
        // The Ruby ERB makes of the template must itself be valid Ruby.
        let path = cookbook().join("templates/default").join(template);
        let ruby_source = run(Command::new(&erb).args(["-x", "-T", "-"]).arg(&path));
        assert!(
            ruby_source.status.success(),
            "erb -x {template}: {}",
            text(&ruby_source.stderr)
        );
        let mut check = Command::new(&renderer.ruby)
            .arg("-c")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ruby -c");
        check
            .stdin
            .take()
            .expect("stdin")
            .write_all(&ruby_source.stdout)
            .expect("feed ruby -c");
        let checked = check.wait_with_output().expect("ruby -c");
        assert!(
            checked.status.success(),
            "{template} compiles to bad Ruby: {}",
            text(&checked.stderr)
        );

        let rendered = renderer.render(template, &json!({}), &vars);
        assert!(!rendered.trim().is_empty(), "{template} renders empty");
        assert!(
            !rendered.contains("<%"),
            "{template} left ERB tags: {rendered}"
        );
    }

    // The defaults make a one-member ensemble on loopback that the gateway uses.
    let gateway = renderer.render("api-gateway.toml.erb", &json!({}), &[]);
    assert!(
        gateway.contains("zookeeper = [\"127.0.0.1:2181\"]\n"),
        "{gateway}"
    );
    let zoo = renderer.render("zoo.cfg.erb", &json!({}), &[("my_id", json!(1))]);
    assert!(zoo.contains("\nserver.1=127.0.0.1:2888:3888\n"), "{zoo}");
    assert!(zoo.contains("\nclientPort=2181\n"), "{zoo}");
}

#[test]
fn the_renderer_refuses_attributes_that_default_rb_does_not_define() {
    let Some(renderer) = Renderer::new() else {
        return;
    };
    let set = renderer
        .try_render(
            "api-gateway.toml.erb",
            &json!({"midonet_vpc": {"api_gatway": {}}}),
            &[],
        )
        .expect_err("an unknown attribute is refused");
    assert!(
        set.contains("--set node['midonet_vpc']['api_gatway'] is not defined"),
        "{set}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let template = dir.path().join("typo.erb");
    fs::write(
        &template,
        "<%= node['midonet_vpc']['api_gateway']['listen_port'] %>\n",
    )
    .unwrap();
    let read = renderer
        .try_render(template.to_str().unwrap(), &json!({}), &[])
        .expect_err("reading an undefined attribute fails");
    assert!(
        read.contains("node['midonet_vpc']['api_gateway']['listen_port'] is not defined"),
        "{read}"
    );

    let missing = renderer
        .try_render("zoo.cfg.erb", &json!({}), &[])
        .expect_err("a template's variables must be given");
    assert!(missing.contains("zoo.cfg.erb uses @my_id"), "{missing}");
}

/// The attribute paths a Ruby source reads: `node['a']['b']` and, by the cookbook's
/// convention, `attrs['b']` for `node['midonet_vpc']['b']`. A path stops at the first index
/// that is not a quoted name (a key the user chooses, as in `binaries_sha256[name]`).
fn attribute_reads(source: &str) -> Vec<Vec<String>> {
    let mut reads = Vec::new();
    for (start, root) in source
        .match_indices("node[")
        .chain(source.match_indices("attrs["))
    {
        let before = source[..start].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            continue; // part of another name
        }
        let mut path: Vec<String> = match root {
            "attrs[" => vec!["midonet_vpc".into()],
            _ => vec![],
        };
        let mut rest = &source[start + root.len() - 1..];
        while let Some(index) = rest.strip_prefix("['") {
            let Some(end) = index.find("']") else { break };
            let key = &index[..end];
            if !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                break; // an interpolation such as '#{name}'
            }
            path.push(key.to_string());
            rest = &index[end + 2..];
        }
        reads.push(path);
    }
    reads
}

#[test]
fn templates_recipes_and_libraries_read_only_attributes_that_default_rb_defines() {
    let Some(renderer) = Renderer::new() else {
        return;
    };
    let defined = renderer.attributes();
    assert!(defined.contains("midonet_vpc.zookeepers"), "{defined:?}");
    // Ohai's attributes, which only the library that finds this node's names reads.
    let ohai = ["network", "fqdn", "hostname", "ipaddress"];
    let mut read = BTreeSet::new();
    let sources: Vec<PathBuf> = ["templates", "recipes", "libraries"]
        .iter()
        .flat_map(|dir| files(&cookbook().join(dir), ""))
        .collect();
    for source in &sources {
        let code = fs::read_to_string(source).unwrap();
        let name = source
            .strip_prefix(cookbook())
            .unwrap()
            .display()
            .to_string();
        for line in code.lines().filter(|l| l.contains("attrs =")) {
            assert_eq!(
                line.trim(),
                "attrs = node['midonet_vpc']",
                "{name}: `attrs` always names node['midonet_vpc']"
            );
        }
        for path in attribute_reads(&code) {
            let dotted = path.join(".");
            if name.starts_with("libraries")
                && path.first().is_some_and(|p| ohai.contains(&p.as_str()))
            {
                continue;
            }
            assert!(
                path.first().is_some_and(|p| p == "midonet_vpc"),
                "{name} reads node{path:?}, outside node['midonet_vpc']"
            );
            assert!(
                defined
                    .iter()
                    .any(|d| *d == dotted || d.starts_with(&format!("{dotted}."))),
                "{name} reads {dotted}, which attributes/default.rb does not define"
            );
            read.insert(dotted);
        }
    }
    // An attribute nothing reads would mislead whoever sets it.
    for attribute in &defined {
        assert!(
            read.contains(attribute),
            "attributes/default.rb defines {attribute}, which nothing reads"
        );
    }
}

/// The rendered units, named as the recipes install them, with `bin_dir` where the test's
/// binaries are so `systemd-analyze verify` finds every executable.
fn rendered_units(renderer: &Renderer, dir: &Path) -> Vec<(PathBuf, u32)> {
    let bin_dir = binary("api-gateway").parent().unwrap().to_path_buf();
    let base = json!({"midonet_vpc": {"bin_dir": bin_dir}});
    let with = |patch: Value| {
        let mut set = base.clone();
        for (key, value) in patch.as_object().unwrap() {
            set["midonet_vpc"][key] = value.clone();
        }
        set
    };
    // (file name, template, attributes, variables, highest exposure x10 allowed)
    let mut units = vec![
        (
            "api-gateway.service",
            "api-gateway.service.erb",
            base.clone(),
            vec![],
            20,
        ),
        (
            "api-gateway-embedded.service",
            "api-gateway.service.erb",
            with(json!({"api_gateway": {"store": "embedded"}})),
            vec![],
            20,
        ),
        (
            "translator.service",
            "translator.service.erb",
            base.clone(),
            vec![],
            50,
        ),
        (
            "translator-no-metadata.service",
            "translator.service.erb",
            with(json!({"translator": {"no_metadata": true}})),
            vec![],
            20,
        ),
    ];
    // The ZooKeeper unit runs the Java the ZooKeeper tests find (verify checks it exists).
    if zookeeper_installed_or_skip() {
        let java = installation().expect("Java, with ZooKeeper");
        units.push((
            "zookeeper.service",
            "zookeeper.service.erb",
            with(json!({"zookeeper": {"java": java}})),
            vec![("my_id", json!(1))],
            20,
        ));
    }
    units
        .into_iter()
        .map(|(name, template, set, vars, threshold)| {
            let path = dir.join(name);
            fs::write(&path, renderer.render(template, &set, &vars)).unwrap();
            (path, threshold)
        })
        .collect()
}

#[test]
fn rendered_units_pass_systemd_analyze_verify_and_stay_hardened() {
    let (Some(renderer), Some(analyze)) = (Renderer::new(), tool("systemd-analyze", "systemd"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (unit, threshold) in rendered_units(&renderer, dir.path()) {
        let contents = fs::read_to_string(&unit).unwrap();
        assert!(
            contents.contains("\nRestart=on-failure\n"),
            "{}: {contents}",
            unit.display()
        );
        let out = run(Command::new(&analyze).arg("verify").arg(&unit));
        // verify exits 0 on unknown keys and bad values, warning on stderr: any output fails.
        assert!(
            out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
            "systemd-analyze verify {}: {}{}\n{contents}",
            unit.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
        let out = run(Command::new(&analyze)
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(format!("--threshold={threshold}"))
            .arg(&unit));
        assert!(
            out.status.success(),
            "{} is more exposed than {}.{}: {}",
            unit.display(),
            threshold / 10,
            threshold % 10,
            text(&out.stdout).lines().last().unwrap_or_default()
        );
    }
    let translator = fs::read_to_string(dir.path().join("translator.service")).unwrap();
    assert!(
        translator.contains("\nUser=root\n"),
        "the metadata plane needs root"
    );
    assert!(
        !translator.contains("\nProtectSystem="),
        "no mount namespace for the metadata plane"
    );
    let unprivileged =
        fs::read_to_string(dir.path().join("translator-no-metadata.service")).unwrap();
    assert!(
        unprivileged.contains("\nUser=eucalyptus\n"),
        "{unprivileged}"
    );
}

#[test]
fn rendered_configs_pass_check_config_and_a_broken_one_names_its_key_and_line() {
    let Some(renderer) = Renderer::new() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, contents: &str| {
        let path = dir.path().join(name);
        fs::write(&path, contents).unwrap();
        path
    };
    let check = |bin: &str, subcommand: &str, config: &Path| {
        run(Command::new(binary(bin))
            .arg(subcommand)
            .arg("--config")
            .arg(config)
            .arg("--check-config")
            .env("RUST_BACKTRACE", "0"))
    };

    // The gateway on the defaults (ZooKeeper), and on an embedded store.
    let gateway = renderer.render("api-gateway.toml.erb", &json!({}), &[]);
    let out = check("api-gateway", "serve", &write("api-gateway.toml", &gateway));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).split_once(": ").map(|(_, said)| said.trim()),
        Some("configuration ok: listen 127.0.0.1:8181, ZooKeeper store at 127.0.0.1:2181 under /midonet")
    );
    let data = dir.path().join("gateway-data");
    let embedded = renderer.render(
        "api-gateway.toml.erb",
        &json!({"midonet_vpc": {"api_gateway": {"store": "embedded", "data_dir": data}}}),
        &[],
    );
    let out = check("api-gateway", "serve", &write("embedded.toml", &embedded));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("embedded store in {}", data.display())));

    // The translator, with its GNI in a directory that exists, with and without metadata.
    for no_metadata in [false, true] {
        let gni = dir.path().join("global_network_info.xml");
        let set = json!({"midonet_vpc": {"translator": {"gni": gni, "no_metadata": no_metadata}}});
        let translator = renderer.render("translator.toml.erb", &set, &[]);
        let out = check("translator", "run", &write("translator.toml", &translator));
        assert!(out.status.success(), "{}\n{translator}", text(&out.stderr));
        assert!(text(&out.stdout)
            .contains("API http://127.0.0.1:8181/midonet-api, tenant euca_tenant_1"));
    }

    // Broken: each binary names the file, the key and its line, and exits non-zero.
    let gni = dir.path().join("missing").join("global_network_info.xml");
    let set = json!({"midonet_vpc": {"translator": {"gni": gni}}});
    let broken = write(
        "broken-translator.toml",
        &renderer.render("translator.toml.erb", &set, &[]),
    );
    let out = check("translator", "run", &broken);
    assert!(!out.status.success());
    let expected = format!(
        "{}: line 3: gni: the directory {} does not exist",
        broken.display(),
        gni.parent().unwrap().display()
    );
    assert!(
        text(&out.stderr).contains(&expected),
        "{}",
        text(&out.stderr)
    );

    let broken = write(
        "broken-gateway.toml",
        &gateway.replace("listen = \"127.0.0.1:8181\"", "listen = \"localhost:8181\""),
    );
    let out = check("api-gateway", "serve", &broken);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains(&format!("{}: TOML parse error at line 3", broken.display()))
            && said.contains("invalid socket address"),
        "{said}"
    );

    // The cookbook refuses a bad ensemble before any binary sees it.
    let bad = json!({"midonet_vpc": {"zookeepers": ["10.0.0.1:2181", "10.0.0.2"]}});
    let refused = renderer
        .try_render("api-gateway.toml.erb", &bad, &[])
        .expect_err("a server without a port is refused");
    assert!(
        refused
            .contains("node['midonet_vpc']['zookeepers'][1]: \"10.0.0.2\" is not host:client_port"),
        "{refused}"
    );
}

/// A started `api-gateway serve`, killed on drop.
struct GatewayProcess {
    child: Child,
    url: String,
}

impl GatewayProcess {
    /// Serves with `config`, on a free port (the command line overrides the file's `listen`).
    fn start(config: &Path) -> GatewayProcess {
        let mut child = Command::new(binary("api-gateway"))
            .env("RUST_LOG", "warn")
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn api-gateway");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("the gateway's first line");
        let url = first
            .trim()
            .strip_prefix("api-gateway listening on ")
            .unwrap_or_else(|| panic!("the gateway did not start: {first:?}"))
            .to_string();
        GatewayProcess { child, url }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each member's mode (`leader`, `follower`) from `srvr`, or `None` while it does not serve.
fn modes(clients: &[SocketAddr]) -> Vec<Option<String>> {
    clients
        .iter()
        .map(|addr| {
            let answer = four_letter_word(*addr, "srvr").ok()?;
            answer
                .lines()
                .find_map(|l| l.strip_prefix("Mode: "))
                .map(str::to_owned)
        })
        .collect()
}

/// Waits until the members at `clients` have one leader and the rest follow; its index.
fn wait_for_leader(clients: &[SocketAddr], peers: &mut [ZkPeer]) -> usize {
    let deadline = Instant::now() + ELECTION_TIMEOUT;
    loop {
        let now = modes(clients);
        let leaders: Vec<usize> = (0..now.len())
            .filter(|&i| now[i].as_deref() == Some("leader"))
            .collect();
        let followers = now
            .iter()
            .filter(|m| m.as_deref() == Some("follower"))
            .count();
        if leaders.len() == 1 && followers == clients.len() - 1 {
            return leaders[0];
        }
        for peer in peers.iter_mut() {
            assert!(peer.is_running(), "a member exited: {}", peer.log_tail());
        }
        assert!(
            Instant::now() < deadline,
            "no leader within {ELECTION_TIMEOUT:?} (modes {now:?}); {}",
            peers
                .iter()
                .map(ZkPeer::log_tail)
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_rendered_zoo_cfgs_elect_a_leader_serve_a_gateway_and_survive_its_loss() {
    let Some(renderer) = Renderer::new() else {
        return;
    };
    if !zookeeper_installed_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let port = || free_port().expect("a free port");
    // Three members on one host: each names its own client, quorum and election ports.
    let members: Vec<(u16, u16, u16)> = (0..3).map(|_| (port(), port(), port())).collect();
    let zookeepers: Vec<String> = members
        .iter()
        .map(|(client, quorum, election)| format!("127.0.0.1:{client}:{quorum}:{election}"))
        .collect();
    let clients: Vec<SocketAddr> = members
        .iter()
        .map(|(client, _, _)| SocketAddr::from(([127, 0, 0, 1], *client)))
        .collect();

    let mut peers = Vec::new();
    for id in 1..=3 {
        let member_dir = dir.path().join(format!("zk{id}"));
        let data_dir = member_dir.join("data");
        fs::create_dir_all(&data_dir).unwrap();
        let set = json!({"midonet_vpc": {
            "zookeepers": zookeepers,
            "zookeeper": {"data_dir": data_dir},
        }});
        let vars = [("my_id", json!(id))];
        let zoo_cfg = member_dir.join("zoo.cfg");
        fs::write(&zoo_cfg, renderer.render("zoo.cfg.erb", &set, &vars)).unwrap();
        fs::write(
            data_dir.join("myid"),
            renderer.render("myid.erb", &set, &vars),
        )
        .unwrap();
        peers.push(ZkPeer::spawn(&zoo_cfg, &member_dir.join("zookeeper.log")).expect("spawn"));
    }
    let leader = wait_for_leader(&clients, &mut peers);

    // A gateway from the rendered api-gateway.toml, on the same ensemble, stores a router.
    let set = json!({"midonet_vpc": {"zookeepers": zookeepers}});
    let config = dir.path().join("api-gateway.toml");
    fs::write(&config, renderer.render("api-gateway.toml.erb", &set, &[])).unwrap();
    let http = reqwest::Client::new();
    let router = {
        let gateway = GatewayProcess::start(&config);
        let created = http
            .post(format!("{}/routers", gateway.url))
            .header("Content-Type", "application/vnd.org.midonet.Router-v3+json")
            .body(json!({"name": "eucart"}).to_string())
            .send()
            .await
            .expect("POST /routers");
        assert_eq!(created.status().as_u16(), 201);
        let location = created.headers()["location"].to_str().expect("Location");
        location.rsplit('/').next().expect("router id").to_string()
    };

    // Without its leader the ensemble elects another, and a new gateway reads the router back.
    peers[leader].kill();
    let survivors: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    let survivor_clients: Vec<SocketAddr> = survivors.iter().map(|&i| clients[i]).collect();
    let mut survivor_peers: Vec<ZkPeer> = Vec::new();
    for (i, peer) in peers.into_iter().enumerate() {
        if i != leader {
            survivor_peers.push(peer);
        }
    }
    wait_for_leader(&survivor_clients, &mut survivor_peers);
    let gateway = GatewayProcess::start(&config);
    let read = http
        .get(format!("{}/routers/{router}", gateway.url))
        .send()
        .await
        .expect("GET the router");
    assert_eq!(read.status().as_u16(), 200);
    let body: Value = read.json().await.expect("router JSON");
    assert_eq!(body["name"], "eucart");
    drop(gateway);
    // All three are killed: two here, the leader above.
    drop(survivor_peers);
}
