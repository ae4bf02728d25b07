//! K-code payment (网上K码支付) on our side: the checks of what the consumer types in, shared
//! by the API (`api/kcode.rs`) and the cashier (`cashier_kcode.rs`). The flow itself is
//! `flows/kcode.rs`; its settings are `config/kcode.rs`.

/// The certificate types the bank knows (CertificateType): 居民身份证, 护照, 户口簿,
/// 港澳通行证, 台胞证, 其他.
pub const CERTIFICATE_TYPES: &[(&str, &str)] = &[
    ("I", "居民身份证 Resident ID card"),
    ("P", "护照 Passport"),
    ("K", "户口簿 Household register"),
    ("D", "港澳通行证 HK/Macao travel permit"),
    ("W", "台胞证 Taiwan compatriot permit"),
    ("U", "其他 Other"),
];

const MAX_NAME_CHARS: usize = 60;

/// A field the consumer got wrong, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: &'static str,
    pub problem: &'static str,
}

fn bad(field: &'static str, problem: &'static str) -> InputError {
    InputError { field, problem }
}

/// A card number: 12 to 19 digits (spaces the consumer typed are dropped).
pub fn card_no(text: &str) -> Result<String, InputError> {
    let digits: String = text.chars().filter(|c| *c != ' ').collect();
    if (12..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(bad("card_no", "must be 12 to 19 digits"))
    }
}

/// A mainland mobile number: 11 digits starting with 1.
pub fn mobile_no(text: &str) -> Result<String, InputError> {
    let text = text.trim();
    if text.len() == 11 && text.starts_with('1') && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(bad("mobile_no", "must be 11 digits starting with 1"))
    }
}

/// What the consumer types in to pay, checked. Its `Debug` shows none of it.
#[derive(Clone)]
pub struct ConfirmInput {
    pub verify_code: String,
    pub account_name: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub exp_date: String,
    pub cvv2: String,
}

impl std::fmt::Debug for ConfirmInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmInput")
            .field("certificate_type", &self.certificate_type)
            .finish_non_exhaustive()
    }
}

impl ConfirmInput {
    /// Checks each field; empty optional fields are `""`.
    pub fn new(
        verify_code: &str,
        account_name: &str,
        certificate_type: &str,
        certificate_no: &str,
        exp_date: &str,
        cvv2: &str,
    ) -> Result<ConfirmInput, InputError> {
        let verify_code = verify_code.trim();
        if !digits_between(verify_code, 4, 8) {
            return Err(bad("verify_code", "must be the 4 to 8 digits texted"));
        }
        let account_name = account_name.trim();
        if account_name.is_empty()
            || account_name.chars().count() > MAX_NAME_CHARS
            || account_name
                .chars()
                .any(|c| c.is_control() || matches!(c, '"' | '\\' | '<' | '>' | '{' | '}'))
        {
            return Err(bad(
                "account_name",
                "must be the card holder's name, 1 to 60 characters",
            ));
        }
        let certificate_type = certificate_type.trim();
        if !CERTIFICATE_TYPES
            .iter()
            .any(|(code, _)| *code == certificate_type)
        {
            return Err(bad("certificate_type", "must be one of I, P, K, D, W, U"));
        }
        let certificate_no = certificate_no.trim();
        if certificate_no.is_empty()
            || certificate_no.len() > 32
            || !certificate_no.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(bad("certificate_no", "must be 1 to 32 letters or digits"));
        }
        let exp_date = exp_date.trim();
        if !(exp_date.is_empty() || digits_between(exp_date, 4, 4)) {
            return Err(bad("exp_date", "must be MMYY"));
        }
        let cvv2 = cvv2.trim();
        if !(cvv2.is_empty() || digits_between(cvv2, 3, 3)) {
            return Err(bad("cvv2", "must be 3 digits"));
        }
        Ok(ConfirmInput {
            verify_code: verify_code.to_string(),
            account_name: account_name.to_string(),
            certificate_type: certificate_type.to_string(),
            certificate_no: certificate_no.to_ascii_uppercase(),
            exp_date: exp_date.to_string(),
            cvv2: cvv2.to_string(),
        })
    }
}

fn digits_between(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_what_the_consumer_types() {
        assert_eq!(
            card_no("6228 4800 1234 5678").as_deref(),
            Ok("6228480012345678")
        );
        assert_eq!(card_no("62284800").map_err(|e| e.field), Err("card_no"));
        assert_eq!(
            card_no("6228480012345678x").map_err(|e| e.field),
            Err("card_no")
        );
        assert_eq!(mobile_no("13800138000").as_deref(), Ok("13800138000"));
        assert_eq!(
            mobile_no("23800138000").map_err(|e| e.field),
            Err("mobile_no")
        );
        let ok = ConfirmInput::new("123456", "张三", "I", "11010119900307123x", "", "");
        assert_eq!(
            ok.map(|input| input.certificate_no).as_deref(),
            Ok("11010119900307123X")
        );
        let field = |r: Result<ConfirmInput, InputError>| r.err().map(|e| e.field);
        assert_eq!(
            field(ConfirmInput::new("12a456", "张三", "I", "1", "", "")),
            Some("verify_code")
        );
        assert_eq!(
            field(ConfirmInput::new("123456", " ", "I", "1", "", "")),
            Some("account_name")
        );
        assert_eq!(
            field(ConfirmInput::new("123456", "张三", "X", "1", "", "")),
            Some("certificate_type")
        );
        assert_eq!(
            field(ConfirmInput::new("123456", "张三", "I", "1-2", "", "")),
            Some("certificate_no")
        );
        assert_eq!(
            field(ConfirmInput::new("123456", "张三", "I", "1", "12/29", "")),
            Some("exp_date")
        );
        assert_eq!(
            field(ConfirmInput::new("123456", "张三", "I", "1", "1229", "12")),
            Some("cvv2")
        );
    }
}
