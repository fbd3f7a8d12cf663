//! BGP peers and announced networks of a router (MidoNet v5 router-level BGP).

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;
use topology::{BgpNetwork, BgpPeer, Class};
use uuid::Uuid;

use super::{fetch, insert, list_reply, ApiResource, AppState, P};
use crate::error::ApiResult;
use crate::http::{Accept, Base, Body};
use crate::render::render;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/routers/{id}/bgp_peers",
            get(list_of::<BgpPeer>).post(create_on::<BgpPeer>),
        )
        .route(
            "/routers/{id}/bgp_networks",
            get(list_of::<BgpNetwork>).post(create_on::<BgpNetwork>),
        )
}

async fn list_of<R: ApiResource>(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Router, id)?;
    let router = json!(id.to_string());
    let items = s
        .store
        .list(R::CLASS)
        .iter()
        .filter(|v| v.get("routerId") == Some(&router))
        .map(|v| render(&base, R::CLASS, v))
        .collect();
    list_reply(&accept, R::MEDIA, items)
}

async fn create_on<R: ApiResource>(
    State(s): State<AppState>,
    base: Base,
    P(id): P<Uuid>,
    body: Body,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Router, id)?;
    let obj: R = body.parse(R::MEDIA)?;
    insert(
        &s.store,
        &base,
        obj,
        |v| v["routerId"] = json!(id.to_string()),
        |_, _| Ok(()),
    )
    .await
}
