//! Our gateway's packet-path simulator (`POST /simulations`, an extension a real MidoNet does
//! not have): walks a packet through the stored topology and answers its flow record.

use reqwest::Method;
use serde_json::Value;

use crate::rest::{decode_json, encode};
use crate::{ClientError, MidonetClient};

impl MidonetClient {
    /// Runs one simulation. `request` is the endpoint's body: `ingressPortId`, `ethSrc`,
    /// `ethDst`, `nwSrc`, `nwDst`, `proto` (tcp, udp, icmp), `tpSrc`, `tpDst`, and optionally
    /// `reply` and `allRules`. The answer holds `request` (and `reply`), each with `verdict`,
    /// `devices`, `returnFlow`, `output` and `trace`, the path one hop per line.
    pub async fn simulate(&self, request: &Value) -> Result<Value, ClientError> {
        // Advertised in the root resource by our gateway; a MidoNet lacks it (answered 404).
        let uri = match self.root().uri("simulations") {
            Ok(uri) => uri.to_string(),
            Err(_) => format!("{}/simulations", self.root().url().trim_end_matches('/')),
        };
        let body = encode("POST", &uri, request)?;
        let json = "application/json";
        let answer = self
            .send(Method::POST, &uri, Some(json), Some((json, body)))
            .await?;
        decode_json(&uri, &answer.body)
    }
}
