//! BatchRefund, QueryBatchRefund, PreAuthCancelConfirm and a refund's Query detail: the
//! requests are written with their keys in order, and the answers read as the simulator
//! writes them.

use super::*;

const HEAD: &str = r#"{"Version":"V3.0.0","Format":"JSON","Merchant":{"ECMerchantType":"EBUS","MerchantID":"103881234560010"},"#;

#[test]
fn batch_refund_request_serializes_in_order() {
    let trx = BatchRefundRequest {
        trx_type: s("BatchRefund"),
        batch_no: s("B1"),
        batch_date: s("2026/11/27"),
        batch_time: s("09:47:44"),
        total_count: s("1"),
        total_amount: s("1.50"),
        order_data: vec![BatchRefundLine {
            seq_no: s("1"),
            order_no: s("ON1"),
            new_order_no: s("RF1"),
            currency_code: s(CURRENCY_CNY),
            refund_amount: s("1.50"),
            remark: s("退货"),
        }],
        ..BatchRefundRequest::default()
    };
    let json = RequestMessage::new(MID, trx.clone()).to_json().unwrap();
    assert_eq!(
        json,
        format!(
            "{HEAD}{}",
            r#""TrxRequest":{"TrxType":"BatchRefund","BatchNo":"B1","BatchDate":"2026/11/27","BatchTime":"09:47:44","MerRefundAccountNo":"","MerRefundAccountName":"","TotalCount":"1","TotalAmount":"1.50","OrderData":[{"SeqNo":"1","OrderNo":"ON1","NewOrderNo":"RF1","CurrencyCode":"156","RefundAmount":"1.50","Remark":"退货"}]}}"#
        )
    );
    let back: RequestMessage<BatchRefundRequest> = RequestMessage::read(json.as_bytes()).unwrap();
    assert_eq!(back.trx_request, trx);
}

#[test]
fn query_batch_refund_request_serializes_in_order() {
    let trx = QueryBatchRefundRequest {
        trx_type: s("QueryBatchRefund"),
        batch_date: s("2026/11/27"),
        batch_time: s("09:47:44"),
        serial_number: s("SN1"),
    };
    assert_eq!(
        RequestMessage::new(MID, trx).to_json().unwrap(),
        format!(
            "{HEAD}{}",
            r#""TrxRequest":{"TrxType":"QueryBatchRefund","BatchDate":"2026/11/27","BatchTime":"09:47:44","SerialNumber":"SN1"}}"#
        )
    );
}

#[test]
fn preauth_request_serializes_in_order() {
    let trx = PreAuthRequest {
        trx_type: s("PreAuthCancelConfirm"),
        order: PreAuthOrder {
            operate_type: s(OPERATE_CONFIRM),
            order_date: s("2026/11/27"),
            order_time: s("09:47:44"),
            order_no: s("PC1"),
            original_order_no: s("ON1"),
            currency_code: s(CURRENCY_CNY),
            order_amount: s("10.00"),
            ..PreAuthOrder::default()
        },
    };
    assert_eq!(
        RequestMessage::new(MID, trx).to_json().unwrap(),
        format!(
            "{HEAD}{}",
            r#""TrxRequest":{"TrxType":"PreAuthCancelConfirm","Order":{"OperateType":"Confirm","OrderDate":"2026/11/27","OrderTime":"09:47:44","OrderNo":"PC1","OriginalOrderNo":"ON1","CurrencyCode":"156","OrderAmount":"10.00","Fee":"","MerchantRemarks":""}}}"#
        )
    );
}

#[test]
fn batch_answers_read_as_the_simulator_writes_them() {
    let accepted = format!(
        "{HEAD}{}",
        r#""TrxResponse":{"ReturnCode":"0000","ErrorMessage":"交易成功","ECMerchantType":"EBUS","MerchantID":"103881234560010","TrxType":"BatchRefund","BatchNo":"B1","BatchDate":"2026/11/27","BatchTime":"09:47:44","TotalCount":"1","TotalAmount":"1.50","SerialNumber":"SN1","HostDate":"2026/11/27","HostTime":"09:47:45"}}"#
    );
    let read: ResponseMessage<BatchRefundResponse> = ResponseMessage::read(&accepted).unwrap();
    let r = &read.trx_response;
    assert_eq!(
        (r.serial_number.as_str(), r.total_count.as_str()),
        ("SN1", "1")
    );
    assert_eq!(r.trx_type(), "BatchRefund");
    assert_eq!(
        ResponseMessage::new(MID, r.clone()).to_json().unwrap(),
        accepted
    );

    let result = format!(
        "{HEAD}{}",
        r#""TrxResponse":{"ReturnCode":"0000","ErrorMessage":"交易成功","ECMerchantType":"EBUS","MerchantID":"103881234560010","TrxType":"QueryBatchRefund","BatchNo":"B1","BatchDate":"2026/11/27","BatchTime":"09:47:44","SerialNumber":"SN1","BatchStatus":"0","RefundCount":"2","RefundAmount":"3.00","SuccessCount":"1","SuccessAmount":"1.50","FailedCount":"1","FailedAmount":"1.50","MerRefundAccountNo":"103881234560010001","MerRefundAccountName":"测试商户","Order":[{"OriginalOrderNo":"ON1","RefundOrderNo":"RF1","CurrencyCode":"156","RefundAmountCell":"1.50","OrderStatus":"0","Remark":"退货","ReasonCode":"","Reason":""},{"OriginalOrderNo":"ON2","RefundOrderNo":"RF2","CurrencyCode":"156","RefundAmountCell":"1.50","OrderStatus":"1","Remark":"","ReasonCode":"2313","Reason":"商户账户余额不足"}]}}"#
    );
    let read: ResponseMessage<QueryBatchRefundResponse> = ResponseMessage::read(&result).unwrap();
    let lines = &read.trx_response.lines;
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (
            lines[1].order_status.as_str(),
            lines[1].reason_code.as_str()
        ),
        (LINE_FAILED, "2313")
    );
    assert_eq!(
        (
            lines[0].order_status.as_str(),
            lines[0].original_order_no.as_str(),
            lines[0].refund_order_no.as_str(),
            lines[0].refund_amount_cell.as_str(),
            lines[0].remark.as_str()
        ),
        (LINE_SUCCEEDED, "ON1", "RF1", "1.50", "退货")
    );
    assert_eq!(read.trx_response.mer_refund_account_name, "测试商户");
    assert_eq!(
        ResponseMessage::new(MID, read.trx_response.clone())
            .to_json()
            .unwrap(),
        result
    );
}

/// Proves an answer past the ordinary 8,000 bytes reads through `read_large` only, up to its
/// limit.
#[test]
fn a_large_answer_reads_within_its_own_limit() {
    let lines = (1..=200)
        .map(|i| BatchRefundLineResult {
            original_order_no: format!("ON{i}"),
            refund_order_no: format!("RF{i}"),
            order_status: s(LINE_PENDING),
            ..BatchRefundLineResult::default()
        })
        .collect();
    let json = ResponseMessage::new(
        MID,
        QueryBatchRefundResponse {
            return_code: s(RETURN_CODE_SUCCESS),
            lines,
            ..QueryBatchRefundResponse::default()
        },
    )
    .to_json()
    .unwrap();
    assert!(json.len() > crate::wire::MAX_MESSAGE_BYTES);
    assert!(ResponseMessage::<QueryBatchRefundResponse>::read(&json).is_err());
    let read = ResponseMessage::<QueryBatchRefundResponse>::read_large(&json, json.len()).unwrap();
    assert_eq!(read.trx_response.lines.len(), 200);
    assert!(
        ResponseMessage::<QueryBatchRefundResponse>::read_large(&json, json.len() - 1).is_err()
    );
}

#[test]
fn preauth_answer_reads_as_the_simulator_writes_it() {
    let m = format!(
        "{HEAD}{}",
        r#""TrxResponse":{"ReturnCode":"0000","ErrorMessage":"交易成功","ECMerchantType":"EBUS","MerchantID":"103881234560010","TrxType":"PreAuthCancelConfirm","OperateType":"Cancel","OrderNo":"PX1","OriginalOrderNo":"ON1","OrderAmount":"12.34","iRspRef":"SIMP1","BatchNo":"261127","VouchNo":"000001","HostDate":"2026/11/27","HostTime":"12:00:00"}}"#
    );
    let read: ResponseMessage<PreAuthResponse> = ResponseMessage::read(&m).unwrap();
    let r = &read.trx_response;
    assert_eq!(
        (
            r.operate_type.as_str(),
            r.order_amount.as_str(),
            r.i_rsp_ref.as_str(),
            r.voucher_no.as_str()
        ),
        (OPERATE_CANCEL, "12.34", "SIMP1", "000001")
    );
    assert_eq!(ResponseMessage::new(MID, r.clone()).to_json().unwrap(), m);
}

#[test]
fn a_refund_reads_back_from_its_query_detail() {
    let detail = RefundQueryOrder {
        pay_type_id: s(PAY_TYPE_REFUND),
        order_no: s("RF1"),
        order_amount: s("1.00"),
        status: s("04"),
        i_rsp_ref: s("SIMR1"),
        host_date: Some(s("2026/11/27")),
        host_time: Some(s("10:00:00")),
        original_order_no: s("ON1"),
        ..RefundQueryOrder::default()
    };
    let json = serde_json::to_string(&detail).unwrap();
    assert!(
        json.ends_with(r#""HostTime":"10:00:00","OriginalOrderNo":"ON1"}"#),
        "{json}"
    );
    let response = QueryResponse {
        order: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, json),
        ..QueryResponse::default()
    };
    assert_eq!(
        response.order_detail_as::<RefundQueryOrder>().unwrap(),
        detail
    );
    // A payment's reader takes it too, without the extra field.
    assert_eq!(
        response.order_detail().unwrap().pay_type_id,
        PAY_TYPE_REFUND
    );
}
