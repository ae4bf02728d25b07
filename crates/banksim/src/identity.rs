//! Identity verification (身份验证): `IdentityVerifyReq` registers a verification and answers
//! the page the customer confirms on (VerifyURL, see [`page`]); the verdict then goes to
//! ResultNotifyURL as an `IdentityVerifyResult` MSG, server to server with retries like a
//! payment result. `StaticIdentifyVerifyReq` answers the verdict at once.
//!
//! The verdict comes from a registry of known persons (card → name, document, mobile) that the
//! sim API sets (`POST /sim/identities`), so a test chooses match or mismatch: a card the
//! registry does not hold, or details that differ from its entry, are a mismatch (`2401`
//! 身份信息不符, **assumed**); a customer who refuses on the page is `2402` 客户取消验证.
//! Redirect mode compares the card and the document; direct mode also the name and, when
//! sent, the mobile number.
//!
//! Personal data is never logged here, and the pages show it masked.

pub mod page;

use crate::answer;
use crate::clock::new_token;
use crate::fields::chars_at_most;
use crate::ids::is_order_no;
use crate::state::SimState;
use crate::trx::text;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

pub const MISMATCH: (&str, &str) = ("2401", "身份信息不符");
pub const REFUSED: (&str, &str) = ("2402", "客户取消验证");

/// Persons the registry holds at most; verifications waiting for their customer at most.
const MAX_PERSONS: usize = 10_000;
const MAX_PENDING: usize = 100_000;
const CERTIFICATE_TYPES: &[&str] = &["I", "P", "K", "D", "W", "U"];

/// A known person (or company), by card.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Person {
    pub card_no: String,
    pub name: String,
    pub certificate_type: String,
    pub certificate_no: String,
    #[serde(default)]
    pub mobile: String,
}

/// A redirect verification, from its request to its delivered result.
#[derive(Debug, Clone)]
pub struct Verification {
    pub merchant_id: String,
    pub order_no: String,
    pub card_no: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub notify_url: String,
    /// The verdict, once the customer decided: `(ReturnCode, ErrorMessage)`.
    pub verdict: Option<(&'static str, &'static str)>,
    pub host_date: String,
    pub host_time: String,
    pub notify_attempts: u32,
    pub notify_acknowledged: bool,
}

#[derive(Default)]
pub struct IdentityDesk {
    inner: Mutex<Desk>,
}

#[derive(Default)]
pub struct Desk {
    persons: HashMap<String, Person>,
    /// Token → verification.
    pub verifications: HashMap<String, Verification>,
    /// (MerchantID, OrderNo) → token.
    by_order: HashMap<(String, String), String>,
}

impl IdentityDesk {
    pub fn lock(&self) -> MutexGuard<'_, Desk> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn same_number(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl Desk {
    /// The verdict on a card and document (and, in direct mode, a name and a mobile number).
    pub fn judge(
        &self,
        card_no: &str,
        certificate_type: &str,
        certificate_no: &str,
        name_and_mobile: Option<(&str, &str)>,
    ) -> (&'static str, &'static str) {
        let Some(person) = self.persons.get(card_no.trim()) else {
            return MISMATCH;
        };
        let document = person.certificate_type == certificate_type
            && same_number(&person.certificate_no, certificate_no);
        let personal = name_and_mobile.is_none_or(|(name, mobile)| {
            person.name.trim() == name.trim()
                && (mobile.is_empty() || person.mobile.is_empty() || person.mobile == mobile)
        });
        if document && personal {
            crate::codes::SUCCESS
        } else {
            MISMATCH
        }
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && chars_at_most(text, 32) && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_web_url(text: &str) -> bool {
    chars_at_most(text, 200) && (text.starts_with("http://") || text.starts_with("https://"))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RedirectResponse {
    return_code: String,
    error_message: String,
    #[serde(rename = "ECMerchantType")]
    ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    merchant_id: String,
    trx_type: String,
    order_no: String,
    #[serde(rename = "VerifyURL")]
    verify_url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DirectResponse {
    return_code: String,
    error_message: String,
    #[serde(rename = "ECMerchantType")]
    ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    merchant_id: String,
    trx_type: String,
    order_no: String,
}

/// `IdentityVerifyReq`: registers the verification, answers its page.
pub fn redirect(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name| text(request, &[name]).unwrap_or_default();
    let order_no = field("OrderNo");
    if !is_order_no(order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    if !matches!(field("CustomType"), "0" | "1") {
        return answer::bad_field(merchant_id, "CustomType");
    }
    let checks = [
        ("BankCardNo", is_number(field("BankCardNo"))),
        (
            "CertificateType",
            CERTIFICATE_TYPES.contains(&field("CertificateType")),
        ),
        ("CertificateNo", is_number(field("CertificateNo"))),
        ("ResultNotifyURL", is_web_url(field("ResultNotifyURL"))),
    ];
    if let Some((name, _)) = checks.iter().find(|(_, ok)| !ok) {
        return answer::bad_field(merchant_id, name);
    }
    let key = (merchant_id.to_string(), order_no.to_string());
    let token = {
        let mut desk = sim.identity.lock();
        match desk.by_order.get(&key) {
            // Sent again: the same page.
            Some(token) => token.clone(),
            None => {
                if desk.verifications.len() >= MAX_PENDING {
                    return answer::refusal(merchant_id, crate::codes::UNSUPPORTED_TRX);
                }
                let token = new_token();
                desk.verifications.insert(
                    token.clone(),
                    Verification {
                        merchant_id: merchant_id.to_string(),
                        order_no: order_no.to_string(),
                        card_no: field("BankCardNo").to_string(),
                        certificate_type: field("CertificateType").to_string(),
                        certificate_no: field("CertificateNo").to_string(),
                        notify_url: field("ResultNotifyURL").to_string(),
                        verdict: None,
                        host_date: String::new(),
                        host_time: String::new(),
                        notify_attempts: 0,
                        notify_acknowledged: false,
                    },
                );
                desk.by_order.insert(key, token.clone());
                token
            }
        }
    };
    answer::message(
        merchant_id,
        RedirectResponse {
            return_code: crate::codes::SUCCESS.0.to_string(),
            error_message: crate::codes::SUCCESS.1.to_string(),
            ec_merchant_type: "EBUS".to_string(),
            merchant_id: merchant_id.to_string(),
            trx_type: "IdentityVerifyReq".to_string(),
            order_no: order_no.to_string(),
            verify_url: format!("{}{}?TOKEN={token}", sim.public_url, page::VERIFY_PAGE_PATH),
        },
    )
}

/// `StaticIdentifyVerifyReq`: the verdict, at once.
pub fn direct(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name| text(request, &[name]).unwrap_or_default();
    let order_no = field("OrderNo");
    if !is_order_no(order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    let mobile = field("MobileNo");
    let name = field("ClientName");
    let checks = [
        ("AccNo", is_number(field("AccNo"))),
        (
            "CertificateType",
            CERTIFICATE_TYPES.contains(&field("CertificateType")),
        ),
        ("CertificateNo", is_number(field("CertificateNo"))),
        (
            "ClientName",
            !name.trim().is_empty() && chars_at_most(name, 60),
        ),
        (
            "MobileNo",
            chars_at_most(mobile, 20) && mobile.bytes().all(|b| b.is_ascii_digit()),
        ),
    ];
    if let Some((name, _)) = checks.iter().find(|(_, ok)| !ok) {
        return answer::bad_field(merchant_id, name);
    }
    let (code, text) = sim.identity.lock().judge(
        field("AccNo"),
        field("CertificateType"),
        field("CertificateNo"),
        Some((name, mobile)),
    );
    answer::message(
        merchant_id,
        DirectResponse {
            return_code: code.to_string(),
            error_message: text.to_string(),
            ec_merchant_type: "EBUS".to_string(),
            merchant_id: merchant_id.to_string(),
            trx_type: "StaticIdentifyVerifyReq".to_string(),
            order_no: order_no.to_string(),
        },
    )
}

/// `POST /sim/identities`: registers a known person (`card_no`, `name`, `certificate_type`,
/// `certificate_no`, `mobile`), replacing the card's earlier entry.
pub async fn put_person(State(sim): State<SimState>, Json(person): Json<Person>) -> Response {
    let valid = is_number(&person.card_no)
        && is_number(&person.certificate_no)
        && CERTIFICATE_TYPES.contains(&person.certificate_type.as_str())
        && !person.name.trim().is_empty();
    if !valid {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"error": "card_no, certificate_type, certificate_no and name are required"}),
            ),
        )
            .into_response();
    }
    let mut desk = sim.identity.lock();
    if desk.persons.len() >= MAX_PERSONS && !desk.persons.contains_key(&person.card_no) {
        return (
            StatusCode::INSUFFICIENT_STORAGE,
            Json(json!({"error": "the registry is full"})),
        )
            .into_response();
    }
    desk.persons.insert(person.card_no.clone(), person);
    (StatusCode::OK, Json(json!({"persons": desk.persons.len()}))).into_response()
}

/// `DELETE /sim/identities`: forgets every known person.
pub async fn clear_persons(State(sim): State<SimState>) -> Response {
    sim.identity.lock().persons.clear();
    (StatusCode::OK, Json(json!({"persons": 0}))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the verdicts: known and equal matches; unknown card, other document, other name
    /// or other mobile does not.
    #[test]
    fn judges_against_the_registry() {
        let mut desk = Desk::default();
        desk.persons.insert(
            "6228480012345678".into(),
            Person {
                card_no: "6228480012345678".into(),
                name: "张三".into(),
                certificate_type: "I".into(),
                certificate_no: "11010119900307123X".into(),
                mobile: "13800138000".into(),
            },
        );
        let ok = crate::codes::SUCCESS;
        assert_eq!(
            desk.judge("6228480012345678", "I", "11010119900307123x", None),
            ok
        );
        assert_eq!(
            desk.judge(
                "6228480012345678",
                "I",
                "11010119900307123X",
                Some(("张三", "13800138000"))
            ),
            ok
        );
        assert_eq!(
            desk.judge("6228480012345679", "I", "11010119900307123X", None),
            MISMATCH
        );
        assert_eq!(
            desk.judge("6228480012345678", "P", "11010119900307123X", None),
            MISMATCH
        );
        assert_eq!(
            desk.judge(
                "6228480012345678",
                "I",
                "11010119900307123X",
                Some(("李四", ""))
            ),
            MISMATCH
        );
        assert_eq!(
            desk.judge(
                "6228480012345678",
                "I",
                "11010119900307123X",
                Some(("张三", "13900000000"))
            ),
            MISMATCH
        );
    }
}
