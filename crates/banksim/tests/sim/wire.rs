//! The merchant's side of the wire, written here for the tests (not channel-abc's, not the
//! simulator's): a request signed as ABC's client signs it, an answer and a notification cut
//! and verified as the client does.

use base64::Engine;
use serde::Deserialize;
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `{"Message":M,"Signature-Algorithm":"SHA1withRSA","Signature":S}` and `\n`, S over M's
/// UTF-8 bytes.
pub fn build_request(message: &str, key: &PrivateKey) -> Vec<u8> {
    let signature = B64.encode(key.sign(SignatureAlgorithm::Sha1WithRsa, message.as_bytes()));
    format!(
        "{{\"Message\":{message},\"Signature-Algorithm\":\"SHA1withRSA\",\"Signature\":\"{signature}\"}}\n"
    )
    .into_bytes()
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    (0..=haystack.len().checked_sub(needle.len())?)
        .rev()
        .find(|&i| haystack[i..].starts_with(needle))
}

/// A verified answer: M as text.
pub struct SignedAnswer {
    pub message: String,
}

/// Cuts `{"MSG":{"Message":M,"Signature-Algorithm":A,"Signature":S}}\n` and verifies S over
/// M's GBK bytes.
pub fn read_answer(bytes: &[u8], certificate: &Certificate) -> SignedAnswer {
    let body = bytes
        .strip_suffix(b"\n")
        .expect("the answer ends with a newline");
    let rest = body
        .strip_prefix(b"{\"MSG\":{\"Message\":")
        .expect("the answer's head");
    let at = rfind(rest, b",\"Signature-Algorithm\":\"").expect("an algorithm");
    let message = &rest[..at];
    let after = &rest[at..];
    let after = after
        .strip_prefix(b",\"Signature-Algorithm\":\"SHA1withRSA\",\"Signature\":\"")
        .expect("SHA1withRSA");
    let signature = after.strip_suffix(b"\"}}").expect("the answer's tail");
    let signature = B64.decode(signature).expect("base64 signature");
    certificate
        .verify(SignatureAlgorithm::Sha1WithRsa, message, &signature)
        .expect("the answer verifies over its GBK bytes");
    let (text, _, errors) = encoding_rs::GBK.decode(message);
    assert!(!errors, "the answer is GBK");
    SignedAnswer {
        message: text.into_owned(),
    }
}

/// Java's `getBytes("gb2312")`, written for the tests: GBK bytes with every sequence outside
/// EUC-CN as `?`.
pub fn gb2312_bytes(text: &str) -> Vec<u8> {
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < gbk.len() {
        let lead = gbk[i];
        if lead < 0x80 {
            out.push(lead);
            i += 1;
            continue;
        }
        if lead == 0x80 || i + 1 >= gbk.len() {
            out.push(b'?');
            i += 1;
            continue;
        }
        let trail = gbk[i + 1];
        let in_gb2312 = (0xA1..=0xF7).contains(&lead)
            && !(0xAA..=0xAF).contains(&lead)
            && (0xA1..=0xFE).contains(&trail);
        if in_gb2312 {
            out.extend_from_slice(&[lead, trail]);
        } else {
            out.push(b'?');
        }
        i += 2;
    }
    out
}

/// A verified notification: its M (the XML inside `<Message>`) as text.
pub fn read_notification(msg_base64: &str, certificate: &Certificate) -> String {
    let envelope = B64.decode(msg_base64.trim()).expect("MSG is base64");
    let (text, _, errors) = encoding_rs::GBK.decode(&envelope);
    assert!(!errors, "the notification is GBK");
    let message = field(&text, "Message").expect("<Message>");
    assert_eq!(field(&text, "Signature-Algorithm"), Some("SHA1withRSA"));
    let signature = B64
        .decode(field(&text, "Signature").expect("<Signature>"))
        .expect("base64 signature");
    certificate
        .verify(
            SignatureAlgorithm::Sha1WithRsa,
            &gb2312_bytes(message),
            &signature,
        )
        .expect("the notification verifies over its GB2312 bytes");
    message.to_string()
}

/// The raw text of the first `<tag>…</tag>`, as the bank's client reads it.
pub fn field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    Some(&xml[start..start + len])
}

/// A payment result's fields, read raw by tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFields {
    pub return_code: String,
    pub error_message: String,
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    pub amount: Yuan,
    pub batch_no: String,
    pub voucher_no: String,
    pub host_date: String,
    pub host_time: String,
    pub merchant_remarks: String,
    pub pay_type: String,
    pub notify_type: String,
    pub i_rsp_ref: String,
}

impl NotificationFields {
    pub fn from_xml(xml: &str) -> NotificationFields {
        let get = |tag: &str| field(xml, tag).unwrap_or_default().to_string();
        NotificationFields {
            return_code: get("ReturnCode"),
            error_message: get("ErrorMessage"),
            merchant_id: get("MerchantID"),
            trx_type: get("TrxType"),
            order_no: get("OrderNo"),
            amount: Yuan(get("Amount")),
            batch_no: get("BatchNo"),
            voucher_no: get("VoucherNo"),
            host_date: get("HostDate"),
            host_time: get("HostTime"),
            merchant_remarks: get("MerchantRemarks"),
            pay_type: get("PayType"),
            notify_type: get("NotifyType"),
            i_rsp_ref: get("iRspRef"),
        }
    }
}

/// The order detail of a Query answer (base64 JSON in `Order`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryOrder {
    #[serde(rename = "PayTypeID")]
    pub pay_type_id: String,
    pub order_no: String,
    pub order_date: String,
    pub order_time: String,
    pub order_amount: String,
    pub status: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
    pub host_date: Option<String>,
    pub host_time: Option<String>,
}

impl QueryOrder {
    pub fn from_base64(text: &str) -> QueryOrder {
        let json = B64.decode(text).expect("Order is base64");
        serde_json::from_slice(&json).expect("Order is JSON")
    }
}

/// A yuan amount as the wire writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Yuan(pub String);

impl Yuan {
    pub fn fen(&self) -> i64 {
        unipay_core::money::parse_yuan_to_fen(&self.0).expect("an amount")
    }
}
