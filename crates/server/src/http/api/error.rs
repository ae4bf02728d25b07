//! A merchant-API error as a handler returns it, answered as the JSON error envelope. The code
//! is one of the catalogue's ([`ErrorCode`]), which also fixes its HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
pub use unipay_api::ErrorCode;
use unipay_api::{ErrorBody, ErrorDetail};

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// For `duplicate_out_trade_no`: the existing payment.
    pub payment_id: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            payment_id: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        // The client learns nothing; the log learns everything.
        tracing::error!(%error, "internal error");
        ApiError::new(ErrorCode::InternalError, "internal error")
    }

    /// The error's detail, for an envelope that carries more than the error.
    pub fn detail(&self) -> ErrorDetail<'_> {
        let mut detail = ErrorDetail::new(self.code, self.message.as_str());
        detail.payment_id = self.payment_id.as_deref().map(Into::into);
        detail
    }

    pub fn body(&self) -> String {
        envelope_json(&ErrorBody::from(self.detail()))
    }
}

/// An error envelope as JSON; only a serialiser bug could fail, and then the client still gets
/// an envelope.
pub fn envelope_json(body: &ErrorBody<'_>) -> String {
    serde_json::to_string(body).unwrap_or_else(|_| {
        r#"{"error":{"code":"internal_error","message":"internal error"}}"#.to_string()
    })
}

impl From<unipay_store::StoreError> for ApiError {
    fn from(error: unipay_store::StoreError) -> Self {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status(), self.body())
    }
}

/// A JSON answer from an already-serialised body.
pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_valid_status_and_codes_are_unique() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert!(StatusCode::from_u16(code.status()).is_ok(), "{code}");
            assert_eq!(ApiError::new(*code, "x").status().as_u16(), code.status());
        }
    }
}
