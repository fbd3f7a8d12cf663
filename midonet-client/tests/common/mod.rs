//! Servers for the client to talk to: a real gateway started in-process on a loopback port over
//! a fresh embedded store, and a scripted HTTP server that records every request, for proofs
//! about exactly what goes on the wire.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use api_gateway::StoreConfig;
use midonet_client::MidonetClient;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A running gateway over a fresh embedded store; stops when dropped.
pub struct Gateway {
    pub url: String,
    _served: api_gateway::testing::LocalGateway,
    _dir: tempfile::TempDir,
}

impl Gateway {
    pub async fn start() -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let served = api_gateway::testing::LocalGateway::start(&StoreConfig::Embedded {
            dir: dir.path().to_path_buf(),
        })
        .await
        .expect("start gateway");
        Gateway {
            url: served.url.clone(),
            _served: served,
            _dir: dir,
        }
    }

    /// A gateway that records history (and flow state) in an embedded state store.
    pub async fn start_with_history() -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let state = api_gateway::StateOptions {
            store: api_gateway::state::StateConfig::Embedded {
                dir: dir.path().to_path_buf(),
            },
            history: true,
            flow_ttl: api_gateway::state::config::DEFAULT_FLOW_TTL,
        };
        let served = api_gateway::testing::LocalGateway::start_with_state(
            &StoreConfig::Embedded {
                dir: dir.path().to_path_buf(),
            },
            &state,
        )
        .await
        .expect("start gateway");
        Gateway {
            url: served.url.clone(),
            _served: served,
            _dir: dir,
        }
    }

    /// Waits until the gateway's history holds every write so far.
    pub async fn flush_history(&self) {
        if let Some(writer) = self._served.store.state().and_then(|s| s.writer.as_ref()) {
            writer.flush().await;
        }
    }

    pub async fn client(&self) -> MidonetClient {
        MidonetClient::connect(&self.url).await.expect("connect")
    }
}

/// A gateway and a client connected to it.
pub async fn connected() -> (Gateway, MidonetClient) {
    let gw = Gateway::start().await;
    let client = gw.client().await;
    (gw, client)
}

/// One request as the scripted server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

/// What the scripted server answers: status, extra headers, body.
pub type Reply = (u16, Vec<(String, String)>, String);

/// A minimal HTTP/1.1 server answering each request with `script(request, base url)`.
pub struct Scripted {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    pub async fn start(script: impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/midonet-api", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let (log, base) = (seen.clone(), url.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, script, base) = (log.clone(), script.clone(), base.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut reader = BufReader::new(read);
                    // Keep-alive: serve requests on this connection until it closes.
                    while let Some(request) = read_request(&mut reader).await {
                        let (status, headers, body) = script(&request, &base);
                        log.lock().unwrap().push(request);
                        let mut head = format!(
                            "HTTP/1.1 {status} Scripted\r\ncontent-length: {}\r\n",
                            body.len()
                        );
                        for (k, v) in headers {
                            head.push_str(&format!("{k}: {v}\r\n"));
                        }
                        head.push_str("\r\n");
                        if write.write_all(head.as_bytes()).await.is_err()
                            || write.write_all(body.as_bytes()).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        Scripted { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn read_request<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let (mut accept, mut content_type, mut length) = (None, None, 0usize);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim().to_string();
        match name.to_ascii_lowercase().as_str() {
            "accept" => accept = Some(value),
            "content-type" => content_type = Some(value),
            "content-length" => length = value.parse().ok()?,
            _ => {}
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Seen {
        method,
        path,
        accept,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
