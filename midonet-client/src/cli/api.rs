//! The blocking bridge from the CLI's synchronous grammar to the async [`MidonetClient`]: each
//! call runs to completion on a current-thread runtime and answers come back as order-keeping
//! [`Json`], so objects print their fields exactly as the server sent them.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use midonet_client::{media, ClientError, Media, MidonetClient, AUTH_TOKEN_HEADER};
use reqwest::header::{HeaderMap, HeaderValue};

use super::error::{CliError, CliResult};
use super::json::Json;

/// How long to wait for a TCP connection before calling the server unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Credentials for a MidoNet that checks them (`-u`, `-p`, `-i`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
    pub project: Option<String>,
}

/// One connected API: the root resource read, a runtime to run requests on.
pub struct Api {
    rt: tokio::runtime::Runtime,
    client: MidonetClient,
    root: Json,
    debug: Cell<bool>,
}

impl Api {
    /// Logs in when `credentials` are given, then reads the root resource at `url`.
    pub fn connect(url: &str, credentials: Option<&Credentials>) -> Result<Api, Box<ClientError>> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError::Unsupported {
                what: format!("an async runtime on this machine ({e})"),
            })?;
        let unreachable = |source| ClientError::Unreachable {
            url: url.to_string(),
            source,
        };
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(REQUEST_TIMEOUT)
        };
        let client = rt.block_on(async {
            let http = match credentials {
                None => builder().build().map_err(unreachable)?,
                Some(c) => {
                    let plain = builder().build().map_err(unreachable)?;
                    let token = midonet_client::login(
                        &plain,
                        url,
                        &c.user,
                        &c.password,
                        c.project.as_deref(),
                    )
                    .await?;
                    let mut headers = HeaderMap::new();
                    let value =
                        HeaderValue::from_str(&token).map_err(|_| ClientError::Protocol {
                            method: "POST".into(),
                            url: format!("{url}/login"),
                            problem: "the session token is not a valid header value".into(),
                        })?;
                    headers.insert(AUTH_TOKEN_HEADER, value);
                    builder()
                        .default_headers(headers)
                        .build()
                        .map_err(unreachable)?
                }
            };
            MidonetClient::connect_with(http, url).await
        })?;
        let document = serde_json::Value::Object(client.root().document().clone());
        let root = serde_json::from_value(document).unwrap_or(Json::Null);
        Ok(Api {
            rt,
            client,
            root,
            debug: Cell::new(false),
        })
    }

    /// The root resource (`Application-v5`): collection URIs and `{id}` templates.
    pub fn root(&self) -> &Json {
        &self.root
    }

    pub fn set_debug(&self, on: bool) {
        self.debug.set(on);
    }

    fn block_on<T>(&self, f: impl Future<Output = Result<T, ClientError>>) -> CliResult<T> {
        self.rt.block_on(f).map_err(CliError::from)
    }

    fn trace(&self, method: &str, uri: &str) {
        if self.debug.get() {
            eprintln!("midonet-cli: {method} {uri}");
        }
    }

    /// GETs one object.
    pub fn get(&self, uri: &str, media: Media) -> CliResult<Json> {
        self.trace("GET", uri);
        let body = self.block_on(self.client.get_body(uri, media.one))?;
        decode(uri, &body)
    }

    /// GETs a collection, with `?name=value` when a query is given (`tenant_id`).
    pub fn list(
        &self,
        uri: &str,
        media: Media,
        query: Option<(&str, &str)>,
    ) -> CliResult<Vec<Json>> {
        let uri = match query {
            Some((name, value)) => with_query(uri, name, value)?,
            None => uri.to_string(),
        };
        self.trace("GET", &uri);
        let body = self.block_on(self.client.get_body(&uri, media.many))?;
        match decode(&uri, &body)? {
            Json::Arr(items) => Ok(items),
            Json::Null => Ok(Vec::new()),
            other => Err(CliError::internal(format!(
                "the list at {uri} is not a JSON array: {}",
                other.to_json_string()
            ))),
        }
    }

    /// POSTs a new object and reads it back from the answer's `Location`.
    pub fn create(&self, uri: &str, media: Media, body: &Json) -> CliResult<Json> {
        self.trace("POST", uri);
        let location = self
            .block_on(self.client.post(uri, media.one, body))?
            .ok_or_else(|| CliError::missing_key("location"))?;
        self.get(&location, media)
    }

    /// Runs our gateway's packet-path simulator.
    pub fn simulate(&self, request: &serde_json::Value) -> CliResult<serde_json::Value> {
        self.trace("POST", "/simulations");
        self.block_on(self.client.simulate(request))
    }

    /// Our gateway's recorded changes of object `id`.
    pub fn history(&self, id: uuid::Uuid, limit: Option<usize>) -> CliResult<serde_json::Value> {
        self.trace("GET", &format!("/history/objects/{id}"));
        self.block_on(self.client.object_history(id, limit))
    }

    /// POSTs `body` and ignores the answer (a port link).
    pub fn post(&self, uri: &str, content_type: &'static str, body: &Json) -> CliResult<()> {
        self.trace("POST", uri);
        self.block_on(self.client.post(uri, content_type, body))?;
        Ok(())
    }

    /// PUTs the whole object and reads it back, as MidoNet's client does after an update.
    pub fn update(&self, uri: &str, media: Media, body: &Json) -> CliResult<Json> {
        self.trace("PUT", uri);
        self.block_on(self.client.update(uri, media, body))?;
        self.get(uri, media)
    }

    /// DELETEs the object at `uri`.
    pub fn delete(&self, uri: &str) -> CliResult<()> {
        self.trace("DELETE", uri);
        self.block_on(self.client.delete(uri))
    }

    /// The cluster's system state (the CLI reads it once at startup).
    pub fn system_state(&self) -> CliResult<Json> {
        let uri = self
            .root
            .get_str("systemState")
            .ok_or_else(|| CliError::missing_key("systemState"))?
            .to_string();
        self.get(&uri, media::SYSTEM_STATE)
    }
}

fn decode(uri: &str, body: &[u8]) -> CliResult<Json> {
    Json::parse(body)
        .map_err(|e| CliError::internal(format!("cannot decode the answer from {uri}: {e}")))
}

fn with_query(uri: &str, name: &str, value: &str) -> CliResult<String> {
    let mut url = reqwest::Url::parse(uri).map_err(|e| {
        CliError::internal(format!(
            "the server gave a URI that is not a URL: {uri}: {e}"
        ))
    })?;
    url.query_pairs_mut().append_pair(name, value);
    Ok(url.into())
}
