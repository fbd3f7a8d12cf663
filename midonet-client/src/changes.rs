//! Following a server's changes instead of reading everything again: our gateway's
//! `GET /changes?since=N` (docs/api.md), advertised in the root under [`CHANGES`]. MidoNet
//! itself has no such feed; callers check [`MidonetClient::supports`] and read in full without.

use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::rest::decode;
use crate::root::CHANGES;
use crate::{ClientError, MidonetClient};

/// One object written or deleted at store revision `revision`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Change {
    /// The store class: `Router`, `Network` (a bridge), `Port`, `Chain`, `Rule`, ...
    pub class: String,
    pub id: Uuid,
    pub revision: i64,
    pub deleted: bool,
    /// The object as a GET answers it; absent for deletions.
    #[serde(default)]
    pub object: Option<Value>,
}

/// The changes after a revision, up to `revision`, in revision order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    pub revision: i64,
    pub changed: Vec<Change>,
}

#[derive(Deserialize)]
struct Summary {
    revision: i64,
    revisions: Vec<i64>,
}

#[derive(Deserialize)]
struct Page {
    revision: i64,
    changed: Vec<Change>,
    more: bool,
}

impl MidonetClient {
    /// The server's current store revision: take it before a full read, then follow changes
    /// from it. `None` when the server has no change feed.
    pub async fn changes_revision(&self) -> Result<Option<i64>, ClientError> {
        let Some(uri) = self.root().get(CHANGES).map(str::to_owned) else {
            return Ok(None);
        };
        let page: Page = decode(&uri, self.get_value(&uri, "application/json").await?)?;
        Ok(Some(page.revision))
    }

    /// Every change after revision `since`, asking again while the server says there is more.
    /// A 410 (`ClientError::status() == Some(410)`) means the server cannot answer from
    /// `since` any more: read everything again. Errors with a protocol error when the server
    /// has no change feed.
    pub async fn changes_since(&self, since: i64) -> Result<Changes, ClientError> {
        let mut out = Changes {
            revision: since,
            changed: Vec::new(),
        };
        loop {
            let (page, more) = self.changes_page(out.revision, 10_000).await?;
            out.revision = page.revision;
            out.changed.extend(page.changed);
            if !more {
                return Ok(out);
            }
        }
    }

    /// The distinct store revisions of the changes after `since`, ascending, and the revision
    /// the answer is current to (`GET /changes?since=N&summary=true`): one small request that
    /// tells a writer who knows its own writes' revisions ([`crate::BatchOutcome::revisions`])
    /// whether anyone else wrote since `since`. Errors as [`MidonetClient::changes_since`]
    /// does (410: the server cannot answer from `since`).
    pub async fn changes_revisions(&self, since: i64) -> Result<(i64, Vec<i64>), ClientError> {
        let uri = self.changes_uri()?;
        let url = format!("{uri}?since={since}&summary=true");
        let summary: Summary = decode(&url, self.get_value(&url, "application/json").await?)?;
        Ok((summary.revision, summary.revisions))
    }

    fn changes_uri(&self) -> Result<String, ClientError> {
        self.root()
            .get(CHANGES)
            .map(str::to_owned)
            .ok_or_else(|| ClientError::Protocol {
                method: "GET".into(),
                url: self.root().url().into(),
                problem: "the server advertises no change feed".into(),
            })
    }

    /// At most about `limit` changes after revision `since` (a revision is never split), and
    /// whether there are more: for following a large change in bounded memory.
    pub async fn changes_page(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<(Changes, bool), ClientError> {
        let uri = self.changes_uri()?;
        let url = format!("{uri}?since={since}&limit={limit}");
        let page: Page = decode(&url, self.get_value(&url, "application/json").await?)?;
        let changes = Changes {
            revision: page.revision,
            changed: page.changed,
        };
        Ok((changes, page.more))
    }
}
