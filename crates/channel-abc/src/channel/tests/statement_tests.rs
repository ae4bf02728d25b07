//! Statement downloads: Settle and QueryTrnxRecords answers into statement files, directly
//! and over HTTP against a scripted server.

use super::http_tests::{Script, channel, serve};
use super::*;
use crate::messages::{
    RequestMessage, SettleRequest, SettleResponse, TrnxRecordsRequest, TrnxRecordsResponse,
};
use base64::Engine;
use sha2::{Digest, Sha256};
use unipay_core::statement::{CollectedStatement, StatementTotals};

const HEADER: &str = "商户号|交易类型|订单编号|交易时间|交易金额|会计日期|主机流水号|原订单号";

/// A statement of one payment of 2.00 and one refund of 0.50, then `more` payments of 1.00.
fn file_text(more: usize) -> String {
    let mut text = format!(
        "{HEADER}^^{MID}|支付|ON1|20261127094820|2.00|20261127|R1|^^{MID}|退款|RF1|20261127100000|-0.50|20261127|R2|ON1"
    );
    for i in 0..more {
        text.push_str(&format!(
            "^^{MID}|消费|ON{i:020}|20261127120000|1.00|20261127|S{i}|"
        ));
    }
    text
}

fn declared(more: usize) -> StatementTotals {
    StatementTotals {
        payments: 1 + more as u64,
        payments_fen: 200 + 100 * more as i64,
        refunds: 1,
        refunds_fen: 50,
    }
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A successful Settle answer for 2026/11/27 declaring `more` extra payments.
fn settle_response(more: usize) -> SettleResponse {
    SettleResponse {
        return_code: "0000".to_string(),
        error_message: "交易成功".to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "Settle".to_string(),
        settle_date: "2026/11/27".to_string(),
        num_of_payments: (1 + more).to_string(),
        sum_of_pay_amount: unipay_core::money::format_yuan(200 + 100 * more as i64),
        num_of_refunds: "1".to_string(),
        sum_of_refund_amount: "-0.50".to_string(),
        ..SettleResponse::default()
    }
}

fn signed_answer<T: serde::Serialize>(response: T, key: &PrivateKey) -> Vec<u8> {
    let json = ResponseMessage::new(MID, response).to_json().unwrap();
    build_answer(&json, key, SignatureAlgorithm::Sha256WithRsa)
}

fn zip_answer(gz: &[u8]) -> Vec<u8> {
    let response = SettleResponse {
        zip_detail_records: base64::engine::general_purpose::STANDARD.encode(gz),
        ..settle_response(0)
    };
    signed_answer(response, &bank().0)
}

fn parse(channel: &AbcChannel, file: &StatementFile) -> (StatementSummary, CollectedStatement) {
    let mut sink = CollectedStatement::default();
    let summary = channel
        .parse_statement(&mut &file.bytes[..], file.gzip, &mut sink)
        .unwrap();
    (summary, sink)
}

/// Proves a gzip statement answer gives the gzip bytes untouched with their hash, the
/// declared totals, and an answer record that hashes every byte but leaves the file out.
#[test]
fn a_settle_answer_gives_the_gzip_file_untouched() {
    let gz = gzip(&gbk(&file_text(0)));
    let body = zip_answer(&gz);
    let account = account("http://127.0.0.1:9/");
    let file = statement::read_settle_answer(&account, "2026/11/27", body.clone()).unwrap();
    assert_eq!(file.bytes, gz);
    assert!(file.gzip);
    assert_eq!(file.sha256, sha256_hex(&gz));
    assert_eq!(file.declared, declared(0));
    assert_eq!(file.raw.sha256, sha256_hex(&body));
    let omitted = format!(
        r#""ZIPDetailRecords":"[omitted: {} bytes]""#,
        base64::engine::general_purpose::STANDARD.encode(&gz).len()
    );
    assert!(file.raw.masked.contains(&omitted), "{}", file.raw.masked);
    assert!(file.raw.masked.contains(r#""ErrorMessage":"交易成功""#));

    let channel = AbcChannel::new(account).unwrap();
    let (summary, lines) = parse(&channel, &file);
    assert_eq!(lines.lines.len(), 2);
    assert_eq!(lines.lines[1].original_order_no, "ON1");
    assert_eq!(
        crate::statement::check_declared(&summary, &file.declared),
        Ok(())
    );
}

/// Proves a plain statement (ZIP 0), larger than any ordinary answer may be, comes out as the
/// GBK text exactly as it stood in the answer.
#[test]
fn a_plain_answer_larger_than_the_ordinary_limit_is_read() {
    let text = gbk(&file_text(2_000));
    assert!(text.len() > crate::wire::MAX_MESSAGE_BYTES * 10);
    let response = SettleResponse {
        detail_records: file_text(2_000),
        ..settle_response(2_000)
    };
    let body = signed_answer(response, &bank().0);
    let account = account("http://127.0.0.1:9/");
    let file = statement::read_settle_answer(&account, "2026/11/27", body).unwrap();
    assert!(!file.gzip);
    assert_eq!(file.bytes, text);
    assert_eq!(file.sha256, sha256_hex(&text));
    assert!(!file.raw.masked.contains("ON00000000000000000001"));
    let (summary, lines) = parse(&AbcChannel::new(account).unwrap(), &file);
    assert_eq!(lines.lines.len(), 2_002);
    assert_eq!(summary.read, file.declared);
}

/// Proves a statement answer is believed only when it is ours, for the day asked, whole and
/// signed by the bank; refusals keep their meaning.
#[test]
fn statement_answers_are_checked_like_any_other() {
    let account = account("http://127.0.0.1:9/");
    let read = |body: Vec<u8>| statement::read_settle_answer(&account, "2026/11/27", body);
    let bad = |result: Result<StatementFile, ChannelError>, what: &str| {
        assert!(
            matches!(result, Err(ChannelError::BadAnswer(_))),
            "{what}: {result:?}"
        );
    };
    let gz = gzip(&gbk(&file_text(3)));

    let other_day = SettleResponse {
        settle_date: "2026/11/26".to_string(),
        ..settle_response(0)
    };
    bad(read(signed_answer(other_day, &bank().0)), "another day");

    let impostor = PrivateKey::generate(1024).unwrap();
    let response = SettleResponse {
        zip_detail_records: base64::engine::general_purpose::STANDARD.encode(&gz),
        ..settle_response(0)
    };
    bad(read(signed_answer(response, &impostor)), "impostor");

    // One byte of the file changed after signing.
    let mut tampered = zip_answer(&gz);
    let at = tampered.windows(4).position(|w| w == b"H4sI").unwrap() + 10;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    bad(read(tampered), "tampered file");

    let theirs = SettleResponse {
        merchant_id: "103880000000000".to_string(),
        ..settle_response(0)
    };
    bad(read(signed_answer(theirs, &bank().0)), "another merchant");

    let flow = TrnxRecordsResponse {
        return_code: "0000".to_string(),
        merchant_id: MID.to_string(),
        trx_type: "QueryTrnxRecords".to_string(),
        ..TrnxRecordsResponse::default()
    };
    bad(read(signed_answer(flow, &bank().0)), "another TrxType");

    let inexact = SettleResponse {
        sum_of_pay_amount: "2.001".to_string(),
        ..settle_response(0)
    };
    bad(read(signed_answer(inexact, &bank().0)), "inexact total");

    let not_base64 = SettleResponse {
        zip_detail_records: "not base64!".to_string(),
        ..settle_response(0)
    };
    bad(read(signed_answer(not_base64, &bank().0)), "not base64");
    bad(read(b"garbage".to_vec()), "garbage");

    assert_eq!(
        read(error_answer("2001", "无对账单")).unwrap_err(),
        ChannelError::Refused {
            code: "2001".to_string(),
            message: "无对账单".to_string()
        }
    );
    assert!(matches!(
        read(error_answer("EUNKWN", "未知")).unwrap_err(),
        ChannelError::Unknown(_)
    ));

    // A day without transactions: no file at all, zero totals.
    let empty = SettleResponse {
        num_of_payments: "0".to_string(),
        sum_of_pay_amount: "0.00".to_string(),
        num_of_refunds: "0".to_string(),
        sum_of_refund_amount: "0.00".to_string(),
        ..settle_response(0)
    };
    let file = read(signed_answer(empty, &bank().0)).unwrap();
    assert_eq!(
        (file.bytes.len(), file.declared),
        (0, StatementTotals::default())
    );
}

/// Proves fetch_statement posts a signed Settle for the date (gzip asked for) and returns the
/// file from a large answer, over HTTP.
#[tokio::test]
async fn fetch_statement_posts_settle_and_reads_the_file() {
    let plain = gbk(&file_text(5_000));
    let gz = gzip(&plain);
    let (url, server) = serve(Script::Answer(Box::new(move |body| {
        let signed = crate::wire::cut_request(body).unwrap();
        signed.verify(&merchant_cert()).unwrap();
        let request: RequestMessage<SettleRequest> = RequestMessage::read(signed.message).unwrap();
        assert_eq!(request.trx_request, SettleRequest::new("2026/11/27", true));
        let response = SettleResponse {
            zip_detail_records: base64::engine::general_purpose::STANDARD.encode(&gz),
            ..settle_response(5_000)
        };
        signed_answer(response, &bank().0)
    })))
    .await;
    let channel = channel(&url);
    let file = channel.fetch_statement("2026-11-27").await.unwrap();
    assert!(file.gzip);
    assert_eq!(file.declared, declared(5_000));
    let (summary, lines) = parse(&channel, &file);
    assert_eq!(lines.lines.len(), 5_002);
    assert_eq!(summary.read, file.declared);
    let (head, _) = server.await.unwrap();
    assert!(head.starts_with("POST /ebus/trustpay/ReceiveMerchantTrxReqServlet HTTP/1.1"));
}

/// Proves query_transactions posts a signed QueryTrnxRecords for the date and hours.
#[tokio::test]
async fn query_transactions_posts_the_hours() {
    let gz = gzip(&gbk(&file_text(0)));
    let expected = gz.clone();
    let (url, _server) = serve(Script::Answer(Box::new(move |body| {
        let signed = crate::wire::cut_request(body).unwrap();
        signed.verify(&merchant_cert()).unwrap();
        let request: RequestMessage<TrnxRecordsRequest> =
            RequestMessage::read(signed.message).unwrap();
        assert_eq!(
            request.trx_request,
            TrnxRecordsRequest::new("2026/11/27", 8, 12, true)
        );
        let response = TrnxRecordsResponse {
            return_code: "0000".to_string(),
            merchant_id: MID.to_string(),
            trx_type: "QueryTrnxRecords".to_string(),
            settle_date: "2026/11/27".to_string(),
            settle_start_hour: "8".to_string(),
            settle_end_hour: "12".to_string(),
            num_of_payments: "1".to_string(),
            sum_of_pay_amount: "2.00".to_string(),
            num_of_refunds: "1".to_string(),
            sum_of_refund_amount: "0.50".to_string(),
            zip_detail_records: base64::engine::general_purpose::STANDARD.encode(&gz),
            ..TrnxRecordsResponse::default()
        };
        signed_answer(response, &bank().0)
    })))
    .await;
    let file = channel(&url)
        .query_transactions("2026-11-27", 8, 12)
        .await
        .unwrap();
    assert_eq!(file.bytes, expected);
    assert_eq!(file.declared, declared(0));
}

/// Proves a statement request we could not make right is refused before anything is sent
/// (nothing listens at the URL: a sent request would be Unreachable).
#[tokio::test]
async fn unfit_statement_requests_are_never_sent() {
    let channel = channel("http://127.0.0.1:9/x");
    let unfit = |result: Result<StatementFile, ChannelError>| {
        assert!(
            matches!(result, Err(ChannelError::Refused { ref code, .. }) if code == "1100"),
            "{result:?}"
        );
    };
    for date in ["2026/11/27", "2026-13-01", "2026-2-1", "", "2026-11-27x"] {
        unfit(channel.fetch_statement(date).await);
    }
    unfit(channel.query_transactions("2026-11-27", 5, 3).await);
    unfit(channel.query_transactions("2026-11-27", 0, 24).await);
    unfit(channel.query_transactions("yesterday", 0, 1).await);
}
