//! Cluster-wide resources: the system state (`systemState` in the root) and tenants
//! (`tenants`, `tenantTemplate`), which MidoNet derives from the identity service.

use topology::{SystemState, Tenant};

use crate::media;
use crate::{ClientError, MidonetClient};

impl MidonetClient {
    /// The cluster's state (`ACTIVE`/`UPGRADE`, `READWRITE`/`READONLY`, operator notice).
    pub async fn system_state(&self) -> Result<SystemState, ClientError> {
        self.get(self.root().uri("systemState")?, media::SYSTEM_STATE)
            .await
    }

    /// Sets the cluster's state.
    pub async fn update_system_state(&self, state: &SystemState) -> Result<(), ClientError> {
        self.update(self.root().uri("systemState")?, media::SYSTEM_STATE, state)
            .await
    }

    /// Every tenant.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, ClientError> {
        self.list(self.root().uri("tenants")?, media::TENANT).await
    }

    /// Tenant `id`.
    pub async fn tenant(&self, id: &str) -> Result<Tenant, ClientError> {
        let uri = self.root().uri("tenantTemplate")?;
        // Tenant ids are free text (Keystone ids, `euca_tenant_1`): encode the segment rather
        // than pasting it into the template.
        let base = uri
            .strip_suffix("/{id}")
            .ok_or_else(|| ClientError::Unsupported {
                what: format!("a tenant template of the form <collection>/{{id}} (got {uri})"),
            })?;
        self.get(&MidonetClient::child(base, id)?, media::TENANT)
            .await
    }
}
