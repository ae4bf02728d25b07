//! Identity verification with the bank: the request (redirect: the page to send the customer
//! to; direct: the verdict at once) and applying a verdict, from an answer or a result message.
//! The personal data sent to the bank lives only in memory for the call.

use crate::flows::objects::identity::verification_event_body;
use crate::flows::{FlowError, delivery};
use crate::state::AppState;
use sha2::{Digest, Sha256};
use unipay_core::channel::ChannelError;
use unipay_core::identity::{VerifyMode, VerifyStatus};
use unipay_core::identity_channel::{IdentityNotification, IdentityOutcome, IdentityRequest};
use unipay_store::identity::{Finished, IdentityVerification, VerificationResult};
use unipay_store::messages::InboundMessage;

/// A verdict to record: the status, the bank's code and reason.
pub struct Verdict<'a> {
    pub status: VerifyStatus,
    pub code: Option<&'a str>,
    pub reason: Option<&'a str>,
}

impl<'a> Verdict<'a> {
    pub fn of(outcome: &'a IdentityOutcome) -> Verdict<'a> {
        match outcome {
            IdentityOutcome::Matched => Verdict {
                status: VerifyStatus::Matched,
                code: None,
                reason: None,
            },
            IdentityOutcome::NotMatched { code, reason } => Verdict {
                status: VerifyStatus::NotMatched,
                code: Some(code),
                reason: Some(reason),
            },
            IdentityOutcome::Failed { code, reason } => Verdict {
                status: VerifyStatus::Failed,
                code: Some(code),
                reason: Some(reason),
            },
        }
    }
}

/// Asks the bank; returns the verification as it stands afterwards. A bank that cannot be
/// reached or refuses the request fails the verification with its reason: nothing was
/// verified, and a new request may be made.
pub async fn send(
    state: &AppState,
    verification: &IdentityVerification,
    request: &IdentityRequest,
) -> Result<IdentityVerification, FlowError> {
    let channel = crate::flows::channel(state, &verification.channel_account_id).await?;

    let Some(identity) = channel.identity() else {
        let outcome = IdentityOutcome::Failed {
            code: "not_offered".to_string(),
            reason: "the channel does not offer identity verification".to_string(),
        };
        return finish(state, verification, &Verdict::of(&outcome), None).await;
    };
    let now = state.now_ms();
    match verification.mode {
        VerifyMode::Redirect => match identity.request_identity_verification(request).await {
            Ok(redirect) => {
                state
                    .store
                    .set_identity_verify_url(&verification.id, &redirect.verify_url, now)
                    .await?;
                Ok(IdentityVerification {
                    verify_url: Some(redirect.verify_url),
                    ..verification.clone()
                })
            }
            Err(error) => fail_on(state, verification, &error).await,
        },
        VerifyMode::Direct => match identity.verify_identity(request).await {
            Ok(answer) => {
                // The bank's answer names nothing of ours: two verdicts alike are the same
                // bytes, so the message is kept under a key of this verification's own.
                let key = hex::encode(Sha256::digest(
                    format!("{}:{}", verification.verify_no, answer.raw.sha256).as_bytes(),
                ));
                let message = InboundMessage {
                    channel_account_id: &verification.channel_account_id,
                    sha256: &key,
                    payment_id: None,
                    order_no: Some(&verification.verify_no),
                    source: "identity_answer",
                    verdict: "accepted",
                    reason: "",
                    raw_masked: &answer.raw.masked,
                    now_ms: now,
                };
                finish(
                    state,
                    verification,
                    &Verdict::of(&answer.outcome),
                    Some(&message),
                )
                .await
            }
            Err(error) => fail_on(state, verification, &error).await,
        },
    }
}

async fn fail_on(
    state: &AppState,
    verification: &IdentityVerification,
    error: &ChannelError,
) -> Result<IdentityVerification, FlowError> {
    tracing::warn!(verification_id = %verification.id, %error, "identity verification not carried out");
    let code = match error {
        ChannelError::Refused { code, .. } => code.as_str(),
        ChannelError::Unknown(_) => "unknown",
        ChannelError::Unreachable(_) => "unreachable",
        ChannelError::BadAnswer(_) => "bad_answer",
        ChannelError::NotReady(_) => "not_ready",
    };
    let reason = error.to_string();
    let verdict = Verdict {
        status: VerifyStatus::Failed,
        code: Some(code),
        reason: Some(&reason),
    };
    finish(state, verification, &verdict, None).await
}

/// Records a verdict (once: a final verification stays as it is) and delivers its
/// notification.
pub async fn finish(
    state: &AppState,
    verification: &IdentityVerification,
    verdict: &Verdict<'_>,
    message: Option<&InboundMessage<'_>>,
) -> Result<IdentityVerification, FlowError> {
    let result = VerificationResult {
        status: verdict.status,
        reason_code: verdict.code,
        reason: verdict.reason,
        message,
        delivery_lease_ms: delivery::lease_ms(state),
        now_ms: state.now_ms(),
    };
    let finished = state
        .store
        .finish_identity_verification(&verification.id, &result, &verification_event_body)
        .await?;
    Ok(match finished {
        Finished::Applied(after, event) => {
            delivery::hand_over(state, event);
            after
        }
        Finished::Unchanged(current) => current,
        Finished::NotFound => verification.clone(),
    })
}

/// The source name of the bank's identity results, in kept messages.
pub const SOURCE: &str = "identity_notification";

/// What became of a verified identity result.
pub enum ResultVerdict {
    Recorded(Box<IdentityVerification>),
    /// No verification of ours has the number; the message is kept as rejected.
    UnknownVerification,
    /// The result names another card or certificate; the message is kept as rejected.
    NotThisVerification,
}

/// Records a verified identity result: believed only for the verification it names, and only
/// if the card and certificate it echoes are that verification's.
pub async fn record_result(
    state: &AppState,
    channel_account_id: &str,
    notification: &IdentityNotification,
) -> Result<ResultVerdict, FlowError> {
    let now = state.now_ms();
    let message = |verdict, reason| InboundMessage {
        channel_account_id,
        sha256: &notification.raw_sha256,
        payment_id: None,
        order_no: Some(&notification.verify_no),
        source: SOURCE,
        verdict,
        reason,
        raw_masked: &notification.raw_masked,
        now_ms: now,
    };
    let Some(verification) = state
        .store
        .get_identity_verification_by_verify_no(channel_account_id, &notification.verify_no)
        .await?
    else {
        tracing::warn!(channel_account_id, verify_no = %notification.verify_no, "identity result for an unknown verification");
        state
            .store
            .record_bank_message(&message("rejected", "unknown verification number"))
            .await?;
        return Ok(ResultVerdict::UnknownVerification);
    };
    // Compared by their last four characters, all a mask keeps of the number (the bank may
    // echo the number whole or masked).
    let tail = |masked: &str| masked.chars().rev().take(4).collect::<String>();
    let echoed = [
        (&notification.card_no_masked, &verification.card.masked),
        (
            &notification.certificate_no_masked,
            &verification.certificate.masked,
        ),
    ];
    if echoed
        .iter()
        .any(|(theirs, ours)| !theirs.is_empty() && tail(theirs) != tail(ours))
    {
        tracing::warn!(
            channel_account_id,
            verify_no = %notification.verify_no,
            "identity result names another card or certificate"
        );
        state
            .store
            .record_bank_message(&message(
                "rejected",
                "the result names another card or certificate than the verification",
            ))
            .await?;
        return Ok(ResultVerdict::NotThisVerification);
    }
    let accepted = message("accepted", "");
    let after = finish(
        state,
        &verification,
        &Verdict::of(&notification.outcome),
        Some(&accepted),
    )
    .await?;
    Ok(ResultVerdict::Recorded(Box::new(after)))
}
