//! What every gateway endpoint does first: read the form, find the merchant, check its
//! signature. A request that fails is refused with the respCode UnionPay gives.

use super::codes;
use super::form::{Message, decode_form};
use super::signing::{Sealing, SignatureError, verify_request};
use super::state::Inner;

/// A verified request.
pub struct Verified {
    pub request: Message,
    pub sealing: Sealing,
    pub mer_id: String,
}

/// Why a request was refused, with what is needed to answer it.
pub struct Refusal {
    pub code: (&'static str, &'static str),
    pub detail: String,
    /// The request as read, when it could be.
    pub request: Option<Message>,
    /// How to seal the answer, when the request said so.
    pub sealing: Option<Sealing>,
}

pub fn verify(sim: &Inner, body: &[u8]) -> Result<Verified, Refusal> {
    let request = decode_form(body).map_err(|error| Refusal {
        code: codes::FORMAT_ERROR,
        detail: error.to_string(),
        request: None,
        sealing: None,
    })?;
    let refuse = |code, detail: String, request: &Message| Refusal {
        code,
        detail,
        sealing: Sealing::of(request).ok(),
        request: Some(request.clone()),
    };
    let Some(mer_id) = request.get("merId").map(str::to_string) else {
        return Err(refuse(
            codes::MISSING_FIELD,
            "merId is missing".to_string(),
            &request,
        ));
    };
    let merchants = sim.merchants();
    let Some(keys) = merchants.get(&mer_id) else {
        return Err(refuse(
            codes::UNKNOWN_MERCHANT,
            format!("merId {mer_id} is not registered"),
            &request,
        ));
    };
    match verify_request(&request, keys) {
        Ok(sealing) => {
            drop(merchants);
            Ok(Verified {
                request,
                sealing,
                mer_id,
            })
        }
        Err(error @ SignatureError::Missing(_)) => {
            Err(refuse(codes::MISSING_FIELD, error.to_string(), &request))
        }
        Err(error) => Err(refuse(codes::BAD_SIGNATURE, error.to_string(), &request)),
    }
}

/// `field` of `request`, or a refusal naming it.
pub fn required<'a>(request: &'a Message, field: &'static str) -> Result<&'a str, Refusal> {
    request.get(field).ok_or_else(|| Refusal {
        code: codes::MISSING_FIELD,
        detail: format!("{field} is missing"),
        sealing: Sealing::of(request).ok(),
        request: Some(request.clone()),
    })
}

/// A refusal of a verified request for a reason of its content.
pub fn refuse(verified: &Verified, code: (&'static str, &'static str), detail: &str) -> Refusal {
    Refusal {
        code,
        detail: detail.to_string(),
        request: Some(verified.request.clone()),
        sealing: Some(verified.sealing),
    }
}

/// An amount in fen: 1 to 12 digits, not zero.
pub fn amount_fen(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|fen| *fen > 0)
}

/// orderId: 8 to 40 letters or digits ("不能含“-”或“_”").
pub fn is_order_id(text: &str) -> bool {
    (8..=40).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// txnTime: `YYYYMMDDhhmmss`.
pub fn is_txn_time(text: &str) -> bool {
    text.len() == 14 && chrono::NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%S").is_ok()
}

/// The answer to a refused server-to-server request: the echo with the code, sealed when the
/// request said how (an unregistered secure-key merchant's answer goes unsigned).
pub fn refusal_answer(sim: &Inner, refusal: &Refusal) -> axum::response::Response {
    tracing::info!(code = refusal.code.0, detail = %refusal.detail, "UnionPay request refused");
    let request = refusal.request.clone().unwrap_or_default();
    let answer = super::answers::echo(&request, refusal.code);
    let answer = match (refusal.sealing, request.get("merId")) {
        (Some(sealing), Some(mer_id)) => super::answers::sealed(sim, mer_id, sealing, answer),
        _ => answer,
    };
    super::answers::respond(&answer)
}
