//! What the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer) run, one function per target, and
//! the tests that replay their corpora on stable with `cargo test`: both call the same
//! functions, so an input that once found a fault stays checked in CI.
//!
//! Each function takes any bytes and must return: no panic, no hang, whatever the bank (or
//! anyone posing as it) sends. The results are dropped; only getting them matters.

use crate::channel::{AbcAccount, accounting_date, identity, mandates, notify, parse_beijing};
use crate::crypto::{Certificate, PrivateKey};
use crate::messages::{
    OrderStatus, PayResponse, QueryBatchRefundResponse, QueryResponse, RefundQueryOrder,
    RefundResponse, ResponseMessage, SettleResponse, StatementResponse, TrnxRecordsResponse,
    carve_records,
};
use crate::statement::{CHUNK_BYTES, check_declared, parse_chunked};
use crate::wire::{MAX_BATCH_ANSWER_BYTES, cut_answer, cut_large_answer};
use base64::Engine;
use std::sync::OnceLock;
use unipay_core::Amount;
use unipay_core::statement::{StatementLine, StatementSink, StatementTotals, UnreadableLine};

/// A fixed throwaway key pair (see `tests/fixtures/README.md`) standing in for the bank: the
/// account's certificate. A fuzzed signature never verifies against it; checking one still
/// runs the RSA code on whatever bytes the signature holds.
/// The server's fuzz targets build their channel from the same pair.
pub const KEY_PEM: &str = include_str!("../tests/fixtures/legacy.key.pem");
pub const CERT_PEM: &str = include_str!("../tests/fixtures/legacy.cert.pem");
pub const MERCHANT_ID: &str = "103881234560010";
/// "Now" for results without a time of their own: 2026-11-27 09:47:44 in Beijing.
const NOW_MS: i64 = 1_795_744_064_000;

fn account() -> &'static AbcAccount {
    static ACCOUNT: OnceLock<AbcAccount> = OnceLock::new();
    ACCOUNT.get_or_init(|| {
        // The fixture is compiled in, not outside input: failing to read it is a broken build.
        #[allow(clippy::expect_used)]
        let key = PrivateKey::from_pem(KEY_PEM).expect("fixture key");
        #[allow(clippy::expect_used)]
        let certificate =
            Certificate::from_der_or_pem(CERT_PEM.as_bytes()).expect("fixture certificate");
        AbcAccount::new(MERCHANT_ID, key, certificate, "http://127.0.0.1:9/trx")
    })
}

/// Target `abc_answer`: an answer body as the bank sends it back (GBK JSON in the signed
/// envelope), cut and checked against the certificate, then M read into the typed answers of
/// a few TrxTypes, as each channel call does once the signature verified. A body that is no
/// envelope is read as M itself, so the fuzzer reaches the readers without building one.
pub fn answer(data: &[u8]) {
    let cert = &account().bank_certificate;
    match cut_answer(data) {
        Ok(signed) => {
            let _ = signed.verify(cert);
            read_answer_message(&signed.message);
        }
        Err(_) => {
            if let Some(text) = gbk(data) {
                read_answer_message(&text);
            }
        }
    }
    // Statement and batch answers are cut without copying, up to their own size.
    if let Ok(large) = cut_large_answer(data, MAX_BATCH_ANSWER_BYTES) {
        let _ = large.verify(cert);
        read_statement_answer(large.message_gbk);
    } else {
        read_statement_answer(data);
    }
}

fn gbk(bytes: &[u8]) -> Option<String> {
    encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
}

fn read_answer_message(message: &str) {
    if let Ok(query) = ResponseMessage::<QueryResponse>::read(message) {
        let r = &query.trx_response;
        if let Ok(order) = r.order_detail() {
            let _ = OrderStatus::parse(order.status.trim());
            let _ = Amount::parse_yuan(order.order_amount.trim());
            if let (Some(date), Some(time)) = (&order.host_date, &order.host_time) {
                times(date, time);
            }
            times(&order.order_date, &order.order_time);
        }
        let _ = r.order_detail_as::<RefundQueryOrder>();
    }
    if let Ok(refund) = ResponseMessage::<RefundResponse>::read(message) {
        let r = &refund.trx_response;
        let _ = Amount::parse_yuan(r.trx_amount.trim());
        times(&r.host_date, &r.host_time);
    }
    let _ = ResponseMessage::<PayResponse>::read(message);
    if let Ok(batch) =
        ResponseMessage::<QueryBatchRefundResponse>::read_large(message, MAX_BATCH_ANSWER_BYTES)
    {
        for line in &batch.trx_response.lines {
            let _ = Amount::parse_yuan(line.refund_amount_cell.trim());
        }
    }
}

/// HostDate/HostTime as the channel reads them, and the accounting date they make at the
/// usual cut-over and at none.
fn times(date: &str, time: &str) {
    if let Some(ms) = parse_beijing(date, time) {
        let _ = accounting_date(ms, 23);
        let _ = accounting_date(ms, 24);
    }
}

/// A Settle or QueryTrnxRecords answer's M: the file carved out by position, the rest read.
fn read_statement_answer(message_gbk: &[u8]) {
    let Ok(carved) = carve_records(message_gbk) else {
        return;
    };
    let Some(head) = gbk(&carved.head) else {
        return;
    };
    if let Ok(settle) = ResponseMessage::<SettleResponse>::read(&head) {
        let _ = settle.trx_response.settle_date();
        let _ = settle.trx_response.declared_totals();
    }
    if let Ok(records) = ResponseMessage::<TrnxRecordsResponse>::read(&head) {
        let _ = records.trx_response.declared_totals();
    }
}

/// Target `abc_notification`: a result notification as the bank callbacks receive it (the
/// form with `MSG`: base64 → GBK → the XML envelope → the signature), then what each kind of
/// result (payment, mandate signing, identity) reads from a message that verified. A body
/// starting with `<` is taken as the decoded envelope and sent through the form as the bank
/// would, so that the fuzzer mutates the XML rather than its base64.
pub fn notification(data: &[u8]) {
    let body = notification_body(data);
    let account = account();
    // `notify::read` and its siblings run these steps; the signature check stops a fuzzed
    // message, so the readers after it are called as if it had passed.
    let Ok((signed, msg)) = notify::cut_form(&body) else {
        return;
    };
    let _ = signed.verify(&account.bank_certificate);
    let _ = notify::read_verified(account, &signed, &msg);
    let _ = mandates::sign_result_verified(account, &signed, &msg, NOW_MS);
    let _ = identity::result_verified(account, "IDV1", &signed, &msg);
}

/// The form body a notification target reads: `data` itself, or when it starts with `<` (a
/// decoded envelope) that envelope in base64 as `MSG`, as the bank sends it.
pub fn notification_body(data: &[u8]) -> Vec<u8> {
    if data.first() == Some(&b'<') {
        let msg = base64::engine::general_purpose::STANDARD.encode(data);
        form_urlencoded::Serializer::new(String::new())
            .append_pair("MSG", &msg)
            .finish()
            .into_bytes()
    } else {
        data.to_vec()
    }
}

/// Target `abc_statement`: a statement file, plain or gzip, through the streaming parser. The
/// first byte chooses gzip (its low bit) and the read buffer (the rest: 0 is the real size,
/// else that many bytes, so that records straddle reads); the rest is the file.
pub fn statement(data: &[u8]) {
    let Some((&first, mut file)) = data.split_first() else {
        return;
    };
    let gzip = first & 1 == 1;
    let chunk = match first >> 1 {
        0 => CHUNK_BYTES,
        n => usize::from(n),
    };
    let mut sink = Tally::default();
    if let Ok(summary) = parse_chunked(&mut file, gzip, &mut sink, chunk) {
        // The totals' text names the sums read, however large.
        if let Err(mismatch) = check_declared(&summary, &StatementTotals::default()) {
            let _ = mismatch.to_string();
        }
    }
}

/// Counts what the parser hands on, touching every field of every line.
#[derive(Default)]
struct Tally {
    lines: u64,
    bytes: usize,
    unreadable: u64,
}

impl StatementSink for Tally {
    fn line(&mut self, line: &StatementLine<'_>) {
        self.lines += 1;
        self.bytes = self.bytes.wrapping_add(format!("{line:?}").len());
    }

    fn unreadable(&mut self, line: UnreadableLine) {
        self.unreadable += 1;
        self.bytes = self.bytes.wrapping_add(line.text.len() + line.reason.len());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::path::PathBuf;
    use std::time::Instant;

    /// Feeds every file of `fuzz/corpus/<target>` to `run`. A missing or empty corpus fails:
    /// the replay is CI's only run of the fuzzers' findings.
    pub(crate) fn replay(target: &str, run: fn(&[u8])) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(target);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {} cannot be read: {e}", dir.display()));
        let started = Instant::now();
        let mut files = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                run(&std::fs::read(&path).unwrap());
                files += 1;
            }
        }
        assert!(files > 0, "corpus {} is empty", dir.display());
        eprintln!("{target}: {files} inputs in {:?}", started.elapsed());
    }

    #[test]
    fn answer_corpus_replays() {
        replay("abc_answer", super::answer);
    }

    #[test]
    fn notification_corpus_replays() {
        replay("abc_notification", super::notification);
    }

    #[test]
    fn statement_corpus_replays() {
        replay("abc_statement", super::statement);
    }
}
