//! Reading the bodies of the mandate and debit calls, field by field so each fault has its
//! own message. A certificate number is checked and passed on, never echoed in an error.

use crate::http::api::error::ApiError;
use serde_json::{Map, Value};
use unipay_api::ErrorCode;
use unipay_core::http_url::HttpUrl;
use unipay_core::mandate::{CARD_TYPES, CERTIFICATE_TYPES, valid_date};
use unipay_core::money::Amount;
use unipay_core::ref_no::RefNo;

const MAX_REF_CHARS: usize = 64;
const MAX_SUBJECT_CHARS: usize = 128;

pub struct MandateInput {
    pub out_mandate_no: String,
    pub customer_ref: String,
    pub card_type: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub expires_on: String,
    pub max_amount_per_debit: Option<i64>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
}

pub struct DebitInput {
    pub out_trade_no: String,
    pub amount: i64,
    pub subject: String,
    pub notify_url: Option<String>,
}

pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

pub fn object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::new(
            ErrorCode::InvalidJson,
            "the body must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )),
    }
}

pub fn number(fields: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match fields.get(name) {
        Some(Value::String(s)) if RefNo::is_valid(s) => Ok(s.clone()),
        _ => Err(invalid(format!(
            "{name} must be 1-64 characters of A-Z a-z 0-9 - _ ."
        ))),
    }
}

fn text(fields: &Map<String, Value>, name: &str, max: usize) -> Result<String, ApiError> {
    match fields.get(name) {
        Some(Value::String(s))
            if !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control) =>
        {
            Ok(s.clone())
        }
        _ => Err(invalid(format!(
            "{name} must be 1-{max} characters without control characters"
        ))),
    }
}

fn one_of(fields: &Map<String, Value>, name: &str, allowed: &[&str]) -> Result<String, ApiError> {
    match fields.get(name) {
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(s.clone()),
        _ => Err(invalid(format!(
            "{name} must be one of {}",
            allowed.join(", ")
        ))),
    }
}

pub fn optional_url(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(url)) if HttpUrl::parse(url).is_ok() => Ok(Some(url.clone())),
        Some(_) => Err(invalid(format!(
            "{name} must be an absolute http(s) URL of at most 512 characters"
        ))),
    }
}

pub fn amount(value: Option<&Value>, what: &str) -> Result<i64, ApiError> {
    let fen = value.and_then(Value::as_i64).ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidAmount,
            format!("{what} must be an integer number of fen"),
        )
    })?;
    Amount::from_fen(fen).map(Amount::fen).map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidAmount,
            format!("{what} must be 1 to 10000000000 fen"),
        )
    })
}

pub fn mandate(body: &[u8], today: &str) -> Result<MandateInput, ApiError> {
    let fields = object(body)?;
    let certificate_no = match fields.get("certificate_no") {
        Some(Value::String(s))
            if (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            s.to_ascii_uppercase()
        }
        _ => return Err(invalid("certificate_no must be 1-32 letters or digits")),
    };
    let expires_on = match fields.get("expires_on") {
        Some(Value::String(s)) if valid_date(s) => s.clone(),
        _ => return Err(invalid("expires_on must be a date YYYY-MM-DD")),
    };
    if expires_on.as_str() < today {
        return Err(invalid("expires_on must not be in the past"));
    }
    let max_amount_per_debit = match fields.get("max_amount_per_debit") {
        None | Some(Value::Null) => None,
        value => Some(amount(value, "max_amount_per_debit")?),
    };
    let certificate_type = one_of(&fields, "certificate_type", CERTIFICATE_TYPES)?;
    // The bank's own client refuses a resident ID card of any other length.
    if certificate_type == "I" && !matches!(certificate_no.len(), 15 | 18) {
        return Err(invalid(
            "certificate_no of a resident ID card (I) must be 15 or 18 characters",
        ));
    }
    Ok(MandateInput {
        out_mandate_no: number(&fields, "out_mandate_no")?,
        customer_ref: text(&fields, "customer_ref", MAX_REF_CHARS)?,
        card_type: one_of(&fields, "card_type", CARD_TYPES)?,
        certificate_type,
        certificate_no,
        expires_on,
        max_amount_per_debit,
        notify_url: optional_url(&fields, "notify_url")?,
        return_url: optional_url(&fields, "return_url")?,
    })
}

pub fn debit_fields(fields: &Map<String, Value>) -> Result<DebitInput, ApiError> {
    Ok(DebitInput {
        out_trade_no: number(fields, "out_trade_no")?,
        amount: amount(fields.get("amount"), "amount")?,
        subject: text(fields, "subject", MAX_SUBJECT_CHARS)?,
        notify_url: optional_url(fields, "notify_url")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> &'static str {
        mandate(body.as_bytes(), "2026-11-30")
            .err()
            .map(|e| e.code.as_str())
            .unwrap_or("ok")
    }

    #[test]
    fn each_fault_has_its_code() {
        let ok = r#"{"out_mandate_no":"M-1","customer_ref":"c1","card_type":"1","certificate_type":"I","certificate_no":"11010519491231002x","expires_on":"2027-01-01"}"#;
        assert_eq!(code(ok), "ok");
        assert_eq!(code("{"), "invalid_json");
        assert_eq!(code(&ok.replace("\"I\"", "\"Z\"")), "invalid_request");
        assert_eq!(
            code(&ok.replace("2027-01-01", "2026-11-29")),
            "invalid_request"
        );
        assert_eq!(
            code(&ok.replace("2027-01-01", "2027-02-30")),
            "invalid_request"
        );
        assert_eq!(
            code(&ok.replace("11010519491231002x", "1101 0519")),
            "invalid_request"
        );
        assert_eq!(
            code(&ok.replace("}", r#","max_amount_per_debit":0}"#)),
            "invalid_amount"
        );
        let upper = mandate(ok.as_bytes(), "2026-11-30")
            .ok()
            .map(|m| m.certificate_no);
        assert_eq!(upper.as_deref(), Some("11010519491231002X"));
    }
}
