//! The signing result message: XML M in the envelope of a payment result, signed over its
//! GB2312 bytes; and its server delivery, retried on the notification schedule until the
//! merchant answers `200` with `<URL>`. The SDK's demo page branches on TrxType `AGENTSIGN`
//! (signed or refused) and `AGENTUNSIGN` (the mandate ended at the bank) and reads AgentSignNo
//! and Last4CardNo; the other names are assumed (see [`crate::wire::names`]).

use super::book::{SignStatus, Signing};
use crate::codes;
use crate::delivery::{form_body, result_url};
use crate::state::{Inner, SimState};
use crate::wire::{names, notification, xml};

/// TrxType of a signing decided on the bank's page, and of a mandate ended at the bank.
pub const AGENT_SIGN: &str = "AGENTSIGN";
pub const AGENT_UNSIGN: &str = "AGENTUNSIGN";

/// The last four digits of the card, or `""` before the customer gave one.
pub fn last4(card_no: &str) -> &str {
    card_no.get(card_no.len().saturating_sub(4)..).unwrap_or("")
}

/// M; `notify_type` `0` page, `1` server.
pub fn message_xml(signing: &Signing, notify_type: &str) -> String {
    let (code, text) = match signing.status {
        SignStatus::Active | SignStatus::Cancelled => codes::SUCCESS,
        _ => signing.failure.unwrap_or(super::SIGN_REFUSED),
    };
    // An ended mandate is told with the time it ended; a decision with the time it was taken.
    let (trx_type, host_date, host_time) = match signing.status {
        SignStatus::Cancelled => (AGENT_UNSIGN, &signing.unsign_date, &signing.unsign_time),
        _ => (AGENT_SIGN, &signing.host_date, &signing.host_time),
    };
    xml::result_message(&[
        (names::RETURN_CODE, code),
        (names::ERROR_MESSAGE, text),
        (names::EC_MERCHANT_TYPE, "EBUS"),
        (names::MERCHANT_ID, &signing.merchant_id),
        (names::TRX_TYPE, trx_type),
        (names::ORDER_NO, &signing.order_no),
        (names::AGENT_SIGN_NO, &signing.agent_sign_no),
        ("Last4CardNo", last4(&signing.card_no)),
        (names::HOST_DATE, host_date),
        (names::HOST_TIME, host_time),
        (names::NOTIFY_TYPE, notify_type),
    ])
}

/// The `MSG` value (base64, not yet form-encoded); `notify_type` `0` page, `1` server.
pub fn signed(sim: &Inner, signing: &Signing, notify_type: &str) -> String {
    notification::seal(&message_xml(signing, notify_type), &sim.key, sim.algorithm)
}

pub fn spawn_server(sim: SimState, signing: Signing) {
    tokio::spawn(async move { deliver_server(&sim, &signing).await });
}

async fn deliver_server(sim: &Inner, signing: &Signing) {
    let body = form_body(&signed(sim, signing, "1"));
    let key = (signing.merchant_id.clone(), signing.order_no.clone());
    for wait in &sim.notify_schedule {
        if !sim.sleep(*wait).await {
            return;
        }
        let acknowledged = sim
            .mandates()
            .signings
            .get(&key)
            .is_none_or(|s| s.notify_acknowledged);
        if acknowledged {
            return;
        }
        let Ok(_permit) = sim.deliveries.acquire().await else {
            return;
        };
        let sent = sim
            .http
            .post(&signing.notify_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.clone())
            .send()
            .await;
        let acknowledged = match sent {
            Ok(response) if response.status().as_u16() == 200 => response
                .text()
                .await
                .ok()
                .and_then(|text| result_url(&text))
                .is_some(),
            _ => false,
        };
        if let Some(s) = sim.mandates().signings.get_mut(&key) {
            s.notify_attempts = s.notify_attempts.saturating_add(1);
            s.notify_acknowledged |= acknowledged;
        }
        if acknowledged {
            return;
        }
    }
    tracing::info!(order_no = %signing.order_no, "signing result never acknowledged; schedule exhausted");
}
