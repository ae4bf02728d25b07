//! Refunds through the merchant API: create one, look one up, list a payment's.

use crate::{Client, ClientError, RawResponse, decode};
use unipay_api::RefundList;

/// A business system's view of a refund (the API's refund object).
pub type Refund = unipay_api::Refund<'static>;

pub use unipay_api::CreateRefund;

impl Client {
    /// Refunds (part of) a payment; the answer is the refund as the bank's first answer left it.
    pub async fn create_refund(
        &self,
        payment_id: &str,
        request: &CreateRefund,
        idempotency_key: Option<&str>,
    ) -> Result<Refund, ClientError> {
        let body = serde_json::to_vec(request).map_err(|e| ClientError::Decode(e.to_string()))?;
        let mut headers = Vec::new();
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key.to_string()));
        }
        let path = format!("/v1/payments/{payment_id}/refunds");
        decode(self.send("POST", &path, &body, &headers).await?)
    }

    pub async fn get_refund(&self, id: &str) -> Result<Refund, ClientError> {
        decode(
            self.send("GET", &format!("/v1/refunds/{id}"), b"", &[])
                .await?,
        )
    }

    pub async fn find_refund(&self, out_refund_no: &str) -> Result<Refund, ClientError> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("out_refund_no", out_refund_no)
            .finish();
        decode(
            self.send("GET", &format!("/v1/refunds?{query}"), b"", &[])
                .await?,
        )
    }

    /// Sends a refund batch (`{out_batch_no, lines: [...]}`) and returns the raw answer: 201
    /// with the batch, or 422 with every bad line.
    pub async fn create_refund_batch(
        &self,
        batch: &serde_json::Value,
    ) -> Result<RawResponse, ClientError> {
        let body = batch.to_string();
        self.send("POST", "/v1/refund-batches", body.as_bytes(), &[])
            .await
    }

    /// A refund batch with each line's status, as JSON.
    pub async fn get_refund_batch(&self, id: &str) -> Result<serde_json::Value, ClientError> {
        decode(
            self.send("GET", &format!("/v1/refund-batches/{id}"), b"", &[])
                .await?,
        )
    }

    /// A payment's refunds, oldest first.
    pub async fn list_refunds(&self, payment_id: &str) -> Result<Vec<Refund>, ClientError> {
        let path = format!("/v1/payments/{payment_id}/refunds");
        let list: RefundList<'static> = decode(self.send("GET", &path, b"", &[]).await?)?;
        Ok(list.refunds)
    }
}
