#![allow(clippy::unwrap_used, clippy::expect_used)]

mod refund_tests;

use super::*;
use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
use crate::wire::{build_notification, cut_answer, cut_notification, cut_request};

const MERCHANT_CER: &[u8] = include_bytes!("../../tests/vectors/merchant.cer");
const PLATFORM_CER: &[u8] = include_bytes!("../../tests/vectors/stub-platform.cer");
const PAY_REQ: &[u8] = include_bytes!("../../tests/vectors/pay.raw-socket.req.raw");
const QUERY_REQ: &[u8] = include_bytes!("../../tests/vectors/query.raw-socket.req.raw");
const REFUND_REQ: &[u8] = include_bytes!("../../tests/vectors/refund.raw-socket.req.raw");
const PAY_RESP: &[u8] = include_bytes!("../../tests/vectors/pay.resp.accepted.raw");
const QUERY_RESP: &[u8] = include_bytes!("../../tests/vectors/query.resp.accepted.raw");
const REFUND_RESP: &[u8] = include_bytes!("../../tests/vectors/refund.resp.accepted.raw");
const NOTIFY: &str = include_str!("../../tests/vectors/notify.accepted.b64");
const MID: &str = "103881234560010";

fn http_body(raw: &[u8]) -> &[u8] {
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &raw[at + 4..]
}

fn s(text: &str) -> String {
    text.to_string()
}

#[test]
fn pay_request_rebuilds_the_captured_bytes() {
    let trx = PayRequest {
        trx_type: s("PayReq"),
        payment_type: s("A"),
        payment_link_type: s("1"),
        notify_type: s("0"),
        result_notify_url: s("http://127.0.0.1:8080/merchant/MerchantResult.jsp"),
        is_break_account: s("0"),
        order: PayOrder {
            pay_type_id: s(PAY_TYPE_IMMEDIATE),
            order_date: s("2026/11/27"),
            order_time: s("09:47:44"),
            order_no: s("ST20261127094744r"),
            currency_code: s(CURRENCY_CNY),
            order_amount: s("2.00"),
            order_desc: s("测试订单"),
            receiver_address: s("北京"),
            installment_mark: s("0"),
            commodity_type: s("0201"),
            expired_date: s("30"),
            order_items: vec![OrderItem {
                sub_mer_name: s("测试二级商户1"),
                sub_mer_id: s("12345"),
                sub_mer_mcc: s("0000"),
                sub_merchant_remarks: s("测试"),
                product_id: s("IP000001"),
                product_name: s("中国移动IP卡"),
                unit_price: s("1.00"),
                qty: s("1"),
                product_remarks: s("测试商品"),
                product_type: s("充值类"),
                product_discount: s("0.9"),
                product_expired_date: s("10"),
            }],
            ..PayOrder::default()
        },
        ..PayRequest::default()
    };
    let json = RequestMessage::new(MID, trx.clone()).to_json().unwrap();
    let signed = cut_request(http_body(PAY_REQ)).unwrap();
    assert_eq!(json.as_bytes(), signed.message);
    signed
        .verify(&Certificate::from_der_or_pem(MERCHANT_CER).unwrap())
        .unwrap();
    // And the platform side reads it back.
    let read: RequestMessage<PayRequest> = RequestMessage::read(signed.message).unwrap();
    assert_eq!(read.trx_request, trx);
    assert_eq!(
        read_request_header(signed.message).unwrap(),
        (s(MID), s("PayReq"))
    );
}

#[test]
fn query_request_rebuilds_the_captured_bytes() {
    let json = RequestMessage::new(
        MID,
        QueryRequest::new(PAY_TYPE_IMMEDIATE, "ON20261127A001", false),
    )
    .to_json()
    .unwrap();
    let signed = cut_request(http_body(QUERY_REQ)).unwrap();
    assert_eq!(json.as_bytes(), signed.message);
    signed
        .verify(&Certificate::from_der_or_pem(MERCHANT_CER).unwrap())
        .unwrap();
}

#[test]
fn refund_request_is_the_captured_shape_made_well_formed() {
    let trx = RefundRequest {
        trx_type: s("Refund"),
        order_date: s("2026/11/27"),
        order_time: s("09:44:09"),
        order_no: s("ON20261127A001"),
        new_order_no: s("RF20261127094409250"),
        currency_code: s(CURRENCY_CNY),
        trx_amount: s("1.00"),
        refund_type: s("0"),
        merchant_remarks: s("退款测试"),
        ..RefundRequest::default()
    };
    let json = RequestMessage::new(MID, trx.clone()).to_json().unwrap();
    let signed = cut_request(http_body(REFUND_REQ)).unwrap();
    let captured = std::str::from_utf8(signed.message).unwrap();
    // The real client writes `,}}}`: one comma and one brace too many.
    assert_eq!(json, captured.replace("\",}}}", "\"}}"));
    let read: RequestMessage<RefundRequest> = RequestMessage::read(signed.message).unwrap();
    assert_eq!(read.trx_request, trx);
}

fn platform() -> Certificate {
    Certificate::from_der_or_pem(PLATFORM_CER).unwrap()
}

#[test]
fn pay_answer_reads_and_rebuilds() {
    let signed = cut_answer(http_body(PAY_RESP)).unwrap();
    signed.verify(&platform()).unwrap();
    let answer: ResponseMessage<PayResponse> = ResponseMessage::read(&signed.message).unwrap();
    let r = &answer.trx_response;
    assert_eq!(r.return_code, RETURN_CODE_SUCCESS);
    assert_eq!(r.error_message, "交易成功");
    assert_eq!(r.merchant_id, MID);
    assert_eq!(r.order_no, "ST20261127094744r");
    assert_eq!(r.order_amount, "2.00");
    assert!(
        r.payment_url
            .starts_with("https://pay.test.abchina.com/ebus/PaymentModeNewAct.ebf?TOKEN=")
    );
    assert_eq!(
        ResponseMessage::new(MID, r.clone()).to_json().unwrap(),
        signed.message
    );
}

#[test]
fn query_answer_reads_its_order_detail_and_rebuilds() {
    let signed = cut_answer(http_body(QUERY_RESP)).unwrap();
    signed.verify(&platform()).unwrap();
    let answer: ResponseMessage<QueryResponse> = ResponseMessage::read(&signed.message).unwrap();
    let order = answer.trx_response.order_detail().unwrap();
    assert_eq!(order.order_no, "ON20261127A001");
    assert_eq!(order.order_amount, "2.00");
    assert_eq!(
        OrderStatus::parse(&order.status),
        Some(OrderStatus::Success)
    );
    assert_eq!(order.i_rsp_ref, "SIM094820");
    assert_eq!(
        (order.order_date.as_str(), order.order_time.as_str()),
        ("2026/11/27", "09:48:20")
    );
    let rebuilt = QueryResponse::success(MID, "交易成功", &order).unwrap();
    assert_eq!(rebuilt, answer.trx_response);
    assert_eq!(
        ResponseMessage::new(MID, rebuilt).to_json().unwrap(),
        signed.message
    );
    let broken = QueryResponse {
        order: s("!!"),
        ..QueryResponse::default()
    };
    assert!(broken.order_detail().is_err());
    assert!(QueryResponse::default().order_detail().is_err());
}

#[test]
fn refund_answer_reads_and_rebuilds() {
    let signed = cut_answer(http_body(REFUND_RESP)).unwrap();
    signed.verify(&platform()).unwrap();
    let answer: ResponseMessage<RefundResponse> = ResponseMessage::read(&signed.message).unwrap();
    let r = &answer.trx_response;
    assert_eq!(
        (r.new_order_no.as_str(), r.trx_amount.as_str()),
        ("RF20261127094409250", "1.00")
    );
    assert_eq!(r.i_rsp_ref, "SIMR094409");
    assert_eq!(
        ResponseMessage::new(MID, r.clone()).to_json().unwrap(),
        signed.message
    );
}

#[test]
fn an_error_answer_reads_with_empty_fields() {
    let m = ResponseMessage::new(
        MID,
        ErrorResponse {
            return_code: s(RETURN_CODE_NO_SUCH_ORDER),
            error_message: s("订单不存在"),
        },
    )
    .to_json()
    .unwrap();
    let read: ResponseMessage<QueryResponse> = ResponseMessage::read(&m).unwrap();
    assert_eq!(read.trx_response.return_code, "2308");
    assert_eq!(read.trx_response.order, "");
}

fn vector_notification() -> PayResultNotification {
    PayResultNotification {
        return_code: s("0000"),
        error_message: s("交易成功"),
        merchant_id: s(MID),
        order_no: s("ON20261127A001"),
        amount: s("2.00"),
        batch_no: s("000001"),
        voucher_no: s("654321"),
        host_date: s("2026/11/27"),
        host_time: s("09:45:38"),
        merchant_remarks: s(""),
        pay_type: s("EP001"),
        notify_type: s("0"),
        i_rsp_ref: s("A8C3F0E1B2D4"),
    }
}

#[test]
fn notification_rebuilds_the_captured_message_and_reads() {
    let signed = cut_notification(NOTIFY).unwrap();
    signed.verify(&platform()).unwrap();
    assert_eq!(vector_notification().to_xml(), signed.message);
    let fields = NotificationFields::from_xml(&signed.message).unwrap();
    assert_eq!(fields.merchant_id, MID);
    assert_eq!(fields.trx_type, "PayResult");
    assert_eq!(fields.order_no, "ON20261127A001");
    assert_eq!(fields.amount.fen(), 200);
    assert_eq!(fields.return_code, "0000");
    assert_eq!(fields.error_message, "交易成功");
    assert_eq!(
        (fields.host_date.as_str(), fields.host_time.as_str()),
        ("2026/11/27", "09:45:38")
    );
    assert_eq!(
        (fields.pay_type.as_str(), fields.notify_type.as_str()),
        ("EP001", "0")
    );
    assert_eq!(fields.i_rsp_ref, "A8C3F0E1B2D4");
    assert_eq!(
        (fields.batch_no.as_str(), fields.voucher_no.as_str()),
        ("000001", "654321")
    );
}

/// Proves notification values are written as they are and read as the bank's own client reads
/// them: from `<Tag>` to the next `</Tag>`, nothing unescaped, so a value that holds its own
/// closing tag is cut there, and a tag inside a later value does not replace an earlier field.
#[test]
fn notification_values_are_written_and_read_as_they_are() {
    let key = PrivateKey::generate(1024).unwrap();
    let cert = key.self_signed_certificate("bank", 1).unwrap();
    let mut n = vector_notification();
    n.merchant_remarks = s("a<b>&c</MerchantRemarks><Amount>9.99</Amount>");
    n.error_message = s("R&D &lt;");
    let xml = n.to_xml();
    assert!(xml.contains(
        "<MerchantRemarks>a<b>&c</MerchantRemarks><Amount>9.99</Amount></MerchantRemarks>"
    ));
    assert!(xml.contains("<ErrorMessage>R&D &lt;</ErrorMessage>"));
    let signed = cut_notification(&build_notification(
        &xml,
        &key,
        SignatureAlgorithm::Sha1WithRsa,
    ))
    .unwrap();
    signed.verify(&cert).unwrap();
    let fields = NotificationFields::from_xml(&signed.message).unwrap();
    assert_eq!(fields.merchant_remarks, "a<b>&c");
    assert_eq!(fields.error_message, "R&D &lt;");
    assert_eq!(fields.amount.fen(), 200);
    let mut plain = vector_notification();
    plain.merchant_remarks = s("a<b>&c");
    let read = NotificationFields::from_xml(&plain.to_xml()).unwrap();
    assert_eq!(read.merchant_remarks, plain.merchant_remarks);
}

#[test]
fn notification_reader_requires_the_key_fields() {
    let mut n = vector_notification();
    n.amount = s("2.001");
    assert!(NotificationFields::from_xml(&n.to_xml()).is_err());
    let mut n = vector_notification();
    n.order_no = s("");
    assert!(NotificationFields::from_xml(&n.to_xml()).is_err());
    assert!(NotificationFields::from_xml("<html/>").is_err());
}

#[test]
fn order_status_codes_round_trip() {
    for code in ["00", "01", "02", "03", "04", "05", "07", "99"] {
        assert_eq!(OrderStatus::parse(code).unwrap().code(), code);
    }
    assert_eq!(OrderStatus::parse("06"), None);
    assert!(OrderStatus::Refunded.money_taken());
    assert!(!OrderStatus::Unpaid.money_taken());
}

/// Proves the Settle request is written with its keys in order, every value a string.
#[test]
fn settle_request_serializes_in_order() {
    let json = RequestMessage::new(MID, SettleRequest::new("2026/11/27", true))
        .to_json()
        .unwrap();
    assert_eq!(
        json,
        r#"{"Version":"V3.0.0","Format":"JSON","Merchant":{"ECMerchantType":"EBUS","MerchantID":"103881234560010"},"TrxRequest":{"TrxType":"Settle","SettleDate":"2026/11/27","ZIP":"1"}}"#
    );
    let plain = SettleRequest::new("2026/11/27", false);
    assert_eq!(plain.zip, ZIP_PLAIN);
    let back: RequestMessage<SettleRequest> = RequestMessage::read(json.as_bytes()).unwrap();
    assert_eq!(back.trx_request, SettleRequest::new("2026/11/27", true));
}

/// Proves the QueryTrnxRecords request is written with its keys in order.
#[test]
fn trnx_records_request_serializes_in_order() {
    let json = RequestMessage::new(MID, TrnxRecordsRequest::new("2026/11/27", 0, 23, true))
        .to_json()
        .unwrap();
    assert!(
        json.ends_with(r#""TrxRequest":{"TrxType":"QueryTrnxRecords","SettleDate":"2026/11/27","SettleStartHour":"0","SettleEndHour":"23","ZIP":"1"}}"#),
        "{json}"
    );
}

/// Proves the statement answers' totals read exactly, empty ones as zero, a refund sum's
/// sign as a direction, and bad ones as errors naming the field.
#[test]
fn statement_answers_declare_exact_totals() {
    let mut r = SettleResponse {
        num_of_payments: s("3"),
        sum_of_pay_amount: s("100000000.01"),
        num_of_refunds: s("1"),
        sum_of_refund_amount: s("-0.3"),
        ..SettleResponse::default()
    };
    assert_eq!(
        r.declared_totals().unwrap(),
        unipay_core::statement::StatementTotals {
            payments: 3,
            payments_fen: 10_000_000_001,
            refunds: 1,
            refunds_fen: 30
        }
    );
    assert_eq!(
        TrnxRecordsResponse::default().declared_totals().unwrap(),
        Default::default()
    );
    r.num_of_payments = s("-3");
    assert!(matches!(
        r.declared_totals(),
        Err(MessageError::BadField {
            field: "NumOfPayments",
            ..
        })
    ));
    r.num_of_payments = s("3");
    r.sum_of_pay_amount = s("1.234");
    assert!(matches!(
        r.declared_totals(),
        Err(MessageError::BadField {
            field: "SumOfPayAmount",
            ..
        })
    ));
}

/// Proves the file's values are cut out of M by position, even behind GBK characters whose
/// second byte is `\` (which a byte-wise JSON scan would take for an escape), and that what
/// is left reads as the answer.
#[test]
fn statement_records_are_carved_out_of_the_message() {
    let (slash, _, _) = encoding_rs::GBK.encode("乗");
    assert_eq!(slash[1], b'\\');
    let response = SettleResponse {
        return_code: s("0000"),
        error_message: s("乗"),
        merchant_id: s(MID),
        trx_type: s("Settle"),
        detail_records: s("a|b^^c|d"),
        zip_detail_records: s("H4sIAAAA"),
        ..SettleResponse::default()
    };
    let json = ResponseMessage::new(MID, response).to_json().unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode(&json);
    let carved = carve_records(&gbk).unwrap();
    assert_eq!(&gbk[carved.detail_records.clone().unwrap()], b"a|b^^c|d");
    assert_eq!(
        &gbk[carved.zip_detail_records.clone().unwrap()],
        b"H4sIAAAA"
    );
    let (head, _, _) = encoding_rs::GBK.decode(&carved.head);
    assert!(
        head.contains(r#""DetailRecords":"","ZIPDetailRecords":"""#),
        "{head}"
    );
    let read: ResponseMessage<SettleResponse> = ResponseMessage::read(&head).unwrap();
    assert_eq!(read.trx_response.error_message, "乗");
    assert_eq!(read.trx_response.return_code, "0000");

    // An error answer has no records; a message cut short is unreadable.
    let carved = carve_records(br#"{"TrxResponse":{"ReturnCode":"2001"}}"#).unwrap();
    assert_eq!(
        (carved.detail_records, carved.zip_detail_records),
        (None, None)
    );
    assert!(carve_records(br#"{"DetailRecords":"abc"#).is_err());
    assert!(carve_records(br#"{"DetailRecords":"a","DetailRecords":"b"}"#).is_err());
}
