//! Turns Eucalyptus' global network view (GNI) into MidoNet topology, as eucanetd's VPCMIDO
//! driver does (`reference/eucanetd.md`). So far: `gni`, which parses and checks the view,
//! `desired`, the pure GNI -> MidoNet topology translation, `reconcile`, which reads
//! MidoNet, diffs it against the desired topology and applies the difference, and `metadata`,
//! which serves instance metadata through per-VPC namespaces on the CLC host; `config` reads the
//! binary's configuration file, and `hosts` registers MidoNet hosts and their tunnel zone;
//! `trace` walks packets through a GNI's translated topology (`topology::sim`) in Eucalyptus
//! terms, and `audit` computes from such traces the GNI's reachability matrix.

pub mod audit;
pub mod config;
pub mod daemon;
pub mod desired;
pub mod engine;
pub mod flow_state;
pub mod gni;
pub mod history;
pub mod hosts;
pub mod metadata;
pub mod reconcile;
pub mod trace;
