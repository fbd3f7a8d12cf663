//! Bridge sub-resources: its ports and the ports linked to them.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use topology::{Class, Port, PortType};
use uuid::Uuid;

use super::routers::{create_device_port, device_peer_ports, device_ports};
use super::{fetch, list_reply, ApiResource, AppState, P};
use crate::error::ApiResult;
use crate::http::{Accept, Base, Body};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/bridges/{id}/ports",
            get(bridge_ports_list).post(bridge_port_create),
        )
        .route("/bridges/{id}/peer_ports", get(bridge_peer_ports_list))
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

async fn bridge_port_create(
    State(s): State<AppState>,
    base: Base,
    P(id): P<Uuid>,
    body: Body,
) -> ApiResult<Response> {
    create_device_port(&s.store, &base, id, PortType::Bridge, &body).await
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
