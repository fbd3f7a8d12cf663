//! Turns Eucalyptus' global network view (GNI) into MidoNet topology, as eucanetd's VPCMIDO
//! driver does (`reference/eucanetd.md`). So far: `gni`, which parses and checks the view, and
//! `desired`, the pure GNI -> MidoNet topology translation.

pub mod desired;
pub mod gni;
