//! The mandate flows shared by the API, the bank callback and the janitor: every change goes
//! through `Store::apply_mandate_change`, and a notification it writes is delivered at once.

use crate::flows::objects::mandate::mandate_event_body;
use crate::flows::{FlowError, delivery};
use crate::state::AppState;
use std::sync::Arc;
use unipay_core::Amount;
use unipay_core::calendar::AccountingDate;
use unipay_core::channel::NotificationMode;
use unipay_core::channel::{Channel, ChannelError};
use unipay_core::event::EventSource;
use unipay_core::mandate::MandateEvent;
use unipay_core::mandate_channel::{
    BankMandateState, MandateChannel, MandateSignNotification, MandateSignRequest,
};
use unipay_store::StoreError;
use unipay_store::mandates::{Mandate, MandateChange, MandateOutcome};
use unipay_store::messages::InboundMessage;

/// Applies a change and hands its notification to the notifier at once.
pub async fn apply(
    state: &AppState,
    change: &MandateChange<'_>,
) -> Result<MandateOutcome, StoreError> {
    let change = MandateChange {
        delivery_lease_ms: delivery::lease_ms(state),
        ..*change
    };
    let mut outcome = state
        .store
        .apply_mandate_change(&change, &mandate_event_body)
        .await?;
    if let MandateOutcome::Changed { event, mandate } = &mut outcome {
        tracing::info!(mandate_id = %mandate.id, status = %mandate.status, "mandate changed");
        delivery::hand_over(state, event.take());
    }
    Ok(outcome)
}

/// The channel of the mandate's account, and its mandate operations.
pub async fn channel(
    state: &AppState,
    channel_account_id: &str,
) -> Result<Arc<dyn Channel>, FlowError> {
    let channel = crate::flows::channel(state, channel_account_id).await?;
    if channel.mandates().is_none() {
        return Err(FlowError::ChannelSetup(
            channel_account_id.to_string(),
            "the channel offers no mandates".into(),
        ));
    }
    Ok(channel)
}

pub fn mandates_of(channel: &Arc<dyn Channel>) -> Result<&dyn MandateChannel, FlowError> {
    channel
        .mandates()
        .ok_or_else(|| FlowError::ChannelSetup(channel.name().into(), "no mandates".into()))
}

/// Registers the signing at the bank (after the mandate's commit) and keeps the page's URL.
/// The certificate number is handed over here and nowhere kept.
pub async fn send_signing(
    state: &AppState,
    mandate: &Mandate,
    certificate_no: &str,
) -> Result<String, FlowError> {
    let channel = channel(state, &mandate.channel_account_id).await?;
    let request = MandateSignRequest {
        sign_request_no: mandate.sign_request_no.clone(),
        card_type: mandate.card_type.clone(),
        certificate_type: mandate.certificate_type.clone(),
        certificate_no: certificate_no.to_string(),
        expires_on: mandate.expires_on.clone(),
        max_amount_per_debit: mandate
            .max_amount_per_debit
            .and_then(|fen| Amount::from_fen(fen).ok()),
        result_notify_url: format!(
            "{}/callbacks/{}/mandates",
            state.config.public_url, mandate.channel_account_id
        ),
        created_at_ms: mandate.created_at,
    };
    let redirect = mandates_of(&channel)?.sign_mandate(&request).await?;
    state
        .store
        .set_mandate_sign_url(&mandate.id, &redirect.sign_url)
        .await?;
    Ok(redirect.sign_url)
}

/// Why a mandate whose signing request never reached the bank failed.
pub const NEVER_SENT: &str =
    "not_sent: the signing request never reached the bank; create the mandate again";

/// What asking the bank came to.
#[derive(Debug)]
pub enum QueryConclusion {
    Applied(Box<MandateOutcome>),
    /// The customer has not decided, or the bank cannot tell: ask again later.
    StillPending(String),
}

/// Asks the bank about a signing (QueryAgentSign) and applies its answer through the same
/// state change as the result message.
pub async fn query_and_record(
    state: &AppState,
    mandate: &Mandate,
    source: EventSource,
) -> Result<QueryConclusion, FlowError> {
    let channel = channel(state, &mandate.channel_account_id).await?;
    let answer = mandates_of(&channel)?
        .query_mandate(&mandate.sign_request_no)
        .await;
    let now = state.now_ms();
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            let reason = error.to_string();
            state
                .store
                .record_mandate_note(&mandate.id, "query_failed", source, &reason, None, now)
                .await?;
            return Ok(QueryConclusion::StillPending(reason));
        }
    };
    let message = InboundMessage {
        channel_account_id: &mandate.channel_account_id,
        sha256: &answer.raw.sha256,
        payment_id: None,
        order_no: Some(&mandate.sign_request_no),
        source: "mandate_query",
        verdict: "accepted",
        reason: "",
        raw_masked: &answer.raw.masked,
        now_ms: now,
    };
    let base = MandateChange {
        mandate_id: &mandate.id,
        event: MandateEvent::BankSigned,
        source,
        agent_sign_no: None,
        card_masked: None,
        signed_at: None,
        detail: "",
        message: Some(&message),
        delivery_lease_ms: 0,
        now_ms: now,
    };
    let reason;
    let change = match &answer.state {
        BankMandateState::Signed(signed) => MandateChange {
            agent_sign_no: Some(&signed.agent_sign_no),
            card_masked: Some(&signed.card_masked),
            signed_at: Some(signed.signed_at_ms),
            ..base
        },
        BankMandateState::Failed { code, reason: why } => {
            reason = format!("{code} {why}").trim().to_string();
            MandateChange {
                event: MandateEvent::BankSignFailed,
                detail: &reason,
                ..base
            }
        }
        BankMandateState::Cancelled => MandateChange {
            event: MandateEvent::BankCancelled,
            ..base
        },
        // The signing request never reached the bank (the node died before sending it, or it
        // was lost): no customer can sign it, and the certificate number it needs is not kept
        // (personal data), so it cannot be sent again. Failed, once no copy of the request can
        // still be on its way; the business system asks again.
        BankMandateState::NotFound
            if mandate.sign_url.is_none()
                && now >= mandate.created_at + state.config.janitor.resend_grace_ms =>
        {
            MandateChange {
                event: MandateEvent::BankSignFailed,
                detail: NEVER_SENT,
                ..base
            }
        }
        BankMandateState::Pending
        | BankMandateState::NotFound
        | BankMandateState::Unknown { .. } => {
            let why = match &answer.state {
                BankMandateState::Unknown { reason } => reason.clone(),
                BankMandateState::NotFound => {
                    "the bank has no signing under this number yet".into()
                }
                _ => "the customer has not decided yet".into(),
            };
            state
                .store
                .record_mandate_note(
                    &mandate.id,
                    "query_pending",
                    source,
                    &why,
                    Some(&message),
                    now,
                )
                .await?;
            return Ok(QueryConclusion::StillPending(why));
        }
    };
    Ok(QueryConclusion::Applied(Box::new(
        apply(state, &change).await?,
    )))
}

/// Ends the mandate at the bank (AgentUnSign) and records it. A pending mandate the bank has
/// not signed cannot be unsigned: its query settles it first.
pub async fn cancel(state: &AppState, mandate: &Mandate) -> Result<MandateOutcome, FlowError> {
    let Some(agent_sign_no) = mandate.agent_sign_no.as_deref() else {
        return Err(FlowError::Channel(ChannelError::Refused {
            code: "not_signed".into(),
            message: "the mandate was never signed".into(),
        }));
    };
    let channel = channel(state, &mandate.channel_account_id).await?;
    let answer = mandates_of(&channel)?
        .cancel_mandate(&mandate.sign_request_no, agent_sign_no)
        .await?;
    let now = state.now_ms();
    let message = InboundMessage {
        channel_account_id: &mandate.channel_account_id,
        sha256: &answer.raw.sha256,
        payment_id: None,
        order_no: Some(&mandate.sign_request_no),
        source: "mandate_cancel",
        verdict: "accepted",
        reason: "",
        raw_masked: &answer.raw.masked,
        now_ms: now,
    };
    Ok(apply(
        state,
        &MandateChange {
            mandate_id: &mandate.id,
            event: MandateEvent::BankCancelled,
            source: EventSource::Api,
            agent_sign_no: None,
            card_masked: None,
            signed_at: None,
            detail: "unsigned at the merchant's request",
            message: Some(&message),
            delivery_lease_ms: 0,
            now_ms: now,
        },
    )
    .await?)
}

/// Marks a mandate past its last day expired.
pub async fn expire(
    state: &AppState,
    mandate_id: &str,
    source: EventSource,
) -> Result<MandateOutcome, StoreError> {
    apply(
        state,
        &MandateChange {
            mandate_id,
            event: MandateEvent::Expired,
            source,
            agent_sign_no: None,
            card_masked: None,
            signed_at: None,
            detail: "past its last valid day",
            message: None,
            delivery_lease_ms: 0,
            now_ms: state.now_ms(),
        },
    )
    .await
}

/// Today's date in Beijing (`YYYY-MM-DD`): mandates run to the end of their last day there.
pub fn today(state: &AppState) -> String {
    AccountingDate::of_instant(state.now_ms())
        .map(|date| date.to_string())
        .unwrap_or_default()
}

/// What became of a verified signing result.
pub enum SignResultVerdict {
    Recorded(Box<Mandate>),
    /// No signing of ours has the notified number; the message is kept as rejected.
    UnknownSigning,
    /// The message says neither signed nor failed; kept as rejected.
    NotAResult,
}

/// Records a verified signing result (the bank's notification of a mandate signing): the
/// message is kept (masked) with the change it causes; the same bytes twice change nothing.
pub async fn record_sign_result(
    state: &AppState,
    channel_account_id: &str,
    notification: &MandateSignNotification,
) -> Result<SignResultVerdict, FlowError> {
    let now = state.now_ms();
    let source = match notification.mode {
        NotificationMode::Page => EventSource::PageNotification,
        NotificationMode::Server => EventSource::ServerNotification,
    };
    let message = |verdict, reason| InboundMessage {
        channel_account_id,
        sha256: &notification.raw_sha256,
        payment_id: None,
        order_no: Some(&notification.sign_request_no),
        source: source.as_str(),
        verdict,
        reason,
        raw_masked: &notification.raw_masked,
        now_ms: now,
    };
    let Some(mandate) = state
        .store
        .get_mandate_by_sign_request_no(channel_account_id, &notification.sign_request_no)
        .await?
    else {
        tracing::warn!(channel_account_id, "signing result for an unknown signing");
        state
            .store
            .record_bank_message(&message("rejected", "unknown signing number"))
            .await?;
        return Ok(SignResultVerdict::UnknownSigning);
    };
    let accepted = message("accepted", "");
    let reason;
    let base = MandateChange {
        mandate_id: &mandate.id,
        event: MandateEvent::BankSigned,
        source,
        agent_sign_no: None,
        card_masked: None,
        signed_at: None,
        detail: "",
        message: Some(&accepted),
        delivery_lease_ms: 0,
        now_ms: now,
    };
    let change = match &notification.state {
        BankMandateState::Signed(signed) => MandateChange {
            agent_sign_no: Some(&signed.agent_sign_no),
            card_masked: Some(&signed.card_masked),
            signed_at: Some(signed.signed_at_ms),
            ..base
        },
        BankMandateState::Failed { code, reason: why } => {
            reason = format!("{code} {why}").trim().to_string();
            MandateChange {
                event: MandateEvent::BankSignFailed,
                detail: &reason,
                ..base
            }
        }
        // A result message only says signed or failed; anything else is read as nothing.
        _ => {
            state
                .store
                .record_bank_message(&message("rejected", "not a signing result"))
                .await?;
            return Ok(SignResultVerdict::NotAResult);
        }
    };
    apply(state, &change).await?;
    Ok(SignResultVerdict::Recorded(Box::new(mandate)))
}
