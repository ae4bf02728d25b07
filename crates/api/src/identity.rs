//! The identity verification object (身份验证), as `/v1` answers it and `identity.verified`
//! notifications carry it. Personal data appears only masked: the full values are never kept.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = IdentityVerification)]
pub struct IdentityVerification<'a> {
    pub id: Cow<'a, str>,
    /// Always `identity_verification`.
    #[schema(value_type = String, pattern = "^identity_verification$")]
    pub object: Cow<'a, str>,
    pub app_id: Cow<'a, str>,
    pub out_verify_no: Cow<'a, str>,
    #[schema(value_type = VerifyMode)]
    pub mode: Cow<'a, str>,
    #[schema(value_type = CustomerType)]
    pub customer_type: Cow<'a, str>,
    #[schema(value_type = VerifyStatus)]
    pub status: Cow<'a, str>,
    pub name_masked: Cow<'a, str>,
    pub certificate_type: Cow<'a, str>,
    pub certificate_no_masked: Cow<'a, str>,
    pub card_no_masked: Cow<'a, str>,
    pub mobile_masked: Option<Cow<'a, str>>,
    /// Redirect mode: the bank's page the customer confirms on.
    pub verify_url: Option<Cow<'a, str>>,
    /// Our number for the verification at the bank.
    pub channel_verify_no: Cow<'a, str>,
    pub reason_code: Option<Cow<'a, str>>,
    pub reason: Option<Cow<'a, str>>,
    /// The app's latest earlier verification of the same identity document.
    pub repeat_of: Option<Cow<'a, str>>,
    pub seen_before: bool,
    pub notify_url: Option<Cow<'a, str>>,
    pub return_url: Option<Cow<'a, str>>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
}

/// `redirect`: the customer confirms on the bank's page (IdentityVerifyReq); `direct`: the bank
/// answers at once (StaticIdentifyVerifyReq).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMode {
    Redirect,
    Direct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    #[default]
    Person,
    Company,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    Pending,
    Matched,
    NotMatched,
    Failed,
}
