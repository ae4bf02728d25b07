//! The HTTP client to UnionPay's gateway and the mapping to core's `Channel` port. Built so
//! far: starting a payment (the signed form the browser posts), its query, reading the back
//! and front notifications, refunds (a refund `04`, or a void `31` on the payment's own day)
//! with their query, capturing (`03`) and cancelling (`32`) a pre-authorisation with the
//! operation's query, and the reconciliation file (download and lines).

mod account;
mod exchange;
mod http;
mod notify;
mod pay;
mod preauth;
mod query;
mod record;
mod refund;
mod statement;

pub use account::{
    BACK_PATH, FRONT_PATH, QUERY_PATH, SetupError, SigningProfile, UnionPayAccount, certificates,
    channel_type_label, pem_block, signer, verifier,
};
pub use pay::front_url;
pub use refund::operation_for;

use std::sync::Arc;
use unipay_core::channel::{
    BankNotification, BatchAccepted, BatchRef, BatchRefundRequest, BatchRefundResult, BoxFuture,
    Channel, ChannelError, NotificationError, NotificationMode, PaymentRedirect, PaymentRequest,
    PreAuthAnswer, PreAuthRequest, QueryAnswer, RefundAnswer, RefundRequest, StatementFile,
};
use unipay_core::statement::{StatementError, StatementSink, StatementSummary};
use unipay_core::{Clock, SystemClock};

/// The `Channel::name` of UnionPay's gateway.
pub const NAME: &str = "unionpay";

/// A day's file download answer: base64 of the compressed zip, far smaller than its lines.
const MAX_FILE_ANSWER_BYTES: usize = 64 << 20;

/// The content type the SDKs post forms with.
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=UTF-8";

/// One merchant account at UnionPay, one HTTP client.
pub struct UnionPayChannel {
    account: UnionPayAccount,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for UnionPayChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnionPayChannel")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl UnionPayChannel {
    pub fn new(account: UnionPayAccount) -> Result<UnionPayChannel, SetupError> {
        UnionPayChannel::with_clock(account, Arc::new(SystemClock))
    }

    /// With a clock: it judges the dates of the certificates messages carry, and stamps times
    /// an answer does not give.
    pub fn with_clock(
        account: UnionPayAccount,
        clock: Arc<dyn Clock>,
    ) -> Result<UnionPayChannel, SetupError> {
        let http = http::client(account.timeout_ms).map_err(SetupError::Http)?;
        Ok(UnionPayChannel {
            account,
            http,
            clock,
        })
    }

    pub fn account(&self) -> &UnionPayAccount {
        &self.account
    }
}

/// The code of a refusal this channel makes itself, for what UnionPay's gateway does not offer.
pub const NOT_OFFERED: &str = "not_offered";

/// What the port's calls that are not mapped yet answer: nothing was sent.
fn not_built(what: &str) -> ChannelError {
    ChannelError::Unreachable(format!(
        "{what} through UnionPay is not supported yet: nothing was sent"
    ))
}

impl Channel for UnionPayChannel {
    fn name(&self) -> &'static str {
        NAME
    }

    fn payment_types(&self) -> Vec<(String, String)> {
        self.account
            .channel_types
            .iter()
            .map(|t| (t.code().to_string(), channel_type_label(*t).to_string()))
            .collect()
    }

    fn request_payment<'a>(
        &'a self,
        request: &'a PaymentRequest,
    ) -> BoxFuture<'a, Result<PaymentRedirect, ChannelError>> {
        Box::pin(async move { pay::start(&self.account, request) })
    }

    fn query_payment<'a>(
        &'a self,
        order_no: &'a str,
        requested_at_ms: i64,
        pay_by_ms: i64,
    ) -> BoxFuture<'a, Result<QueryAnswer, ChannelError>> {
        Box::pin(async move {
            let (sent, body) = query::request(&self.account, order_no, requested_at_ms)?;
            let url = self.account.url(QUERY_PATH);
            let answer = http::post(&self.http, &url, FORM_CONTENT_TYPE, body).await?;
            query::read(
                &self.account,
                &sent,
                &answer,
                pay_by_ms,
                self.clock.now_ms(),
            )
        })
    }

    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>> {
        Box::pin(async move {
            let (sent, body) = refund::request(&self.account, request, self.clock.now_ms())?;
            let url = self.account.url(BACK_PATH);
            let answer = http::post(&self.http, &url, FORM_CONTENT_TYPE, body).await?;
            refund::read_back_answer(&self.account, &sent, &answer, self.clock.now_ms())
        })
    }

    fn query_refund<'a>(
        &'a self,
        refund_no: &'a str,
        requested_at_ms: i64,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>> {
        Box::pin(async move {
            let (sent, body) = query::request(&self.account, refund_no, requested_at_ms)?;
            let url = self.account.url(QUERY_PATH);
            let answer = http::post(&self.http, &url, FORM_CONTENT_TYPE, body).await?;
            refund::read_query(&self.account, &sent, &answer, self.clock.now_ms())
        })
    }

    fn plan_refund_batch(&self, _request: &BatchRefundRequest) -> Result<Vec<usize>, ChannelError> {
        // UnionPay has no batch refund. Refused rather than unsent: a batch that cannot be
        // sent is rejected at once (its lines fail, their money released) instead of waiting
        // for a janitor that could never send it either.
        Err(ChannelError::Refused {
            code: NOT_OFFERED.into(),
            message: "UnionPay's gateway has no batch refund: refund each payment on its own"
                .into(),
        })
    }

    fn batch_refund<'a>(
        &'a self,
        _request: &'a BatchRefundRequest,
    ) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>> {
        Box::pin(async move { Err(not_built("a batch refund")) })
    }

    fn query_batch_refund<'a>(
        &'a self,
        _batch: &'a BatchRef,
    ) -> BoxFuture<'a, Result<BatchRefundResult, ChannelError>> {
        Box::pin(async move { Err(not_built("a batch refund query")) })
    }

    /// A completion takes up to 115 % of the hold.
    fn capture_limit_percent(&self) -> i64 {
        unipay_core::payment::MAX_CAPTURE_PERCENT
    }

    /// A completion comes within 30 days of the hold.
    fn capture_window_days(&self) -> Option<u32> {
        Some(preauth::COMPLETION_WINDOW_DAYS)
    }

    fn preauth<'a>(
        &'a self,
        request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<PreAuthAnswer, ChannelError>> {
        Box::pin(async move {
            let (sent, body) = preauth::request(&self.account, request)?;
            let url = self.account.url(BACK_PATH);
            let answer = http::post(&self.http, &url, FORM_CONTENT_TYPE, body).await?;
            preauth::read_back_answer(&self.account, &sent, &answer, self.clock.now_ms())
        })
    }

    fn query_preauth<'a>(
        &'a self,
        request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<Option<PreAuthAnswer>, ChannelError>> {
        Box::pin(async move {
            let (sent, body) = query::request(
                &self.account,
                &request.operation_no,
                request.operation_time_ms,
            )?;
            let url = self.account.url(QUERY_PATH);
            let answer = http::post(&self.http, &url, FORM_CONTENT_TYPE, body).await?;
            preauth::read_query(&self.account, request, &sent, &answer, self.clock.now_ms())
                .map(Some)
        })
    }

    fn read_notification(&self, body: &[u8]) -> Result<BankNotification, NotificationError> {
        notify::read(
            &self.account,
            body,
            NotificationMode::Server,
            self.clock.now_ms(),
        )
    }

    fn read_browser_notification(
        &self,
        body: &[u8],
    ) -> Result<BankNotification, NotificationError> {
        notify::read(
            &self.account,
            body,
            NotificationMode::Page,
            self.clock.now_ms(),
        )
    }

    /// UnionPay wants HTTP 200 within 10 s; the body is not read.
    fn notification_answer(&self, _customer_url: &str) -> (&'static str, Vec<u8>) {
        ("text/plain; charset=utf-8", b"ok".to_vec())
    }

    fn fetch_statement<'a>(
        &'a self,
        accounting_date: &'a str,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>> {
        Box::pin(async move {
            let (sent, body) =
                statement::request(&self.account, accounting_date, self.clock.now_ms())?;
            let url = statement::file_url(&self.account);
            let answer = http::post_bounded(
                &self.http,
                &url,
                FORM_CONTENT_TYPE,
                body,
                MAX_FILE_ANSWER_BYTES,
            )
            .await?;
            let account = self.account.clone();
            let date = accounting_date.to_string();
            let now_ms = self.clock.now_ms();
            // Unpacking a day's zip is seconds of work on a busy day: not on the runtime.
            tokio::task::spawn_blocking(move || {
                statement::read(&account, &sent, &date, &answer, now_ms)
            })
            .await
            .map_err(|e| ChannelError::BadAnswer(format!("reading the file stopped: {e}")))?
        })
    }

    fn query_transactions<'a>(
        &'a self,
        _date: &'a str,
        _start_hour: u8,
        _end_hour: u8,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>> {
        // The gateway has no such transaction; the reconciliation file is the day's record.
        Box::pin(async move { Err(not_built("a transaction list")) })
    }

    /// The file is the zip the download delivered (never gzip: `gzip` is ignored).
    fn parse_statement(
        &self,
        file: &mut dyn std::io::Read,
        _gzip: bool,
        sink: &mut dyn StatementSink,
    ) -> Result<StatementSummary, StatementError> {
        let zip = crate::recon::read_zip(file)?;
        crate::recon::parse_archive(&zip, sink)
    }
}

#[cfg(test)]
mod tests;
