//! `POST /ebus/trustpay/ReceiveMerchantTrxReqServlet`: the platform's transaction endpoint.
//!
//! Order of trust, as on the real platform: cut M out of the body by position, read only the
//! MerchantID from it to find the merchant's certificate, verify the signature over M's exact
//! bytes, and only then parse M (leniently) and act on it. Every failure is still a signed
//! answer with a ReturnCode (see [`crate::codes`]), never a bare HTTP error.
//!
//! A body over 8,000 bytes (without the client's line end) is refused (`1303`) whatever its
//! TrxType, batches included: the real client never sends one. Any verified request may draw
//! the `call_timeout_pct` fault and go unanswered (see [`crate::lost_call`]).

use crate::agent;
use crate::answer::{self, signed_response};
use crate::codes;
use crate::ids::scan_merchant_id;
use crate::state::SimState;
use crate::wire::MAX_MESSAGE_BYTES;
use crate::wire::lenient;
use crate::wire::request::{self, CutError};
use crate::{kcode, lost_call, payreq, preauth, query, refunds, statement};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::time::Duration;

/// What a transaction gets back.
pub enum Reply {
    /// A Message (M) to sign and send.
    Message(String),
    /// The `query: "timeout"`, `refund: "timeout"` or `"lost"` fault, or a `call_timeout_pct`
    /// draw: hold the request this long, then cut the connection.
    Hold(Duration),
}

pub async fn transaction(State(sim): State<SimState>, headers: HeaderMap, body: Body) -> Response {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<usize>().ok());
    // The client's trailing line end does not count against the limit.
    let read_limit = MAX_MESSAGE_BYTES + 2;
    if declared.is_some_and(|length| length > read_limit) {
        return signed_response(&sim, &answer::refusal("", codes::TOO_LARGE));
    }
    let body = match axum::body::to_bytes(body, read_limit).await {
        Ok(body) => body,
        // Over the limit while streaming, or the connection broke: either way not a message.
        Err(_) => return signed_response(&sim, &answer::refusal("", codes::TOO_LARGE)),
    };
    match handle(&sim, &body) {
        Reply::Message(message) => signed_response(&sim, &message),
        Reply::Hold(duration) => hold(&sim, duration).await,
    }
}

/// Holds a request without answering, then breaks the connection mid-answer so that a client
/// that still waits sees a lost connection (outcome unknown), not an answer. Ends early when
/// the simulator shuts down. Other requests are unaffected: this only sleeps.
async fn hold(sim: &SimState, duration: Duration) -> Response {
    sim.sleep(duration).await;
    let broken = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("held by a timeout fault"))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, answer::CONTENT_TYPE)],
        Body::from_stream(broken),
    )
        .into_response()
}

/// The synchronous heart of the endpoint: bytes in, the answer's M out.
pub fn handle(sim: &SimState, body: &[u8]) -> Reply {
    let signed = match request::cut(body) {
        Ok(signed) => signed,
        Err(CutError::TooLarge) => return Reply::Message(answer::refusal("", codes::TOO_LARGE)),
        Err(CutError::UnknownAlgorithm) => {
            return Reply::Message(answer::refusal("", codes::UNKNOWN_ALGORITHM));
        }
        Err(CutError::Malformed) => return Reply::Message(answer::refusal("", codes::INCOMPLETE)),
    };
    let Some(merchant_id) = scan_merchant_id(signed.message) else {
        return Reply::Message(answer::refusal("", codes::INCOMPLETE));
    };
    let Some(certificate) = sim.merchant_certificate(merchant_id) else {
        return Reply::Message(answer::refusal(merchant_id, codes::UNKNOWN_MERCHANT));
    };
    if !signed.verifies(&certificate) {
        return Reply::Message(answer::refusal(merchant_id, codes::BAD_SIGNATURE));
    }
    // From here on M is the merchant's own signed text.
    let Some(message) = lenient::parse(signed.message) else {
        return Reply::Message(answer::refusal(merchant_id, codes::INCOMPLETE));
    };
    // The scanned id must be the one the parsed message names, or we verified with the wrong key.
    if text(&message, &["Merchant", "MerchantID"]) != Some(merchant_id) {
        return Reply::Message(answer::refusal(merchant_id, codes::INCOMPLETE));
    }
    let Some(request) = message.get("TrxRequest") else {
        return Reply::Message(answer::bad_field(merchant_id, "TrxRequest"));
    };
    lost_call::answer_or_lose(sim, merchant_id, request, || {
        dispatch(sim, merchant_id, request)
    })
}

/// The transaction a verified request asks for.
fn dispatch(sim: &SimState, merchant_id: &str, request: &Value) -> Reply {
    // Any transaction may change the bank's state (identity and K-code desks included).
    sim.touch();
    match text(request, &["TrxType"]) {
        Some("PayReq") => Reply::Message(payreq::pay_req(sim, merchant_id, request)),
        Some("Query") => query::query(sim, merchant_id, request),
        Some("Settle") => Reply::Message(statement::settle(sim, merchant_id, request)),
        Some("QueryTrnxRecords") => {
            Reply::Message(statement::query_trnx_records(sim, merchant_id, request))
        }
        Some("Refund") => refunds::single::refund(sim, merchant_id, request),
        Some("BatchRefund") => {
            Reply::Message(refunds::batch::batch_refund(sim, merchant_id, request))
        }
        Some("QueryBatchRefund") => Reply::Message(refunds::batch_query::query_batch_refund(
            sim,
            merchant_id,
            request,
        )),
        Some("KPayVerifyReq") => Reply::Message(kcode::verify_req(sim, merchant_id, request)),
        Some("KPayReq") => kcode::kpay(sim, merchant_id, request),
        Some("KPayResendReq") => Reply::Message(kcode::resend_req(sim, merchant_id, request)),
        Some("PreAuthCancelConfirm") => {
            Reply::Message(preauth::cancel_confirm(sim, merchant_id, request))
        }
        Some("IdentityVerifyReq") => {
            Reply::Message(crate::identity::redirect(sim, merchant_id, request))
        }
        Some("StaticIdentifyVerifyReq") => {
            Reply::Message(crate::identity::direct(sim, merchant_id, request))
        }
        Some("AgentSign") => Reply::Message(agent::signing::agent_sign(sim, merchant_id, request)),
        Some("QueryAgentSign") => {
            Reply::Message(agent::signing::query_agent_sign(sim, merchant_id, request))
        }
        Some("AgentUnSign") => {
            Reply::Message(agent::signing::agent_unsign(sim, merchant_id, request))
        }
        Some("AgentPay") => Reply::Message(agent::debit::agent_pay(sim, merchant_id, request)),
        Some("AgentBatch") => Reply::Message(agent::batch::agent_batch(sim, merchant_id, request)),
        Some("AgentBatchQuery") => {
            Reply::Message(agent::batch::agent_batch_query(sim, merchant_id, request))
        }
        Some(_) => Reply::Message(answer::refusal(merchant_id, codes::UNSUPPORTED_TRX)),
        None => Reply::Message(answer::bad_field(merchant_id, "TrxType")),
    }
}

/// The string at `path` in a parsed message (the protocol sends every value as a string).
pub fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |value, key| value.get(key))?
        .as_str()
}
