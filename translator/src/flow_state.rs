//! Runs a trace whose connection state outlives the process (`translator trace --flow-state
//! DIR`): it starts from the flow state stored under its ingress port, and what it adds is
//! stored under every exterior port its packets entered or left by, with a TTL, so a reply
//! traced by a later run (from the port the request left by) is return flow and reverse-NATed.
//! The same layout as the gateway's simulations, in the same kind of state store.

use std::collections::HashSet;
use std::time::Duration;

use api_gateway::state::{FlowStateEntry, StateStore};

use crate::trace::{TraceRequest, Tracer};

/// What a kept-state trace printed and how much state it read and wrote.
pub struct KeptTrace {
    pub rendered: String,
    pub loaded: usize,
    pub stored: usize,
}

pub async fn trace_keeping_state(
    tracer: &mut Tracer<'_>,
    request: &TraceRequest,
    store: &dyn StateStore,
    ttl: Duration,
) -> anyhow::Result<KeptTrace> {
    let ingress = tracer.ingress_port(request)?;
    let loaded = store.flow_state(ingress).await?;
    for e in &loaded {
        tracer.state.restore(*e);
    }
    let (rendered, ports) = tracer.run_ports(request)?;
    let known: HashSet<FlowStateEntry> = loaded.iter().copied().collect();
    let added: Vec<FlowStateEntry> = tracer
        .state
        .entries()
        .into_iter()
        .filter(|e| !known.contains(e))
        .collect();
    if !added.is_empty() {
        for port in ports {
            store.put_flow_state(port, added.clone(), ttl).await?;
        }
    }
    Ok(KeptTrace {
        rendered,
        loaded: loaded.len(),
        stored: added.len(),
    })
}
