//! A channel whose every call to the bank is timed into `unipay_bank_call_duration_seconds`,
//! by transaction type; what is not a call to the bank (reading a notification, parsing a
//! statement, the capability ports) goes straight through.

use crate::latency::{BankCall, Latencies};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use unipay_core::channel::{
    BankNotification, BatchAccepted, BatchRef, BatchRefundRequest, BatchRefundResult, BoxFuture,
    Channel, ChannelError, NotificationError, PaymentRedirect, PaymentRequest, PreAuthAnswer,
    PreAuthRequest, QueryAnswer, RefundAnswer, RefundRequest, StatementFile,
};
use unipay_core::identity_channel::IdentityChannel;
use unipay_core::kcode::KcodeChannel;
use unipay_core::mandate_channel::MandateChannel;
use unipay_core::statement::{StatementError, StatementSink, StatementSummary};

pub struct Timed {
    inner: Arc<dyn Channel>,
    latencies: Arc<Latencies>,
}

impl Timed {
    pub fn wrap(inner: Arc<dyn Channel>, latencies: Arc<Latencies>) -> Arc<dyn Channel> {
        Arc::new(Timed { inner, latencies })
    }

    fn time<'a, T: Send + 'a>(
        &'a self,
        call: BankCall,
        future: impl Future<Output = T> + Send + 'a,
    ) -> BoxFuture<'a, T> {
        Box::pin(async move {
            let started = Instant::now();
            let result = future.await;
            self.latencies.bank_call(call, started.elapsed());
            result
        })
    }
}

impl Channel for Timed {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn payment_types(&self) -> Vec<(String, String)> {
        self.inner.payment_types()
    }

    fn request_payment<'a>(
        &'a self,
        request: &'a PaymentRequest,
    ) -> BoxFuture<'a, Result<PaymentRedirect, ChannelError>> {
        self.time(
            BankCall::RequestPayment,
            self.inner.request_payment(request),
        )
    }

    fn query_payment<'a>(
        &'a self,
        order_no: &'a str,
        requested_at_ms: i64,
        pay_by_ms: i64,
    ) -> BoxFuture<'a, Result<QueryAnswer, ChannelError>> {
        self.time(
            BankCall::QueryPayment,
            self.inner
                .query_payment(order_no, requested_at_ms, pay_by_ms),
        )
    }

    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>> {
        self.time(BankCall::Refund, self.inner.refund(request))
    }

    fn query_refund<'a>(
        &'a self,
        refund_no: &'a str,
        requested_at_ms: i64,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>> {
        self.time(
            BankCall::QueryRefund,
            self.inner.query_refund(refund_no, requested_at_ms),
        )
    }

    fn refund_batch_no_len(&self) -> usize {
        self.inner.refund_batch_no_len()
    }

    fn plan_refund_batch(&self, request: &BatchRefundRequest) -> Result<Vec<usize>, ChannelError> {
        self.inner.plan_refund_batch(request)
    }

    fn batch_refund<'a>(
        &'a self,
        request: &'a BatchRefundRequest,
    ) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>> {
        self.time(BankCall::BatchRefund, self.inner.batch_refund(request))
    }

    fn query_batch_refund<'a>(
        &'a self,
        batch: &'a BatchRef,
    ) -> BoxFuture<'a, Result<BatchRefundResult, ChannelError>> {
        self.time(
            BankCall::QueryBatchRefund,
            self.inner.query_batch_refund(batch),
        )
    }

    fn capture_limit_percent(&self) -> i64 {
        self.inner.capture_limit_percent()
    }

    fn capture_window_days(&self) -> Option<u32> {
        self.inner.capture_window_days()
    }

    fn preauth<'a>(
        &'a self,
        request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<PreAuthAnswer, ChannelError>> {
        self.time(BankCall::Preauth, self.inner.preauth(request))
    }

    fn query_preauth<'a>(
        &'a self,
        request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<Option<PreAuthAnswer>, ChannelError>> {
        self.time(BankCall::Preauth, self.inner.query_preauth(request))
    }

    fn read_notification(&self, body: &[u8]) -> Result<BankNotification, NotificationError> {
        self.inner.read_notification(body)
    }

    // Forwarded, not left to the trait's default: a bank may read the browser's copy of a
    // result differently from the server notification (UnionPay's front notification).
    fn read_browser_notification(
        &self,
        body: &[u8],
    ) -> Result<BankNotification, NotificationError> {
        self.inner.read_browser_notification(body)
    }

    fn notification_answer(&self, customer_url: &str) -> (&'static str, Vec<u8>) {
        self.inner.notification_answer(customer_url)
    }

    fn fetch_statement<'a>(
        &'a self,
        accounting_date: &'a str,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>> {
        self.time(
            BankCall::FetchStatement,
            self.inner.fetch_statement(accounting_date),
        )
    }

    fn query_transactions<'a>(
        &'a self,
        date: &'a str,
        start_hour: u8,
        end_hour: u8,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>> {
        self.time(
            BankCall::QueryTransactions,
            self.inner.query_transactions(date, start_hour, end_hour),
        )
    }

    fn parse_statement(
        &self,
        file: &mut dyn std::io::Read,
        gzip: bool,
        sink: &mut dyn StatementSink,
    ) -> Result<StatementSummary, StatementError> {
        self.inner.parse_statement(file, gzip, sink)
    }

    fn mandates(&self) -> Option<&dyn MandateChannel> {
        self.inner.mandates()
    }

    fn kcode(&self) -> Option<&dyn KcodeChannel> {
        self.inner.kcode()
    }

    fn identity(&self) -> Option<&dyn IdentityChannel> {
        self.inner.identity()
    }
}
