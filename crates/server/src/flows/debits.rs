//! A debit after its commit: mark it sent (`created → pending`, with the janitor's first query
//! time) so that whatever happens next it is looked after, then `AgentPay` and the answer
//! applied through the same payment change as every payment's result. An unknown outcome
//! leaves it pending for the janitor, which asks the bank with `Query` like any payment.

use crate::flows::{self, FlowError};
use crate::state::AppState;
use unipay_core::event::EventSource;
use unipay_core::mandate_channel::{BankDebitState, DebitRequest};
use unipay_core::payment::PaymentEvent;
use unipay_store::StoreError;
use unipay_store::mandates::Mandate;
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{Payment, PaymentChange, PaymentNote};

/// The payment type a debit shows: no consumer chose one.
pub const DEBIT_PAYMENT_TYPE: &str = "mandate";

pub async fn send_debit(
    state: &AppState,
    mandate: &Mandate,
    payment: &Payment,
) -> Result<Payment, FlowError> {
    let now = state.now_ms();
    let first_query_at =
        state
            .config
            .janitor
            .query_schedule_ms
            .next_query_at(now, 0, payment.expires_at.max(now));
    let sent = flows::apply(
        state,
        &PaymentChange {
            payment_id: &payment.id,
            event: PaymentEvent::RequestSent,
            source: EventSource::Api,
            paid: None,
            payment_type: Some(DEBIT_PAYMENT_TYPE),
            next_query_at: Some(first_query_at),
            detail: &mandate.id,
            raw_sha256: None,
            message: None,
            delivery_lease_ms: 0,
            known: Some(payment),
            now_ms: now,
        },
    )
    .await?
    .into_payment()
    .ok_or_else(|| StoreError::Corrupt(format!("payment {} vanished", payment.id)))?;
    let agent_sign_no = mandate.agent_sign_no.clone().unwrap_or_default();
    let channel = flows::mandates::channel(state, &mandate.channel_account_id).await?;
    let request = DebitRequest {
        order_no: sent.order_no.clone(),
        agent_sign_no,
        amount: sent.amount,
        subject: sent.subject.clone(),
        created_at_ms: sent.created_at,
    };
    let answer = flows::mandates::mandates_of(&channel)?
        .debit(&request)
        .await;
    let now = state.now_ms();
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            // Whether the bank took it is unknown: the janitor asks with Query.
            let reason = error.to_string();
            tracing::warn!(payment_id = %sent.id, %reason, "debit outcome unknown");
            state
                .store
                .record_payment_note(&PaymentNote {
                    payment_id: &sent.id,
                    kind: "debit_unknown",
                    source: EventSource::Api,
                    detail: &reason,
                    message: None,
                    now_ms: now,
                })
                .await?;
            return Ok(sent);
        }
    };
    let message = InboundMessage {
        channel_account_id: &sent.channel_account_id,
        sha256: &answer.raw.sha256,
        payment_id: Some(&sent.id),
        order_no: Some(&sent.order_no),
        source: "agent_pay",
        verdict: "accepted",
        reason: "",
        raw_masked: &answer.raw.masked,
        now_ms: now,
    };
    let base = PaymentChange {
        payment_id: &sent.id,
        event: PaymentEvent::BankSucceeded,
        source: EventSource::Api,
        paid: None,
        payment_type: None,
        next_query_at: None,
        detail: "",
        raw_sha256: Some(&answer.raw.sha256),
        message: Some(&message),
        delivery_lease_ms: 0,
        known: Some(&sent),
        now_ms: now,
    };
    let reason;
    let change = match &answer.state {
        BankDebitState::Paid(paid) if paid.amount == sent.amount => PaymentChange {
            paid: Some(paid),
            ..base
        },
        BankDebitState::Failed { code, reason: why } => {
            reason = format!("{code} {why}").trim().to_string();
            state
                .store
                .set_debit_failure_reason(&sent.id, &reason)
                .await?;
            PaymentChange {
                event: PaymentEvent::BankFailed,
                detail: &reason,
                ..base
            }
        }
        BankDebitState::Paid(_) | BankDebitState::Unknown { .. } => {
            let detail = match &answer.state {
                BankDebitState::Unknown { reason } => reason.clone(),
                _ => "bank reports another amount: not believed".to_string(),
            };
            state
                .store
                .record_payment_note(&PaymentNote {
                    payment_id: &sent.id,
                    kind: "debit_unknown",
                    source: EventSource::Api,
                    detail: &detail,
                    message: Some(&message),
                    now_ms: now,
                })
                .await?;
            return Ok(sent);
        }
    };
    let outcome = flows::apply(state, &change).await?;
    Ok(outcome.into_payment().unwrap_or(sent))
}
