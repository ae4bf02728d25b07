//! Requests over the protocol's 8,000 bytes. The bank refuses them (`1303`) except a
//! `BatchRefund`, whose 10,000 lines cannot fit (**assumed**: the limit is per transaction type
//! and a batch may take up to [`MAX_LARGE_BODY_BYTES`]).
//!
//! The envelope is the ordinary one, and trust goes in the same order: cut M out by position,
//! find the merchant's certificate, verify, and only then parse. channel-abc's cutter and
//! lenient parser stop at 8,000 bytes, so this does the cutting itself and parses strictly: a
//! big batch comes from a client that writes well-formed JSON (the real client's malformed
//! JSON is its single Refund, which is small).

use crate::answer;
use crate::codes;
use crate::ids::scan_merchant_id;
use crate::lost_call;
use crate::refunds;
use crate::state::SimState;
use crate::trx::{Reply, text};
use base64::Engine;
use serde_json::Value;
use unipay_channel_abc::crypto::SignatureAlgorithm;

/// The largest body the transaction endpoint reads: a full batch with long remarks fits.
pub const MAX_LARGE_BODY_BYTES: usize = 8 * 1024 * 1024;

const HEAD: &[u8] = b"{\"Message\":";
const ALGORITHM: &[u8] = b",\"Signature-Algorithm\":\"";
const SIGNATURE: &[u8] = b"\",\"Signature\":\"";
const TAIL: &[u8] = b"\"}";

/// A body cut apart by position.
struct Cut<'a> {
    message: &'a [u8],
    algorithm: SignatureAlgorithm,
    signature: Vec<u8>,
}

/// Why a body could not be cut.
enum CutError {
    Malformed,
    UnknownAlgorithm,
}

/// Handles a body over 8,000 bytes (without its line end).
pub fn handle(sim: &SimState, body: &[u8]) -> Reply {
    let refuse = |merchant_id: &str, code| Reply::Message(answer::refusal(merchant_id, code));
    // Not an envelope at all: what the bank says to any oversize body.
    let cut = match cut(body) {
        Ok(cut) => cut,
        Err(CutError::Malformed) => return refuse("", codes::TOO_LARGE),
        Err(CutError::UnknownAlgorithm) => return refuse("", codes::UNKNOWN_ALGORITHM),
    };
    let Some(merchant_id) = scan_merchant_id(cut.message) else {
        return refuse("", codes::INCOMPLETE);
    };
    let Some(certificate) = sim.merchant_certificate(merchant_id) else {
        return refuse(merchant_id, codes::UNKNOWN_MERCHANT);
    };
    if certificate
        .verify(cut.algorithm, cut.message, &cut.signature)
        .is_err()
    {
        return refuse(merchant_id, codes::BAD_SIGNATURE);
    }
    // From here on M is the merchant's own signed text.
    let Ok(message) = serde_json::from_slice::<Value>(cut.message) else {
        return refuse(merchant_id, codes::INCOMPLETE);
    };
    if text(&message, &["Merchant", "MerchantID"]) != Some(merchant_id) {
        return refuse(merchant_id, codes::INCOMPLETE);
    }
    let Some(request) = message.get("TrxRequest") else {
        return Reply::Message(answer::bad_field(merchant_id, "TrxRequest"));
    };
    lost_call::answer_or_lose(sim, merchant_id, request, || {
        match text(request, &["TrxType"]) {
            Some("BatchRefund") => {
                Reply::Message(refunds::batch::batch_refund(sim, merchant_id, request))
            }
            Some("AgentBatch") => {
                Reply::Message(crate::agent::batch::agent_batch(sim, merchant_id, request))
            }
            _ => refuse(merchant_id, codes::TOO_LARGE),
        }
    })
}

/// M runs from after `{"Message":` to the LAST `,"Signature-Algorithm":"` (M's own values may
/// hold that text; the envelope's fields always come last).
fn cut(body: &[u8]) -> Result<Cut<'_>, CutError> {
    let rest = body.strip_prefix(HEAD).ok_or(CutError::Malformed)?;
    let at = rfind(rest, ALGORITHM).ok_or(CutError::Malformed)?;
    let (message, after) = rest.split_at(at);
    let after = after.get(ALGORITHM.len()..).ok_or(CutError::Malformed)?;
    let sig_at = find(after, SIGNATURE).ok_or(CutError::Malformed)?;
    let (name, after) = after.split_at(sig_at);
    let algorithm = std::str::from_utf8(name)
        .ok()
        .and_then(SignatureAlgorithm::parse)
        .ok_or(CutError::UnknownAlgorithm)?;
    let signature = after
        .get(SIGNATURE.len()..)
        .and_then(|rest| rest.strip_suffix(TAIL))
        .ok_or(CutError::Malformed)?;
    // Line breaks inside the base64 (some encoders wrap it) are not part of what is signed.
    let compact: Vec<u8> = signature
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| CutError::Malformed)?;
    if message.is_empty() || signature.is_empty() {
        return Err(CutError::Malformed);
    }
    Ok(Cut {
        message,
        algorithm,
        signature,
    })
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use unipay_channel_abc::crypto::PrivateKey;
    use unipay_channel_abc::wire::build_request;

    #[test]
    fn cuts_what_channel_abc_builds() {
        let key = PrivateKey::generate(1024).unwrap();
        let certificate = key.self_signed_certificate("m", 1).unwrap();
        let message = format!(r#"{{"a":"{}"}}"#, "x".repeat(20_000));
        let body = build_request(&message, &key, SignatureAlgorithm::Sha256WithRsa);
        let body = body.strip_suffix(b"\n").unwrap();
        let cut = cut(body).ok().unwrap();
        assert_eq!(cut.message, message.as_bytes());
        assert_eq!(cut.algorithm, SignatureAlgorithm::Sha256WithRsa);
        certificate
            .verify(cut.algorithm, cut.message, &cut.signature)
            .unwrap();
        assert!(matches!(
            super::cut(b"{\"Message\":{},\"Signature-Algorithm\":\"MD5\",\"Signature\":\"AA==\"}"),
            Err(CutError::UnknownAlgorithm)
        ));
        assert!(matches!(super::cut(b"junk"), Err(CutError::Malformed)));
    }
}
