//! The Rust client of unipay's merchant API: signs requests, verifies notifications and
//! return URLs. `receiver` is a minimal business-system endpoint for tests, demos and benchmarks.

pub mod receiver;
mod refunds;
mod signing;

pub use refunds::{CreateRefund, Refund};

pub use signing::{
    RETURN_LINK_MAX_AGE_S, SignatureError, sign_request, verify_notification, verify_return_query,
    verify_return_query_at,
};

use serde_json::Value;
use unipay_api::ErrorBody;

/// A business system's view of a payment (the API's payment object).
pub type Payment = unipay_api::Payment<'static>;

pub use unipay_api::{CapturePayment, CreatePayment, ErrorCode};

/// An answer that was not a success: the HTTP status and the API's error code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}: {code}: {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// For `duplicate_out_trade_no`: the existing payment.
    pub payment_id: Option<String>,
}

impl ApiError {
    /// The code, if it is one this client's catalogue knows.
    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::parse(&self.code)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("unreadable answer: {0}")]
    Decode(String),
}

/// A raw answer, for callers (and tests) that look at status and body themselves.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub body: String,
}

impl RawResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The `error.code` of an error answer.
    pub fn error_code(&self) -> Option<String> {
        self.json()["error"]["code"].as_str().map(str::to_string)
    }
}

#[derive(Clone)]
pub struct Client {
    base_url: String,
    app_id: String,
    secret: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base_url: &str, app_id: &str, secret: &str) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Client::with_http(base_url, app_id, secret, http))
    }

    pub fn with_http(base_url: &str, app_id: &str, secret: &str, http: reqwest::Client) -> Client {
        Client {
            base_url: base_url.trim_end_matches('/').to_string(),
            app_id: app_id.to_string(),
            secret: secret.to_string(),
            http,
        }
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn create_payment(&self, request: &CreatePayment) -> Result<Payment, ClientError> {
        self.create_payment_with_key(request, None).await
    }

    pub async fn create_payment_with_key(
        &self,
        request: &CreatePayment,
        idempotency_key: Option<&str>,
    ) -> Result<Payment, ClientError> {
        let body = serde_json::to_vec(request).map_err(|e| ClientError::Decode(e.to_string()))?;
        let mut headers = Vec::new();
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key.to_string()));
        }
        let raw = self.send("POST", "/v1/payments", &body, &headers).await?;
        decode(raw)
    }

    pub async fn get_payment(&self, id: &str, sync: bool) -> Result<Payment, ClientError> {
        let path = if sync {
            format!("/v1/payments/{id}?sync=true")
        } else {
            format!("/v1/payments/{id}")
        };
        decode(self.send("GET", &path, b"", &[]).await?)
    }

    pub async fn find_payment(&self, out_trade_no: &str) -> Result<Payment, ClientError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("out_trade_no", out_trade_no)
            .finish();
        decode(
            self.send("GET", &format!("/v1/payments?{query}"), b"", &[])
                .await?,
        )
    }

    /// Captures `amount` (all when `None`) of an authorized pre-authorization.
    pub async fn capture_payment(
        &self,
        id: &str,
        amount: Option<i64>,
    ) -> Result<Payment, ClientError> {
        let body = serde_json::to_vec(&CapturePayment { amount })
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        let path = format!("/v1/payments/{id}/capture");
        decode(self.send("POST", &path, &body, &[]).await?)
    }

    /// Releases an authorized pre-authorization.
    pub async fn cancel_payment(&self, id: &str) -> Result<Payment, ClientError> {
        decode(
            self.send("POST", &format!("/v1/payments/{id}/cancel"), b"", &[])
                .await?,
        )
    }

    pub async fn close_payment(&self, id: &str) -> Result<Payment, ClientError> {
        decode(
            self.send("POST", &format!("/v1/payments/{id}/close"), b"", &[])
                .await?,
        )
    }

    /// Sends a signed request with a fresh nonce and the current time.
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        headers: &[(&str, String)],
    ) -> Result<RawResponse, ClientError> {
        let timestamp = chrono::Utc::now().timestamp();
        let nonce = signing::new_nonce();
        self.send_signed_as(
            method,
            path_and_query,
            body,
            headers,
            timestamp,
            &nonce,
            &self.secret,
        )
        .await
    }

    /// Sends a request signed with exactly these parts (tests use it to send stale, replayed
    /// or wrongly signed requests).
    #[allow(clippy::too_many_arguments)]
    pub async fn send_signed_as(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        headers: &[(&str, String)],
        timestamp: i64,
        nonce: &str,
        secret: &str,
    ) -> Result<RawResponse, ClientError> {
        let authorization = sign_request(
            &self.app_id,
            secret,
            method,
            path_and_query,
            timestamp,
            nonce,
            body,
        );
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| ClientError::Decode(e.to_string()))?;
        let mut request = self
            .http
            .request(method, format!("{}{path_and_query}", self.base_url))
            .header("authorization", authorization)
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        Ok(RawResponse { status, body })
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(raw: RawResponse) -> Result<T, ClientError> {
    if !(200..300).contains(&raw.status) {
        return Err(ClientError::Api(api_error(&raw)));
    }
    serde_json::from_str(&raw.body).map_err(|e| ClientError::Decode(format!("{e}: {}", raw.body)))
}

/// The error of a refusal: the envelope as the API defines it, or, from a server whose
/// catalogue has codes this client does not know, whatever code and message it holds.
fn api_error(raw: &RawResponse) -> ApiError {
    if let Ok(envelope) = serde_json::from_str::<ErrorBody<'_>>(&raw.body) {
        let error = envelope.error;
        return ApiError {
            status: raw.status,
            code: error.code.as_str().to_string(),
            message: error.message.into_owned(),
            payment_id: error.payment_id.map(|id| id.into_owned()),
        };
    }
    let value = raw.json();
    ApiError {
        status: raw.status,
        code: value["error"]["code"]
            .as_str()
            .unwrap_or("unknown")
            .to_string(),
        message: value["error"]["message"]
            .as_str()
            .unwrap_or(&raw.body)
            .to_string(),
        payment_id: value["error"]["payment_id"].as_str().map(str::to_string),
    }
}
