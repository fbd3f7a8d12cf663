//! A virtual router (MidoNet `Router`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::default_true;
use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Router {
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
    pub load_balancer_id: Option<Uuid>,
    /// The router's BGP AS number; 0 when it speaks no BGP (MidoNet's default).
    #[serde(default)]
    pub as_number: u32,
    #[serde(default)]
    pub local_redirect_chain_id: Option<Uuid>,
    #[serde(default)]
    pub forward_chain_id: Option<Uuid>,
}

impl Router {
    pub fn named(id: Uuid, name: &str, tenant: &str) -> Self {
        Router {
            id,
            tenant_id: Some(tenant.to_string()),
            name: Some(name.to_string()),
            admin_state_up: true,
            inbound_filter_id: None,
            outbound_filter_id: None,
            load_balancer_id: None,
            as_number: 0,
            local_redirect_chain_id: None,
            forward_chain_id: None,
        }
    }
}

impl Resource for Router {
    const CLASS: Class = Class::Router;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .name("name", self.name.as_deref(), false)
            .finish()
    }
}
