//! The outside-client test: MidoNet's public Python CLI (`midonet-cli` from PyPI
//! `midonetclient==5.2.0`, converted to Python 3 by `tests/python/setup.sh`) drives a real
//! `api-gateway serve` process, one CLI process per command, and every result is read back over
//! HTTP. The expected lines and requests are documented in `tests/python/CLIENT-NOTES.md`.
//!
//! Run: `cargo test --workspace`, or `cargo build -p api-gateway && cargo test -p system-tests
//! --test python_client`. Needs the gateway binary next to this test (`target/<profile>/`, or
//! `API_GATEWAY_BIN=<path>`) and, for the first run, Python 3.8..3.12 and PyPI access
//! (`tests/python/setup.sh` builds `.venv`). Outside CI a failed Python setup skips the test
//! with a message; with `CI=true` it fails.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use system_tests::{binary, in_ci, repo_root};

const HOST_ID: &str = "5d2f3a43-7e0c-4a36-9c55-0c8f2a0b9a11";
const HOST_MAC: &str = "52:54:00:12:34:56";
const CLI_TIMEOUT: Duration = Duration::from_secs(120);
const GATEWAY_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `tests/python/setup.sh` once per test process. `None` means "skip" (outside CI only).
fn python_cli() -> Option<PathBuf> {
    static CLI: OnceLock<Option<PathBuf>> = OnceLock::new();
    CLI.get_or_init(|| {
        let root = repo_root();
        let setup = root.join("tests/python/setup.sh");
        let why = match Command::new("bash")
            .arg(&setup)
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => return Some(root.join(".venv/bin/midonet-cli")),
            Ok(out) => format!(
                "{} exited with {}:\n{}{}",
                setup.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => format!("cannot run bash {}: {e}", setup.display()),
        };
        if in_ci() {
            panic!("the Python client setup failed (CI=true, so this is a failure): {why}");
        }
        eprintln!(
            "SKIPPED python_client: the Python client setup failed; run \
             `bash tests/python/setup.sh` to see why. {why}"
        );
        None
    })
    .clone()
}

/// A running `api-gateway serve` on a loopback port with an embedded store in a temp dir.
/// Killed on drop; when the test is failing, the tail of its log is printed.
struct Gateway {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Gateway {
    fn start(dir: &Path) -> Gateway {
        let data = dir.join("data");
        fs::create_dir_all(&data).expect("create data dir");
        let log = dir.join("gateway.log");
        let mut child = Command::new(binary("api-gateway"))
            .args([
                "serve",
                "--no-auth",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(&data)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("create gateway log"))
            .spawn()
            .expect("spawn api-gateway");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep draining so that the gateway never blocks on a full pipe.
            for _ in lines {}
        });
        let mut gateway = Gateway {
            child,
            url: String::new(),
            log,
        };
        let first = match rx.recv_timeout(GATEWAY_START_TIMEOUT) {
            Ok(line) => line,
            Err(e) => panic!(
                "api-gateway printed no first line ({e:?}); exit status {:?}; log:\n{}",
                gateway.child.try_wait(),
                gateway.log_tail()
            ),
        };
        let url = first
            .trim()
            .strip_prefix("api-gateway listening on ")
            .unwrap_or_else(|| {
                panic!("unexpected first line from api-gateway: {first:?}");
            });
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/midonet-api"),
            "unexpected listen URL {url:?}"
        );
        gateway.url = url.to_string();
        gateway
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("--- api-gateway log (tail) ---\n{}", self.log_tail());
        }
    }
}

/// What one `midonet-cli` process did.
struct Outcome {
    command: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn lines(&self) -> Vec<String> {
        self.stdout
            .lines()
            .map(|l| l.trim_end().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn describe(&self) -> String {
        format!(
            "`midonet-cli -e {}` exited with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `midonet-cli -A --midonet-url=<url> -e <words>` with a clean environment.
struct Cli {
    exe: PathBuf,
    url: String,
    dir: PathBuf,
}

impl Cli {
    fn run(&self, command: &str) -> Outcome {
        // Output goes to files: no pipe can fill up, and a hung CLI can still be killed.
        let out_path = self.dir.join("cli.stdout");
        let err_path = self.dir.join("cli.stderr");
        let mut cmd = Command::new(&self.exe);
        cmd.arg("-A")
            .arg(format!("--midonet-url={}", self.url))
            .arg("-e")
            .args(command.split_whitespace())
            // No ~/.midonetrc, no MIDO_* settings from the developer's environment.
            .env("HOME", &self.dir)
            .env_remove("MIDO_API_URL")
            .env_remove("MIDO_USER")
            .env_remove("MIDO_PASSWORD")
            .env_remove("MIDO_PROJECT_ID")
            .env_remove("MIDO_TENANT")
            .env_remove("MIDO_DISABLE_SSL_CERTIFICATE_VALIDATION")
            .stdin(Stdio::null())
            .stdout(File::create(&out_path).expect("cli stdout file"))
            .stderr(File::create(&err_path).expect("cli stderr file"));
        let mut child = cmd.spawn().expect("spawn midonet-cli");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for midonet-cli") {
                break status;
            }
            if started.elapsed() > CLI_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`midonet-cli -e {command}` did not finish in {CLI_TIMEOUT:?}");
            }
            thread::sleep(Duration::from_millis(20));
        };
        Outcome {
            command: command.to_string(),
            code: status.code(),
            stdout: fs::read_to_string(&out_path).unwrap_or_default(),
            stderr: fs::read_to_string(&err_path).unwrap_or_default(),
        }
    }

    /// A command that must succeed; returns its output lines.
    fn ok(&self, command: &str) -> Vec<String> {
        let out = self.run(command);
        assert!(
            out.code == Some(0)
                && !out.stdout.contains("Internal error:")
                && !out.stdout.contains("Syntax error"),
            "{}",
            out.describe()
        );
        out.lines()
    }

    /// A command that must print exactly these lines (in this order).
    fn expect(&self, command: &str, expected: &[String]) {
        let lines = self.ok(command);
        assert_eq!(lines, expected, "`midonet-cli -e {command}`");
    }

    /// Like `expect`, for lists whose order is the server's choice.
    fn expect_unordered(&self, command: &str, expected: &[String]) {
        let mut lines = self.ok(command);
        let mut expected = expected.to_vec();
        lines.sort();
        expected.sort();
        assert_eq!(lines, expected, "`midonet-cli -e {command}`");
    }

    /// A `create`/`add` of an object with an id: prints just the new UUID.
    fn create(&self, command: &str) -> String {
        let lines = self.ok(command);
        assert!(
            lines.len() == 1 && is_uuid(&lines[0]),
            "`midonet-cli -e {command}` should print one UUID, printed {lines:?}"
        );
        lines[0].clone()
    }

    /// A command that must fail on an HTTP error; returns the body the CLI printed.
    fn http_error(&self, command: &str) -> String {
        let out = self.run(command);
        let lines = out.lines();
        assert!(
            out.code == Some(1) && lines.len() == 1 && lines[0].starts_with("Internal error: "),
            "expected an HTTP error line; {}",
            out.describe()
        );
        lines[0]["Internal error: ".len()..].to_string()
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Direct HTTP access to the gateway, for registration, read-back and error reproduction.
struct Api {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    root: Value,
}

impl Api {
    fn new(url: &str) -> Api {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let mut api = Api {
            rt,
            http: reqwest::Client::new(),
            root: Value::Null,
        };
        api.root = api.get(url);
        api
    }

    fn get(&self, url: &str) -> Value {
        self.rt.block_on(async {
            let resp = self
                .http
                .get(url)
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET {url}: {e}"));
            let status = resp.status();
            let text = resp.text().await.expect("response body");
            assert_eq!(status.as_u16(), 200, "GET {url}: {text}");
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url}: {e}: {text}"))
        })
    }

    /// POSTs JSON with the given media type; returns the status and the raw body.
    fn post(&self, url: &str, media_type: &str, body: &Value) -> (u16, String) {
        self.rt.block_on(async {
            let resp = self
                .http
                .post(url)
                .header("Content-Type", media_type)
                .body(body.to_string())
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {url}: {e}"));
            let status = resp.status().as_u16();
            (status, resp.text().await.expect("response body"))
        })
    }

    /// A URI from the root resource (`routers`, `hosts`, ...).
    fn root_uri(&self, key: &str) -> String {
        str_field(&self.root, key)
    }

    /// `GET <root[key + "Template"] with {id}>`.
    fn by_id(&self, kind: &str, id: &str) -> Value {
        let template = str_field(&self.root, &format!("{kind}Template"));
        assert!(template.contains("{id}"), "{kind}Template = {template}");
        self.get(&template.replace("{id}", id))
    }

    /// `GET obj[link]`, which must be a list.
    fn list(&self, obj: &Value, link: &str) -> Vec<Value> {
        match self.get(&str_field(obj, link)) {
            Value::Array(items) => items,
            other => panic!("GET {link} of {obj}: not a list: {other}"),
        }
    }
}

fn str_field(obj: &Value, key: &str) -> String {
    obj.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string `{key}` in {obj}"))
        .to_string()
}

/// Every `(key, value)` must be present in `obj` with exactly that JSON value.
fn expect_fields(what: &str, obj: &Value, fields: &[(&str, Value)]) {
    for (key, want) in fields {
        assert_eq!(
            obj.get(*key),
            Some(want),
            "{what}: field `{key}` (whole object: {obj})"
        );
    }
}

/// The CLI printed `Internal error: <body>` for a request the server refused; repeating the same
/// request over HTTP must give `status` and exactly that body, whose `message` names the cause.
fn expect_refusal(cli_body: &str, (status, http_body): (u16, String), code: u16, words: &str) {
    assert_eq!(
        status, code,
        "HTTP reproduction answered {status}: {http_body}"
    );
    assert_eq!(
        cli_body,
        http_body.trim(),
        "midonet-cli must print the server's error body verbatim"
    );
    let error: Value = serde_json::from_str(cli_body)
        .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {cli_body}"));
    let message = str_field(&error, "message");
    assert!(
        message.to_lowercase().contains(words),
        "error message {message:?} should say {words:?}"
    );
    assert_eq!(
        error.get("code"),
        Some(&json!(code)),
        "error body {cli_body}"
    );
}

#[test]
fn midonet_cli_reports_an_unreachable_server() {
    let Some(exe) = python_cli() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let cli = Cli {
        exe,
        url: format!("http://127.0.0.1:{port}/midonet-api"),
        dir: dir.path().to_path_buf(),
    };
    let out = cli.run("list router");
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
    assert!(
        out.stderr
            .contains("The API server failed to respond normally."),
        "{}",
        out.describe()
    );
}

#[test]
fn midonet_cli_builds_a_topology_through_the_gateway() {
    let Some(exe) = python_cli() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let gateway = Gateway::start(dir.path());
    let cli = Cli {
        exe,
        url: gateway.url.clone(),
        dir: dir.path().to_path_buf(),
    };
    let api = Api::new(&gateway.url);

    // The root resource and system state the CLI reads at startup.
    for key in [
        "routers",
        "bridges",
        "ports",
        "chains",
        "hosts",
        "ipAddrGroups",
        "tunnelZones",
        "portGroups",
        "systemState",
        "tenants",
    ] {
        assert!(
            str_field(&api.root, key).starts_with("http://"),
            "root `{key}`"
        );
    }
    let state = api.get(&api.root_uri("systemState"));
    assert!(
        state.get("information").is_some(),
        "system state needs an `information` key (null is fine): midonet-cli exits at \
         startup without it; see tests/python/CLIENT-NOTES.md. Got {state}"
    );

    // A host, as an agent would register it (gateway extension).
    let (status, body) = api.post(
        &format!("{}/admin/hosts", gateway.url),
        "application/json",
        &json!({
            "id": HOST_ID,
            "name": "node1",
            "addresses": ["10.0.0.11"],
            "hostInterfaces": [{
                "name": "eth0", "mac": HOST_MAC, "mtu": 1500, "addresses": ["10.0.0.11"]
            }],
        }),
    );
    assert_eq!(status, 201, "POST /admin/hosts: {body}");
    let host_line = format!(
        "host {HOST_ID} name node1 alive true addresses 10.0.0.11 flooding-proxy-weight 1 \
         container-weight 1 container-limit no-limit enforce-container-limit false"
    );
    cli.expect("list host", std::slice::from_ref(&host_line));

    // Router and bridge.
    let r = cli.create("router create name r1");
    let router_line = format!("router {r} name r1 state up asn 0");
    cli.expect("list router", std::slice::from_ref(&router_line));
    cli.expect(&format!("show router {r}"), &[router_line]);
    let b = cli.create("bridge create name b1");
    cli.expect("list bridge", &[format!("bridge {b} name b1 state up")]);

    // A router port and a bridge port, linked.
    let rp = cli.create(&format!(
        "router {r} add port address 10.0.0.1 net 10.0.0.0/24"
    ));
    let bp = cli.create(&format!("bridge {b} add port"));
    cli.expect(&format!("port {rp} set peer {bp}"), &[]);
    let rp_json = api.by_id("port", &rp);
    let mac = str_field(&rp_json, "portMac");
    let rp_line = format!(
        "port {rp} device {r} state up plugged no mac {mac} address 10.0.0.1 \
         net 10.0.0.0/24 peer {bp}"
    );
    let bp_line = format!("port {bp} device {b} state up plugged no vlan 0 peer {rp}");
    cli.expect(
        &format!("router {r} list port"),
        std::slice::from_ref(&rp_line),
    );
    cli.expect(
        &format!("bridge {b} list port"),
        std::slice::from_ref(&bp_line),
    );
    cli.expect_unordered("list port", &[rp_line.clone(), bp_line.clone()]);
    cli.expect(&format!("show port {rp}"), std::slice::from_ref(&rp_line));
    cli.expect(
        &format!("port {rp} show peer"),
        std::slice::from_ref(&bp_line),
    );

    // Linking an already linked port is refused with the server's message.
    let refused = cli.http_error(&format!("port {rp} set peer {bp}"));
    let again = api.post(
        &str_field(&rp_json, "link"),
        "application/vnd.org.midonet.PortLink-v1+json",
        &json!({ "portId": rp, "peerId": bp }),
    );
    expect_refusal(&refused, again, 409, "linkable");

    // A route through the router port.
    let rt = cli.create(&format!(
        "router {r} add route src 0.0.0.0/0 dst 192.168.0.0/16 gw 10.0.0.254 port {rp} \
         type normal weight 100"
    ));
    let route_line = format!(
        "route {rt} type normal src 0.0.0.0/0 dst 192.168.0.0/16 gw 10.0.0.254 port {rp} \
         weight 100 learned false"
    );
    let routes = cli.ok(&format!("router {r} list route"));
    assert!(
        routes.contains(&route_line),
        "{route_line:?} not in {routes:?}"
    );
    for other in routes.iter().filter(|l| **l != route_line) {
        // MidoNet adds a Local route to each router port's address; the CLI has no name for
        // the `Local` type, so the line has no `type` token.
        let rest = other
            .strip_prefix("route ")
            .and_then(|l| l.split_once(' '))
            .map(|(id, rest)| (is_uuid(id), rest));
        let local = format!("src 0.0.0.0/0 dst 10.0.0.1 port {rp} weight ");
        assert!(
            matches!(rest, Some((true, rest)) if rest.starts_with(&local) && rest.ends_with(" learned false")),
            "unexpected route line {other:?}"
        );
    }

    // Chains with one rule of each kind.
    let c = cli.create("chain create name c1");
    let c2 = cli.create("chain create name c2");
    cli.expect_unordered(
        "list chain",
        &[format!("chain {c} name c1"), format!("chain {c2} name c2")],
    );
    let rule_specs = [
        (
            "type accept src 10.0.0.0/24 dst 10.1.0.5 proto 6 dst-port 22 pos 1".to_string(),
            "inverted no src 10.0.0.0/24 dst 10.1.0.5 proto 6 dst-port 22 \
             fragment-policy header no-vlan false pos 1 type accept"
                .to_string(),
        ),
        (
            "type drop ethertype !2054 src !192.168.0.0/16 proto !17 pos 2".to_string(),
            "inverted no ethertype !2054 src !192.168.0.0/16 proto !17 fragment-policy any \
             no-vlan false pos 2 type drop"
                .to_string(),
        ),
        (
            format!("type jump jump-to {c2} pos 3"),
            format!("inverted no fragment-policy any no-vlan false pos 3 type jump jump-to {c2}"),
        ),
        (
            "type dnat dst 203.0.113.10 action accept target 10.0.0.5 pos 4".to_string(),
            "inverted no dst 203.0.113.10 fragment-policy any no-vlan false pos 4 type dnat \
             action accept target 10.0.0.5"
                .to_string(),
        ),
        (
            "type snat src 10.0.0.0/24 action accept target 203.0.113.10:1024-65535 pos 5"
                .to_string(),
            "inverted no src 10.0.0.0/24 fragment-policy unfragmented no-vlan false pos 5 \
             type snat action accept target 203.0.113.10:1024-65535"
                .to_string(),
        ),
        (
            "type rev_snat dst 203.0.113.10 action accept pos 6".to_string(),
            "inverted no dst 203.0.113.10 fragment-policy any no-vlan false pos 6 \
             type rev_snat action accept"
                .to_string(),
        ),
    ];
    let mut rule_ids = Vec::new();
    let mut rule_lines = Vec::new();
    for (words, line) in &rule_specs {
        let id = cli.create(&format!("chain {c} add rule {words}"));
        rule_lines.push(format!("rule {id} {line}"));
        rule_ids.push(id);
    }
    cli.expect(&format!("chain {c} list rule"), &rule_lines);

    // An IP address group with one address.
    let g = cli.create("ip-address-group create name ipg1");
    cli.expect(
        &format!("ip-address-group {g} add ip address 10.0.0.5"),
        &["address 10.0.0.5".to_string()],
    );
    cli.expect(
        &format!("ip-address-group {g} list ip"),
        &["address 10.0.0.5".to_string()],
    );
    cli.expect("list ip-address-group", &[format!("ipg {g} name ipg1")]);

    // A tunnel zone. A host must be a member before a port can be bound to it.
    let tz = cli.create("tunnel-zone create name tz1 type vxlan");
    cli.expect(
        "list tunnel-zone",
        &[format!("tzone {tz} name tz1 type vxlan")],
    );
    // A VM's port: exterior, so it is bound, never linked (a linked port cannot be bound).
    let vp = cli.create(&format!("bridge {b} add port"));
    let host = api.by_id("host", HOST_ID);
    let binding_media = "application/vnd.org.midonet.HostInterfacePort-v1+json";
    let refused = cli.http_error(&format!(
        "host {HOST_ID} add binding interface eth0 port {vp}"
    ));
    let again = api.post(
        &str_field(&host, "ports"),
        binding_media,
        &json!({ "interfaceName": "eth0", "portId": vp }),
    );
    expect_refusal(&refused, again, 409, "tunnel zone");
    let member_line = format!("zone {tz} host {HOST_ID} address 10.0.0.11");
    cli.expect(
        &format!("tunnel-zone {tz} add member host {HOST_ID} address 10.0.0.11"),
        std::slice::from_ref(&member_line),
    );
    cli.expect(&format!("tunnel-zone {tz} list member"), &[member_line]);

    // Bind the VM port to the host's eth0; binding it again is refused.
    let binding_line = format!("host {HOST_ID} interface eth0 port {vp}");
    cli.expect(
        &format!("host {HOST_ID} add binding interface eth0 port {vp}"),
        std::slice::from_ref(&binding_line),
    );
    cli.expect(&format!("host {HOST_ID} list binding"), &[binding_line]);
    let refused = cli.http_error(&format!(
        "host {HOST_ID} add binding interface eth1 port {vp}"
    ));
    let again = api.post(
        &str_field(&host, "ports"),
        binding_media,
        &json!({ "interfaceName": "eth1", "portId": vp }),
    );
    expect_refusal(&refused, again, 409, "already bound");
    cli.expect("list host", &[host_line]);

    // DHCP on the bridge: a subnet and a static host.
    let subnet_line = "gw 10.0.0.1 server 10.0.0.2 dns-servers 8.8.8.8,8.8.4.4 subnet 10.0.0.0/24 \
                       interface-mtu 1450 opt121-routes []"
        .to_string();
    cli.expect(
        &format!(
            "bridge {b} add dhcp subnet 10.0.0.0/24 gw 10.0.0.1 server 10.0.0.2 \
             dns-servers 8.8.8.8,8.8.4.4 interface-mtu 1450"
        ),
        std::slice::from_ref(&subnet_line),
    );
    cli.expect(&format!("bridge {b} list dhcp"), &[subnet_line]);
    let dhcp_host_line = "name vm1 address 10.0.0.5 mac 52:54:00:aa:bb:cc".to_string();
    cli.expect(
        &format!(
            "bridge {b} dhcp subnet 10.0.0.0/24 add host name vm1 address 10.0.0.5 \
             mac 52:54:00:aa:bb:cc"
        ),
        std::slice::from_ref(&dhcp_host_line),
    );
    cli.expect(
        &format!("bridge {b} dhcp subnet 10.0.0.0/24 list host"),
        &[dhcp_host_line],
    );

    // A port group with the bridge port.
    let pg = cli.create("port-group create name pg1 stateful true");
    cli.expect(
        "list port-group",
        &[format!("pgroup {pg} name pg1 stateful true")],
    );
    let member_line = format!("port-group {pg} port {bp}");
    cli.expect(
        &format!("port-group {pg} add member port {bp}"),
        std::slice::from_ref(&member_line),
    );
    cli.expect(&format!("port-group {pg} list member"), &[member_line]);

    // Everything read back over HTTP.
    expect_fields(
        "router",
        &api.by_id("router", &r),
        &[
            ("id", json!(r)),
            ("name", json!("r1")),
            ("adminStateUp", json!(true)),
        ],
    );
    expect_fields(
        "bridge",
        &api.by_id("bridge", &b),
        &[("id", json!(b)), ("name", json!("b1"))],
    );
    expect_fields(
        "router port",
        &api.by_id("port", &rp),
        &[
            ("type", json!("Router")),
            ("deviceId", json!(r)),
            ("portAddress", json!("10.0.0.1")),
            ("networkAddress", json!("10.0.0.0")),
            ("networkLength", json!(24)),
            ("peerId", json!(bp)),
            ("adminStateUp", json!(true)),
        ],
    );
    expect_fields(
        "bridge port",
        &api.by_id("port", &bp),
        &[
            ("type", json!("Bridge")),
            ("deviceId", json!(b)),
            ("peerId", json!(rp)),
        ],
    );
    expect_fields(
        "VM port",
        &api.by_id("port", &vp),
        &[
            ("type", json!("Bridge")),
            ("deviceId", json!(b)),
            ("hostId", json!(HOST_ID)),
            ("interfaceName", json!("eth0")),
        ],
    );
    expect_fields(
        "route",
        &api.by_id("route", &rt),
        &[
            ("routerId", json!(r)),
            ("type", json!("Normal")),
            ("srcNetworkAddr", json!("0.0.0.0")),
            ("srcNetworkLength", json!(0)),
            ("dstNetworkAddr", json!("192.168.0.0")),
            ("dstNetworkLength", json!(16)),
            ("nextHopGateway", json!("10.0.0.254")),
            ("nextHopPort", json!(rp)),
            ("weight", json!(100)),
        ],
    );
    let chain = api.by_id("chain", &c);
    expect_fields("chain", &chain, &[("id", json!(c)), ("name", json!("c1"))]);
    let listed: Vec<String> = api
        .list(&chain, "rules")
        .iter()
        .map(|rule| str_field(rule, "id"))
        .collect();
    assert_eq!(listed, rule_ids, "the chain's rules in position order");
    let rule_fields: [&[(&str, Value)]; 6] = [
        &[
            ("type", json!("accept")),
            ("position", json!(1)),
            ("nwSrcAddress", json!("10.0.0.0")),
            ("nwSrcLength", json!(24)),
            ("nwDstAddress", json!("10.1.0.5")),
            ("nwDstLength", json!(32)),
            ("nwProto", json!(6)),
            ("tpDst", json!({ "start": 22, "end": 22 })),
            ("invNwSrc", json!(false)),
            ("fragmentPolicy", json!("header")),
        ],
        &[
            ("type", json!("drop")),
            ("position", json!(2)),
            ("dlType", json!(2054)),
            ("invDlType", json!(true)),
            ("nwSrcAddress", json!("192.168.0.0")),
            ("nwSrcLength", json!(16)),
            ("invNwSrc", json!(true)),
            ("nwProto", json!(17)),
            ("invNwProto", json!(true)),
        ],
        &[
            ("type", json!("jump")),
            ("position", json!(3)),
            ("jumpChainId", json!(c2)),
        ],
        &[
            ("type", json!("dnat")),
            ("position", json!(4)),
            ("flowAction", json!("accept")),
            (
                "natTargets",
                json!([{ "addressFrom": "10.0.0.5", "addressTo": "10.0.0.5",
                         "portFrom": 0, "portTo": 0 }]),
            ),
        ],
        &[
            ("type", json!("snat")),
            ("position", json!(5)),
            ("flowAction", json!("accept")),
            (
                "natTargets",
                json!([{ "addressFrom": "203.0.113.10", "addressTo": "203.0.113.10",
                         "portFrom": 1024, "portTo": 65535 }]),
            ),
            ("fragmentPolicy", json!("unfragmented")),
        ],
        &[
            ("type", json!("rev_snat")),
            ("position", json!(6)),
            ("flowAction", json!("accept")),
            ("nwDstAddress", json!("203.0.113.10")),
        ],
    ];
    for (id, fields) in rule_ids.iter().zip(rule_fields) {
        let rule = api.by_id("rule", id);
        expect_fields("rule", &rule, &[("chainId", json!(c))]);
        expect_fields("rule", &rule, fields);
    }
    let group = api.by_id("ipAddrGroup", &g);
    expect_fields("ip address group", &group, &[("name", json!("ipg1"))]);
    let addrs = api.list(&group, "addrs");
    assert_eq!(addrs.len(), 1, "addresses {addrs:?}");
    expect_fields(
        "ip group address",
        &addrs[0],
        &[("addr", json!("10.0.0.5"))],
    );
    let zone = api.by_id("tunnelZone", &tz);
    expect_fields(
        "tunnel zone",
        &zone,
        &[("name", json!("tz1")), ("type", json!("vxlan"))],
    );
    let members = api.list(&zone, "hosts");
    assert_eq!(members.len(), 1, "members {members:?}");
    expect_fields(
        "tunnel zone member",
        &members[0],
        &[
            ("tunnelZoneId", json!(tz)),
            ("hostId", json!(HOST_ID)),
            ("ipAddress", json!("10.0.0.11")),
        ],
    );
    let bindings = api.list(&host, "ports");
    assert_eq!(bindings.len(), 1, "bindings {bindings:?}");
    expect_fields(
        "binding",
        &bindings[0],
        &[
            ("hostId", json!(HOST_ID)),
            ("portId", json!(vp)),
            ("interfaceName", json!("eth0")),
        ],
    );
    let subnets = api.list(&api.by_id("bridge", &b), "dhcpSubnets");
    assert_eq!(subnets.len(), 1, "DHCP subnets {subnets:?}");
    expect_fields(
        "DHCP subnet",
        &subnets[0],
        &[
            ("subnetPrefix", json!("10.0.0.0")),
            ("subnetLength", json!(24)),
            ("defaultGateway", json!("10.0.0.1")),
            ("serverAddr", json!("10.0.0.2")),
            ("dnsServerAddrs", json!(["8.8.8.8", "8.8.4.4"])),
            ("interfaceMTU", json!(1450)),
        ],
    );
    let dhcp_hosts = api.list(&subnets[0], "hosts");
    assert_eq!(dhcp_hosts.len(), 1, "DHCP hosts {dhcp_hosts:?}");
    expect_fields(
        "DHCP host",
        &dhcp_hosts[0],
        &[
            ("name", json!("vm1")),
            ("ipAddr", json!("10.0.0.5")),
            ("macAddr", json!("52:54:00:aa:bb:cc")),
        ],
    );
    let port_group = api.by_id("portGroup", &pg);
    expect_fields(
        "port group",
        &port_group,
        &[("name", json!("pg1")), ("stateful", json!(true))],
    );
    let pg_ports = api.list(&port_group, "ports");
    assert_eq!(pg_ports.len(), 1, "port group members {pg_ports:?}");
    expect_fields(
        "port group member",
        &pg_ports[0],
        &[("portGroupId", json!(pg)), ("portId", json!(bp))],
    );
}
