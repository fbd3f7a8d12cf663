//! Proof of sameness: our `midonet-cli` (midonet-client's binary) and MidoNet's public one
//! (PyPI `midonetclient==5.2.0` under Python 3, `tests/python/setup.sh`) run the same commands
//! against the same gateway, one `-e` process per command, and every line printed and every
//! exit status must be identical.
//!
//! Creates make new UUIDs, so each CLI builds its own copy of the topology: a step either
//! names no object of its own (`list router`: both read the same state and must print the
//! same bytes), or names its CLI's copy through `{placeholders}` (`router {r} list port`):
//! then each output has that CLI's UUIDs replaced by the placeholder names, and any other UUID
//! (the server's own, such as a port's local route) by `<uuid>`, before they are compared.
//!
//! Run: `cargo build -p midonet-client --bin midonet-cli && cargo test -p system-tests --test
//! cli_sameness` (`cargo test --workspace` builds the binary). Needs, for the first run,
//! Python 3.8..3.12 and PyPI access; outside CI a failed Python setup skips the test with a
//! message, with `CI=true` it fails.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use api_gateway::testing::LocalGateway;
use api_gateway::StoreConfig;
use serde_json::json;
use system_tests::{binary, in_ci, repo_root};

const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// `.venv/bin/midonet-cli`, set up once per test process; `None` skips (outside CI only).
fn midonet_python_cli() -> Option<PathBuf> {
    static SETUP: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let setup = SETUP.get_or_init(|| {
        let script = repo_root().join("tests/python/setup.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if out.status.success() {
            Ok(repo_root().join(".venv/bin/midonet-cli"))
        } else {
            Err(format!(
                "{} failed ({}): {}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    match setup {
        Ok(path) => Some(path.clone()),
        Err(why) if in_ci() => {
            panic!("MidoNet's Python CLI could not be set up, and CI=true: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED cli_sameness: MidoNet's Python CLI could not be set up. {why}");
            None
        }
    }
}

/// A gateway served in-process over a fresh embedded store.
struct Gateway {
    url: String,
    rt: tokio::runtime::Runtime,
    _served: LocalGateway,
    _data: tempfile::TempDir,
}

impl Gateway {
    fn start() -> Gateway {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let data = tempfile::tempdir().expect("data dir");
        let config = StoreConfig::Embedded {
            dir: data.path().to_path_buf(),
        };
        let served = rt
            .block_on(LocalGateway::start(&config))
            .expect("gateway starts");
        Gateway {
            url: served.url.clone(),
            rt,
            _served: served,
            _data: data,
        }
    }

    /// Registers a host, as an agent would (our gateway's `POST /admin/hosts`).
    fn register_host(&self, id: &str, interfaces: &[&str]) {
        let body = json!({
            "id": id,
            "name": "node1",
            "addresses": ["10.0.0.11"],
            "hostInterfaces": interfaces.iter().map(|name| json!({
                "name": name, "mac": "52:54:00:12:34:56", "mtu": 1500, "addresses": ["10.0.0.11"]
            })).collect::<Vec<_>>(),
        });
        let url = format!("{}/admin/hosts", self.url);
        let status = self.rt.block_on(async {
            reqwest::Client::new()
                .post(&url)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        assert_eq!(status.ok(), Some(201), "POST {url}");
    }
}

/// What one CLI process printed.
#[derive(Debug, Clone, PartialEq)]
struct Printed {
    code: Option<i32>,
    lines: Vec<String>,
}

/// One of the two CLIs with the objects it made.
struct Side {
    name: &'static str,
    exe: PathBuf,
    url: String,
    home: tempfile::TempDir,
    ids: Vec<(String, String)>,
}

impl Side {
    fn new(name: &'static str, exe: PathBuf, url: &str) -> Side {
        Side {
            name,
            exe,
            url: url.to_string(),
            home: tempfile::tempdir().expect("home"),
            ids: Vec::new(),
        }
    }

    /// `words` with `{name}` replaced by this side's objects.
    fn command(&self, words: &str) -> String {
        let mut command = words.to_string();
        for (name, id) in &self.ids {
            command = command.replace(&format!("{{{name}}}"), id);
        }
        assert!(
            !command.contains('{'),
            "{}: unknown placeholder in `{command}`",
            self.name
        );
        command
    }

    /// Runs `midonet-cli -A --midonet-url=<url> -e <words>` with no settings of the user's.
    fn run(&self, words: &str) -> Printed {
        let command = self.command(words);
        let stdout = self.home.path().join("stdout");
        let stderr = self.home.path().join("stderr");
        let mut child = Command::new(&self.exe)
            .arg("-A")
            .arg(format!("--midonet-url={}", self.url))
            .arg("-e")
            .args(command.split_whitespace())
            .env("HOME", self.home.path())
            .env_remove("MIDO_API_URL")
            .env_remove("MIDO_USER")
            .env_remove("MIDO_PASSWORD")
            .env_remove("MIDO_PROJECT_ID")
            .env_remove("MIDO_TENANT")
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot start {}: {e}", self.name, self.exe.display()));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if started.elapsed() > RUN_TIMEOUT {
                let _ = child.kill();
                panic!(
                    "{}: `{command}` did not finish in {RUN_TIMEOUT:?}",
                    self.name
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let text = std::fs::read_to_string(&stdout).unwrap_or_default();
        let errors = std::fs::read_to_string(&stderr).unwrap_or_default();
        assert!(
            !errors.contains("Traceback") && !errors.contains("panicked"),
            "{}: `{command}` crashed:\n{errors}",
            self.name
        );
        Printed {
            code: status.code(),
            lines: text
                .lines()
                .map(|l| l.trim_end().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
        }
    }

    /// Lines with this side's UUIDs named, and any other UUID (one the server made, such as
    /// a port's local route) as `<uuid>`.
    fn normalize(&self, printed: &Printed) -> Printed {
        let lines = printed
            .lines
            .iter()
            .map(|line| {
                let mut line = line.clone();
                for (name, id) in &self.ids {
                    line = line.replace(id.as_str(), &format!("<{name}>"));
                }
                for id in uuids_in(&line) {
                    line = line.replace(&id, "<uuid>");
                }
                line
            })
            .collect();
        Printed {
            code: printed.code,
            lines,
        }
    }
}

fn uuids_in(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 36 <= bytes.len() {
        let candidate = &text[i..i + 36];
        if is_uuid(candidate) {
            found.push(candidate.to_string());
            i += 36;
        } else {
            i += 1;
        }
    }
    found
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The two CLIs side by side.
struct Both {
    python: Side,
    ours: Side,
    steps: usize,
}

impl Both {
    fn report(&self, words: &str, python: &Printed, ours: &Printed) -> String {
        format!(
            "step {}: `{words}`\n  python ({:?}):\n    {}\n  ours ({:?}):\n    {}",
            self.steps,
            python.code,
            python.lines.join("\n    "),
            ours.code,
            ours.lines.join("\n    ")
        )
    }

    /// A command that names no object of either side: the same bytes and status from both.
    fn same(&mut self, words: &str) -> Printed {
        self.steps += 1;
        let python = self.python.run(words);
        let ours = self.ours.run(words);
        assert!(python == ours, "{}", self.report(words, &python, &ours));
        self.log(words, &python);
        python
    }

    /// A command on each side's own objects: the same lines once UUIDs are named. The server
    /// lists each side's objects in its own order (by UUID), so lines are compared as a set;
    /// [`Both::mirror_in_order`] where the CLI orders them.
    fn mirror(&mut self, words: &str) -> Printed {
        self.compare(words, false)
    }

    /// Like `mirror`, in order (rules, which both CLIs sort by position).
    fn mirror_in_order(&mut self, words: &str) -> Printed {
        self.compare(words, true)
    }

    fn compare(&mut self, words: &str, ordered: bool) -> Printed {
        self.steps += 1;
        let mut python = self.python.normalize(&self.python.run(words));
        let mut ours = self.ours.normalize(&self.ours.run(words));
        if !ordered {
            python.lines.sort();
            ours.lines.sort();
        }
        assert!(python == ours, "{}", self.report(words, &python, &ours));
        self.log(words, &python);
        python
    }

    /// With `CLI_SAMENESS_LOG` set, every step and what both printed, for reading.
    fn log(&self, words: &str, printed: &Printed) {
        if std::env::var_os("CLI_SAMENESS_LOG").is_some() {
            eprintln!(
                "step {} `{words}` -> {:?}\n    {}",
                self.steps,
                printed.code,
                printed.lines.join("\n    ")
            );
        }
    }

    /// Like `mirror`, and the command must succeed and print `expected` (after naming).
    fn expect(&mut self, words: &str, expected: &[&str]) {
        let printed = self.mirror(words);
        assert_eq!(
            (
                printed.code,
                printed.lines.iter().map(String::as_str).collect::<Vec<_>>()
            ),
            (Some(0), expected.to_vec()),
            "step {}: `{words}`",
            self.steps
        );
    }

    /// Like `mirror`, and the command must fail (status 1) with one line starting `start`.
    fn fails(&mut self, words: &str, start: &str) {
        let printed = self.mirror(words);
        assert!(
            printed.code == Some(1)
                && printed.lines.len() == 1
                && printed.lines[0].starts_with(start),
            "step {}: `{words}` should fail with `{start}...`: {printed:?}",
            self.steps
        );
    }

    /// Each side creates its own object and prints just its UUID, kept as `{name}`.
    fn create(&mut self, name: &str, words: &str) {
        self.steps += 1;
        let python = self.python.run(words);
        let ours = self.ours.run(words);
        for (side, printed) in [(&mut self.python, python), (&mut self.ours, ours)] {
            assert!(
                printed.code == Some(0) && printed.lines.len() == 1 && is_uuid(&printed.lines[0]),
                "step {}: {} `{words}` should print one UUID: {printed:?}",
                self.steps,
                side.name
            );
            side.ids.push((name.to_string(), printed.lines[0].clone()));
        }
        self.log(
            words,
            &Printed {
                code: Some(0),
                lines: vec![format!("<{name}>")],
            },
        );
    }

    /// Gives both sides an object made outside the CLIs.
    fn name(&mut self, name: &str, python_id: &str, our_id: &str) {
        self.python
            .ids
            .push((name.to_string(), python_id.to_string()));
        self.ours.ids.push((name.to_string(), our_id.to_string()));
    }
}

const PYTHON_HOST: &str = "5d2f3a43-7e0c-4a36-9c55-0c8f2a0b9a11";
const OUR_HOST: &str = "6e3f4b54-8f1d-4b47-8d66-1d9f3b1c0b22";

#[test]
fn our_cli_prints_what_midonets_cli_prints() {
    let Some(python) = midonet_python_cli() else {
        return;
    };
    let gateway = Gateway::start();
    gateway.register_host(PYTHON_HOST, &["eth0", "eth1"]);
    gateway.register_host(OUR_HOST, &["eth0", "eth1"]);
    let mut t = Both {
        python: Side::new("python", python, &gateway.url),
        ours: Side::new("ours", binary("midonet-cli"), &gateway.url),
        steps: 0,
    };
    t.name("h", PYTHON_HOST, OUR_HOST);

    // Hosts, their interfaces, the system state, tenants.
    t.same("list host");
    t.mirror("show host {h}");
    t.mirror("host {h} show name");
    t.mirror("host {h} list interface");
    t.mirror("host {h} interface iface eth1 show");
    t.same("system-state show state");
    t.same("system-state show availability");
    t.same("list tenant");

    // Routers.
    t.create("r", "router create name r1");
    t.create("r2", "create router name edge state down asn 65000");
    t.same("list router");
    t.same("router list name r1");
    t.mirror("show router {r}");
    t.mirror("router {r2} show");
    t.mirror("show router {r} name");
    t.mirror("router {r2} show asn");
    t.mirror("router {r2} set name edge2 state up asn 65001");
    t.mirror("show router {r2}");
    t.expect("router {r2} show state", &["up"]);

    // Router ports, routes, BGP.
    t.create(
        "rp",
        "router {r} add port address 10.0.0.1 net 10.0.0.0/24 mac 02:00:00:00:00:01",
    );
    t.create(
        "rp2",
        "router {r} port create address 192.0.2.1 net 192.0.2.0/30 mac 02:00:00:00:00:02",
    );
    t.create(
        "rp3",
        "router {r2} add port address 172.16.0.1 net 172.16.0.1/32 mac 02:00:00:00:00:03",
    );
    t.mirror("router {r} list port");
    t.mirror("router {r} port list");
    t.mirror("show port {rp}");
    t.mirror("router {r} port {rp2} show");
    t.mirror("router {r} port {rp} show net");
    t.mirror("router {r2} list port");
    t.mirror("router {r} list route");
    t.create(
        "rt",
        "router {r} add route src 0.0.0.0/0 dst 192.168.0.0/16 gw 10.0.0.254 port {rp} type normal weight 100",
    );
    t.create(
        "rt2",
        "router {r} add route dst 198.51.100.7 port {rp2} type blackhole weight 10",
    );
    t.create(
        "rt3",
        "router {r} route add src 10.9.0.0/16 dst 203.0.113.0/24 type reject port {rp}",
    );
    t.mirror("router {r} list route");
    t.mirror("router {r} route {rt} show");
    t.mirror("router {r} route {rt2} show dst");
    t.mirror("router {r} list route type blackhole");
    t.mirror("router {r} delete route {rt3}");
    t.mirror("router {r} list route");
    t.create(
        "peer",
        "router {r} add bgp-peer asn 65010 address 192.0.2.2",
    );
    t.create(
        "peer2",
        "router {r} add bgp-peer asn 65011 address 192.0.2.3 keep-alive 30 hold-time 90 connect-retry 120",
    );
    t.create("net", "router {r} add bgp-network net 192.0.2.0/24");
    t.create("net2", "router {r} add bgp-network net 198.51.100.10");
    t.mirror("router {r} list bgp-peer");
    t.mirror("router {r} list bgp-network");
    t.mirror("router {r} bgp-peer {peer} show");
    t.mirror("router {r} bgp-network {net} show net");
    t.mirror("router {r} bgp-peer {peer2} set hold-time 60");
    t.mirror("router {r} list bgp-peer");
    t.mirror("router {r} delete bgp-network {net2}");
    t.mirror("router {r} list bgp-network");

    // Bridges, bridge ports, links.
    t.create("b", "bridge create name b1");
    t.create("b2", "bridge add name b2 state down");
    t.same("list bridge");
    t.mirror("show bridge {b}");
    t.mirror("bridge {b2} set state up name b2x");
    t.mirror("bridge {b2} show");
    t.create("bp", "bridge {b} add port");
    t.create("vp", "bridge {b} add port");
    t.create("tp", "bridge {b} add port vlan 100");
    t.mirror("bridge {b} list port");
    t.mirror("port {rp} set peer {bp}");
    t.mirror("router {r} list port");
    t.mirror("bridge {b} list port");
    t.mirror("show port {bp}");
    t.mirror("port {rp} show peer");
    t.mirror("bridge {b} port {bp} show peer");
    t.fails("port {rp} set peer {bp}", "Internal error: ");
    t.mirror("router {r2} port {rp3} set peer {tp}");
    t.mirror("bridge {b} port {tp} show");
    t.mirror("port {rp3} clear peer");
    t.mirror("show port {tp}");
    t.mirror("show port {rp3}");
    t.same("list port");
    t.mirror("list port device {b}");

    // Chains and rules: every kind, with inversions, ranges and targets.
    t.create("c", "chain create name c1");
    t.create("c2", "create chain name c2");
    t.same("list chain");
    t.mirror("show chain {c}");
    t.create("pg", "port-group create name pg1 stateful true");
    t.create("pg2", "create port-group name pg2");
    t.create("ipg", "ip-address-group create name ipg1");
    let rules = [
        "type accept src 10.0.0.0/24 dst 10.1.0.5 proto 6 dst-port 22 pos 1",
        "type drop ethertype !2054 src !192.168.0.0/16 proto !17 pos 2",
        "type jump jump-to {c2} pos 3",
        "type dnat dst 203.0.113.10 action accept target 10.0.0.5 pos 4",
        "type snat src 10.0.0.0/24 action accept target 203.0.113.10:1024-65535 pos 5",
        "type rev_snat dst 203.0.113.10 action accept pos 6",
        "type rev_dnat src 10.0.0.5 action continue pos 7",
        "type accept proto 17 src-port 1024-65535 dst-port !53 flow return-flow pos 8",
        "type drop hw-src 52:54:00:aa:bb:cc hw-dst !ff:ff:ff:ff:ff:ff tos 16 pos 9",
        "type accept port-group {pg} in-ports {rp},{rp2} pos 10",
        "type drop ip-address-group-src !{ipg} out-ports !{rp} pos 11",
        "type return inverted yes flow fwd-flow pos 12",
        "type reject proto 1 src-port 8 dst-port 3 fragment-policy header pos 13",
        "type snat src !10.0.0.0/8 action return target 198.51.100.1-198.51.100.9:80 pos 14",
        "type dnat dst 198.51.100.2 proto 6 dst-port 80 action accept target 10.0.0.6:8080 in-ports {rp2} pos 15",
        "type accept in-port-group !{pg2} ip-address-group-dst {ipg} pos 16",
    ];
    for (i, rule) in rules.iter().enumerate() {
        t.create(&format!("rule{i}"), &format!("chain {{c}} add rule {rule}"));
    }
    t.mirror_in_order("chain {c} list rule");
    t.mirror("chain {c} rule {rule3} show");
    t.mirror("chain {c} rule {rule1} show src");
    t.mirror("chain {c} rule {rule4} show target");
    t.mirror("chain {c} rule {rule9} show in-ports");
    t.mirror("chain {c} rule {rule2} show jump-to");
    t.mirror("chain {c} list rule type dnat");
    t.mirror("chain {c} delete rule {rule12}");
    t.mirror("chain {c} rule {rule13} delete");
    t.mirror_in_order("chain {c} list rule");
    t.create("first", "chain {c} add rule type drop dst 10.255.255.255");
    t.mirror_in_order("chain {c} list rule");

    // Filters on devices and ports: set and clear.
    t.mirror("router {r} set infilter {c} outfilter {c2}");
    t.mirror("show router {r}");
    t.mirror("router {r} show infilter");
    t.mirror("bridge {b} port {vp} set infilter {c2}");
    t.mirror("bridge {b} port {vp} show");
    t.mirror("router {r} clear infilter outfilter");
    t.mirror("show router {r}");
    t.mirror("port {vp} clear infilter");
    t.mirror("show port {vp}");
    t.mirror("bridge {b} set outfilter chain {c}");
    t.mirror("bridge {b} show");
    t.mirror("router {r} port {rp2} set infilter {c} outfilter {c2}");
    t.mirror("show port {rp2}");
    t.mirror("router {r} port {rp2} show outfilter");
    t.mirror("port {rp2} clear outfilter");
    t.mirror("show port {rp2}");
    t.mirror_in_order("chain {c} list rule src !192.168.0.0/16");
    t.mirror_in_order("chain {c} list rule in-ports {rp2}");

    // IP address groups.
    t.same("list ip-address-group");
    t.expect(
        "ip-address-group {ipg} add ip address 10.0.0.5",
        &["address 10.0.0.5"],
    );
    t.expect(
        "ip-address-group {ipg} add ipv4 address 10.0.0.6",
        &["address 10.0.0.6"],
    );
    t.mirror("ip-address-group {ipg} list ip");
    t.mirror("ip-address-group {ipg} show name");
    t.mirror("ip-address-group {ipg} ip address 10.0.0.6 show");
    t.mirror("ip-address-group {ipg} ip address 10.0.0.6 delete");
    t.mirror("ip-address-group {ipg} list ip");

    // Port groups.
    t.same("list port-group");
    t.expect(
        "port-group {pg} add member port {vp}",
        &["port-group <pg> port <vp>"],
    );
    t.mirror("port-group {pg} add member port {bp}");
    t.mirror("port-group {pg} list member");
    t.mirror("port-group {pg2} set stateful true name pg2x");
    t.mirror("show port-group {pg2}");
    t.mirror("port-group {pg} member port {bp} delete");
    t.mirror("port-group {pg} list member");

    // Tunnel zones and members; then a host binding.
    t.create("tz", "tunnel-zone create name tz1 type vxlan");
    t.create("gre", "tunnel-zone create name tz2 type gre");
    t.same("list tunnel-zone");
    t.mirror("show tunnel-zone {gre}");
    t.fails(
        "host {h} add binding interface eth0 port {vp}",
        "Internal error: ",
    );
    t.expect(
        "tunnel-zone {tz} add member host {h} address 10.0.0.11",
        &["zone <tz> host <h> address 10.0.0.11"],
    );
    t.mirror("tunnel-zone {gre} add member host {h} address 10.0.1.11");
    t.mirror("tunnel-zone {tz} list member");
    t.mirror("tunnel-zone {gre} list member");
    t.mirror("tunnel-zone {gre} member host {h} show address");
    t.mirror("tunnel-zone {tz} set name tz1x");
    t.mirror("tunnel-zone {tz} show");
    t.expect(
        "host {h} add binding interface eth0 port {vp}",
        &["host <h> interface eth0 port <vp>"],
    );
    t.mirror("host {h} list binding");
    t.mirror("show port {vp}");
    t.fails(
        "host {h} add binding interface eth1 port {vp}",
        "Internal error: ",
    );
    t.mirror("host {h} binding port {vp} show interface");
    t.mirror("host {h} set flooding-proxy-weight 5");
    t.mirror("show host {h}");
    t.mirror("host {h} binding interface eth0 delete");
    t.mirror("host {h} list binding");
    t.mirror("tunnel-zone {gre} member host {h} delete");
    t.mirror("tunnel-zone {gre} list member");

    // DHCP: subnets with options, hosts.
    t.expect(
        "bridge {b} add dhcp subnet 10.0.0.0/24 gw 10.0.0.1 server 10.0.0.2 dns-servers 8.8.8.8,8.8.4.4 interface-mtu 1450",
        &["gw 10.0.0.1 server 10.0.0.2 dns-servers 8.8.8.8,8.8.4.4 subnet 10.0.0.0/24 interface-mtu 1450 opt121-routes []"],
    );
    t.expect(
        "bridge {b} add dhcp subnet 172.31.0.0/20 gw 172.31.0.1 server 172.31.0.1 dns-servers 8.8.8.8",
        &["gw 172.31.0.1 server 172.31.0.1 dns-servers 8.8.8.8 subnet 172.31.0.0/20 opt121-routes []"],
    );
    t.mirror("bridge {b} list dhcp");
    t.mirror("bridge {b} dhcp subnet 172.31.0.0/20 show");
    t.mirror("bridge {b} dhcp subnet 172.31.0.0/20 show opt121-routes");
    t.expect(
        "bridge {b} dhcp subnet 10.0.0.0/24 add host name vm1 address 10.0.0.5 mac 52:54:00:aa:bb:cc",
        &["name vm1 address 10.0.0.5 mac 52:54:00:aa:bb:cc"],
    );
    t.mirror("bridge {b} dhcp subnet 10.0.0.0/24 add host name vm2 address 10.0.0.6 mac 52:54:00:aa:bb:dd");
    t.mirror("bridge {b} dhcp subnet 10.0.0.0/24 list host");
    t.mirror("bridge {b} dhcp subnet 10.0.0.0/24 host name vm2 show");
    t.mirror("bridge {b} dhcp subnet 10.0.0.0/24 host mac 52:54:00:aa:bb:dd set name vm2x");
    t.mirror("bridge {b} dhcp subnet 10.0.0.0/24 list host");
    t.mirror("bridge {b} dhcp subnet 10.0.0.0/24 host name vm1 delete");
    t.mirror("bridge {b} dhcp subnet 10.0.0.0/24 list host");
    t.mirror("bridge {b} dhcp subnet 172.31.0.0/20 set dns-servers 1.1.1.1 interface-mtu 9000");
    t.mirror("bridge {b} list dhcp");
    t.mirror("bridge {b} dhcp subnet 172.31.0.0/20 delete");
    t.mirror("bridge {b} list dhcp");

    // Describe.
    t.same("describe");
    t.mirror_in_order("describe router {r}");
    t.same("describe router");
    t.mirror_in_order("chain {c} describe rule");
    t.mirror_in_order("router {r} port {rp} describe");

    // Session commands and help.
    t.same("sett 0123456789abcdef0123456789abcdef");
    t.same("cleart");
    t.same("help list");
    t.same("help set");
    t.same("help nothing");
    t.same("quit");
    t.same("");

    // Bad input and refusals.
    t.fails("show system-state", "Missing arguments, incomplete command");
    t.fails("frobnicate", "Syntax error at: ...frobnicate");
    t.fails("list routerx", "Syntax error at: ...routerx");
    t.fails("list", "Syntax error at: ...list");
    t.fails("create", "Syntax error at: ...create");
    t.fails(
        "show router 00000000-0000-0000-0000-000000000000",
        "Syntax error at: ...",
    );
    t.fails("router {r} list", "Syntax error at: ...list");
    t.fails("set", "Missing arguments, incomplete command");
    t.fails("router {r} set", "Missing arguments, incomplete command");
    t.fails("delete router router0", "Syntax error at: ...router0");
    t.fails(
        "router create name 'unterminated",
        "Syntax error: unmatched quote",
    );
    t.fails(
        "router {r} add port address 10.0.0.9 net 10.0.0.0/33",
        "Internal error: Invalid network address",
    );
    t.fails(
        "bridge {b} set state maybe",
        "Internal error: Invalid value field state: None",
    );
    t.fails(
        "host {h} set name other",
        "User error: 'name is a read-only attribute.'",
    );
    t.fails(
        "router {r} clear name",
        "Internal error: Field name cannot be cleared.",
    );
    t.fails(
        "chain {c} add rule type accept proto 6 dst-port 0-65535 pos 1",
        "Internal error: ",
    );
    t.fails("chain {c} add rule type accept pos 99", "Internal error: ");
    t.fails(
        "router {r} add route dst 10.0.0.0/8 type normal",
        "Internal error: ",
    );
    t.fails("router {r} add port address 10.1.0.1", "Internal error: ");
    t.fails(
        "tunnel-zone create name tz3 type udp",
        "Internal error: Invalid value field type: udp",
    );

    // Deletes, then what is left.
    t.mirror("delete port {vp}");
    t.mirror("bridge {b} list port");
    t.mirror("router {r} port {rp2} delete");
    t.mirror("router {r} list port");
    t.mirror("delete chain {c2}");
    t.mirror("delete ip-address-group {ipg}");
    t.mirror("port-group {pg2} delete");
    t.mirror("tunnel-zone {tz} delete");
    t.mirror("delete bridge {b2}");
    t.mirror("router {r2} delete");
    t.same("list router");
    t.same("list bridge");
    t.same("list chain");
    t.same("list port-group");
    t.same("list ip-address-group");
    t.same("list tunnel-zone");
    t.same("list port");
}
