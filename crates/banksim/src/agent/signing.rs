//! `AgentSign` (register a signing, answer the page's URL), `QueryAgentSign` and `AgentUnSign`.

use super::NO_MANDATE;
use super::book::{SignStatus, Signing};
use super::page::SIGN_PAGE_PATH;
use crate::answer;
use crate::clock::new_token;
use crate::codes;
use crate::fields::{is_date, is_time};
use crate::ids::is_order_no;
use crate::state::SimState;
use crate::trx::text;
use serde_json::{Value, json};
use unipay_core::masking::{mask_card, mask_id};
use unipay_core::money::parse_yuan_to_fen;

const CARD_TYPES: &[&str] = &["1", "3"];
const CERTIFICATE_TYPES: &[&str] = &["I", "P", "K", "D", "W", "U"];
const MAX_URL: usize = 512;

pub fn agent_sign(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    let order_no = field("OrderNo");
    if !is_order_no(order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    if !is_date(field("RequestDate")) {
        return answer::bad_field(merchant_id, "RequestDate");
    }
    if !is_time(field("RequestTime")) {
        return answer::bad_field(merchant_id, "RequestTime");
    }
    if !CARD_TYPES.contains(&field("CardType")) {
        return answer::bad_field(merchant_id, "CardType");
    }
    if !CERTIFICATE_TYPES.contains(&field("CertificateType")) {
        return answer::bad_field(merchant_id, "CertificateType");
    }
    let certificate_no = field("CertificateNo");
    if !(1..=32).contains(&certificate_no.len())
        || !certificate_no.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return answer::bad_field(merchant_id, "CertificateNo");
    }
    let expired_date = field("ExpiredDate");
    if !is_date(expired_date) {
        return answer::bad_field(merchant_id, "ExpiredDate");
    }
    let limit_fen = match field("SingleLimitAmount") {
        "" => None,
        text => match parse_yuan_to_fen(text).ok().filter(|fen| *fen > 0) {
            Some(fen) => Some(fen),
            None => return answer::bad_field(merchant_id, "SingleLimitAmount"),
        },
    };
    let notify_type = field("NotifyType");
    if !matches!(notify_type, "0" | "1") {
        return answer::bad_field(merchant_id, "NotifyType");
    }
    let notify_url = field("ResultNotifyURL");
    let url_ok = notify_url.len() <= MAX_URL
        && reqwest::Url::parse(notify_url)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
    if !url_ok {
        return answer::bad_field(merchant_id, "ResultNotifyURL");
    }
    let key = (merchant_id.to_string(), order_no.to_string());
    let mut book = sim.mandates();
    let token = match book.signings.get(&key) {
        // Sent again (a lost answer): the same page, while the customer has not decided.
        Some(existing) if existing.status == SignStatus::Pending => existing.token.clone(),
        Some(_) => return answer::refusal(merchant_id, codes::ORDER_FINAL),
        None => {
            if sim.orders().number_taken(merchant_id, order_no) {
                return answer::refusal(merchant_id, codes::DUPLICATE_ORDER);
            }
            let token = new_token();
            book.by_token.insert(token.clone(), key.clone());
            book.signings.insert(
                key,
                Signing {
                    merchant_id: merchant_id.to_string(),
                    order_no: order_no.to_string(),
                    token: token.clone(),
                    card_type: field("CardType").to_string(),
                    certificate_type: field("CertificateType").to_string(),
                    certificate_masked: mask_id(certificate_no),
                    expired_date: expired_date.to_string(),
                    limit_fen,
                    notify_type: notify_type.to_string(),
                    notify_url: notify_url.to_string(),
                    status: SignStatus::Pending,
                    agent_sign_no: String::new(),
                    card_no: String::new(),
                    host_date: String::new(),
                    host_time: String::new(),
                    failure: None,
                    notify_attempts: 0,
                    notify_acknowledged: false,
                },
            );
            token
        }
    };
    drop(book);
    answer::message(
        merchant_id,
        json!({
            "ReturnCode": codes::SUCCESS.0,
            "ErrorMessage": codes::SUCCESS.1,
            "ECMerchantType": "EBUS",
            "MerchantID": merchant_id,
            "TrxType": "AgentSign",
            "OrderNo": order_no,
            "SignURL": format!("{}{SIGN_PAGE_PATH}?TOKEN={token}", sim.public_url),
        }),
    )
}

pub fn query_agent_sign(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let order_no = text(request, &["OrderNo"]).unwrap_or("");
    if !is_order_no(order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    let book = sim.mandates();
    let Some(signing) = book
        .signings
        .get(&(merchant_id.to_string(), order_no.to_string()))
    else {
        return answer::refusal(merchant_id, codes::ORDER_NOT_FOUND);
    };
    let (reason_code, reason) = signing.failure.unwrap_or(("", ""));
    answer::message(
        merchant_id,
        json!({
            "ReturnCode": codes::SUCCESS.0,
            "ErrorMessage": codes::SUCCESS.1,
            "ECMerchantType": "EBUS",
            "MerchantID": merchant_id,
            "TrxType": "QueryAgentSign",
            "OrderNo": order_no,
            "AgentSignNo": signing.agent_sign_no,
            "SignStatus": signing.status.code(),
            "CardNo": if signing.card_no.is_empty() { String::new() } else { mask_card(&signing.card_no) },
            "HostDate": signing.host_date,
            "HostTime": signing.host_time,
            "ReasonCode": reason_code,
            "Reason": reason,
        }),
    )
}

pub fn agent_unsign(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let order_no = text(request, &["OrderNo"]).unwrap_or("");
    let agent_sign_no = text(request, &["AgentSignNo"]).unwrap_or("");
    if !is_order_no(order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    if !is_order_no(agent_sign_no) {
        return answer::bad_field(merchant_id, "AgentSignNo");
    }
    let mut book = sim.mandates();
    let Some(signing) = book
        .signings
        .get_mut(&(merchant_id.to_string(), order_no.to_string()))
        .filter(|s| s.agent_sign_no == agent_sign_no)
    else {
        return answer::refusal(merchant_id, NO_MANDATE);
    };
    match signing.status {
        // Unsigning twice is done twice.
        SignStatus::Active | SignStatus::Cancelled => signing.status = SignStatus::Cancelled,
        SignStatus::Pending | SignStatus::Failed => {
            return answer::refusal(merchant_id, NO_MANDATE);
        }
    }
    drop(book);
    answer::message(
        merchant_id,
        json!({
            "ReturnCode": codes::SUCCESS.0,
            "ErrorMessage": codes::SUCCESS.1,
            "ECMerchantType": "EBUS",
            "MerchantID": merchant_id,
            "TrxType": "AgentUnSign",
            "OrderNo": order_no,
            "AgentSignNo": agent_sign_no,
        }),
    )
}
