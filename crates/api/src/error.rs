//! The error envelope every refusal answers: `{"error": {"code", "message", …}}`, some codes
//! naming the object they are about or carrying it beside the error.

use crate::{ErrorCode, IdentityVerification, Refund};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    // Inline, so a reader finds the codes at `Error.properties.error.properties.code.enum`.
    #[schema(inline)]
    pub error: ErrorDetail<'a>,
    /// With duplicate_out_refund_no: the existing refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub refund: Option<Refund<'a>>,
    /// With duplicate_out_verify_no: the existing verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub identity_verification: Option<IdentityVerification<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail<'a> {
    #[schema(inline)]
    pub code: ErrorCode,
    pub message: Cow<'a, str>,
    /// With duplicate_out_trade_no and kcode_bill_refused: the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub payment_id: Option<Cow<'a, str>>,
    /// With duplicate_out_refund_no: the existing refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub refund_id: Option<Cow<'a, str>>,
    /// With duplicate_out_batch_no and duplicate_out_debit_batch_no: the existing batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub batch_id: Option<Cow<'a, str>>,
    /// With duplicate_out_mandate_no: the existing mandate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub mandate_id: Option<Cow<'a, str>>,
    /// With duplicate_out_verify_no: the existing verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub verification_id: Option<Cow<'a, str>>,
    /// With refund_batch_lines_invalid and debit_batch_lines_invalid: every bad line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lines: Option<Vec<LineError<'a>>>,
}

/// Why one line of a batch cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineError<'a> {
    /// The line's place in the request, from 1.
    pub line: i64,
    pub code: ErrorCode,
    pub message: Cow<'a, str>,
}

impl<'a> ErrorDetail<'a> {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'a, str>>) -> ErrorDetail<'a> {
        ErrorDetail {
            code,
            message: message.into(),
            payment_id: None,
            refund_id: None,
            batch_id: None,
            mandate_id: None,
            verification_id: None,
            lines: None,
        }
    }
}

impl<'a> From<ErrorDetail<'a>> for ErrorBody<'a> {
    fn from(error: ErrorDetail<'a>) -> Self {
        ErrorBody {
            error,
            refund: None,
            identity_verification: None,
        }
    }
}
