//! The packet-path simulator: walks a packet through a topology snapshot the way MidoNet's
//! agent simulates a flow's first packet (`reference/midonet.md` §4) and returns a flow record.
//! Pure: no I/O, no clock; connection state is a value the caller keeps between traces, so a
//! reply traced after its request is seen as return flow and reverse NATed.
//!
//! ```text
//! SnapshotBuilder (plain objects) --build--> Snapshot
//! simulate(&Snapshot, &mut ConnectionState, ingress port, Packet) -> FlowRecord
//! ```

mod bridge;
mod chains;
mod conditions;
mod conntrack;
mod fast_hash;
mod nat;
pub mod packet;
mod record;
mod router;
mod snapshot;
mod walk;

#[cfg(test)]
mod tests;

pub use conntrack::{ConnectionState, FlowStateEntry, NatTable};
pub use packet::{FlowTuple, Fragment, Mac, Packet};
pub use record::{DropReason, FlowRecord, Hop, NatKind, RuleResult, Verdict};
pub use snapshot::{DeviceKind, Snapshot, SnapshotBuilder, SnapshotError};
pub use walk::{simulate, SimulateError, MAX_DEVICES};
