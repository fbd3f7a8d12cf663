//! A named set of ports (MidoNet `PortGroup`), matched by rules; `stateful` groups share flow state.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortGroup {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub stateful: bool,
}

impl Resource for PortGroup {
    const CLASS: Class = Class::PortGroup;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .name("name", self.name.as_deref(), true)
            .finish()
    }
}

/// Membership of a port in a group (`POST /port_groups/{id}/ports`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortGroupPort {
    #[serde(default)]
    pub port_group_id: Option<Uuid>,
    pub port_id: Uuid,
}
