//! The janitor's identity half: a verification committed `pending` whose bank call never
//! ended (the node died between the commit and the call, or during it) would stay pending for
//! ever. The personal data the request needs is never kept, so it cannot be sent again: once
//! no call can still be under way, it is failed with the code `not_sent`, and the business
//! system, told by its `identity.verified` notification, asks again.

use crate::flows;
use crate::flows::identity::Verdict;
use crate::state::AppState;
use unipay_core::identity::VerifyStatus;

pub const NOT_SENT_CODE: &str = "not_sent";
const NOT_SENT_REASON: &str =
    "the request did not reach the bank or its answer was lost; ask again";

pub async fn sweep(state: &AppState) {
    let config = &state.config.janitor;
    let before = state.now_ms() - config.resend_grace_ms;
    let stale = match state
        .store
        .unsent_identity_verifications(before, config.batch_size)
        .await
    {
        Ok(stale) => stale,
        Err(error) => {
            tracing::error!(%error, "janitor: reading unsent identity verifications failed");
            return;
        }
    };
    for verification in stale {
        let verdict = Verdict {
            status: VerifyStatus::Failed,
            code: Some(NOT_SENT_CODE),
            reason: Some(NOT_SENT_REASON),
        };
        // Finishing is once only: another node failing the same one changes nothing.
        if let Err(error) = flows::identity::finish(state, &verification, &verdict, None).await {
            tracing::warn!(%error, verification_id = %verification.id, "janitor: failing an unsent identity verification failed");
        }
    }
}
