//! The one model of the virtual network: every MidoNet resource as a Rust type whose serde names
//! are MidoNet's v5 JSON names, its validation, and the referential-integrity table that keeps
//! references and back-references consistent. No I/O: servers, clients and the translator share it.

pub mod class;
pub mod integrity;
pub mod media;
pub mod model;
pub mod sim;
pub mod validation;

pub use class::{Class, Resource};
pub use model::*;
pub use validation::{Invalid, Violation};
