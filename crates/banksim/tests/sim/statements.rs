//! Daily statements (Settle) and the transaction flow (QueryTrnxRecords): layout, totals, ZIP,
//! the accounting date's cut-over, fees, and the per-order statement faults.
//!
//! The simulator's clock is the real one, so a test never assumes today's date: it reads each
//! order's host and accounting dates back from `/sim/orders/…` and asks for those statements.

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Days, NaiveDate, NaiveTime, Timelike};
use flate2::read::GzDecoder;
use serde_json::{Value, json};
use std::io::Read;

const HEADER: &str = "商户号|交易类型|订单编号|交易时间|交易金额|商户账号|商户动账金额|客户账号|账户类型|商户回佣手续费|商户分期手续费|会计日期|主机流水号|9014流水号|原订单号";
const NOTIFY_URL: &str = "http://127.0.0.1:9/n";

fn request(trx_request: &str) -> String {
    format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{MERCHANT_ID}"}},"TrxRequest":{{{trx_request}}}}}"#
    )
}

fn settle_message(date: &str, zip: &str) -> String {
    request(&format!(
        r#""TrxType":"Settle","SettleDate":"{date}","SettleType":"TRX","ZIP":"{zip}""#
    ))
}

fn trnx_message(date: &str, start: &str, end: &str, zip: &str) -> String {
    request(&format!(
        r#""TrxType":"QueryTrnxRecords","SettleDate":"{date}","SettleStartHour":"{start}","SettleEndHour":"{end}","ZIP":"{zip}""#
    ))
}

pub fn protocol(date: NaiveDate) -> String {
    date.format("%Y/%m/%d").to_string()
}

fn next(date: NaiveDate) -> NaiveDate {
    date.checked_add_days(Days::new(1)).unwrap()
}

fn date_field(order: &Value, name: &str) -> NaiveDate {
    NaiveDate::parse_from_str(order[name].as_str().unwrap(), "%Y/%m/%d").unwrap()
}

fn accounting_date(order: &Value) -> NaiveDate {
    date_field(order, "accounting_date")
}

fn host_date(order: &Value) -> NaiveDate {
    date_field(order, "host_date")
}

fn host_hour(order: &Value) -> u32 {
    NaiveTime::parse_from_str(order["host_time"].as_str().unwrap(), "%H:%M:%S")
        .unwrap()
        .hour()
}

/// Registers an order and pays it without notifications; the order as the bank holds it.
async fn paid(sim: &Sim, order_no: &str, amount: &str) -> Value {
    assert_eq!(
        sim.pay_req(order_no, amount, "1", NOTIFY_URL).await.code(),
        "0000"
    );
    sim.pay(order_no, "success", "none").await
}

pub async fn settle(sim: &Sim, date: NaiveDate, zip: &str) -> Answer {
    let answer = sim.transact(&settle_message(&protocol(date), zip)).await;
    assert_eq!(answer.code(), "0000", "{}", answer.signed.message);
    answer
}

pub async fn trnx(sim: &Sim, date: NaiveDate, start: u32, end: u32, zip: &str) -> Answer {
    let message = trnx_message(&protocol(date), &start.to_string(), &end.to_string(), zip);
    let answer = sim.transact(&message).await;
    assert_eq!(answer.code(), "0000", "{}", answer.signed.message);
    answer
}

/// The statement text, from DetailRecords or decoded from ZIPDetailRecords (base64 → gunzip →
/// GBK); an answer carries exactly one of them.
pub fn statement_text(answer: &Answer) -> String {
    let response = &answer.value["TrxResponse"];
    match (
        response.get("DetailRecords"),
        response.get("ZIPDetailRecords"),
    ) {
        (Some(plain), None) => plain.as_str().unwrap().to_string(),
        (None, Some(zipped)) => {
            let gzip = STANDARD.decode(zipped.as_str().unwrap()).unwrap();
            let mut gbk = Vec::new();
            GzDecoder::new(&gzip[..]).read_to_end(&mut gbk).unwrap();
            let (text, _, errors) = encoding_rs::GBK.decode(&gbk);
            assert!(!errors, "the records are GBK");
            text.into_owned()
        }
        _ => panic!("exactly one of DetailRecords and ZIPDetailRecords: {response}"),
    }
}

/// The records after the header, each split into its fields.
pub fn lines(answer: &Answer) -> Vec<Vec<String>> {
    let text = statement_text(answer);
    let mut records = text.split("^^");
    assert_eq!(records.next(), Some(HEADER));
    records
        .map(|record| {
            let fields: Vec<String> = record.split('|').map(str::to_string).collect();
            assert_eq!(fields.len(), 15, "{record}");
            fields
        })
        .collect()
}

pub fn line_of(lines: &[Vec<String>], order_no: &str) -> Option<Vec<String>> {
    lines.iter().find(|fields| fields[2] == order_no).cloned()
}

fn fen(yuan: &str) -> Option<i64> {
    unipay_core::money::parse_yuan_to_fen(yuan).ok()
}

/// The answer's totals are those of the readable lines it holds.
fn assert_totals_match(answer: &Answer, lines: &[Vec<String>]) {
    let readable: Vec<i64> = lines.iter().filter_map(|fields| fen(&fields[4])).collect();
    assert_eq!(answer.field("NumOfPayments"), readable.len().to_string());
    assert_eq!(
        answer.field("SumOfPayAmount"),
        unipay_core::money::format_yuan(readable.iter().sum())
    );
    assert_eq!(answer.field("NumOfRefunds"), "0");
    assert_eq!(answer.field("SumOfRefundAmount"), "0.00");
}

#[tokio::test]
async fn settle_lists_the_merchants_paid_orders_with_exact_totals() {
    let sim = start_sim(vec![0]).await;
    let mut orders = Vec::new();
    for (order_no, amount) in [("ST1", "12.34"), ("ST2", "0.66"), ("ST3", "100.00")] {
        orders.push(paid(&sim, order_no, amount).await);
    }
    sim.pay_req("ST4", "5.00", "1", NOTIFY_URL).await;
    sim.pay("ST4", "decline", "none").await;
    sim.pay_req("ST5", "6.00", "1", NOTIFY_URL).await;
    // Another merchant's payment is never in this merchant's statement.
    let (_, certificate) = merchant_identity();
    sim.sim_post(
        "/sim/merchants",
        json!({ "merchant_id": "M2", "certificate_pem": certificate.to_pem() }),
    )
    .await;
    let other = pay_message("ST6", "7.00", "1", NOTIFY_URL).replace(MERCHANT_ID, "M2");
    assert_eq!(sim.transact(&other).await.code(), "0000");
    sim.pay("ST6", "success", "none").await;

    // Normally all on one accounting date; should the test straddle a cut-over, only those
    // booked on the first one's date belong to its statement.
    let date = accounting_date(&orders[0]);
    let expected: Vec<&Value> = orders
        .iter()
        .filter(|order| accounting_date(order) == date)
        .collect();
    let answer = settle(&sim, date, "0").await;
    assert_eq!(answer.field("ErrorMessage"), "");
    assert_eq!(answer.field("TrxType"), "Settle");
    assert_eq!(answer.field("SettleDate"), protocol(date));
    assert_eq!(answer.field("SettleType"), "TRX");
    assert_eq!(answer.field("NumOfPayments"), expected.len().to_string());
    let sum: i64 = expected
        .iter()
        .map(|o| o["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(
        answer.field("SumOfPayAmount"),
        unipay_core::money::format_yuan(sum)
    );
    assert_eq!(answer.field("NumOfRefunds"), "0");
    assert_eq!(answer.field("SumOfRefundAmount"), "0.00");
    assert!(
        answer.value["TrxResponse"]
            .get("ZIPDetailRecords")
            .is_none()
    );

    let lines = lines(&answer);
    assert_eq!(lines.len(), expected.len());
    for order in &expected {
        let order_no = order["order_no"].as_str().unwrap();
        let fields = line_of(&lines, order_no).unwrap();
        let bank_time = format!(
            "{}{}",
            order["host_date"].as_str().unwrap().replace('/', ""),
            order["host_time"].as_str().unwrap().replace(':', "")
        );
        assert_eq!(fields[0], MERCHANT_ID);
        assert_eq!(fields[1], "支付");
        assert_eq!(fields[3], bank_time);
        assert_eq!(fields[4], order["amount"].as_str().unwrap());
        assert_eq!(fields[5].len(), 19);
        assert!(fields[5].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(fields[6], fields[4], "no fee by default");
        assert!(fields[7].starts_with("622848******") && fields[7].len() == 16);
        assert_eq!(fields[8], "401");
        assert_eq!((fields[9].as_str(), fields[10].as_str()), ("0.00", "0.00"));
        assert_eq!(fields[11], date.format("%Y%m%d").to_string());
        assert_eq!(fields[12], order["i_rsp_ref"].as_str().unwrap());
        assert_eq!(fields[13], order["voucher_no"].as_str().unwrap());
        assert_eq!(fields[14], "");
    }
    // One merchant account for every line; lines sorted by bank time.
    assert!(lines.iter().all(|fields| fields[5] == lines[0][5]));
    assert!(lines.windows(2).all(|pair| pair[0][3] <= pair[1][3]));
    for absent in ["ST4", "ST5", "ST6"] {
        assert!(line_of(&lines, absent).is_none(), "{absent}");
    }
}

#[tokio::test]
async fn zip_1_is_the_same_text_as_gbk_gzip_base64() {
    let sim = start_sim(vec![0]).await;
    let order = paid(&sim, "Z1", "1.23").await;
    paid(&sim, "Z2", "45.60").await;
    let date = accounting_date(&order);
    let plain = settle(&sim, date, "0").await;
    let zipped = settle(&sim, date, "1").await;
    assert!(zipped.value["TrxResponse"].get("DetailRecords").is_none());
    let encoded = zipped.field("ZIPDetailRecords");
    assert!(!encoded.contains('\n') && encoded.len() % 4 == 0);
    assert_eq!(statement_text(&zipped), plain.field("DetailRecords"));
    for field in ["NumOfPayments", "SumOfPayAmount", "SettleDate", "TrxType"] {
        assert_eq!(zipped.field(field), plain.field(field), "{field}");
    }
    assert!(line_of(&lines(&zipped), "Z1").is_some());
}

#[tokio::test]
async fn a_day_without_lines_is_the_header_with_zero_totals() {
    let sim = start_sim(vec![0]).await;
    let date = NaiveDate::from_ymd_opt(2001, 1, 1).unwrap();
    for zip in ["0", "1"] {
        let answer = settle(&sim, date, zip).await;
        assert_eq!(statement_text(&answer), HEADER);
        assert_eq!(answer.field("NumOfPayments"), "0");
        assert_eq!(answer.field("SumOfPayAmount"), "0.00");
        assert_eq!(answer.field("NumOfRefunds"), "0");
        assert_eq!(answer.field("SumOfRefundAmount"), "0.00");
    }
}

#[tokio::test]
async fn a_payment_after_the_cutover_is_in_the_next_accounting_dates_statement() {
    // Cut-over at 00:00: every payment is made after it, whatever the time of the test.
    let sim = start_sim_with(|config| config.cutover_hour = 0).await;
    let order = paid(&sim, "CO1", "9.00").await;
    let host = host_date(&order);
    let booked = accounting_date(&order);
    assert_eq!(booked, next(host));

    assert!(line_of(&lines(&settle(&sim, host, "0").await), "CO1").is_none());
    let fields = line_of(&lines(&settle(&sim, booked, "0").await), "CO1").unwrap();
    assert_eq!(fields[11], booked.format("%Y%m%d").to_string());
    assert!(fields[3].starts_with(&host.format("%Y%m%d").to_string()));
    // The transaction flow goes by the host's calendar date instead.
    let flow = trnx(&sim, host, 0, 23, "0").await;
    assert!(line_of(&lines(&flow), "CO1").is_some());
    assert!(line_of(&lines(&trnx(&sim, booked, 0, 23, "0").await), "CO1").is_none());
}

#[tokio::test]
async fn fee_bps_takes_a_fee_rounded_half_up_to_the_fen() {
    let sim = start_sim_with(|config| config.fee_bps = 50).await;
    for (order_no, amount, fee, net) in [
        ("FB1", "1.00", "0.01", "0.99"),   // 0.5 fen
        ("FB2", "3.00", "0.02", "2.98"),   // 1.5 fen
        ("FB3", "12.34", "0.06", "12.28"), // 6.17 fen
    ] {
        let order = paid(&sim, order_no, amount).await;
        let answer = settle(&sim, accounting_date(&order), "0").await;
        let lines = lines(&answer);
        let fields = line_of(&lines, order_no).unwrap();
        assert_eq!(
            (fields[4].as_str(), fields[6].as_str(), fields[9].as_str()),
            (amount, net, fee),
            "{order_no}"
        );
        // Totals are gross.
        assert_totals_match(&answer, &lines);
    }
}

#[tokio::test]
async fn statement_faults_change_the_line_as_asked() {
    let sim = start_sim_with(|config| config.fee_bps = 100).await;
    let mut orders = Vec::new();
    for (order_no, amount, fault) in [
        ("FO", "1.00", json!({ "fault": "omit" })),
        ("FN", "2.00", json!({ "fault": "next_day" })),
        (
            "FA",
            "3.00",
            json!({ "fault": "amount", "amount_fen": 999 }),
        ),
        ("FF", "4.00", json!({ "fault": "fee", "fee_fen": 12 })),
        ("FC", "5.00", json!({ "fault": "corrupt" })),
        ("FK", "6.00", Value::Null),
    ] {
        let order = paid(&sim, order_no, amount).await;
        if !fault.is_null() {
            let (status, body) = sim
                .sim_post(&format!("/sim/orders/{order_no}/statement"), fault.clone())
                .await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["statement_fault"], fault);
        }
        orders.push((order_no, order));
    }
    for (order_no, order) in &orders {
        let booked = accounting_date(order);
        let own_answer = settle(&sim, booked, "0").await;
        let own = lines(&own_answer);
        assert_totals_match(&own_answer, &own);
        let next_answer = settle(&sim, next(booked), "0").await;
        let later = lines(&next_answer);
        assert_totals_match(&next_answer, &later);
        let flow = lines(&trnx(&sim, host_date(order), 0, 23, "0").await);
        let shown = line_of(&own, order_no);
        let field = |index: usize| shown.as_ref().unwrap()[index].clone();
        match *order_no {
            "FO" => {
                assert!(shown.is_none() && line_of(&later, order_no).is_none());
                assert!(line_of(&flow, order_no).is_none());
            }
            "FN" => {
                assert!(shown.is_none());
                let moved = line_of(&later, order_no).unwrap();
                assert_eq!(moved[11], next(booked).format("%Y%m%d").to_string());
                assert_eq!(moved[4], "2.00");
            }
            "FA" => {
                // The fee follows the amount the bank believes: 1 % of 9.99 is 9.99 fen.
                assert_eq!(
                    (field(4), field(6), field(9)),
                    ("9.99".into(), "9.89".into(), "0.10".into())
                );
            }
            "FF" => {
                assert_eq!(
                    (field(4), field(6), field(9)),
                    ("4.00".into(), "3.88".into(), "0.12".into())
                );
            }
            "FC" => {
                assert_eq!(field(4), "5.0x");
                assert!(fen(&field(4)).is_none());
            }
            _ => {
                assert_eq!(
                    (field(4), field(6), field(9)),
                    ("6.00".into(), "5.94".into(), "0.06".into())
                );
            }
        }
    }

    // Clearing a fault shows the order as it is again.
    let cleared = sim
        .http
        .delete(sim.url("/sim/orders/FO/statement"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    assert!(cleared.json::<Value>().await.unwrap()["statement_fault"].is_null());
    let booked = accounting_date(&orders[0].1);
    assert!(line_of(&lines(&settle(&sim, booked, "0").await), "FO").is_some());
}

#[tokio::test]
async fn statement_fault_api_errors() {
    let sim = start_sim(vec![0]).await;
    let (status, _) = sim
        .sim_post("/sim/orders/NOPE/statement", json!({ "fault": "omit" }))
        .await;
    assert_eq!(status, 404);
    let missing = sim
        .http
        .delete(sim.url("/sim/orders/NOPE/statement"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    paid(&sim, "FE1", "1.00").await;
    for body in [
        json!({ "fault": "late" }),
        json!({ "fault": "amount" }),
        json!({ "fault": "amount", "amount_fen": -1 }),
        json!({ "fault": "fee", "fee_fen": -5 }),
        json!({ "fault": "omit", "fee_fen": 5 }),
        json!({}),
    ] {
        let (status, error) = sim
            .sim_post("/sim/orders/FE1/statement", body.clone())
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(error["error"].is_string());
    }
    assert!(sim.order("FE1").await["statement_fault"].is_null());
}

#[tokio::test]
async fn query_trnx_records_selects_the_host_hours_asked() {
    let sim = start_sim(vec![0]).await;
    let order = paid(&sim, "TW1", "8.88").await;
    let (day, hour) = (host_date(&order), host_hour(&order));
    let answer = trnx(&sim, day, hour, hour, "0").await;
    assert_eq!(answer.field("TrxType"), "QueryTrnxRecords");
    assert_eq!(answer.field("SettleDate"), protocol(day));
    let within = lines(&answer);
    assert!(line_of(&within, "TW1").is_some());
    assert_totals_match(&answer, &within);
    if hour > 0 {
        assert!(line_of(&lines(&trnx(&sim, day, 0, hour - 1, "0").await), "TW1").is_none());
    }
    if hour < 23 {
        assert!(line_of(&lines(&trnx(&sim, day, hour + 1, 23, "0").await), "TW1").is_none());
    }
    let zipped = trnx(&sim, day, 0, 23, "1").await;
    assert_eq!(
        statement_text(&zipped),
        statement_text(&trnx(&sim, day, 0, 23, "0").await)
    );
}

#[tokio::test]
async fn bad_statement_fields_are_refused() {
    let sim = start_sim(vec![0]).await;
    let cases = [
        (settle_message("2026-11-27", "0"), "SettleDate"),
        (settle_message("2026/13/01", "0"), "SettleDate"),
        (settle_message("2026/1/2", "0"), "SettleDate"),
        (settle_message("2026/11/27", "2"), "ZIP"),
        (settle_message("2026/11/27", ""), "ZIP"),
        (request(r#""TrxType":"Settle","ZIP":"0""#), "SettleDate"),
        (
            request(r#""TrxType":"Settle","SettleDate":"2026/11/27""#),
            "ZIP",
        ),
        (
            trnx_message("2026/11/27", "24", "23", "0"),
            "SettleStartHour",
        ),
        (
            trnx_message("2026/11/27", "-1", "3", "0"),
            "SettleStartHour",
        ),
        (trnx_message("2026/11/27", "0", "x", "0"), "SettleEndHour"),
        (trnx_message("2026/11/27", "5", "3", "0"), "SettleEndHour"),
        (trnx_message("2026/11/27", "0", "23", "9"), "ZIP"),
        (trnx_message("27/11/2026", "0", "23", "0"), "SettleDate"),
    ];
    for (message, field) in cases {
        let answer = sim.transact(&message).await;
        assert_eq!(answer.code(), "2101", "{message}");
        assert_eq!(answer.field("ErrorMessage"), format!("字段错误({field})"));
    }
}

#[tokio::test]
async fn a_success_the_merchant_never_heard_of_is_in_the_statement() {
    let sim = start_sim(vec![0]).await;
    let until = chrono::Utc::now().timestamp_millis() + 60_000;
    let (status, _) = sim
        .sim_post(
            "/sim/faults",
            json!({ "notify": "drop", "query_unknown_until_ms": until }),
        )
        .await;
    assert_eq!(status, 200);
    let receiver = start_receiver(0).await;
    sim.pay_req("NH1", "3.21", "1", &receiver.url).await;
    let order = sim.pay("NH1", "success", "server").await;
    assert_eq!(sim.query("NH1").await.code(), "EUNKWN");
    assert_eq!(receiver.count(), 0);
    let fields = line_of(
        &lines(&settle(&sim, accounting_date(&order), "0").await),
        "NH1",
    )
    .unwrap();
    assert_eq!(fields[4], "3.21");
}
