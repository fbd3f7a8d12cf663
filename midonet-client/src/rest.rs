//! The client handle and its generic REST core: GET an object or a list, create (POST, then GET
//! the `Location`), update (PUT), delete, each with the resource's vendor media type and every
//! non-2xx answer turned into a [`ClientError`]. Typed methods elsewhere are thin wrappers.
//!
//! Objects carry the URIs of their sub-resources (`ports`, `rules`, `dhcpSubnets`, ...). Those
//! never change for the life of an object, so the client remembers them from every object it
//! reads: creating a router and then its ports costs no extra GET of the router.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

use crate::media::{self, Media};
use crate::root::Root;
use crate::ClientError;

/// How long to wait for a TCP connection before calling the server unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take in all; a hung server is reported, not waited on forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one MidoNet API. Cloning is cheap and clones share one connection pool and one
/// link cache, so callers issue requests in parallel from clones.
#[derive(Clone)]
pub struct MidonetClient {
    http: reqwest::Client,
    root: Arc<Root>,
    links: Arc<LinkCache>,
    /// For an API that checks credentials: who to log in as, and the current token.
    session: Option<Arc<Session>>,
}

/// A login kept for the life of the client: the token goes with every request, and a request
/// refused with 401 (the token expired, or the gateway restarted and forgot it) logs in again
/// and is sent once more.
struct Session {
    user: String,
    password: String,
    token: Mutex<String>,
}

impl std::fmt::Debug for MidonetClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MidonetClient")
            .field("url", &self.root.url())
            .field("version", &self.root.version())
            .finish()
    }
}

impl Session {
    fn current(&self) -> String {
        self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Logs in again unless another request already did since `stale` was refused.
    async fn renew(
        &self,
        http: &reqwest::Client,
        url: &str,
        stale: &str,
    ) -> Result<String, ClientError> {
        let current = self.current();
        if current != stale {
            return Ok(current);
        }
        let token = crate::login(http, url, &self.user, &self.password, None).await?;
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = token.clone();
        Ok(token)
    }
}

/// A successful answer.
pub(crate) struct Answer {
    pub(crate) location: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl MidonetClient {
    /// Reads the root resource at `url` (e.g. `http://host:8181/midonet-api`) and keeps it.
    /// An unreachable server is [`ClientError::Unreachable`] naming `url`.
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|source| ClientError::Unreachable {
                url: url.to_string(),
                source,
            })?;
        Self::connect_with(http, url).await
    }

    /// Like [`MidonetClient::connect`] over a caller's `reqwest::Client`: its timeouts, proxy,
    /// or default headers (`X-Auth-Token` for a MidoNet with Keystone auth) apply to every call.
    pub async fn connect_with(http: reqwest::Client, url: &str) -> Result<Self, ClientError> {
        Self::connect_session(http, url, None).await
    }

    /// Like [`MidonetClient::connect`], logged in as `user` at `<url>/login` (MidoNet's token
    /// authentication): every request carries the token, renewed when the server refuses it.
    pub async fn connect_as(url: &str, user: &str, password: &str) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|source| ClientError::Unreachable {
                url: url.to_string(),
                source,
            })?;
        let token = crate::login(&http, url, user, password, None).await?;
        let session = Session {
            user: user.to_string(),
            password: password.to_string(),
            token: Mutex::new(token),
        };
        Self::connect_session(http, url, Some(Arc::new(session))).await
    }

    async fn connect_session(
        http: reqwest::Client,
        url: &str,
        session: Option<Arc<Session>>,
    ) -> Result<Self, ClientError> {
        let mut client = MidonetClient {
            http,
            root: Arc::new(Root::empty(url)),
            links: Arc::default(),
            session,
        };
        let answer = client
            .send(Method::GET, url, Some(media::APPLICATION.one), None)
            .await?;
        client.root = Arc::new(Root::new(url, decode_json(url, &answer.body)?)?);
        Ok(client)
    }

    /// The root resource read at connect time.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// Whether the root advertises `key`, e.g. [`crate::BATCH`]: callers use an optional
    /// endpoint when it is there and plain calls when it is not.
    pub fn supports(&self, key: &str) -> bool {
        self.root.supports(key)
    }

    /// GETs one object at `uri`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        uri: &str,
        media: Media,
    ) -> Result<T, ClientError> {
        let value = self.get_value(uri, media.one).await?;
        decode(uri, value)
    }

    /// GETs a collection at `uri`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        uri: &str,
        media: Media,
    ) -> Result<Vec<T>, ClientError> {
        let value = self.get_value(uri, media.many).await?;
        if let Value::Array(items) = &value {
            items.iter().for_each(|item| self.links.remember(item));
        }
        decode(uri, value)
    }

    /// POSTs `body` to the collection at `collection`, then GETs the new object from the
    /// answer's `Location` (MidoNet answers 201 with a `Location` and no body).
    pub async fn create<B, T>(
        &self,
        collection: &str,
        media: Media,
        body: &B,
    ) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let location = self
            .post(collection, media.one, body)
            .await?
            .ok_or_else(|| ClientError::Protocol {
                method: "POST".into(),
                url: collection.into(),
                problem: "a create was answered without a Location header".into(),
            })?;
        self.get(&location, media).await
    }

    /// PUTs `body` to the object at `uri`.
    pub async fn update<B: Serialize + ?Sized>(
        &self,
        uri: &str,
        media: Media,
        body: &B,
    ) -> Result<(), ClientError> {
        let body = encode("PUT", uri, body)?;
        self.send(Method::PUT, uri, None, Some((media.one, body)))
            .await?;
        Ok(())
    }

    /// DELETEs the object at `uri`.
    pub async fn delete(&self, uri: &str) -> Result<(), ClientError> {
        self.send(Method::DELETE, uri, None, None).await?;
        self.links.forget(uri);
        Ok(())
    }

    /// GETs `uri` with `accept` and returns the body as the server sent it, for callers that
    /// keep the server's key order or print it verbatim (`midonet-cli`).
    pub async fn get_body(&self, uri: &str, accept: &str) -> Result<Vec<u8>, ClientError> {
        let answer = self.send(Method::GET, uri, Some(accept), None).await?;
        Ok(answer.body)
    }

    /// POSTs `body` with `content_type`; returns the absolute `Location`, if any. The low-level
    /// form of [`MidonetClient::create`], for callers that read the new object themselves.
    pub async fn post<B: Serialize + ?Sized>(
        &self,
        uri: &str,
        content_type: &'static str,
        body: &B,
    ) -> Result<Option<String>, ClientError> {
        let body = encode("POST", uri, body)?;
        let answer = self
            .send(Method::POST, uri, None, Some((content_type, body)))
            .await?;
        answer
            .location
            .map(|loc| absolute(uri, &loc, "POST"))
            .transpose()
    }

    /// GETs `uri` as JSON and remembers the links of the object it holds.
    pub(crate) async fn get_value(&self, uri: &str, accept: &str) -> Result<Value, ClientError> {
        let answer = self.send(Method::GET, uri, Some(accept), None).await?;
        let value = decode_json(uri, &answer.body)?;
        self.links.remember(&value);
        Ok(value)
    }

    /// The link `name` of the object at `uri` (read with `media` when not remembered), or
    /// `Unsupported` when the server's object has no such link.
    pub(crate) async fn link(
        &self,
        uri: &str,
        media: Media,
        name: &str,
    ) -> Result<String, ClientError> {
        let links = match self.links.get(uri) {
            Some(links) => links,
            None => {
                let value = self.get_value(uri, media.one).await?;
                Arc::new(Links::of(&value))
            }
        };
        links
            .get(name)
            .map(str::to_string)
            .ok_or_else(|| ClientError::Unsupported {
                what: format!("the link `{name}` (absent from the object at {uri})"),
            })
    }

    /// One request, traced; a non-2xx answer becomes [`ClientError::Api`].
    pub(crate) async fn send(
        &self,
        method: Method,
        uri: &str,
        accept: Option<&str>,
        body: Option<(&'static str, Vec<u8>)>,
    ) -> Result<Answer, ClientError> {
        let Some(session) = &self.session else {
            return self.attempt(method, uri, accept, body, None).await;
        };
        let token = session.current();
        let retry = body.clone();
        match self
            .attempt(method.clone(), uri, accept, body, Some(&token))
            .await
        {
            Err(ClientError::Api { status: 401, .. }) => {
                let renewed = session.renew(&self.http, self.root.url(), &token).await?;
                self.attempt(method, uri, accept, retry, Some(&renewed))
                    .await
            }
            answer => answer,
        }
    }

    /// One request, with `token` when the API checks credentials.
    async fn attempt(
        &self,
        method: Method,
        uri: &str,
        accept: Option<&str>,
        body: Option<(&'static str, Vec<u8>)>,
        token: Option<&str>,
    ) -> Result<Answer, ClientError> {
        let span = tracing::debug_span!("midonet_request", %method, url = %uri);
        async {
            let started = Instant::now();
            let url = parse(uri, method.as_str())?;
            let mut request = self.http.request(method.clone(), url);
            if let Some(accept) = accept {
                request = request.header(reqwest::header::ACCEPT, accept);
            }
            if let Some(token) = token {
                request = request.header(crate::AUTH_TOKEN_HEADER, token);
            }
            if let Some((content_type, bytes)) = body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(bytes);
            }
            let unreachable = |source| ClientError::Unreachable {
                url: uri.to_string(),
                source,
            };
            let response = request.send().await.map_err(unreachable)?;
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = response.bytes().await.map_err(unreachable)?;
            tracing::debug!(
                status = status.as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "answered"
            );
            if !status.is_success() {
                return Err(ClientError::from_answer(
                    method.as_str(),
                    uri,
                    status.as_u16(),
                    &bytes,
                ));
            }
            Ok(Answer {
                location,
                body: bytes.to_vec(),
            })
        }
        .instrument(span)
        .await
    }

    /// `uri` with `?name=value` added (`tenant_id` filters).
    pub(crate) fn with_query(uri: &str, name: &str, value: &str) -> Result<String, ClientError> {
        let mut url = parse(uri, "GET")?;
        url.query_pairs_mut().append_pair(name, value);
        Ok(url.into())
    }

    /// `uri` with one more path segment, percent-encoded (`<hosts>/<mac>`, `<dhcp>/10.0.0.0_24`):
    /// MidoNet addresses a member of a collection as `<collection>/<key>`.
    pub(crate) fn child(uri: &str, segment: &str) -> Result<String, ClientError> {
        let mut url = parse(uri, "GET")?;
        url.path_segments_mut()
            .map_err(|()| ClientError::Protocol {
                method: "GET".into(),
                url: uri.into(),
                problem: "the URI cannot have a path".into(),
            })?
            .pop_if_empty()
            .push(segment);
        Ok(url.into())
    }
}

fn parse(uri: &str, method: &str) -> Result<Url, ClientError> {
    Url::parse(uri).map_err(|e| ClientError::Protocol {
        method: method.into(),
        url: uri.into(),
        problem: format!("the server gave a URI that is not a URL: {e}"),
    })
}

/// A `Location` made absolute against the request URL (MidoNet sends absolute ones; a relative
/// one from a proxy is still understood).
pub(crate) fn absolute(request: &str, location: &str, method: &str) -> Result<String, ClientError> {
    parse(request, method)?
        .join(location)
        .map(String::from)
        .map_err(|e| ClientError::Protocol {
            method: method.into(),
            url: request.into(),
            problem: format!("the Location '{location}' is not a URL: {e}"),
        })
}

pub(crate) fn decode_json(uri: &str, body: &[u8]) -> Result<Value, ClientError> {
    serde_json::from_slice(body).map_err(|source| ClientError::Decode {
        url: uri.to_string(),
        source,
    })
}

pub(crate) fn decode<T: DeserializeOwned>(uri: &str, value: Value) -> Result<T, ClientError> {
    serde_json::from_value(value).map_err(|source| ClientError::Decode {
        url: uri.to_string(),
        source,
    })
}

pub(crate) fn encode<B: Serialize + ?Sized>(
    method: &str,
    uri: &str,
    body: &B,
) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(body).map_err(|e| ClientError::Protocol {
        method: method.into(),
        url: uri.to_string(),
        problem: format!("cannot encode the request body: {e}"),
    })
}

/// Links of an object that stay the same for its whole life. `peer`, `host` and
/// `hostInterfacePort` change with links and bindings and are never remembered.
const STABLE_LINKS: &[&str] = &[
    "ports",
    "peerPorts",
    "routes",
    "bgpPeers",
    "bgpNetworks",
    "macTable",
    "arpTable",
    "dhcpSubnets",
    "macPortTemplate",
    "vlanMacTableTemplate",
    "vlanMacPortTemplate",
    "link",
    "portGroups",
    "rules",
    "addrs",
    "interfaces",
    "hosts",
];

/// The stable links of one object.
#[derive(Debug, Default)]
pub(crate) struct Links(HashMap<&'static str, String>);

impl Links {
    fn of(object: &Value) -> Self {
        Links(
            STABLE_LINKS
                .iter()
                .filter_map(|name| Some((*name, object.get(*name)?.as_str()?.to_string())))
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Links of the objects read so far, by object URI. Bounded: past the limit it starts over,
/// which costs a GET per object touched again and nothing else.
#[derive(Default)]
struct LinkCache(Mutex<HashMap<String, Arc<Links>>>);

const LINK_CACHE_LIMIT: usize = 100_000;

impl LinkCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Links>>> {
        // A panic elsewhere while holding the lock leaves a map that is still consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, uri: &str) -> Option<Arc<Links>> {
        self.lock().get(uri).cloned()
    }

    fn remember(&self, object: &Value) {
        let Some(uri) = object.get("uri").and_then(Value::as_str) else {
            return;
        };
        let links = Links::of(object);
        if links.0.is_empty() {
            return;
        }
        let mut map = self.lock();
        if map.len() >= LINK_CACHE_LIMIT {
            map.clear();
        }
        map.insert(uri.to_string(), Arc::new(links));
    }

    fn forget(&self, uri: &str) {
        self.lock().remove(uri);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_uris_are_collection_plus_encoded_key() {
        assert_eq!(
            MidonetClient::child("http://h/api/bridges/b/dhcp", "10.0.0.0_24").unwrap(),
            "http://h/api/bridges/b/dhcp/10.0.0.0_24"
        );
        assert_eq!(
            MidonetClient::child("http://h/api/hosts/h/interfaces/", "tap 1").unwrap(),
            "http://h/api/hosts/h/interfaces/tap%201"
        );
        assert_eq!(
            MidonetClient::with_query("http://h/api/routers", "tenant_id", "euca tenant").unwrap(),
            "http://h/api/routers?tenant_id=euca+tenant"
        );
    }

    #[test]
    fn relative_locations_are_resolved_against_the_request() {
        assert_eq!(
            absolute("http://h:1/api/routers", "/api/routers/x", "POST").unwrap(),
            "http://h:1/api/routers/x"
        );
        assert_eq!(
            absolute("http://h:1/api/routers", "http://o/api/routers/x", "POST").unwrap(),
            "http://o/api/routers/x"
        );
    }

    #[test]
    fn only_stable_links_are_remembered() {
        let cache = LinkCache::default();
        cache.remember(
            &json!({"uri": "http://h/ports/p", "link": "http://h/ports/p/link",
            "peer": "http://h/ports/q", "id": "p"}),
        );
        let links = cache.get("http://h/ports/p").unwrap();
        assert_eq!(links.get("link"), Some("http://h/ports/p/link"));
        assert_eq!(links.get("peer"), None, "peer changes with links");
        cache.forget("http://h/ports/p");
        assert!(cache.get("http://h/ports/p").is_none());
    }
}
