//! The messages the gateway sends: synchronous answers that echo the request, and the result
//! fields of a transaction (notifications and query answers), sealed as the merchant signs.

use super::book::{Status, Transaction};
use super::faults::SignCertFault;
use super::form::{Charset, Message, encode_answer};
use super::signing::{Sealing, seal};
use super::state::Inner;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// What every answer echoes from the request (§8 of the protocol page).
const ECHOED: [&str; 12] = [
    "version",
    "encoding",
    "bizType",
    "accessType",
    "merId",
    "orderId",
    "txnTime",
    "txnType",
    "txnSubType",
    "txnAmt",
    "origQryId",
    "reqReserved",
];

/// An answer to `request` with `code`, before sealing.
pub fn echo(request: &Message, code: (&str, &str)) -> Message {
    let mut answer = Message::new();
    for key in ECHOED {
        if let Some(value) = request.get(key) {
            answer.set(key, value);
        }
    }
    answer.set("respCode", code.0);
    answer.set("respMsg", code.1);
    answer
}

/// The fields that tell a transaction's result: its notification, or a query's answer.
pub fn result_fields(transaction: &Transaction) -> Message {
    let mut message = Message::new();
    message.set("version", transaction.sealing.version());
    message.set("encoding", &transaction.encoding);
    message.set("bizType", &transaction.biz_type);
    message.set("accessType", &transaction.access_type);
    message.set("merId", &transaction.mer_id);
    message.set("orderId", &transaction.order_id);
    message.set("txnTime", &transaction.txn_time);
    message.set("txnType", &transaction.txn_type);
    message.set("txnSubType", &transaction.txn_sub_type);
    message.set("txnAmt", transaction.amount_fen.to_string());
    message.set("currencyCode", &transaction.currency_code);
    message.set("queryId", &transaction.query_id);
    if let Some(original) = &transaction.orig_query_id {
        message.set("origQryId", original);
    }
    if let Some(reserved) = &transaction.req_reserved {
        message.set("reqReserved", reserved);
    }
    if transaction.status == Status::Succeeded {
        message.set("settleAmt", transaction.amount_fen.to_string());
        message.set("settleCurrencyCode", "156");
    }
    for (key, value) in [
        ("settleDate", &transaction.settle_date),
        ("traceNo", &transaction.trace_no),
        ("traceTime", &transaction.trace_time),
    ] {
        if let Some(value) = value {
            message.set(key, value);
        }
    }
    message
}

/// The respCode and respMsg of a transaction's state.
pub fn status_code(status: &Status) -> (String, String) {
    let (code, text) = match status {
        Status::InProgress => super::codes::ACCEPTED_IN_PROGRESS,
        Status::Succeeded => super::codes::SUCCESS,
        Status::Failed { code, message } => return (code.clone(), message.clone()),
    };
    (code.to_string(), text.to_string())
}

/// Seals `message` for merchant `mer_id` signing with `sealing` (its secure key looked up).
pub fn sealed(sim: &Inner, mer_id: &str, sealing: Sealing, mut message: Message) -> Message {
    let secure_key = sim
        .merchants()
        .get(mer_id)
        .and_then(|keys| keys.secure_key().map(str::to_string));
    let out_of_date = sim.faults().sign_cert == Some(SignCertFault::Expired);
    let keys = sim
        .authority
        .gateway_keys(out_of_date, secure_key.as_deref());
    seal(&mut message, sealing, &keys);
    message
}

/// The HTTP answer: 200 with the raw `k=v&…` body in the message's charset.
pub fn respond(message: &Message) -> Response {
    let charset = message.charset().unwrap_or(Charset::Utf8);
    let content_type = match charset {
        Charset::Utf8 => "text/plain;charset=UTF-8",
        Charset::Gbk => "text/plain;charset=GBK",
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        encode_answer(message, charset),
    )
        .into_response()
}
