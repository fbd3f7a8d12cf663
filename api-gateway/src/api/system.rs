//! Cluster-wide resources: the system state, and tenants (derived from the objects that name
//! them, since tenants live in the identity service, not in the topology).

use std::collections::BTreeSet;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::integrity::{self, Objects};
use topology::{Class, SystemState, Tenant};
use uuid::Uuid;

use super::writes::{put, Call, Write, Written};
use super::{list_reply, one_reply, AppState, P};
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base};
use crate::render::with_links;
use crate::store::{Store, Tx};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/system_state", get(system_state_get))
        .route("/tenants", get(tenants_list))
        .route("/tenants/{id}", get(tenant_get))
}

pub fn writes() -> Vec<Write> {
    vec![put("/system_state", system_state_update)]
}

const STATE_MEDIA: &[&str] = &["SystemState"];
const TENANT_MEDIA: &[&str] = &["Tenant"];

async fn system_state_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
) -> ApiResult<Response> {
    let mut state = s
        .store
        .get(Class::SystemState, Uuid::nil())
        .map(|v| v.as_ref().clone())
        .unwrap_or_else(|| serde_json::to_value(SystemState::default()).unwrap_or_default());
    if let Some(m) = state.as_object_mut() {
        m.remove("id");
    }
    one_reply(
        &accept,
        STATE_MEDIA,
        with_links(state, &[("uri", base.uri("/system_state"))]),
    )
}

fn system_state_update(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let state: SystemState = c.body()?.parse(STATE_MEDIA)?;
    state.validate()?;
    let mut value =
        serde_json::to_value(&state).map_err(|e| ApiError::bad_request(e.to_string()))?;
    value["id"] = json!(Uuid::nil());
    if tx.get(Class::SystemState, Uuid::nil()).is_some() {
        integrity::update(tx, Class::SystemState, value)?;
    } else {
        integrity::create(tx, Class::SystemState, value)?;
    }
    Ok(Written::Done)
}

fn tenant_ids(store: &Store) -> BTreeSet<String> {
    [
        Class::Router,
        Class::Network,
        Class::Chain,
        Class::PortGroup,
    ]
    .into_iter()
    .flat_map(|c| store.list(c))
    .filter_map(|v| {
        v.get("tenantId")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
    .collect()
}

fn tenant(base: &Base, id: &str) -> Value {
    let t = Tenant {
        id: id.to_string(),
        name: id.to_string(),
        description: String::new(),
        enabled: true,
    };
    let v = serde_json::to_value(t).unwrap_or_default();
    let q = |c: &str| base.uri(&format!("/{c}?tenant_id={id}"));
    with_links(
        v,
        &[
            ("uri", base.uri(&format!("/tenants/{id}"))),
            ("routers", q("routers")),
            ("bridges", q("bridges")),
            ("chains", q("chains")),
            ("portGroups", q("port_groups")),
        ],
    )
}

async fn tenants_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
) -> ApiResult<Response> {
    let items = tenant_ids(&s.store)
        .iter()
        .map(|t| tenant(&base, t))
        .collect();
    list_reply(&accept, TENANT_MEDIA, items)
}

async fn tenant_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<String>,
) -> ApiResult<Response> {
    if !tenant_ids(&s.store).contains(&id) {
        return Err(ApiError::missing(format!("tenant {id} owns no objects")));
    }
    one_reply(&accept, TENANT_MEDIA, tenant(&base, &id))
}
