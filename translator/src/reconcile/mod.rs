//! Makes MidoNet hold the desired topology: reads what is there (`actual`), computes the ordered
//! operations that close the gap (`plan`, pure), and sends them (`apply`).
//!
//! Contract of `reconcile`: stateless, so every call is a full resync against a fresh read. A
//! failed read applies nothing and is an error; a failed write is not: it is reported in the
//! `ApplyReport`, whatever does not depend on it is applied, and the next call's fresh diff
//! sends it again. With the same desired topology, a second call sends no operation at all.

pub mod actual;
pub mod apply;
mod batch;
mod follow;
mod order;
pub mod plan;

#[cfg(test)]
mod tests;

use midonet_client::{ClientError, MidonetClient};

use crate::desired::{Desired, DEFAULT_TENANT};

pub use apply::{ApplyError, ApplyReport};
pub use follow::{follow, Followed};
pub use plan::{plan, Plan};

/// The topology as read from MidoNet: the same maps as `Desired` (ports with `peer` and
/// `binding`, chains with their rules in order, groups with their members), without origins.
pub type Actual = Desired;

/// Why a reconcile applied nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("reading the actual topology: {0}")]
    Read(#[source] ClientError),
}

/// Reads the actual topology, plans and applies; see the module's contract. The tenant is the
/// desired objects' (eucanetd's default when there are none).
pub async fn reconcile(
    client: &MidonetClient,
    desired: &Desired,
) -> Result<ApplyReport, ReconcileError> {
    let tenant = tenant_of(desired);
    let actual = actual::read(client, tenant)
        .await
        .map_err(ReconcileError::Read)?;
    let plan = plan::plan(desired, &actual);
    Ok(apply::apply(client, &plan).await)
}

/// The tenant of `desired`'s routers, bridges or chains.
pub fn tenant_of(desired: &Desired) -> &str {
    let routers = desired.routers.values().map(|r| &r.tenant_id);
    let bridges = desired.bridges.values().map(|b| &b.tenant_id);
    routers
        .chain(bridges)
        .find_map(|t| t.as_deref())
        .unwrap_or(DEFAULT_TENANT)
}
