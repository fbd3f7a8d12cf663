//! The `midonet-cli` binary as a process: logging in (`-u`, `MIDO_PASSWORD`, `-i`) against a
//! stand-in server that checks headers, the unreachable-server line, and the prompt over a
//! pipe against a real in-process gateway (no aliases: UUIDs everywhere).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

/// The binary under test with no settings of the developer's (`HOME`, `MIDO_*`).
fn cli(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_midonet-cli"));
    cmd.env("HOME", home).stdin(Stdio::null());
    for var in [
        "MIDO_API_URL",
        "MIDO_USER",
        "MIDO_PASSWORD",
        "MIDO_PROJECT_ID",
        "MIDO_TENANT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A stand-in API on a loopback port, answering each request from `answer(method, path)`
/// and keeping every request's head (request line and headers, lower-cased names) in order.
struct StandIn {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

type Answer = (u16, Vec<(&'static str, String)>, String);

impl StandIn {
    fn start(answer: impl Fn(&str, &str, &str) -> Answer + Send + Sync + 'static) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let (log, answer, url) = (heads.clone(), Arc::new(answer), base.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, answer, url) = (log.clone(), answer.clone(), url.clone());
                std::thread::spawn(move || serve(stream, &log, &*answer, &url));
            }
        });
        StandIn {
            url: format!("{base}/midonet-api"),
            heads,
        }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

/// Serves requests on one connection until it closes.
fn serve(
    stream: TcpStream,
    log: &Mutex<Vec<String>>,
    answer: &dyn Fn(&str, &str, &str) -> Answer,
    base: &str,
) {
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line.trim().is_empty() {
                break;
            }
            let line = line.trim_end().to_string();
            let line = match line.split_once(':') {
                Some((name, value)) if !head.is_empty() => {
                    format!("{}:{value}", name.to_ascii_lowercase())
                }
                _ => line,
            };
            if let Some(n) = line.strip_prefix("content-length:") {
                length = n.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
            head.push('\n');
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut words = head.split_whitespace();
        let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let (status, headers, text) = answer(method, path, base);
        if let Ok(mut log) = log.lock() {
            log.push(head.clone());
        }
        let mut reply = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", text.len());
        for (name, value) in headers {
            reply.push_str(&format!("{name}: {value}\r\n"));
        }
        reply.push_str("\r\n");
        reply.push_str(&text);
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// A MidoNet with credentials: `admin`/`secret` log in and get the token `tok123`; every
/// other request must carry it.
fn midonet_with_auth(method: &str, path: &str, base: &str) -> Answer {
    let json = |body: String| {
        (
            200,
            vec![("content-type", "application/json".to_string())],
            body,
        )
    };
    match (method, path) {
        ("POST", "/midonet-api/login") => (
            200,
            vec![(
                "set-cookie",
                "sessionId=tok123; Expires=Wed, 09 Jun 2021 10:18:14 GMT".into(),
            )],
            r#"{"key": "tok123", "expires": "Wed, 09 Jun 2021 10:18:14 GMT"}"#.into(),
        ),
        ("GET", "/midonet-api") => json(format!(
            r#"{{"uri": "{base}/midonet-api/", "routers": "{base}/midonet-api/routers",
                "routerTemplate": "{base}/midonet-api/routers/{{id}}",
                "systemState": "{base}/midonet-api/system_state"}}"#
        )),
        ("GET", "/midonet-api/system_state") => {
            json(r#"{"state": "ACTIVE", "availability": "READWRITE", "information": null}"#.into())
        }
        ("GET", "/midonet-api/routers") => json(format!(
            r#"[{{"id": "5d2f3a43-7e0c-4a36-9c55-0c8f2a0b9a11", "name": "r1", "adminStateUp": true,
                 "uri": "{base}/midonet-api/routers/5d2f3a43-7e0c-4a36-9c55-0c8f2a0b9a11"}}]"#
        )),
        _ => (
            404,
            Vec::new(),
            r#"{"message": "no such resource", "code": 404}"#.into(),
        ),
    }
}

/// `midonet-cli -u admin -i p1 -e list router` with `MIDO_PASSWORD=<password>`.
fn list_routers_as_admin(server: &StandIn, password: &str) -> Output {
    let home = tempfile::tempdir().expect("home");
    cli(home.path())
        .args(["-u", "admin", "-i", "p1", "--midonet-url", &server.url])
        .args(["-e", "list", "router"])
        .env("MIDO_PASSWORD", password)
        .output()
        .expect("run midonet-cli")
}

#[test]
fn login_sends_basic_credentials_and_the_project_then_the_token_on_every_request() {
    let server = StandIn::start(midonet_with_auth);
    let out = list_routers_as_admin(&server, "secret");
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (
            Some(0),
            "router 5d2f3a43-7e0c-4a36-9c55-0c8f2a0b9a11 name r1 state up\n".to_string()
        ),
        "stderr: {}",
        text(&out.stderr)
    );
    let heads = server.heads();
    let login = &heads[0];
    assert!(login.starts_with("POST /midonet-api/login "), "{login}");
    // base64("admin:secret")
    assert!(
        login.contains("authorization: Basic YWRtaW46c2VjcmV0\n"),
        "{login}"
    );
    assert!(login.contains("x-auth-project: p1\n"), "{login}");
    assert_eq!(
        heads.len(),
        4,
        "login, root, system state, routers: {heads:?}"
    );
    for head in &heads[1..] {
        assert!(head.contains("x-auth-token: tok123\n"), "{head}");
    }
}

#[test]
fn refused_credentials_end_with_midonets_line() {
    let server = StandIn::start(|method, path, base| match (method, path) {
        ("POST", "/midonet-api/login") => (
            401,
            Vec::new(),
            r#"{"message": "Unauthorized", "code": 401}"#.into(),
        ),
        _ => midonet_with_auth(method, path, base),
    });
    let out = list_routers_as_admin(&server, "wrong");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Invalid credential. Wrong username/password. Bye.\n"
    );
}

#[test]
fn missing_credentials_are_named_before_anything_is_sent() {
    let home = tempfile::tempdir().expect("home");
    let out = cli(home.path())
        .args([
            "--midonet-url",
            "http://127.0.0.1:9/midonet-api",
            "-e",
            "list",
            "router",
        ])
        .output()
        .expect("run midonet-cli");
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (Some(2), "Missing: username\n".to_string())
    );
}

#[test]
fn an_unreachable_server_is_one_line_naming_its_url() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}/midonet-api");
    let home = tempfile::tempdir().expect("home");
    let out = cli(home.path())
        .args(["-A", "--midonet-url", &url, "-e", "list", "router"])
        .output()
        .expect("run midonet-cli");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "midonet-cli: cannot reach the MidoNet API at {url}: "
        )) && err.lines().count() == 1,
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prompt_over_a_pipe_prints_uuids_and_ends_at_end_of_input() {
    let gateway = common::Gateway::start().await;
    let home = tempfile::tempdir().expect("home");
    let url = gateway.url.clone();
    let home_path = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let run = |args: &[&str], input: &str| {
            let mut child = cli(&home_path)
                .args(["-A", "--midonet-url", &url])
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start midonet-cli");
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(input.as_bytes());
            }
            child.wait_with_output().expect("midonet-cli finishes")
        };
        let created = run(&["-e", "router", "create", "name", "r1"], "");
        let id = text(&created.stdout).trim().to_string();
        let session = run(&[], &format!("list router\nrouter {id} show name\nbogus\n"));
        (id, session)
    })
    .await
    .expect("the CLI runs");
    let (id, session) = out;
    assert_eq!(
        text(&session.stdout),
        format!(
            "midonet> router {id} name r1 state up asn 0\n\
             midonet> r1\n\
             midonet> Syntax error at: ...bogus\n\
             midonet> \n"
        )
    );
    assert_eq!(session.status.code(), Some(1), "the last command failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_prints_an_objects_recorded_changes_oldest_first() {
    let gateway = common::Gateway::start_with_history().await;
    let home = tempfile::tempdir().expect("home");
    let run = |args: Vec<String>| {
        let (url, home) = (gateway.url.clone(), home.path().to_path_buf());
        tokio::task::spawn_blocking(move || {
            let out = cli(&home)
                .args(["-A", "--midonet-url", &url])
                .args(&args)
                .output()
                .expect("midonet-cli runs");
            (text(&out.stdout), text(&out.stderr), out.status.code())
        })
    };
    let words = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    let (created, _, _) = run(words("-e router create name r1")).await.unwrap();
    let id = created.trim().to_string();
    run(words(&format!("-e router {id} set name r2")))
        .await
        .unwrap();
    gateway.flush_history().await;
    let (out, err, code) = run(words(&format!("-e history router {id}")))
        .await
        .unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}{err}");
    assert!(
        lines[0].contains(&format!(" create Router {id}: name \"r1\"")),
        "{out}"
    );
    assert!(
        lines[1].contains(&format!(" update Router {id}: name \"r1\" -> \"r2\"")),
        "{out}"
    );
    assert_eq!(code, Some(0), "{err}");
    let (out, _, _) = run(words(&format!("-e history {id} limit 1")))
        .await
        .unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    let (out, _, _) = run(words("-e history nosuchalias")).await.unwrap();
    assert!(
        out.contains("'nosuchalias' is neither an alias nor an id"),
        "{out}"
    );
}
