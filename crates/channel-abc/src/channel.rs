//! The HTTP client to the platform and the mapping to core's `Channel` port.

mod account;
mod agent_debit;
mod answer;
mod batch_query;
mod batch_refund;
mod batch_split;
mod http;
pub(crate) mod identity;
mod kcode;
pub(crate) mod mandates;
pub(crate) mod notify;
mod pay;
mod preauth;
mod query;
mod refund;
mod refund_query;
mod request;
mod statement;
mod time;

pub use account::{AbcAccount, NotifyType, PAYMENT_TYPES, SetupError, payment_type_label};
pub use agent_debit::{batch_request as debit_batch_request, pay_request as debit_request};
pub use batch_refund::{MAX_BATCH_LINES, MAX_BATCH_NO, batch_request};
pub use identity::{direct_request, redirect_request};
pub use kcode::{pay_kcode_request, resend_request, verify_request};
pub use mandates::sign_request;
pub use preauth::preauth_request;
pub use refund::refund_request;
pub use time::{accounting_date, beijing_date_time, parse_beijing};

use crate::wire::{MAX_STATEMENT_ANSWER_BYTES, MAX_TRNX_RECORDS_ANSWER_BYTES};
use std::sync::Arc;
use unipay_core::channel::{
    BankNotification, BatchAccepted, BatchRef, BatchRefundRequest, BatchRefundResult, BoxFuture,
    Channel, ChannelError, NotificationError, PaymentRedirect, PaymentRequest, PreAuthAnswer,
    PreAuthRequest, QueryAnswer, RawMessage, RefundAnswer, RefundRequest, StatementFile,
};
use unipay_core::statement::{StatementError, StatementSink, StatementSummary};
use unipay_core::{Clock, SystemClock};

/// The ABC TrustPay channel: one merchant account, one HTTP client.
pub struct AbcChannel {
    account: AbcAccount,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AbcChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbcChannel")
            .field("merchant_id", &self.account.merchant_id)
            .field("trx_url", &self.account.trx_url)
            .finish()
    }
}

impl AbcChannel {
    pub fn new(account: AbcAccount) -> Result<AbcChannel, SetupError> {
        AbcChannel::with_clock(account, Arc::new(SystemClock))
    }

    /// With a clock for "now" (used when a Query answer carries no time of its own).
    pub fn with_clock(
        account: AbcAccount,
        clock: Arc<dyn Clock>,
    ) -> Result<AbcChannel, SetupError> {
        account.validate()?;
        let http = http::client(&account)?;
        Ok(AbcChannel {
            account,
            http,
            clock,
        })
    }

    pub fn account(&self) -> &AbcAccount {
        &self.account
    }
}

/// An answer kept for the record: GBK decoded, personal data masked, hashed as received.
fn raw_message(bytes: &[u8]) -> RawMessage {
    let (text, _, _) = encoding_rs::GBK.decode(bytes);
    RawMessage {
        masked: unipay_core::masking::mask_sensitive_fields(text.trim_end()),
        sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)),
    }
}

/// Runs the reading of a (possibly huge) statement or batch answer off the async threads:
/// checking its signature and decoding it take a while for a large one.
async fn read_off_runtime<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, ChannelError> + Send + 'static,
) -> Result<T, ChannelError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| ChannelError::BadAnswer(format!("reading the answer failed: {e}")))?
}

impl Channel for AbcChannel {
    fn name(&self) -> &'static str {
        "abc"
    }

    fn payment_types(&self) -> Vec<(String, String)> {
        self.account
            .payment_types
            .iter()
            .map(|code| (code.clone(), payment_type_label(code).to_string()))
            .collect()
    }

    fn request_payment<'a>(
        &'a self,
        request: &'a PaymentRequest,
    ) -> BoxFuture<'a, Result<PaymentRedirect, ChannelError>> {
        Box::pin(async move {
            let body = pay::request_body(&self.account, request)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            pay::read_answer(&self.account, request, &answer)
        })
    }

    // ABC knows an order by its number alone.
    fn query_payment<'a>(
        &'a self,
        order_no: &'a str,
        _requested_at_ms: i64,
        // ABC's answers say unpaid themselves.
        _pay_by_ms: i64,
    ) -> BoxFuture<'a, Result<QueryAnswer, ChannelError>> {
        Box::pin(async move {
            let body = query::request_body(&self.account, order_no)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let (state, code) = query::read_answer_with_code(
                &self.account,
                order_no,
                &answer,
                self.clock.now_ms(),
            )?;
            Ok(QueryAnswer {
                state,
                code,
                raw: raw_message(&answer),
            })
        })
    }

    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>> {
        Box::pin(async move {
            let body = refund::request_body(&self.account, request)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state = refund::read_answer(&self.account, request, &answer, self.clock.now_ms())?;
            Ok(RefundAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }

    fn query_refund<'a>(
        &'a self,
        refund_no: &'a str,
        _requested_at_ms: i64,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>> {
        Box::pin(async move {
            let body = refund_query::request_body(&self.account, refund_no)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state =
                refund_query::read_answer(&self.account, refund_no, &answer, self.clock.now_ms())?;
            Ok(RefundAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }

    fn refund_batch_no_len(&self) -> usize {
        MAX_BATCH_NO
    }

    fn plan_refund_batch(&self, request: &BatchRefundRequest) -> Result<Vec<usize>, ChannelError> {
        batch_refund::plan(&self.account, request)
    }

    fn batch_refund<'a>(
        &'a self,
        request: &'a BatchRefundRequest,
    ) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>> {
        Box::pin(async move {
            let batch = batch_refund::batch_request(request)?;
            let body = batch_refund::request_body(&self.account, &batch)?;
            let answer = http::post_batch(&self.http, &self.account, body).await?;
            batch_refund::read_answer(&self.account, &batch, &answer)
        })
    }

    fn query_batch_refund<'a>(
        &'a self,
        batch: &'a BatchRef,
    ) -> BoxFuture<'a, Result<BatchRefundResult, ChannelError>> {
        Box::pin(async move {
            let body = batch_query::request_body(&self.account, batch)?;
            let answer = http::post_batch(&self.http, &self.account, body).await?;
            let (account, batch) = (self.account.clone(), batch.clone());
            read_off_runtime(move || batch_query::read_answer(&account, &batch, &answer)).await
        })
    }

    fn preauth<'a>(
        &'a self,
        request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<PreAuthAnswer, ChannelError>> {
        Box::pin(async move {
            let now_ms = self.clock.now_ms();
            let operation = &request.operation;
            let trx = preauth::preauth_request(
                &request.original_order_no,
                &request.operation_no,
                operation,
                now_ms,
            )?;
            let body = preauth::request_body(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state = preauth::read_answer(&self.account, &trx, operation, &answer, now_ms)?;
            Ok(PreAuthAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }

    fn read_notification(&self, body: &[u8]) -> Result<BankNotification, NotificationError> {
        notify::read(&self.account, body)
    }

    fn notification_answer(&self, customer_url: &str) -> (&'static str, Vec<u8>) {
        notify::answer(customer_url)
    }

    fn fetch_statement<'a>(
        &'a self,
        accounting_date: &'a str,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>> {
        Box::pin(async move {
            let (body, settle_date) = statement::settle_body(&self.account, accounting_date)?;
            let answer =
                http::post_statement(&self.http, &self.account, body, MAX_STATEMENT_ANSWER_BYTES)
                    .await?;
            let account = self.account.clone();
            read_off_runtime(move || statement::read_settle_answer(&account, &settle_date, answer))
                .await
        })
    }

    fn query_transactions<'a>(
        &'a self,
        date: &'a str,
        start_hour: u8,
        end_hour: u8,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>> {
        Box::pin(async move {
            let (body, settle_date) =
                statement::trnx_records_body(&self.account, date, start_hour, end_hour)?;
            let answer = http::post_statement(
                &self.http,
                &self.account,
                body,
                MAX_TRNX_RECORDS_ANSWER_BYTES,
            )
            .await?;
            let account = self.account.clone();
            read_off_runtime(move || {
                statement::read_trnx_records_answer(&account, &settle_date, answer)
            })
            .await
        })
    }

    fn parse_statement(
        &self,
        file: &mut dyn std::io::Read,
        gzip: bool,
        sink: &mut dyn StatementSink,
    ) -> Result<StatementSummary, StatementError> {
        crate::statement::parse_statement_file(file, gzip, sink)
    }

    fn mandates(&self) -> Option<&dyn unipay_core::mandate_channel::MandateChannel> {
        Some(self)
    }

    fn kcode(&self) -> Option<&dyn unipay_core::kcode::KcodeChannel> {
        Some(self)
    }

    fn identity(&self) -> Option<&dyn unipay_core::identity_channel::IdentityChannel> {
        Some(self)
    }
}

#[cfg(test)]
mod tests;
