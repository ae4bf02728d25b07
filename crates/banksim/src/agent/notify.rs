//! The `AgentSignResult` message: XML M (channel-abc's `AgentSignResultNotification`) in the
//! envelope of a payment result, signed over its GB2312/GBK bytes; and its server delivery,
//! retried on the notification schedule until the merchant answers `200` with `<URL>`.

use super::book::{SignStatus, Signing};
use crate::codes;
use crate::delivery::{form_body, result_url};
use crate::state::{Inner, SimState};
use unipay_channel_abc::messages::AgentSignResultNotification;
use unipay_channel_abc::wire::build_notification;
use unipay_core::masking::mask_card;

/// The `MSG` value (base64, not yet form-encoded); `notify_type` `0` page, `1` server.
pub fn signed(sim: &Inner, signing: &Signing, notify_type: &str) -> String {
    let (code, text) = match signing.status {
        SignStatus::Active | SignStatus::Cancelled => codes::SUCCESS,
        _ => signing.failure.unwrap_or(super::SIGN_REFUSED),
    };
    let message = AgentSignResultNotification {
        return_code: code.to_string(),
        error_message: text.to_string(),
        merchant_id: signing.merchant_id.clone(),
        order_no: signing.order_no.clone(),
        agent_sign_no: signing.agent_sign_no.clone(),
        card_no: if signing.card_no.is_empty() {
            String::new()
        } else {
            mask_card(&signing.card_no)
        },
        host_date: signing.host_date.clone(),
        host_time: signing.host_time.clone(),
        notify_type: notify_type.to_string(),
    };
    build_notification(&message.to_xml(), &sim.key, sim.algorithm)
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
