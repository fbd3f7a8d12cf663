//! A rule chain (MidoNet `Chain`): an ordered list of rules, evaluated as a filter.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chain {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

impl Resource for Chain {
    const CLASS: Class = Class::Chain;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .name("name", self.name.as_deref(), false)
            .finish()
    }
}
