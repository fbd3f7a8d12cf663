//! Cluster-wide state (MidoNet `SystemState`) and tenants (derived from objects' `tenantId`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemState {
    #[serde(default = "SystemState::active")]
    pub state: String,
    #[serde(default = "SystemState::read_write")]
    pub availability: String,
    #[serde(default)]
    pub write_version: Option<String>,
    /// A notice for operators; MidoNet's CLI prints it at start-up when set.
    #[serde(default)]
    pub information: Option<String>,
}

impl SystemState {
    fn active() -> String {
        "ACTIVE".to_string()
    }
    fn read_write() -> String {
        "READWRITE".to_string()
    }

    pub fn validate(&self) -> Result<(), crate::Invalid> {
        crate::validation::Checker::new()
            .require(
                matches!(self.state.as_str(), "ACTIVE" | "UPGRADE"),
                "state",
                "must be ACTIVE or UPGRADE",
            )
            .require(
                matches!(self.availability.as_str(), "READWRITE" | "READONLY"),
                "availability",
                "must be READWRITE or READONLY",
            )
            .finish()
    }
}

impl Default for SystemState {
    fn default() -> Self {
        SystemState {
            state: Self::active(),
            availability: Self::read_write(),
            write_version: None,
            information: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "super::default_true")]
    pub enabled: bool,
}
