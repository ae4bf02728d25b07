//! Platform → merchant answer: one GBK line
//! `{"MSG":{"Message":M,"Signature-Algorithm":A,"Signature":S}}` and `\n`, S over the GBK bytes
//! of M (the captured answers the client accepted are so). M is
//! `{"Version":"V3.0.0","Format":"JSON","Merchant":{…},"TrxResponse":{…}}`.

use super::{encode_base64, gbk_encode};
use unipay_channel_abc::crypto::{PrivateKey, SignatureAlgorithm};

/// M around a TrxResponse's JSON text (`{…}`, written in wire order by the caller).
pub fn message(merchant_id: &str, trx_response_json: &str) -> String {
    let merchant_id = serde_json::to_string(merchant_id).unwrap_or_else(|_| "\"\"".to_string());
    format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":{merchant_id}}},"TrxResponse":{trx_response_json}}}"#
    )
}

/// The HTTP body: M in GBK, signed over those bytes, in the envelope, and the line end the
/// client reads answers by.
pub fn seal(message_json: &str, key: &PrivateKey, algorithm: SignatureAlgorithm) -> Vec<u8> {
    let message = gbk_encode(message_json);
    let signature = encode_base64(&key.sign(algorithm, &message));
    let mut body = Vec::with_capacity(message.len() + signature.len() + 64);
    body.extend_from_slice(b"{\"MSG\":{\"Message\":");
    body.extend_from_slice(&message);
    body.extend_from_slice(b",\"Signature-Algorithm\":\"");
    body.extend_from_slice(algorithm.as_str().as_bytes());
    body.extend_from_slice(b"\",\"Signature\":\"");
    body.extend_from_slice(signature.as_bytes());
    body.extend_from_slice(b"\"}}\n");
    body
}
