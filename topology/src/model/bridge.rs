//! A virtual L2 switch (MidoNet `Bridge`, stored as class `Network`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::default_true;
use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bridge {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "default_true")]
    pub admin_state_up: bool,
    #[serde(default)]
    pub inbound_filter_id: Option<Uuid>,
    #[serde(default)]
    pub outbound_filter_id: Option<Uuid>,
    #[serde(default)]
    pub vx_lan_port_ids: Vec<Uuid>,
}

impl Bridge {
    pub fn named(id: Uuid, name: &str, tenant: &str) -> Self {
        Bridge {
            id,
            tenant_id: Some(tenant.to_string()),
            name: Some(name.to_string()),
            admin_state_up: true,
            inbound_filter_id: None,
            outbound_filter_id: None,
            vx_lan_port_ids: Vec::new(),
        }
    }
}

impl Resource for Bridge {
    const CLASS: Class = Class::Network;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .name("name", self.name.as_deref(), false)
            .finish()
    }
}
