//! The K-code payment flow (网上K码支付), shared by the API and the cashier:
//!
//! 1. **Bill** — `created → pending` is committed first (the janitor watches the payment from
//!    then on, whatever happens next), the masked card and mobile are kept, then the bank gets
//!    `KPayVerifyReq` and texts the consumer a code.
//! 2. **Pay** — `KPayReq` with the code and the card holder's details. The bank's success is
//!    applied through `flows::apply` like any payment result (timeline, ledger, notification);
//!    the bank's own server notification that follows changes nothing. A wrong code is counted
//!    here and at the bank; the last one allowed fails the payment (`payment.failed`).
//! 3. **Resend** — `KPayResendReq`, at most `max_resends` times and `min_resend_interval_s`
//!    apart (counted before the bank is asked, so racing resends cannot both pass).
//!
//! An answer that settles nothing (lost, unknown, an unexpected refusal) leads to a query, as
//! for a pre-authorization; what the query cannot settle the janitor does later.
//!
//! The card number, mobile number and holder's details live only in memory for the call; what
//! is stored is masked (the table, and the bank's answers through `bank_messages`).

use crate::flows::{self, FlowError, channel_for, payments::QueryConclusion};
use crate::kcode::ConfirmInput;
use crate::state::AppState;
use unipay_core::Currency;
use unipay_core::channel::{PaymentRequest, RawMessage};
use unipay_core::event::EventSource;
use unipay_core::kcode::{KcodeBill, KcodeOrder, KcodePayment, KcodeState, status_after_bill};
use unipay_core::masking::{mask_card, mask_mobile};
use unipay_core::payment::{CaptureMode, PaymentEvent, PaymentStatus};
use unipay_store::StoreError;
use unipay_store::kcode::{KcodeRecord, KcodeStatus, ResendReservation};
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{Payment, PaymentChange, PaymentNote};

/// Why a K-code step did not go through. Each has its API error code (see `api/kcode.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KcodeRefusal {
    /// The payment's channel account does not offer K-code payment.
    NotOffered,
    /// The payment is not paid by K-code (no bill was ever sent for it).
    NotKcode,
    /// No code is awaited: the payment is not open, or its bill did not get a code.
    NotAwaitingCode,
    /// Pre-authorizations are paid on the bank's page only.
    ManualCapture,
    /// The bank declined the bill: the card or the mobile is not accepted.
    BillRefused(String),
    WrongCode {
        attempts_left: i64,
    },
    CodeExpired,
    /// Too many wrong codes: the payment failed.
    AttemptsExhausted,
    /// The payment asked for all the bills it may (`kcode.max_bills`): the payment failed.
    BillLimit,
    ResendTooSoon {
        retry_after_s: i64,
    },
    ResendLimit,
    /// The bank declined the payment for another reason (holder details, order state).
    Refused(String),
    /// The bank's answer was lost or unclear and a query could not tell.
    Unknown(String),
}

pub type KcodeResult = Result<Result<Payment, KcodeRefusal>, FlowError>;

/// Step 1: the bill. Sending it again (a lost answer, another card at the cashier) is safe:
/// the bank texts a new code and voids the old.
pub async fn send_bill(
    state: &AppState,
    payment: &Payment,
    card_no: &str,
    mobile_no: &str,
    source: EventSource,
) -> KcodeResult {
    let now = state.now_ms();
    if !payment.status.is_open() || now >= payment.expires_at {
        return Ok(Err(KcodeRefusal::NotAwaitingCode));
    }
    if payment.capture == CaptureMode::Manual {
        return Ok(Err(KcodeRefusal::ManualCapture));
    }
    let channel = channel_for(state, payment).await?;
    let Some(kcode) = channel.kcode() else {
        return Ok(Err(KcodeRefusal::NotOffered));
    };
    let types = channel.payment_types();
    let Some(payment_type) = types
        .iter()
        .find(|(code, _)| code == "A")
        .or_else(|| types.first())
        .map(|(code, _)| code.clone())
    else {
        return Ok(Err(KcodeRefusal::NotOffered));
    };
    // A bill sent again after a code was texted (another card at the cashier) texts a new
    // code: it is a resend, and waits and counts as one.
    let max_bills = state.config.kcode.max_bills.max(1);
    let record = state.store.kcode_record(&payment.id).await?;
    if record
        .as_ref()
        .is_some_and(|record| record.bill_count >= max_bills)
    {
        return bill_limit(state, payment, source, max_bills, None).await;
    }
    if record.is_some_and(|record| record.status == KcodeStatus::CodeSent)
        && let Some(refusal) = reserve_resend(state, payment, now).await?
    {
        return Ok(Err(refusal));
    }
    let counted = state
        .store
        .start_kcode(
            &payment.id,
            &mask_card(card_no),
            &mask_mobile(mobile_no),
            max_bills,
            now,
        )
        .await?;
    let Some(bill_no) = counted else {
        return bill_limit(state, payment, source, max_bills, None).await;
    };
    let first_query_at =
        state
            .config
            .janitor
            .query_schedule_ms
            .next_query_at(now, 0, payment.expires_at.max(now));
    flows::apply(
        state,
        &PaymentChange {
            payment_id: &payment.id,
            event: PaymentEvent::RequestSent,
            source,
            paid: None,
            payment_type: Some(&payment_type),
            next_query_at: Some(first_query_at),
            detail: "kcode",
            raw_sha256: None,
            message: None,
            delivery_lease_ms: 0,
            known: Some(payment),
            now_ms: now,
        },
    )
    .await?;
    let bill = KcodeBill {
        order: PaymentRequest {
            order_no: payment.order_no.clone(),
            amount: payment.amount,
            currency: Currency::Cny,
            subject: payment.subject.clone(),
            payment_type,
            result_notify_url: format!(
                "{}/callbacks/{}",
                state.config.public_url, payment.channel_account_id
            ),
            created_at_ms: payment.created_at,
            expires_at_ms: payment.expires_at,
            buyer_ip: None,
            capture: unipay_core::channel::CaptureMode::Immediate,
        },
        card_no: card_no.to_string(),
        mobile_no: mobile_no.to_string(),
    };
    let answer = kcode.send_bill(&bill).await;
    let now = state.now_ms();
    let (status, refusal) = match answer {
        Ok(answer) => {
            let status = status_after_bill(&answer.state);
            let refusal = match answer.state {
                KcodeState::CodeSent => None,
                KcodeState::Refused { reason, .. }
                | KcodeState::ResendLimit { reason }
                | KcodeState::AttemptsExhausted { reason } => {
                    Some(KcodeRefusal::BillRefused(reason))
                }
                KcodeState::Unknown { reason } => Some(KcodeRefusal::Unknown(reason)),
                other => Some(KcodeRefusal::Unknown(format!(
                    "unexpected answer to the bill: {other:?}"
                ))),
            };
            let detail = refusal_detail(refusal.as_ref(), "code texted");
            note(
                state,
                payment,
                source,
                "kcode_bill",
                &detail,
                Some(&answer.raw),
            )
            .await?;
            (status, refusal)
        }
        Err(error) => {
            let reason = error.to_string();
            note(state, payment, source, "kcode_bill", &reason, None).await?;
            (KcodeStatus::Unknown, Some(KcodeRefusal::Unknown(reason)))
        }
    };
    state
        .store
        .set_kcode_status(&payment.id, status, now)
        .await?;
    match refusal {
        // Each refused bill tells whoever holds the link that a card or mobile is not good;
        // after the last one allowed the payment ends rather than go on answering.
        Some(KcodeRefusal::BillRefused(reason)) if bill_no >= max_bills => {
            bill_limit(state, payment, source, max_bills, Some(&reason)).await
        }
        Some(refusal) => Ok(Err(refusal)),
        None => Ok(Ok(current(state, payment).await?)),
    }
}

/// The payment asked for all the bills it may: it fails (the business system hears of it as
/// of any failure).
async fn bill_limit(
    state: &AppState,
    payment: &Payment,
    source: EventSource,
    max_bills: i64,
    last_refusal: Option<&str>,
) -> KcodeResult {
    let detail = match last_refusal {
        Some(reason) => format!("K-code bill {max_bills} of {max_bills} refused: {reason}"),
        None => format!("more than {max_bills} K-code bills asked for"),
    };
    fail(state, payment, source, &detail, None).await?;
    Ok(Err(KcodeRefusal::BillLimit))
}

/// Step 2: pay with the texted code.
pub async fn confirm(
    state: &AppState,
    payment: &Payment,
    input: &ConfirmInput,
    source: EventSource,
) -> KcodeResult {
    let Some(record) = state.store.kcode_record(&payment.id).await? else {
        return Ok(Err(KcodeRefusal::NotKcode));
    };
    if let Some(settled) = settled_or_refused(payment, &record) {
        return Ok(settled);
    }
    let max_wrong = state.config.kcode.max_wrong_codes.max(1);
    if record.wrong_attempts >= max_wrong {
        fail(
            state,
            payment,
            source,
            "too many wrong verification codes",
            None,
        )
        .await?;
        return Ok(Err(KcodeRefusal::AttemptsExhausted));
    }
    let channel = channel_for(state, payment).await?;
    let Some(kcode) = channel.kcode() else {
        return Ok(Err(KcodeRefusal::NotOffered));
    };
    let request = KcodePayment {
        order: order_of(payment)?,
        payment_type: payment.payment_type.clone().unwrap_or_default(),
        verify_code: input.verify_code.clone(),
        account_name: input.account_name.clone(),
        certificate_type: input.certificate_type.clone(),
        certificate_no: input.certificate_no.clone(),
        exp_date: input.exp_date.clone(),
        cvv2: input.cvv2.clone(),
    };
    let answer = kcode.pay(&request).await;
    let now = state.now_ms();
    let (answer, reason) = match answer {
        Ok(answer) => {
            let reason = match answer.state {
                KcodeState::Paid(paid) => {
                    let message = inbound(payment, &answer.raw, "kcode_pay", now);
                    let change = PaymentChange {
                        payment_id: &payment.id,
                        event: PaymentEvent::BankSucceeded,
                        source,
                        paid: Some(&paid),
                        payment_type: None,
                        next_query_at: None,
                        detail: "kcode",
                        raw_sha256: Some(&answer.raw.sha256),
                        message: Some(&message),
                        delivery_lease_ms: 0,
                        known: Some(payment),
                        now_ms: now,
                    };
                    flows::apply(state, &change).await?;
                    state
                        .store
                        .set_kcode_status(&payment.id, KcodeStatus::Paid, now)
                        .await?;
                    return Ok(Ok(current(state, payment).await?));
                }
                KcodeState::WrongCode { reason } => {
                    let wrong = state
                        .store
                        .count_kcode_wrong_attempt(&payment.id, now)
                        .await?;
                    let detail = format!("wrong code {wrong} of {max_wrong}: {reason}");
                    if wrong >= max_wrong {
                        fail(state, payment, source, &detail, Some(&answer.raw)).await?;
                        return Ok(Err(KcodeRefusal::AttemptsExhausted));
                    }
                    note(
                        state,
                        payment,
                        source,
                        "kcode_wrong_code",
                        &detail,
                        Some(&answer.raw),
                    )
                    .await?;
                    return Ok(Err(KcodeRefusal::WrongCode {
                        attempts_left: max_wrong - wrong,
                    }));
                }
                KcodeState::CodeExpired { reason } => {
                    note(
                        state,
                        payment,
                        source,
                        "kcode_code_expired",
                        &reason,
                        Some(&answer.raw),
                    )
                    .await?;
                    return Ok(Err(KcodeRefusal::CodeExpired));
                }
                KcodeState::AttemptsExhausted { reason } => {
                    state
                        .store
                        .count_kcode_wrong_attempt(&payment.id, now)
                        .await?;
                    fail(state, payment, source, &reason, Some(&answer.raw)).await?;
                    return Ok(Err(KcodeRefusal::AttemptsExhausted));
                }
                KcodeState::Refused { code, reason } => {
                    KcodeRefusal::Refused(format!("{code}: {reason}"))
                }
                KcodeState::ResendLimit { reason } => KcodeRefusal::Refused(reason),
                KcodeState::Unknown { reason } => KcodeRefusal::Unknown(reason),
                KcodeState::CodeSent => {
                    KcodeRefusal::Unknown("unexpected answer to the payment".to_string())
                }
            };
            (Some(answer.raw), reason)
        }
        Err(error) => (None, KcodeRefusal::Unknown(error.to_string())),
    };
    // Nothing settled: the bank's word on the order decides.
    let refusal = reason;
    let detail = refusal_detail(Some(&refusal), "");
    note(
        state,
        payment,
        source,
        "kcode_pay_unsettled",
        &detail,
        answer.as_ref(),
    )
    .await?;
    tracing::info!(payment_id = %payment.id, %detail, "K-code payment not settled by its answer; querying");
    let conclusion = flows::payments::query_and_record(state, payment, source, false).await?;
    let after = current(state, payment).await?;
    Ok(match conclusion {
        _ if after.status == PaymentStatus::Succeeded => {
            state
                .store
                .set_kcode_status(&payment.id, KcodeStatus::Paid, state.now_ms())
                .await?;
            Ok(after)
        }
        QueryConclusion::Applied(_) => Err(KcodeRefusal::NotAwaitingCode),
        _ => Err(refusal),
    })
}

/// Step 3: a new code.
pub async fn resend(state: &AppState, payment: &Payment, source: EventSource) -> KcodeResult {
    let Some(record) = state.store.kcode_record(&payment.id).await? else {
        return Ok(Err(KcodeRefusal::NotKcode));
    };
    if let Some(settled) = settled_or_refused(payment, &record) {
        return Ok(match settled {
            // A paid payment needs no code.
            Ok(_) => Err(KcodeRefusal::NotAwaitingCode),
            refused => refused,
        });
    }
    if let Some(refusal) = reserve_resend(state, payment, state.now_ms()).await? {
        return Ok(Err(refusal));
    }
    let channel = channel_for(state, payment).await?;
    let Some(kcode) = channel.kcode() else {
        return Ok(Err(KcodeRefusal::NotOffered));
    };
    let answer = kcode.resend_code(&order_of(payment)?).await;
    let now = state.now_ms();
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            let reason = error.to_string();
            note(state, payment, source, "kcode_resend", &reason, None).await?;
            return Ok(Err(KcodeRefusal::Unknown(reason)));
        }
    };
    let refusal = match answer.state {
        KcodeState::CodeSent => None,
        KcodeState::ResendLimit { .. } => Some(KcodeRefusal::ResendLimit),
        KcodeState::AttemptsExhausted { reason } => {
            fail(state, payment, source, &reason, Some(&answer.raw)).await?;
            return Ok(Err(KcodeRefusal::AttemptsExhausted));
        }
        KcodeState::Refused { code, reason } => {
            Some(KcodeRefusal::Refused(format!("{code}: {reason}")))
        }
        KcodeState::Unknown { reason } => Some(KcodeRefusal::Unknown(reason)),
        other => Some(KcodeRefusal::Unknown(format!(
            "unexpected answer to the resend: {other:?}"
        ))),
    };
    let detail = refusal_detail(refusal.as_ref(), "new code texted");
    note(
        state,
        payment,
        source,
        "kcode_resend",
        &detail,
        Some(&answer.raw),
    )
    .await?;
    match refusal {
        Some(refusal) => Ok(Err(refusal)),
        None => {
            state
                .store
                .set_kcode_status(&payment.id, KcodeStatus::CodeSent, now)
                .await?;
            Ok(Ok(current(state, payment).await?))
        }
    }
}

/// Counts a resend within the limits; the refusal when it is not allowed now.
async fn reserve_resend(
    state: &AppState,
    payment: &Payment,
    now: i64,
) -> Result<Option<KcodeRefusal>, FlowError> {
    let config = &state.config.kcode;
    let reservation = state
        .store
        .reserve_kcode_resend(
            &payment.id,
            now,
            config.min_resend_interval_s.saturating_mul(1000),
            config.max_resends,
        )
        .await?;
    Ok(match reservation {
        ResendReservation::Reserved => None,
        ResendReservation::TooSoon { retry_after_ms } => Some(KcodeRefusal::ResendTooSoon {
            retry_after_s: (retry_after_ms + 999) / 1000,
        }),
        ResendReservation::LimitReached => Some(KcodeRefusal::ResendLimit),
        ResendReservation::NotAwaitingCode => Some(KcodeRefusal::NotAwaitingCode),
    })
}

/// What the payment's state already decides, before the bank is asked: a paid payment is the
/// answer to a repeated confirmation; a closed or failed one awaits no code.
fn settled_or_refused(
    payment: &Payment,
    record: &KcodeRecord,
) -> Option<Result<Payment, KcodeRefusal>> {
    match payment.status {
        PaymentStatus::Succeeded => Some(Ok(payment.clone())),
        _ if record.status == KcodeStatus::Failed => Some(Err(KcodeRefusal::AttemptsExhausted)),
        status if !status.is_open() => Some(Err(KcodeRefusal::NotAwaitingCode)),
        _ if !record.status.awaits_code() => Some(Err(KcodeRefusal::NotAwaitingCode)),
        _ => None,
    }
}

/// Fails the payment after too many wrong codes: `payment.failed` goes out.
async fn fail(
    state: &AppState,
    payment: &Payment,
    source: EventSource,
    detail: &str,
    raw: Option<&RawMessage>,
) -> Result<(), FlowError> {
    let now = state.now_ms();
    let message = raw.map(|raw| inbound(payment, raw, "kcode_pay", now));
    flows::apply(
        state,
        &PaymentChange {
            payment_id: &payment.id,
            event: PaymentEvent::BankFailed,
            source,
            paid: None,
            payment_type: None,
            next_query_at: None,
            detail,
            raw_sha256: raw.map(|raw| raw.sha256.as_str()),
            message: message.as_ref(),
            delivery_lease_ms: 0,
            known: None,
            now_ms: now,
        },
    )
    .await?;
    state
        .store
        .set_kcode_status(&payment.id, KcodeStatus::Failed, now)
        .await?;
    Ok(())
}

/// A timeline entry for a step that changed nothing, keeping the bank's answer (masked).
async fn note(
    state: &AppState,
    payment: &Payment,
    source: EventSource,
    kind: &str,
    detail: &str,
    raw: Option<&RawMessage>,
) -> Result<(), FlowError> {
    let now = state.now_ms();
    let message = raw.map(|raw| inbound(payment, raw, kind, now));
    state
        .store
        .record_payment_note(&PaymentNote {
            payment_id: &payment.id,
            kind,
            source,
            detail,
            message: message.as_ref(),
            now_ms: now,
        })
        .await?;
    Ok(())
}

fn inbound<'a>(
    payment: &'a Payment,
    raw: &'a RawMessage,
    source: &'a str,
    now_ms: i64,
) -> InboundMessage<'a> {
    InboundMessage {
        channel_account_id: &payment.channel_account_id,
        sha256: &raw.sha256,
        payment_id: Some(&payment.id),
        order_no: Some(&payment.order_no),
        source,
        verdict: "accepted",
        reason: "",
        raw_masked: &raw.masked,
        now_ms,
    }
}

fn refusal_detail(refusal: Option<&KcodeRefusal>, fine: &str) -> String {
    match refusal {
        None => fine.to_string(),
        Some(KcodeRefusal::BillRefused(reason))
        | Some(KcodeRefusal::Refused(reason))
        | Some(KcodeRefusal::Unknown(reason)) => reason.clone(),
        Some(other) => format!("{other:?}"),
    }
}

/// The order as the bill named it.
fn order_of(payment: &Payment) -> Result<KcodeOrder, FlowError> {
    Ok(KcodeOrder {
        order_no: payment.order_no.clone(),
        amount: payment.amount,
        created_at_ms: payment.created_at,
    })
}

async fn current(state: &AppState, payment: &Payment) -> Result<Payment, FlowError> {
    Ok(state
        .store
        .get_payment(&payment.id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("payment {} vanished", payment.id)))?)
}
