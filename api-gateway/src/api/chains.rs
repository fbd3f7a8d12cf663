//! Rules of a chain: ordered by the chain, inserted at a 1-based `position`.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::integrity::{self, Field};
use topology::{Class, Resource, Rule};
use uuid::Uuid;

use super::writes::{delete, post, Call, Write, Written};
use super::{
    fetch, immutable, insert, list_reply, one_reply, read_tx, remove, ApiResource, AppState, P,
};
use crate::error::ApiResult;
use crate::http::{typed, Accept, Base};
use crate::render::render;
use crate::store::{Store, Tx};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/chains/{id}/rules", get(chain_rules_list))
        .route("/rules/{id}", get(rule_get).put(immutable))
}

pub fn writes() -> Vec<Write> {
    vec![
        post("/chains/{id}/rules", chain_rule_create),
        delete("/rules/{id}", remove::<Rule>),
    ]
}

/// A rule as the API shows it: where it stands in its chain, and its jump target's name.
fn render_rule(store: &Store, base: &Base, rule: &Value, position: usize) -> Value {
    let mut out = render(base, Class::Rule, rule);
    out["position"] = json!(position);
    let target = rule
        .get("jumpChainId")
        .and_then(Value::as_str)
        .and_then(|t| t.parse().ok());
    if let Some(chain) = target.and_then(|t| store.get(Class::Chain, t)) {
        if let Some(name) = chain.get("name") {
            out["jumpChainName"] = name.clone();
        }
    }
    out
}

fn rule_ids(chain: &Value) -> Vec<Uuid> {
    integrity::refs(chain, Field::Many("ruleIds"))
}

async fn chain_rules_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let chain = fetch(&s.store, Class::Chain, id)?;
    let items = rule_ids(&chain)
        .into_iter()
        .filter_map(|r| s.store.get(Class::Rule, r))
        .enumerate()
        .map(|(i, r)| render_rule(&s.store, &base, &r, i + 1))
        .collect();
    list_reply(&accept, Rule::MEDIA, items)
}

fn chain_rule_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    read_tx(tx, Class::Chain, id)?;
    // The condition is flattened into the rule, which hides the failing field's name from
    // the rule's parser: parse it on its own first so errors name the field.
    let mut value = c.body()?.json(Rule::MEDIA)?;
    typed::<topology::Condition>(&mut value)?;
    let mut rule: Rule = typed(&mut value)?;
    rule.normalize();
    let position = rule.position as usize;
    let rule_id = rule.id();
    insert(
        tx,
        c.base,
        rule,
        |v| {
            v["chainId"] = json!(id.to_string());
            // The position is where the rule stands in the chain's list, never a stored field.
            if let Some(m) = v.as_object_mut() {
                m.remove("position");
            }
        },
        |tx, _| {
            integrity::place(tx, Class::Chain, id, "ruleIds", rule_id, position)?;
            Ok(())
        },
    )
}

async fn rule_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let rule = fetch(&s.store, Class::Rule, id)?;
    let chain = rule
        .get("chainId")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .and_then(|c| s.store.get(Class::Chain, c));
    let position = chain
        .and_then(|c| rule_ids(&c).iter().position(|r| *r == id))
        .map_or(0, |p| p + 1);
    one_reply(
        &accept,
        Rule::MEDIA,
        render_rule(&s.store, &base, &rule, position),
    )
}
