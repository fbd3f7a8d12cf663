//! Many writes at once: through the gateway's `POST /batch` when the root advertises it (one
//! store transaction per chunk, whose revisions the outcome carries), else as the same plain
//! calls one by one, so a caller writes one way against our gateway and against MidoNet itself.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rest::{absolute, decode_json};
use crate::root::BATCH;
use crate::{ClientError, MidonetClient};

/// What an operation does to the resource at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// POST to a collection (or to a link, binding or membership endpoint).
    Create,
    /// PUT to an object.
    Update,
    /// DELETE an object.
    Delete,
}

/// One write: `path` is relative to the API root (`/routers`, `/ports/<id>/link`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub op: Op,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

impl Operation {
    pub fn create(path: impl Into<String>, body: Value) -> Self {
        Operation {
            op: Op::Create,
            path: path.into(),
            body: Some(body),
        }
    }

    pub fn update(path: impl Into<String>, body: Value) -> Self {
        Operation {
            op: Op::Update,
            path: path.into(),
            body: Some(body),
        }
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Operation {
            op: Op::Delete,
            path: path.into(),
            body: None,
        }
    }
}

/// What one applied operation answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// A batch that went through: one result per operation, how many store transactions (or,
/// without the endpoint, plain requests) carried it, and the store revisions they committed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    pub results: Vec<OpResult>,
    pub transactions: usize,
    /// The store revision each transaction committed at, in order, as our gateway reports it:
    /// the change feed shows the batch's objects at these revisions. Empty when the batch went
    /// as plain calls (the server has no `/batch`) or the server did not say; shorter than
    /// `transactions` when a transaction changed nothing (see [`BatchOutcome::revisions_known`]).
    pub revisions: Vec<i64>,
}

impl BatchOutcome {
    /// Whether every transaction's revision is known, so the feed's changes at other
    /// revisions are someone else's. False after plain calls, from a server that does not
    /// report revisions, or when a transaction committed nothing (it has none to report).
    pub fn revisions_known(&self) -> bool {
        self.revisions.len() == self.transactions
    }
}

/// A batch that stopped at operation `index`: the `applied` operations before it were written.
#[derive(Debug, thiserror::Error)]
#[error("operation {index} of the batch failed after {applied} were applied: {source}")]
pub struct BatchError {
    pub index: usize,
    pub applied: usize,
    #[source]
    pub source: ClientError,
}

#[derive(Deserialize)]
struct Answered {
    results: Vec<OpResult>,
    #[serde(default = "one")]
    transactions: usize,
    #[serde(default)]
    revisions: Vec<i64>,
}

fn one() -> usize {
    1
}

#[derive(Serialize)]
struct Request<'a> {
    operations: &'a [Operation],
}

impl MidonetClient {
    /// Applies `operations` in order: in one request to `POST /batch` when the server offers
    /// it (atomic per transaction: nothing is written when a batch that fits one transaction
    /// fails), else one plain request each, stopping at the first failure.
    pub async fn batch(&self, operations: &[Operation]) -> Result<BatchOutcome, BatchError> {
        if operations.is_empty() {
            return Ok(BatchOutcome {
                results: Vec::new(),
                transactions: 0,
                revisions: Vec::new(),
            });
        }
        match self.root().get(BATCH).map(str::to_string) {
            Some(uri) => self.batch_endpoint(&uri, operations).await,
            None => self.batch_plain(operations).await,
        }
    }

    async fn batch_endpoint(
        &self,
        uri: &str,
        operations: &[Operation],
    ) -> Result<BatchOutcome, BatchError> {
        let failed = |index: usize, applied: usize, source: ClientError| BatchError {
            index,
            applied,
            source,
        };
        let body = serde_json::to_vec(&Request { operations }).map_err(|e| {
            failed(
                0,
                0,
                ClientError::Protocol {
                    method: "POST".into(),
                    url: uri.into(),
                    problem: e.to_string(),
                },
            )
        })?;
        match self
            .send(
                Method::POST,
                uri,
                Some("application/json"),
                Some(("application/json", body)),
            )
            .await
        {
            Ok(answer) => {
                let value = decode_json(uri, &answer.body).map_err(|e| failed(0, 0, e))?;
                let answered: Answered = serde_json::from_value(value).map_err(|e| {
                    failed(
                        0,
                        0,
                        ClientError::Protocol {
                            method: "POST".into(),
                            url: uri.into(),
                            problem: e.to_string(),
                        },
                    )
                })?;
                Ok(BatchOutcome {
                    results: answered.results,
                    transactions: answered.transactions,
                    revisions: answered.revisions,
                })
            }
            Err(error) => {
                // The gateway names the failing operation and how many went through before it.
                let detail = match &error {
                    ClientError::Api { body, .. } => serde_json::from_str::<Value>(body).ok(),
                    _ => None,
                };
                let field = |name: &str| {
                    detail
                        .as_ref()
                        .and_then(|d| d.get(name))
                        .and_then(Value::as_u64)
                };
                let index = field("operation").unwrap_or(0) as usize;
                let applied = field("applied").unwrap_or(0) as usize;
                Err(failed(index, applied, error))
            }
        }
    }

    async fn batch_plain(&self, operations: &[Operation]) -> Result<BatchOutcome, BatchError> {
        let base = self.root().url().trim_end_matches('/').to_string();
        let mut results = Vec::with_capacity(operations.len());
        for (index, operation) in operations.iter().enumerate() {
            let uri = format!("{base}{}", operation.path);
            let (method, status) = match operation.op {
                Op::Create => (Method::POST, 201),
                Op::Update => (Method::PUT, 204),
                Op::Delete => (Method::DELETE, 204),
            };
            let body = operation
                .body
                .as_ref()
                .map(|b| serde_json::to_vec(b).map(|bytes| ("application/json", bytes)))
                .transpose()
                .map_err(|e| BatchError {
                    index,
                    applied: index,
                    source: ClientError::Protocol {
                        method: method.to_string(),
                        url: uri.clone(),
                        problem: e.to_string(),
                    },
                })?;
            let answer = self
                .send(method.clone(), &uri, None, body)
                .await
                .map_err(|source| BatchError {
                    index,
                    applied: index,
                    source,
                })?;
            let location = answer
                .location
                .map(|loc| absolute(&uri, &loc, method.as_str()))
                .transpose()
                .map_err(|source| BatchError {
                    index,
                    applied: index + 1,
                    source,
                })?;
            results.push(OpResult { status, location });
        }
        Ok(BatchOutcome {
            transactions: results.len(),
            results,
            revisions: Vec::new(),
        })
    }
}
