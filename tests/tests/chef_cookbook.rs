//! The Chef cookbook (`chef/`) checked with the real tools, since no Chef client runs here.
//!
//! - Every Ruby file parses (`ruby -c`), every template compiles (`erb -x | ruby -c`) and renders
//!   from attributes/default.rb alone (`chef/test/render.rb`, whose node refuses attributes
//!   default.rb does not define); templates, recipes and libraries read no `node['midonet_vpc']`
//!   path default.rb lacks, and every attribute is read somewhere.
//! - The default run list and each host of the three-node example (`chef/examples/three-node`:
//!   environment, roles, node files) compile (`chef/test/compile.rb`, Chef's compile phase with a
//!   recording DSL) into resources that are idempotent by construction: every command has a
//!   guard or `creates`, every notification names a declared resource; `metadata` composes with
//!   `translator` in either order.
//! - What those runs would write passes the real checks: units `systemd-analyze verify` (and an
//!   exposure bound), configuration files the binaries' `--check-config`, and the example's three
//!   `zoo.cfg` files (moved to loopback ports) start a ZooKeeper ensemble that elects a leader,
//!   serves a gateway started from the rendered `api-gateway.toml` and survives its leader.
//! - The recipes' commands run for real: the CLC's host registration against a gateway (its guard
//!   says "run", it registers, its guard says "skip", a second run changes nothing) and then the
//!   example's network configuration, as the CLC puts it into the GNI, lets the translator bind
//!   eucart's gateway port to the registered gateway host; a release tarball unpacks once into
//!   the directory its links point to.
//!
//! Run: `cargo build -p api-gateway -p translator && cargo test -p system-tests --test
//! chef_cookbook`. Needs `ruby` with `erb` (Debian: `ruby`), `systemd-analyze` (`systemd`), `tar`
//! and ZooKeeper (`zookeeper`); outside CI a missing one skips its tests with a message, with
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

fn example() -> PathBuf {
    cookbook().join("examples/three-node")
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

/// Runs a recipe's command line as Chef does (`sh -c`).
fn shell(command: &str) -> Output {
    run(Command::new("sh")
        .args(["-c", command])
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "0"))
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

/// `patch` merged into `base` (objects deeply, anything else replaced), as `--set` layers.
fn merged(mut base: Value, patch: &Value) -> Value {
    match (base.as_object_mut(), patch.as_object()) {
        (Some(b), Some(p)) => {
            for (key, value) in p {
                let old = b.remove(key).unwrap_or(Value::Null);
                b.insert(key.clone(), merged(old, value));
            }
            base
        }
        _ => patch.clone(),
    }
}

/// The cookbook's test tools (`chef/test/render.rb`, `chef/test/compile.rb`) run by `ruby`.
struct Cookbook {
    ruby: PathBuf,
}

impl Cookbook {
    fn new() -> Option<Cookbook> {
        Some(Cookbook {
            ruby: tool("ruby", "ruby")?,
        })
    }

    fn script(&self, name: &str) -> Command {
        let mut command = Command::new(&self.ruby);
        command.arg(cookbook().join("test").join(name));
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
        let mut command = self.script("render.rb");
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
        let out = run(self.script("render.rb").arg("--attributes"));
        assert!(
            out.status.success(),
            "render.rb --attributes: {}",
            text(&out.stderr)
        );
        text(&out.stdout).lines().map(str::to_owned).collect()
    }

    fn try_compile(&self, run_as: &RunAs, set: &Value) -> Result<Compiled, String> {
        let mut command = self.script("compile.rb");
        match run_as {
            RunAs::RunList(items) => {
                command.arg("--run-list").arg(items.join(","));
            }
            RunAs::Example(host) => {
                command
                    .arg("--node")
                    .arg(example().join(format!("nodes/{}.json", host.short)))
                    .arg("--environment")
                    .arg(example().join("environments/vpc_cloud.json"))
                    .arg("--roles")
                    .arg(example().join("roles"))
                    .arg("--ohai")
                    .arg(host.ohai().to_string());
            }
        }
        command.arg("--set").arg(set.to_string());
        let out = run(&mut command);
        if !out.status.success() {
            return Err(text(&out.stderr));
        }
        let compiled: Value = serde_json::from_slice(&out.stdout).expect("compile.rb's JSON");
        Ok(Compiled(compiled))
    }

    fn compile(&self, run_as: &RunAs, set: &Value) -> Compiled {
        self.try_compile(run_as, set)
            .unwrap_or_else(|why| panic!("compiling {run_as:?} with {set}: {why}"))
    }
}

/// What compile.rb is given: a run list on the default attributes, or an example host.
#[derive(Debug)]
enum RunAs {
    RunList(Vec<&'static str>),
    Example(Host),
}

/// A host of the three-node example, as Ohai would describe it.
#[derive(Debug, Clone)]
struct Host {
    short: &'static str,
    fqdn: String,
    address: &'static str,
}

impl Host {
    fn ohai(&self) -> Value {
        json!({
            "fqdn": self.fqdn, "hostname": self.short, "ipaddress": self.address,
            "network": {"interfaces": {"eth0": {"addresses": {self.address: {"family": "inet"}}}}},
        })
    }
}

/// The example's hosts: b-05 (the CLC), b-22 (eucart's gateway host), b-23.
fn hosts() -> Vec<Host> {
    [
        ("b-05", "10.111.1.5"),
        ("b-22", "10.111.1.22"),
        ("b-23", "10.111.1.23"),
    ]
    .into_iter()
    .map(|(short, address)| Host {
        short,
        fqdn: format!("{short}.cloud.example.com"),
        address,
    })
    .collect()
}

/// The example environment's attributes.
fn environment() -> Value {
    let path = example().join("environments/vpc_cloud.json");
    let env: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    env["default_attributes"].clone()
}

/// compile.rb's output: the resource collection, templates rendered.
struct Compiled(Value);

impl Compiled {
    fn resources(&self) -> &Vec<Value> {
        self.0["resources"].as_array().expect("resources")
    }

    fn ids(&self) -> Vec<&str> {
        self.resources()
            .iter()
            .map(|r| r["resource"].as_str().unwrap())
            .collect()
    }

    fn get(&self, id: &str) -> &Value {
        self.resources()
            .iter()
            .find(|r| r["resource"] == id)
            .unwrap_or_else(|| panic!("no {id} among {:?}", self.ids()))
    }

    fn has(&self, id: &str) -> bool {
        self.resources().iter().any(|r| r["resource"] == id)
    }

    /// The rendered content of the template written to a path ending with `file`.
    fn file(&self, file: &str) -> String {
        self.resources()
            .iter()
            .find(|r| r["type"] == "template" && r["name"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("no template for {file} among {:?}", self.ids()))["content"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn warnings(&self) -> &Vec<Value> {
        self.0["warnings"].as_array().expect("warnings")
    }
}

/// The templates and the @variables each takes: a new template must be added here to be tested.
fn templates() -> Vec<(&'static str, Vec<(&'static str, Value)>)> {
    let member = || vec![("my_id", json!(1))];
    let plane = || vec![("metadata", json!(true))];
    vec![
        ("api-gateway.service.erb", vec![]),
        ("api-gateway.toml.erb", vec![]),
        ("eucalyptus-network.json.erb", vec![]),
        ("myid.erb", member()),
        ("translator.service.erb", plane()),
        ("translator.toml.erb", plane()),
        ("zoo.cfg.erb", member()),
        ("zookeeper.service.erb", member()),
    ]
}

#[test]
fn every_ruby_file_of_the_cookbook_parses_and_every_json_file_is_json() {
    let Some(ruby) = tool("ruby", "ruby") else {
        return;
    };
    let sources = files(&cookbook(), ".rb");
    for required in [
        "metadata.rb",
        "attributes/default.rb",
        "recipes/default.rb",
        "recipes/zookeeper.rb",
        "recipes/api_gateway.rb",
        "recipes/translator.rb",
        "recipes/metadata.rb",
        "test/render.rb",
        "test/compile.rb",
        "examples/three-node/solo.rb",
    ] {
        assert!(
            sources.contains(&cookbook().join(required)),
            "chef/{required} is missing"
        );
    }
    assert!(cookbook().join("README.md").is_file());
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
    let documents = files(&example(), ".json");
    assert_eq!(documents.len(), 6, "{documents:?}");
    for document in documents {
        let parsed: Result<Value, _> =
            serde_json::from_str(&fs::read_to_string(&document).unwrap());
        assert!(parsed.is_ok(), "{}: {parsed:?}", document.display());
    }
}

#[test]
fn every_template_compiles_and_renders_with_the_default_attributes_alone() {
    let (Some(cookbook_tools), Some(erb)) = (Cookbook::new(), tool("erb", "ruby")) else {
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
        let mut check = Command::new(&cookbook_tools.ruby)
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

        let rendered = cookbook_tools.render(template, &json!({}), &vars);
        assert!(!rendered.trim().is_empty(), "{template} renders empty");
        assert!(
            !rendered.contains("<%"),
            "{template} left ERB tags: {rendered}"
        );
    }

    // The defaults make a one-member ensemble on loopback that the gateway uses.
    let gateway = cookbook_tools.render("api-gateway.toml.erb", &json!({}), &[]);
    assert!(
        gateway.contains("zookeeper = [\"127.0.0.1:2181\"]\n"),
        "{gateway}"
    );
    let zoo = cookbook_tools.render("zoo.cfg.erb", &json!({}), &[("my_id", json!(1))]);
    assert!(zoo.contains("\nserver.1=127.0.0.1:2888:3888\n"), "{zoo}");
    assert!(zoo.contains("\nclientPort=2181\n"), "{zoo}");
    // No gateway is configured by default: the recipe writes this file only with gw-host.
    let network = cookbook_tools.render("eucalyptus-network.json.erb", &json!({}), &[]);
    assert_eq!(network, "null\n");
}

#[test]
fn the_renderer_and_the_compiler_refuse_attributes_that_default_rb_does_not_define() {
    let Some(cookbook_tools) = Cookbook::new() else {
        return;
    };
    let set = cookbook_tools
        .try_render(
            "api-gateway.toml.erb",
            &json!({"midonet_vpc": {"api_gatway": {}}}),
            &[],
        )
        .expect_err("an unknown attribute is refused");
    assert!(
        set.contains(
            "--set sets node['midonet_vpc']['api_gatway'], which attributes/default.rb does not define"
        ),
        "{set}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let template = dir.path().join("typo.erb");
    fs::write(
        &template,
        "<%= node['midonet_vpc']['api_gateway']['listen_port'] %>\n",
    )
    .unwrap();
    let read = cookbook_tools
        .try_render(template.to_str().unwrap(), &json!({}), &[])
        .expect_err("reading an undefined attribute fails");
    assert!(
        read.contains("node['midonet_vpc']['api_gateway']['listen_port'] is not defined"),
        "{read}"
    );

    let missing = cookbook_tools
        .try_render("zoo.cfg.erb", &json!({}), &[])
        .expect_err("a template's variables must be given");
    assert!(missing.contains("zoo.cfg.erb uses @my_id"), "{missing}");

    // An environment, role or node file with a misspelt key fails the compile, naming the file.
    let env = merged(
        serde_json::from_str(
            &fs::read_to_string(example().join("environments/vpc_cloud.json")).unwrap(),
        )
        .unwrap(),
        &json!({"default_attributes": {"midonet_vpc": {"eucalyptus": {"gw_host": "b-22"}}}}),
    );
    let typo = dir.path().join("typo.json");
    fs::write(&typo, env.to_string()).unwrap();
    let out = run(Command::new(&cookbook_tools.ruby)
        .arg(cookbook().join("test/compile.rb"))
        .arg("--run-list")
        .arg("recipe[midonet_vpc::api_gateway]")
        .arg("--environment")
        .arg(&typo));
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&format!(
            "{} sets node['midonet_vpc']['eucalyptus']['gw_host'], which attributes/default.rb does not define",
            typo.display()
        )),
        "{}",
        text(&out.stderr)
    );
}

/// The attribute paths a Ruby source reads: `node['a']['b']` and, by the cookbook's
/// convention, `attrs['b']` for `node['midonet_vpc']['b']`. A path stops at the first index
/// that is not a quoted name (a key the user chooses, as in `mapping[name]`).
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
    let Some(cookbook_tools) = Cookbook::new() else {
        return;
    };
    let defined = cookbook_tools.attributes();
    for attribute in [
        "midonet_vpc.zookeepers",
        "midonet_vpc.cassandras",
        "midonet_vpc.midonet-api-url",
        "midonet_vpc.api_gateway.listen",
        "midonet_vpc.midolman-host-mapping",
        "midonet_vpc.bgp-peers",
        "midonet_vpc.eucalyptus.gw-host",
        "midonet_vpc.eucalyptus.gw-ip",
        "midonet_vpc.eucalyptus.gw-interface",
        "midonet_vpc.eucalyptus.public-network",
        "midonet_vpc.eucalyptus.public-gw-ip",
        "midonet_vpc.eucalyptus.eucanetd-host",
        "midonet_vpc.eucalyptus.gni",
        "midonet_vpc.install.method",
        "midonet_vpc.install.tarball",
        "midonet_vpc.metadata.clc",
    ] {
        assert!(defined.contains(attribute), "{attribute}: {defined:?}");
    }
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

/// Checks what makes a second Chef run change nothing and notifications land: every command
/// is guarded (`not_if`, `only_if`, `creates`) or runs only when notified, every template's
/// source exists, and each service is restarted by a change of its configuration.
fn assert_idempotent(what: &str, compiled: &Compiled) {
    for resource in compiled.resources() {
        let id = resource["resource"].as_str().unwrap();
        let guarded = !resource["guards"].as_array().unwrap().is_empty()
            || resource["properties"].get("creates").is_some()
            || resource["action"] == json!(["nothing"]);
        if ["execute", "ruby_block"].contains(&resource["type"].as_str().unwrap()) {
            assert!(guarded, "{what}: {id} runs on every Chef run: {resource}");
        }
        if resource["type"] == "template" {
            let source = resource["properties"]["source"].as_str().unwrap();
            assert!(cookbook().join("templates/default").join(source).is_file());
        }
    }
    for (config, service) in [
        ("api-gateway.toml", "service[api-gateway]"),
        ("translator.toml", "service[translator]"),
        ("zoo.cfg", "service[zookeeper]"),
    ] {
        let Some(template) = compiled
            .resources()
            .iter()
            .find(|r| r["type"] == "template" && r["name"].as_str().unwrap().ends_with(config))
        else {
            continue;
        };
        let restarts = template["notifies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["resource"] == service && n["action"] == "restart");
        assert!(restarts, "{what}: {config} does not restart {service}");
        assert_eq!(compiled.get(service)["action"], json!(["enable", "start"]));
    }
}

#[test]
fn the_default_run_list_and_each_example_host_compile_to_idempotent_resources() {
    let Some(cookbook_tools) = Cookbook::new() else {
        return;
    };
    let single = cookbook_tools.compile(&RunAs::RunList(vec!["recipe[midonet_vpc]"]), &json!({}));
    assert_idempotent("recipe[midonet_vpc]", &single);
    for service in ["zookeeper", "api-gateway", "translator"] {
        assert!(single.has(&format!("service[{service}]")));
    }
    assert!(single.has("package[midonet-vpc]") && single.has("package[iproute2]"));
    // Nothing to register, no gateway configured: neither is done.
    assert!(!single.has("execute[midonet_vpc: register hosts and tunnel zone]"));
    assert!(!single
        .ids()
        .iter()
        .any(|id| id.ends_with("eucalyptus-network.json]")));

    let mut rendered = BTreeSet::new();
    for host in hosts() {
        let compiled = cookbook_tools.compile(&RunAs::Example(host.clone()), &json!({}));
        let what = format!("example host {}", host.short);
        rendered.extend(
            compiled
                .resources()
                .iter()
                .filter(|r| r["type"] == "template")
                .map(|r| r["properties"]["source"].as_str().unwrap().to_owned()),
        );
        assert_idempotent(&what, &compiled);
        assert!(
            compiled.warnings().is_empty(),
            "{what}: {:?}",
            compiled.warnings()
        );
        // Every host: its member of the ensemble and a gateway, from the release tarball.
        let zoo = compiled.file("zoo.cfg");
        assert!(
            zoo.contains(&format!("\nclientPortAddress={}\n", host.address)),
            "{zoo}"
        );
        let gateway = compiled.file("api-gateway.toml");
        assert!(gateway.contains(&format!("listen = \"{}:8181\"", host.address)));
        assert!(gateway.contains(
            "zookeeper = [\"10.111.1.5:2181\",\"10.111.1.22:2181\",\"10.111.1.23:2181\"]"
        ));
        assert!(compiled.has("link[/usr/local/bin/translator]"));
        let unpack = compiled.get(
            "execute[midonet_vpc: unpack /var/cache/midonet-vpc/midonet-vpc-0.1.0-x86_64-linux.tar.gz]",
        );
        assert_eq!(
            unpack["properties"]["creates"],
            "/opt/midonet-vpc/midonet-vpc-0.1.0-x86_64-linux"
        );
        assert_eq!(
            compiled.get("service[api-gateway]")["subscribes"][0]["resource"],
            "link[/usr/local/bin/api-gateway]"
        );
        // Only the CLC runs the translator, with its metadata plane, and registers the hosts.
        let clc = host.short == "b-05";
        assert_eq!(compiled.has("service[translator]"), clc, "{what}");
        assert_eq!(compiled.has("package[iproute2]"), clc, "{what}");
        assert_eq!(
            compiled.has("execute[midonet_vpc: register hosts and tunnel zone]"),
            clc
        );
        if clc {
            let translator = compiled.file("translator.toml");
            assert!(translator.contains("\nno_metadata = false\nclc = \"127.0.0.1:8773\"\n"));
            assert!(translator.contains(
                "\n[[hosts]]\nname = \"b-22.cloud.example.com\"\naddress = \"10.111.1.22\"\n\
                 interfaces = [\"em1.116\"]\n"
            ));
            assert!(compiled
                .file("translator.service")
                .contains("\nUser=root\n"));
            let register = compiled.get("execute[midonet_vpc: register hosts and tunnel zone]");
            assert_eq!(
                register["guards"][0]["command"],
                "/usr/local/bin/translator register-hosts --config /etc/midonet-vpc/translator.toml --check"
            );
        }
    }

    // Between them the example's hosts render every template.
    let every: BTreeSet<String> = templates().iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(rendered, every);

    // The metadata recipe turns the plane on however it meets the translator recipe.
    let alone = cookbook_tools.compile(
        &RunAs::RunList(vec!["recipe[midonet_vpc::translator]"]),
        &json!({}),
    );
    assert!(alone
        .file("translator.toml")
        .contains("\nno_metadata = true\n"));
    assert!(alone
        .file("translator.service")
        .contains("\nUser=eucalyptus\n"));
    assert!(!alone.has("package[iproute2]"));
    let before = cookbook_tools.compile(
        &RunAs::RunList(vec![
            "recipe[midonet_vpc::translator]",
            "recipe[midonet_vpc::metadata]",
        ]),
        &json!({}),
    );
    let after = cookbook_tools.compile(
        &RunAs::RunList(vec![
            "recipe[midonet_vpc::metadata]",
            "recipe[midonet_vpc::translator]",
        ]),
        &json!({}),
    );
    for compiled in [&before, &after] {
        assert!(compiled
            .file("translator.toml")
            .contains("\nno_metadata = false\n"));
        assert!(compiled
            .file("translator.service")
            .contains("\nUser=root\n"));
        assert!(compiled.has("package[iproute2]"));
    }
}

#[test]
fn bad_cluster_attributes_fail_the_compile_naming_the_attribute() {
    let Some(cookbook_tools) = Cookbook::new() else {
        return;
    };
    let clc = hosts()[0].clone();
    let refused = |set: Value| {
        cookbook_tools
            .try_compile(&RunAs::Example(clc.clone()), &json!({"midonet_vpc": set}))
            .err()
            .unwrap_or_else(|| panic!("{set} was accepted"))
    };
    let cases = [
        (
            json!({"zookeepers": [{"id": 1, "host": "10.111.1.5", "port": 2181},
                                   {"id": 1, "host": "10.111.1.22", "port": 2181}]}),
            "node['midonet_vpc']['zookeepers']: 10.111.1.5:2181 and 10.111.1.22:2181 both have id 1",
        ),
        (
            json!({"zookeepers": ["10.111.1.5:2181", {"host": "10.111.1.22", "port": 2181}]}),
            "node['midonet_vpc']['zookeepers'][1]: id nil is not 1 to 255",
        ),
        (
            json!({"eucalyptus": {"gw-ip": "10.117.0.5"}}),
            "node['midonet_vpc']['eucalyptus']['gw-ip'] 10.117.0.5 is not in public-network 10.116.128.0/17",
        ),
        (
            json!({"eucalyptus": {"gw-host": "b-99.cloud.example.com"}}),
            "node['midonet_vpc']['eucalyptus']['gw-host']: \"b-99.cloud.example.com\" is neither a name in midolman-host-mapping nor an address",
        ),
        (
            json!({"eucalyptus": {"eucanetd-host": "b-22.cloud.example.com"}}),
            "node['midonet_vpc']['eucalyptus']['eucanetd-host'] is \"b-22.cloud.example.com\", not this node",
        ),
        (
            json!({"bgp-peers": [{"router-name": "eucart", "port-ip": "10.116.129.5",
                                  "remote-as": 65000, "local-as": 64772,
                                  "peer-address": "10.116.133.173", "route": "10.116.130.0/24"}]}),
            "node['midonet_vpc']['bgp-peers'][0]: port-ip 10.116.129.5 is not gw-ip 10.116.129.22",
        ),
        (
            json!({"midolman-host-mapping": {"b-05.cloud.example.com": "b-05"}}),
            "node['midonet_vpc']['midolman-host-mapping'][\"b-05.cloud.example.com\"]: \"b-05\" is not an IP address",
        ),
        (
            json!({"install": {"tarball": "/var/cache/midonet-vpc.zip"}}),
            "node['midonet_vpc']['install']['tarball'] \"/var/cache/midonet-vpc.zip\" is not an absolute path to NAME.tar.gz",
        ),
    ];
    for (set, expected) in cases {
        let said = refused(set.clone());
        assert!(said.contains(expected), "{set}: {said}");
    }
    // Cassandra servers become the gateways' state store, checked like the ensemble.
    for (set, expected) in [
        (
            json!({"cassandras": ["10.111.1.5:9042", "10.111.1.22:0"]}),
            "node['midonet_vpc']['cassandras'][1]: port \"0\" is not 1 to 65535",
        ),
        (
            json!({"cassandras": ["a b"]}),
            "node['midonet_vpc']['cassandras'][0]: \"a b\" is not host or host:port",
        ),
        (
            json!({"cassandras": ["10.111.1.5"], "api_gateway": {"cassandra_replication_factor": 0}}),
            "node['midonet_vpc']['api_gateway']['cassandra_replication_factor']: 0 is not a positive number",
        ),
    ] {
        let said = refused(set.clone());
        assert!(said.contains(expected), "{set}: {said}");
    }
}

/// Writes `content` to `dir/name`.
fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, content).unwrap();
    path
}

#[test]
fn rendered_units_pass_systemd_analyze_verify_and_stay_hardened() {
    let (Some(cookbook_tools), Some(analyze)) =
        (Cookbook::new(), tool("systemd-analyze", "systemd"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    // bin_dir where the test's binaries are, and the Java the ZooKeeper tests find, so verify
    // finds every executable.
    let bin_dir = binary("api-gateway").parent().unwrap().to_path_buf();
    let mut set = json!({"midonet_vpc": {"bin_dir": bin_dir}});
    let zookeeper = zookeeper_installed_or_skip();
    if zookeeper {
        let java = installation().expect("Java, with ZooKeeper");
        set["midonet_vpc"]["zookeeper"] = json!({"java": java});
    }
    // (file name, content, highest exposure x10 allowed)
    let mut units: Vec<(String, String, u32)> = Vec::new();
    let single = cookbook_tools.compile(&RunAs::RunList(vec!["recipe[midonet_vpc]"]), &set);
    let alone = cookbook_tools.compile(
        &RunAs::RunList(vec!["recipe[midonet_vpc::translator]"]),
        &set,
    );
    let embedded = cookbook_tools.compile(
        &RunAs::RunList(vec!["recipe[midonet_vpc::api_gateway]"]),
        &merged(
            set.clone(),
            &json!({"midonet_vpc": {"api_gateway": {"store": "embedded"}}}),
        ),
    );
    units.push((
        "api-gateway.service".into(),
        single.file("api-gateway.service"),
        20,
    ));
    units.push((
        "translator.service".into(),
        single.file("translator.service"),
        50,
    ));
    units.push((
        "zookeeper.service".into(),
        single.file("zookeeper.service"),
        20,
    ));
    units.push((
        "translator-no-metadata.service".into(),
        alone.file("translator.service"),
        20,
    ));
    units.push((
        "api-gateway-embedded.service".into(),
        embedded.file("api-gateway.service"),
        20,
    ));
    for host in hosts() {
        let compiled = cookbook_tools.compile(&RunAs::Example(host.clone()), &set);
        for unit in [
            "zookeeper.service",
            "api-gateway.service",
            "translator.service",
        ] {
            if compiled.has(&format!("template[/etc/systemd/system/{unit}]")) {
                let threshold = if unit == "translator.service" { 50 } else { 20 };
                units.push((
                    format!("{}-{unit}", host.short),
                    compiled.file(unit),
                    threshold,
                ));
            }
        }
    }
    assert_eq!(units.len(), 5 + 7);
    for (name, contents, threshold) in units {
        if name.ends_with("zookeeper.service") && !zookeeper {
            continue; // verify would not find the JVM
        }
        let unit = write(dir.path(), &name, &contents);
        assert!(
            contents.contains("\nRestart=on-failure\n"),
            "{name}: {contents}"
        );
        let out = run(Command::new(&analyze).arg("verify").arg(&unit));
        // verify exits 0 on unknown keys and bad values, warning on stderr: any output fails.
        assert!(
            out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
            "systemd-analyze verify {name}: {}{}\n{contents}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let out = run(Command::new(&analyze)
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(format!("--threshold={threshold}"))
            .arg(&unit));
        assert!(
            out.status.success(),
            "{name} is more exposed than {}.{}: {}",
            threshold / 10,
            threshold % 10,
            text(&out.stdout).lines().last().unwrap_or_default()
        );
    }
}

/// Runs `bin subcommand --config FILE --check-config`.
fn check_config(bin: &str, subcommand: &str, config: &Path) -> Output {
    run(Command::new(binary(bin))
        .arg(subcommand)
        .arg("--config")
        .arg(config)
        .arg("--check-config")
        .env("RUST_BACKTRACE", "0"))
}

#[test]
fn rendered_configs_pass_check_config_and_a_broken_one_names_its_key_and_line() {
    let Some(cookbook_tools) = Cookbook::new() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    // The GNI's directory must exist; the rest is as rendered.
    let gni = dir.path().join("global_network_info.xml");
    let set = json!({"midonet_vpc": {"eucalyptus": {"gni": gni}}});

    // The defaults: the gateway on ZooKeeper, the translator with and without metadata.
    let single = cookbook_tools.compile(&RunAs::RunList(vec!["recipe[midonet_vpc]"]), &set);
    let gateway = single.file("api-gateway.toml");
    let out = check_config(
        "api-gateway",
        "serve",
        &write(dir.path(), "gw.toml", &gateway),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout)
            .split_once(": ")
            .map(|(_, said)| said.trim()),
        Some(
            "configuration ok: listen 127.0.0.1:8181, ZooKeeper store at 127.0.0.1:2181 under \
             /midonet, embedded state store in /var/lib/midonet-vpc/gateway, history on, flow \
             state TTL 3600s, no authentication"
        )
    );
    // With cassandras, history and flow state go to Cassandra (CQL's port by default), with a
    // replica per server up to three.
    let with_cassandra = cookbook_tools.compile(
        &RunAs::RunList(vec!["recipe[midonet_vpc]"]),
        &json!({"midonet_vpc": {"eucalyptus": {"gni": gni}, "cassandras": ["10.111.1.5", "10.111.1.22:9043"]}}),
    );
    let rendered = with_cassandra.file("api-gateway.toml");
    assert!(
        rendered.contains("replication = { class = \"SimpleStrategy\", replication_factor = 2 }"),
        "{rendered}"
    );
    let out = check_config(
        "api-gateway",
        "serve",
        &write(dir.path(), "gw-cassandra.toml", &rendered),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(
            "Cassandra state store at 10.111.1.5:9042,10.111.1.22:9043 in keyspace midonet_state, history on"
        ),
        "{}",
        text(&out.stdout)
    );
    let out = check_config(
        "translator",
        "run",
        &write(dir.path(), "tr.toml", &single.file("translator.toml")),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).ends_with(
        "API http://127.0.0.1:8181/midonet-api, tenant euca_tenant_1, metadata from 127.0.0.1:8773\n"
    ));
    let alone = cookbook_tools.compile(
        &RunAs::RunList(vec!["recipe[midonet_vpc::translator]"]),
        &set,
    );
    let out = check_config(
        "translator",
        "run",
        &write(dir.path(), "tr-alone.toml", &alone.file("translator.toml")),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("metadata"));
    let data = dir.path().join("gateway-data");
    let embedded = cookbook_tools.compile(
        &RunAs::RunList(vec!["recipe[midonet_vpc::api_gateway]"]),
        &json!({"midonet_vpc": {"api_gateway": {"store": "embedded", "data_dir": data}}}),
    );
    let out = check_config(
        "api-gateway",
        "serve",
        &write(
            dir.path(),
            "embedded.toml",
            &embedded.file("api-gateway.toml"),
        ),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("embedded store in {}", data.display())));

    // The example: each host's gateway, and the CLC's translator, also as register-hosts reads it.
    for host in hosts() {
        let compiled = cookbook_tools.compile(&RunAs::Example(host.clone()), &set);
        let config = write(
            dir.path(),
            &format!("{}-gw.toml", host.short),
            &compiled.file("api-gateway.toml"),
        );
        let out = check_config("api-gateway", "serve", &config);
        assert!(
            out.status.success(),
            "{}: {}",
            host.short,
            text(&out.stderr)
        );
        assert!(text(&out.stdout).contains(&format!(
            "listen {}:8181, ZooKeeper store at 10.111.1.5:2181,10.111.1.22:2181,10.111.1.23:2181",
            host.address
        )));
        if !compiled.has("service[translator]") {
            continue;
        }
        let config = write(dir.path(), "clc.toml", &compiled.file("translator.toml"));
        let out = check_config("translator", "run", &config);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).ends_with(
            "API http://10.111.1.5:8181/midonet-api, tenant euca_tenant_1, metadata from 127.0.0.1:8773\n"
        ));
        let out = check_config("translator", "register-hosts", &config);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).ends_with(
            "tunnel zone mido-tz (gre), 3 hosts (b-05.cloud.example.com, \
             b-22.cloud.example.com, b-23.cloud.example.com)\n"
        ));
        let network: Value = serde_json::from_str(&compiled.file("eucalyptus-network.json"))
            .expect("eucalyptus-network.json is JSON");
        assert_eq!(network["Mido"]["Gateways"][0]["ExternalDevice"], "em1.116");
    }

    // Broken: each binary names the file, the key and its line, and exits non-zero.
    let missing = dir.path().join("missing").join("global_network_info.xml");
    let broken_set = json!({"midonet_vpc": {"eucalyptus": {"gni": missing}}});
    let broken = write(
        dir.path(),
        "broken-translator.toml",
        &cookbook_tools
            .compile(
                &RunAs::RunList(vec!["recipe[midonet_vpc::translator]"]),
                &broken_set,
            )
            .file("translator.toml"),
    );
    let out = check_config("translator", "run", &broken);
    assert!(!out.status.success());
    let expected = format!(
        "{}: line 4: gni: the directory {} does not exist",
        broken.display(),
        missing.parent().unwrap().display()
    );
    assert!(
        text(&out.stderr).contains(&expected),
        "{}",
        text(&out.stderr)
    );

    let broken = write(
        dir.path(),
        "broken-gateway.toml",
        &gateway.replace("listen = \"127.0.0.1:8181\"", "listen = \"localhost:8181\""),
    );
    let out = check_config("api-gateway", "serve", &broken);
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains(&format!("{}: TOML parse error at line 3", broken.display()))
            && said.contains("invalid socket address"),
        "{said}"
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

/// The example's three hosts run their members on one machine here: the environment's
/// `zookeepers` keep their ids and order but move to 127.0.0.1 with free client, quorum and
/// election ports, each host's `my_id` says which member it is (they share an address now), and
/// each has its own data directory. Everything else is the example's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_hosts_zoo_cfgs_elect_a_leader_serve_a_gateway_and_survive_its_loss() {
    let Some(cookbook_tools) = Cookbook::new() else {
        return;
    };
    if !zookeeper_installed_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let port = || free_port().expect("a free port");
    let members = environment()["midonet_vpc"]["zookeepers"].clone();
    let members = members.as_array().expect("zookeepers");
    assert_eq!(members.len(), 3);
    let mut zookeepers = Vec::new();
    let mut clients = Vec::new();
    for member in members {
        let client = port();
        zookeepers.push(
            json!({"id": member["id"], "host": "127.0.0.1", "port": client,
                               "quorum_port": port(), "election_port": port()}),
        );
        clients.push(SocketAddr::from(([127, 0, 0, 1], client)));
    }

    let mut peers = Vec::new();
    let mut gateway_config = None;
    for (host, member) in hosts().into_iter().zip(members) {
        let member_dir = dir.path().join(host.short);
        let data_dir = member_dir.join("data");
        fs::create_dir_all(&data_dir).unwrap();
        let set = json!({"midonet_vpc": {
            "zookeepers": zookeepers,
            "zookeeper": {"data_dir": data_dir, "my_id": member["id"]},
        }});
        let compiled = cookbook_tools.compile(&RunAs::Example(host.clone()), &set);
        let zoo_cfg = write(&member_dir, "zoo.cfg", &compiled.file("zoo.cfg"));
        // The recipe writes myid into data_dir, as ZooKeeper reads it.
        let myid = compiled.get(&format!("template[{}/myid]", data_dir.display()));
        fs::write(data_dir.join("myid"), myid["content"].as_str().unwrap()).unwrap();
        peers.push(ZkPeer::spawn(&zoo_cfg, &member_dir.join("zookeeper.log")).expect("spawn"));
        gateway_config.get_or_insert_with(|| {
            write(
                dir.path(),
                "api-gateway.toml",
                &compiled.file("api-gateway.toml"),
            )
        });
    }
    let leader = wait_for_leader(&clients, &mut peers);

    // A gateway from the rendered api-gateway.toml, on the same ensemble, stores a router.
    let config = gateway_config.expect("a gateway configuration");
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

/// The CLC's `Mido` network configuration as the CLC puts it into the GNI: each JSON key in
/// lowerCamelCase as a `property`, lists as several `value`s.
fn mido_property(network: &Value) -> String {
    fn camel(key: &str) -> String {
        let mut chars = key.chars();
        let first = chars.next().expect("a key").to_ascii_lowercase();
        std::iter::once(first).chain(chars).collect()
    }
    fn properties(object: &Value) -> String {
        let mut xml = String::new();
        for (key, value) in object.as_object().expect("an object") {
            let values: Vec<String> = match value {
                Value::Array(list) => list
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect(),
                other => vec![other.as_str().expect("a string").to_owned()],
            };
            xml.push_str(&format!("<property name=\"{}\">", camel(key)));
            for v in values {
                xml.push_str(&format!("<value>{v}</value>"));
            }
            xml.push_str("</property>");
        }
        xml
    }
    let mido = &network["Mido"];
    let mut xml = String::from("<property name=\"mido\">");
    if let Some(asn) = mido.get("BgpAsn") {
        xml.push_str(&properties(&json!({"BgpAsn": asn})));
    }
    xml.push_str("<property name=\"gateways\">");
    for gateway in mido["Gateways"].as_array().expect("Gateways") {
        xml.push_str(&format!("<gateway>{}</gateway>", properties(gateway)));
    }
    xml.push_str("</property></property>\n    ");
    xml
}

/// The CLC host's run, its commands executed for real against a gateway: the registration guard
/// says "run", the command registers the host mapping and the tunnel zone, the guard then says
/// "skip" (a second Chef run does nothing) and running the command anyway changes nothing. Then
/// the example's eucalyptus-network.json, turned into the GNI's `mido` section as the CLC would,
/// makes the translator bind eucart's gateway port to the registered gateway host's em1.116 and
/// peer with BGP as the example's bgp-peers say.
#[tokio::test(flavor = "multi_thread")]
async fn the_clc_registers_the_example_hosts_once_and_its_gateway_binds_to_the_registered_host() {
    let Some(cookbook_tools) = Cookbook::new() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let clc = hosts()[0].clone();
    // The CLC's gateway, from its rendered api-gateway.toml, on an embedded store here.
    let data = dir.path().join("gateway-data");
    let gateway_set =
        json!({"midonet_vpc": {"api_gateway": {"store": "embedded", "data_dir": data}}});
    let config = write(
        dir.path(),
        "api-gateway.toml",
        &cookbook_tools
            .compile(&RunAs::Example(clc.clone()), &gateway_set)
            .file("api-gateway.toml"),
    );
    let gateway = GatewayProcess::start(&config);

    let gni_dir = dir.path().join("eucalyptus");
    fs::create_dir_all(&gni_dir).unwrap();
    let gni = gni_dir.join("global_network_info.xml");
    let config_dir = dir.path().join("etc");
    fs::create_dir_all(&config_dir).unwrap();
    let set = json!({"midonet_vpc": {
        "midonet-api-url": gateway.url,
        "bin_dir": binary("translator").parent().unwrap(),
        "config_dir": config_dir,
        "eucalyptus": {"gni": gni},
    }});
    let compiled = cookbook_tools.compile(&RunAs::Example(clc), &set);
    let translator_toml = config_dir.join("translator.toml");
    fs::write(&translator_toml, compiled.file("translator.toml")).unwrap();
    let register = compiled.get("execute[midonet_vpc: register hosts and tunnel zone]");
    let command = register["properties"]["command"].as_str().unwrap();
    let guard = &register["guards"][0];
    assert_eq!(guard["kind"], "not_if");
    let guard = guard["command"].as_str().unwrap();

    let first_guard = shell(guard);
    assert_eq!(first_guard.status.code(), Some(1), "{first_guard:?}");
    let first = shell(command);
    assert!(first.status.success(), "{first:?}");
    assert!(text(&first.stdout)
        .ends_with("register-hosts: 3 hosts in tunnel zone mido-tz: 7 changes made\n"));
    let second_guard = shell(guard);
    assert_eq!(second_guard.status.code(), Some(0), "{second_guard:?}");
    let second = shell(command);
    assert!(second.status.success(), "{second:?}");
    assert_eq!(
        text(&second.stdout),
        "register-hosts: 3 hosts in tunnel zone mido-tz: nothing to change\n"
    );

    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", gateway.url);
        async move {
            let answer = http.get(&url).send().await.expect("GET");
            assert_eq!(answer.status().as_u16(), 200, "GET {url}");
            answer.json::<Value>().await.expect("JSON")
        }
    };
    let registered = get("/hosts".into()).await;
    let mut names: Vec<(&str, &str)> = registered
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap(),
                h["addresses"][0].as_str().unwrap(),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("b-05.cloud.example.com", "10.111.1.5"),
            ("b-22.cloud.example.com", "10.111.1.22"),
            ("b-23.cloud.example.com", "10.111.1.23"),
        ]
    );
    let zones = get("/tunnel_zones".into()).await;
    let zones = zones.as_array().unwrap();
    assert_eq!(zones.len(), 1);
    assert_eq!(zones[0]["name"], "mido-tz");
    let members = get(format!(
        "/tunnel_zones/{}/hosts",
        zones[0]["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(members.as_array().unwrap().len(), 3);

    // The GNI the CLC would write with the example's network configuration: the shipped
    // single-VPC example with that `mido` section, the CLC at b-05 and the instance on b-23.
    let network: Value = serde_json::from_str(&compiled.file("eucalyptus-network.json")).unwrap();
    let example_gni = fs::read_to_string(repo_root().join("examples/gni/single-vpc.xml")).unwrap();
    let start = example_gni
        .find("<property name=\"mido\">")
        .expect("a mido section");
    let end = example_gni
        .find("<property name=\"enabledCLCIp\">")
        .unwrap();
    let document = format!(
        "{}{}{}",
        &example_gni[..start],
        mido_property(&network),
        &example_gni[end..]
    )
    .replace(
        "<property name=\"enabledCLCIp\"><value>10.1.0.2</value>",
        "<property name=\"enabledCLCIp\"><value>10.111.1.5</value>",
    )
    .replace("<node name=\"10.1.0.21\">", "<node name=\"10.111.1.23\">");
    fs::write(&gni, document).unwrap();
    let applied = run(Command::new(binary("translator"))
        .args(["apply", "--once", "--no-metadata", "--config"])
        .arg(&translator_toml)
        .env("RUST_LOG", "warn"));
    assert!(applied.status.success(), "{applied:?}");
    assert!(
        !text(&applied.stdout).contains("no MidoNet host"),
        "{}",
        text(&applied.stdout)
    );

    let routers = get("/routers".into()).await;
    let eucart = routers
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "eucart")
        .expect("eucart");
    let eucart_id = eucart["id"].as_str().unwrap();
    let ports = get(format!("/routers/{eucart_id}/ports")).await;
    let gateway_port = ports
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["portAddress"] == "10.116.129.22")
        .unwrap_or_else(|| panic!("no gateway port: {ports}"));
    let b22 = registered
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "b-22.cloud.example.com")
        .unwrap();
    assert_eq!(gateway_port["hostId"], b22["id"]);
    assert_eq!(gateway_port["interfaceName"], "em1.116");
    let peers = get(format!("/routers/{eucart_id}/bgp_peers")).await;
    let peer = &peers.as_array().expect("BGP peers")[0];
    assert_eq!(peer["address"], "10.116.133.173");
    assert_eq!(peer["asNumber"], 65000);
}

/// A release tarball of the documented layout, with stand-in binaries.
fn release_tarball(dir: &Path, name: &str) -> PathBuf {
    let staging = dir.join("staging").join(name);
    fs::create_dir_all(staging.join("bin")).unwrap();
    for binary in ["api-gateway", "translator", "midonet-cli"] {
        let path = staging.join("bin").join(binary);
        fs::write(&path, format!("#!/bin/sh\necho {name} {binary}\n")).unwrap();
        let out = run(Command::new("chmod").arg("755").arg(&path));
        assert!(out.status.success());
    }
    let tarball = dir.join(format!("{name}.tar.gz"));
    let out = run(Command::new("tar")
        .arg("-czf")
        .arg(&tarball)
        .arg("-C")
        .arg(dir.join("staging"))
        .arg(name));
    assert!(out.status.success(), "{out:?}");
    tarball
}

/// The tarball install's command, run as Chef would: once (then its `creates` path exists, so a
/// second run skips it), into the directory the links point to; a new release unpacks beside it.
#[test]
fn a_release_tarball_unpacks_once_into_the_directory_the_links_point_to() {
    let Some(cookbook_tools) = Cookbook::new() else {
        return;
    };
    if tool("tar", "tar").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("opt");
    fs::create_dir_all(&prefix).unwrap();
    for release in [
        "midonet-vpc-0.1.0-x86_64-linux",
        "midonet-vpc-0.2.0-x86_64-linux",
    ] {
        let tarball = release_tarball(dir.path(), release);
        let set = json!({"midonet_vpc": {"install": {
            "method": "tarball", "tarball": tarball, "prefix": prefix,
        }, "bin_dir": dir.path().join("bin")}});
        let compiled = cookbook_tools.compile(
            &RunAs::RunList(vec!["recipe[midonet_vpc::api_gateway]"]),
            &set,
        );
        let unpack = compiled.get(&format!(
            "execute[midonet_vpc: unpack {}]",
            tarball.display()
        ));
        let creates = PathBuf::from(unpack["properties"]["creates"].as_str().unwrap());
        assert_eq!(creates, prefix.join(release));
        assert!(!creates.exists());
        let out = shell(unpack["properties"]["command"].as_str().unwrap());
        assert!(out.status.success(), "{out:?}");
        assert!(creates.is_dir(), "the guard's path exists after one run");
        // Nothing but the release is left in the prefix (no temporary directory).
        let mut entries: Vec<String> = fs::read_dir(&prefix)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        entries.sort();
        assert_eq!(entries.last().map(String::as_str), Some(release));
        assert!(
            entries.iter().all(|e| e.starts_with("midonet-vpc-")),
            "{entries:?}"
        );
        for binary in ["api-gateway", "translator", "midonet-cli"] {
            let link = compiled.get(&format!(
                "link[{}]",
                dir.path().join("bin").join(binary).display()
            ));
            let target = PathBuf::from(link["properties"]["to"].as_str().unwrap());
            assert_eq!(target, creates.join("bin").join(binary));
            let out = run(&mut Command::new(&target));
            assert_eq!(text(&out.stdout), format!("{release} {binary}\n"));
        }
    }
}
