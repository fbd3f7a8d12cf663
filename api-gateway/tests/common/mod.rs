//! A gateway started in-process on a loopback port, over a chosen store, with a small HTTP
//! vocabulary for tests: create (returns the new id), get, put, delete, expect an error.

#![allow(dead_code)]

use std::sync::Arc;

use api_gateway::store::Store;
use api_gateway::testing::LocalGateway;
use api_gateway::StoreConfig;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

pub struct Gateway {
    pub base: String,
    pub store: Arc<Store>,
    pub client: Client,
    _served: LocalGateway,
    _dir: Option<tempfile::TempDir>,
}

/// What an API call answered.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: Value,
}

impl Gateway {
    pub async fn start(config: StoreConfig) -> Gateway {
        let store = api_gateway::open_store(&config).await.expect("open store");
        Self::serve(store, None).await
    }

    pub async fn embedded() -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let store = api_gateway::open_store(&StoreConfig::Embedded {
            dir: dir.path().to_path_buf(),
        })
        .await
        .expect("open embedded store");
        Self::serve(store, Some(dir)).await
    }

    pub async fn serve(store: Arc<Store>, dir: Option<tempfile::TempDir>) -> Gateway {
        let served = LocalGateway::serve(store.clone()).await.expect("serve");
        Gateway {
            base: served.url.clone(),
            store,
            client: Client::new(),
            _served: served,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            location,
            body,
        }
    }

    /// POSTs and expects 201; returns the last segment of `Location` (the new id or key).
    pub async fn create(&self, path: &str, body: Value) -> String {
        let a = self.call(Method::POST, path, Some(&body)).await;
        assert_eq!(
            a.status,
            StatusCode::CREATED,
            "POST {path} {body}: {}",
            a.body
        );
        let loc = a.location.expect("Location header");
        loc.rsplit('/').next().unwrap().to_string()
    }

    pub async fn get(&self, path: &str) -> Value {
        let a = self.call(Method::GET, path, None).await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.body);
        a.body
    }

    pub async fn put(&self, path: &str, body: Value) {
        let a = self.call(Method::PUT, path, Some(&body)).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "PUT {path}: {}", a.body);
    }

    pub async fn delete(&self, path: &str) {
        let a = self.call(Method::DELETE, path, None).await;
        assert_eq!(
            a.status,
            StatusCode::NO_CONTENT,
            "DELETE {path}: {}",
            a.body
        );
    }

    /// Expects `status` and a MidoNet error body; returns its message.
    pub async fn refused(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> String {
        let a = self.call(method.clone(), path, body.as_ref()).await;
        assert_eq!(a.status, status, "{method} {path}: {}", a.body);
        assert_eq!(
            a.body["code"],
            status.as_u16(),
            "error body carries the code: {}",
            a.body
        );
        a.body["message"]
            .as_str()
            .expect("error message")
            .to_string()
    }

    /// Every top-level collection's contents, for proving a refused request changed nothing.
    pub async fn snapshot(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for c in [
            "routers",
            "bridges",
            "ports",
            "chains",
            "ip_addr_groups",
            "port_groups",
            "hosts",
            "tunnel_zones",
        ] {
            all.push(self.get(&format!("/{c}")).await);
        }
        all
    }
}
