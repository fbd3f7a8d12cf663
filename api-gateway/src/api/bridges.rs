//! Bridge sub-resources: its ports and the ports linked to them.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use topology::{Class, Port, PortType};
use uuid::Uuid;

use super::routers::{create_device_port, device_peer_ports, device_ports};
use super::writes::{post, Call, Write, Written};
use super::{fetch, list_reply, ApiResource, AppState, P};
use crate::error::ApiResult;
use crate::http::{Accept, Base};
use crate::store::Tx;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/bridges/{id}/ports", get(bridge_ports_list))
        .route("/bridges/{id}/peer_ports", get(bridge_peer_ports_list))
}

pub fn writes() -> Vec<Write> {
    vec![post("/bridges/{id}/ports", bridge_port_create)]
}

async fn bridge_ports_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Network, id)?;
    list_reply(&accept, Port::MEDIA, device_ports(&s.store, &base, id))
}

fn bridge_port_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    create_device_port(tx, c, PortType::Bridge)
}

async fn bridge_peer_ports_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Network, id)?;
    list_reply(&accept, Port::MEDIA, device_peer_ports(&s.store, &base, id))
}
