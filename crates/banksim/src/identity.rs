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
use crate::fields::{chars_at_most, is_date, is_time};
use crate::ids::{CERTIFICATE_TYPES, is_card_no, is_certificate};
use crate::state::SimState;
use crate::trx::text;
use crate::wire::names;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

pub const MISMATCH: (&str, &str) = ("2401", "身份信息不符");
pub const REFUSED: (&str, &str) = ("2402", "客户取消验证");

/// Persons the registry holds at most; verifications waiting for their customer at most.
const MAX_PERSONS: usize = 10_000;
const MAX_PENDING: usize = 100_000;

/// A known person (or company), by card.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
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
    pub card_no: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub notify_url: String,
    /// The verdict, once the customer decided: `(ReturnCode, ErrorMessage)`.
    pub verdict: Option<(&'static str, &'static str)>,
    /// The name the bank holds for the card, told in the result (`AccountName`) once verified.
    pub account_name: String,
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
    /// (MerchantID, ResultNotifyURL) → token: with no OrderNo in the request, the address
    /// (which the platform makes its own per verification) tells a repeat from a new one.
    by_order: HashMap<(String, String), String>,
}

/// A verification as the state file keeps it (see [`crate::persist`]).
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationRecord {
    pub token: String,
    pub merchant_id: String,
    pub card_no: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub notify_url: String,
    /// The verdict's ReturnCode, once decided.
    pub verdict: Option<String>,
    pub account_name: String,
    pub host_date: String,
    pub host_time: String,
    pub notify_attempts: u32,
    pub notify_acknowledged: bool,
}

/// A verdict's code back as the simulator's own constant.
fn verdict_from(code: &str) -> Option<(&'static str, &'static str)> {
    [crate::codes::SUCCESS, MISMATCH, REFUSED]
        .into_iter()
        .find(|known| known.0 == code)
}

impl Desk {
    /// The registry and every verification (for the state file).
    pub fn export(&self) -> (Vec<Person>, Vec<VerificationRecord>) {
        let mut persons: Vec<Person> = self.persons.values().cloned().collect();
        persons.sort_by(|a, b| a.card_no.cmp(&b.card_no));
        let mut verifications: Vec<VerificationRecord> = self
            .verifications
            .iter()
            .map(|(token, v)| VerificationRecord {
                token: token.clone(),
                merchant_id: v.merchant_id.clone(),
                card_no: v.card_no.clone(),
                certificate_type: v.certificate_type.clone(),
                certificate_no: v.certificate_no.clone(),
                notify_url: v.notify_url.clone(),
                verdict: v.verdict.map(|(code, _)| code.to_string()),
                account_name: v.account_name.clone(),
                host_date: v.host_date.clone(),
                host_time: v.host_time.clone(),
                notify_attempts: v.notify_attempts,
                notify_acknowledged: v.notify_acknowledged,
            })
            .collect();
        verifications.sort_by(|a, b| a.token.cmp(&b.token));
        (persons, verifications)
    }

    /// Puts exported persons and verifications back; `Err` names a verdict it does not know.
    pub fn import(
        &mut self,
        persons: Vec<Person>,
        verifications: Vec<VerificationRecord>,
    ) -> Result<(), String> {
        for person in persons {
            self.persons.insert(person.card_no.clone(), person);
        }
        for record in verifications {
            let verdict = match record.verdict.as_deref() {
                None => None,
                Some(code) => Some(verdict_from(code).ok_or(format!("unknown verdict {code:?}"))?),
            };
            self.by_order.insert(
                (record.merchant_id.clone(), record.notify_url.clone()),
                record.token.clone(),
            );
            self.verifications.insert(
                record.token,
                Verification {
                    merchant_id: record.merchant_id,
                    card_no: record.card_no,
                    certificate_type: record.certificate_type,
                    certificate_no: record.certificate_no,
                    notify_url: record.notify_url,
                    verdict,
                    account_name: record.account_name,
                    host_date: record.host_date,
                    host_time: record.host_time,
                    notify_attempts: record.notify_attempts,
                    notify_acknowledged: record.notify_acknowledged,
                },
            );
        }
        Ok(())
    }
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

/// The name the registry holds for a card, told in a matching result.
impl Desk {
    /// Whether `last4` may be the card holder's mobile: the last four digits of the mobile the
    /// registry holds for the card, or anything when it holds none.
    pub fn mobile_ends_with(&self, card_no: &str, last4: &str) -> bool {
        self.persons
            .get(card_no.trim())
            .is_none_or(|person| person.mobile.is_empty() || person.mobile.ends_with(last4))
    }

    pub fn account_name(&self, card_no: &str) -> String {
        self.persons
            .get(card_no.trim())
            .map(|person| person.name.clone())
            .unwrap_or_default()
    }
}

/// `IdentityVerifyReq` (TrxType, CustomType, BankCardNo, CertificateNo, CertificateType,
/// ResultNotifyURL, OrderDate, OrderTime, PaymentLinkType; no OrderNo): registers the
/// verification, answers its page (`VerifyURL`). The result goes to ResultNotifyURL exactly.
pub fn redirect(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name| text(request, &[name]).unwrap_or_default();
    let checks = [
        ("CustomType", matches!(field("CustomType"), "0" | "1")),
        ("BankCardNo", is_card_no(field("BankCardNo"))),
        (
            "CertificateType",
            CERTIFICATE_TYPES.contains(&field("CertificateType")),
        ),
        (
            "CertificateNo",
            is_certificate(field("CertificateType"), field("CertificateNo")),
        ),
        ("ResultNotifyURL", is_web_url(field("ResultNotifyURL"))),
        ("OrderDate", is_date(field("OrderDate"))),
        ("OrderTime", is_time(field("OrderTime"))),
    ];
    if let Some((name, _)) = checks.iter().find(|(_, ok)| !ok) {
        return answer::bad_field(merchant_id, name);
    }
    let key = (
        merchant_id.to_string(),
        field("ResultNotifyURL").to_string(),
    );
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
                        card_no: field("BankCardNo").to_string(),
                        certificate_type: field("CertificateType").to_string(),
                        certificate_no: field("CertificateNo").to_string(),
                        notify_url: field("ResultNotifyURL").to_string(),
                        verdict: None,
                        account_name: String::new(),
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
    let verify_url = format!("{}{}?TOKEN={token}", sim.public_url, page::VERIFY_PAGE_PATH);
    answer::object(
        merchant_id,
        answer::head(merchant_id, "IdentityVerifyReq", crate::codes::SUCCESS)
            .s("VerifyURL", &verify_url),
    )
}

/// `StaticIdentifyVerifyReq` (TrxType, CustomType, ClientName, AccNo, CertificateNo,
/// CertificateType, MobileNo of 11 digits, CustomNo; no OrderNo): the verdict at once, as the
/// ReturnCode (`0000` match, `2401` mismatch).
pub fn direct(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name| text(request, &[name]).unwrap_or_default();
    let mobile = field("MobileNo");
    let name = field("ClientName");
    let custom_no = field("CustomNo");
    let checks = [
        ("CustomType", matches!(field("CustomType"), "0" | "1")),
        (
            "ClientName",
            !name.trim().is_empty() && chars_at_most(name, 30),
        ),
        ("AccNo", is_card_no(field("AccNo"))),
        (
            "CertificateType",
            CERTIFICATE_TYPES.contains(&field("CertificateType")),
        ),
        (
            "CertificateNo",
            is_certificate(field("CertificateType"), field("CertificateNo")),
        ),
        (
            "MobileNo",
            mobile.len() == 11 && mobile.bytes().all(|b| b.is_ascii_digit()),
        ),
        (
            "CustomNo",
            chars_at_most(custom_no, 60)
                && custom_no
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        ),
    ];
    if let Some((name, _)) = checks.iter().find(|(_, ok)| !ok) {
        return answer::bad_field(merchant_id, name);
    }
    let verdict = sim.identity.lock().judge(
        field("AccNo"),
        field("CertificateType"),
        field("CertificateNo"),
        Some((name, mobile)),
    );
    let verdict = if verdict.0 == crate::codes::SUCCESS.0 {
        verdict
    } else {
        (names::IDENTITY_MISMATCH_CODE, MISMATCH.1)
    };
    answer::object(
        merchant_id,
        answer::head(merchant_id, "StaticIdentifyVerifyReq", verdict),
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
    sim.touch();
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
    sim.touch();
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
