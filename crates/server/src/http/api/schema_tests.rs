//! The schemas against what the server sends: every word a status or kind field can carry is
//! in its schema's enum, the enums of request fields are the server's own lists, and objects
//! as serialised validate against their schemas.

use super::openapi::document_json;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::borrow::Cow;

fn document() -> Value {
    serde_json::from_str(&document_json()).unwrap()
}

/// Whether `word` is one of the values of the API enum `T`.
fn listed<T: DeserializeOwned>(word: &str) -> bool {
    serde_json::from_value::<T>(Value::String(word.to_string())).is_ok()
}

fn enum_of(document: &Value, schema: &str) -> Vec<String> {
    document["components"]["schemas"][schema]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema} is an enum"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_status_and_event_the_server_sends_is_in_its_schema() {
    use unipay_core::payment::PaymentStatus as P;
    for status in [
        P::Created,
        P::Pending,
        P::Succeeded,
        P::Failed,
        P::Closed,
        P::Authorized,
        P::Cancelled,
    ] {
        // A new status fails to compile here until it is listed above and in the API.
        match status {
            P::Created | P::Pending | P::Succeeded | P::Failed | P::Closed => {}
            P::Authorized | P::Cancelled => {}
        }
        assert!(listed::<unipay_api::PaymentStatus>(status.as_str()));
        if let Some(event) = unipay_core::payment::notification_type(status) {
            assert!(listed::<unipay_api::PaymentEventType>(event), "{event}");
        }
    }
    assert!(listed::<unipay_api::PaymentEventType>(
        unipay_store::payments::late_success::LATE_SUCCEEDED_EVENT
    ));
    use unipay_core::refund::RefundStatus as R;
    for status in [R::Pending, R::Succeeded, R::Failed] {
        match status {
            R::Pending | R::Succeeded | R::Failed => {}
        }
        assert!(listed::<unipay_api::RefundStatus>(status.as_str()));
        if let Some(event) = unipay_core::refund::refund_notification_type(status) {
            assert!(listed::<unipay_api::RefundEventType>(event), "{event}");
        }
    }
    use unipay_core::mandate::MandateStatus as M;
    for status in [M::Pending, M::Active, M::Failed, M::Cancelled, M::Expired] {
        match status {
            M::Pending | M::Active | M::Failed | M::Cancelled | M::Expired => {}
        }
        assert!(listed::<unipay_api::MandateStatus>(status.as_str()));
        if let Some(event) = unipay_core::mandate::notification_type(status) {
            assert!(listed::<unipay_api::MandateEventType>(event), "{event}");
        }
    }
    assert!(listed::<unipay_api::IdentityEventType>(
        unipay_core::identity::IDENTITY_VERIFIED_EVENT
    ));
    use unipay_core::identity::{CustomerType as C, VerifyMode as V, VerifyStatus as S};
    for status in [S::Pending, S::Matched, S::NotMatched, S::Failed] {
        match status {
            S::Pending | S::Matched | S::NotMatched | S::Failed => {}
        }
        assert!(listed::<unipay_api::VerifyStatus>(status.as_str()));
    }
    for mode in [V::Redirect, V::Direct] {
        assert!(listed::<unipay_api::VerifyMode>(mode.as_str()));
    }
    for kind in [C::Person, C::Company] {
        assert!(listed::<unipay_api::CustomerType>(kind.as_str()));
    }
    use unipay_core::payment::CaptureMode;
    for mode in [CaptureMode::Immediate, CaptureMode::Manual] {
        assert!(listed::<unipay_api::CaptureMode>(mode.as_str()));
    }
    use unipay_store::kcode::KcodeStatus as K;
    for status in [
        K::Sending,
        K::CodeSent,
        K::Refused,
        K::Unknown,
        K::Paid,
        K::Failed,
    ] {
        match status {
            K::Sending | K::CodeSent | K::Refused | K::Unknown | K::Paid | K::Failed => {}
        }
        assert!(listed::<unipay_api::KcodeStatus>(status.as_str()));
    }
    use unipay_store::refunds::batch::RefundBatchStatus as B;
    for status in [B::Created, B::Submitted, B::Finished, B::Rejected] {
        match status {
            B::Created | B::Submitted | B::Finished | B::Rejected => {}
        }
        assert!(listed::<unipay_api::BatchStatus>(status.as_str()));
    }
    use unipay_store::mandates::batches::DebitBatchStatus as D;
    for status in [D::Created, D::Submitted, D::Finished, D::Rejected] {
        match status {
            D::Created | D::Submitted | D::Finished | D::Rejected => {}
        }
        assert!(listed::<unipay_api::BatchStatus>(status.as_str()));
    }
}

#[test]
fn request_enums_are_the_servers_lists() {
    let document = document();
    assert_eq!(
        enum_of(&document, "CertificateType"),
        unipay_core::identity::CERTIFICATE_TYPES
    );
    assert_eq!(
        enum_of(&document, "CardType"),
        unipay_core::mandate::CARD_TYPES
    );
    let kcode: Vec<&str> = crate::kcode::CERTIFICATE_TYPES
        .iter()
        .map(|(code, _)| *code)
        .collect();
    assert_eq!(enum_of(&document, "KcodeCertificateType"), kcode);
}

/// Validates `value` against the document's schema `name`.
fn assert_valid<T: Serialize>(document: &Value, name: &str, value: &T) {
    let mut root = document.clone();
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    let validator = jsonschema::validator_for(&root).unwrap();
    let instance = serde_json::to_value(value).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: {}\n{instance}",
        errors.join("\n")
    );
}

fn text(value: &str) -> Cow<'_, str> {
    Cow::Borrowed(value)
}

fn payment() -> unipay_api::Payment<'static> {
    unipay_api::Payment {
        id: text("pay_1"),
        app_id: text("app_1"),
        out_trade_no: text("T-1"),
        amount: 100,
        currency: text("CNY"),
        subject: text("s"),
        status: text("pending"),
        channel: text("abc"),
        channel_account_id: text("cha_1"),
        channel_order_no: text("O1"),
        channel_trade_no: None,
        accounting_date: None,
        paid_at: None,
        cashier_url: "http://localhost/pay/pay_1".into(),
        return_url: None,
        notify_url: Some(text("http://localhost/notify")),
        expires_at: "2026-01-01T00:00:00Z".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        metadata: Some(unipay_api::Metadata::from_checked(r#"{"order":7}"#)),
        capture: Some(text("immediate")),
        captured_amount: None,
        refunded_amount: 0,
        kcode: Some(unipay_api::KcodeState {
            status: "code_sent".into(),
            card_no: "6228****5678".into(),
            mobile_no: "138****8000".into(),
            code_sent_at: None,
            resend_count: 0,
            resends_left: 5,
            wrong_attempts: 0,
            attempts_left: 3,
        }),
    }
}

#[test]
fn objects_as_serialised_match_their_schemas() {
    let document = document();
    let payment = payment();
    assert_valid(&document, "Payment", &payment);
    assert_valid(
        &document,
        "PaymentEvent",
        &unipay_api::Event {
            id: text("evt_1"),
            event_type: "payment.succeeded",
            created_at: "2026-01-01T00:00:00Z".into(),
            data: payment,
        },
    );
    let batch = unipay_api::DebitBatch {
        id: text("dbb_1"),
        out_batch_no: text("B-1"),
        status: text("created"),
        line_count: 1,
        total_amount: 10,
        reason: None,
        created_at: "2026-01-01T00:00:00Z".into(),
        finished_at: None,
        succeeded_count: None,
        succeeded_amount: None,
        failed_count: None,
        failed_amount: None,
        lines: None,
    };
    assert_valid(&document, "DebitBatch", &batch);
    let mut detail =
        unipay_api::ErrorDetail::new(unipay_api::ErrorCode::DebitBatchLinesInvalid, "x");
    detail.lines = Some(vec![unipay_api::LineError {
        line: 1,
        code: unipay_api::ErrorCode::MandateNotFound,
        message: text("no mandate"),
    }]);
    assert_valid(&document, "Error", &unipay_api::ErrorBody::from(detail));
    let mut request = unipay_api::CreatePayment {
        out_trade_no: "T-1".into(),
        amount: 100,
        currency: "CNY".into(),
        subject: "s".into(),
        ..Default::default()
    };
    assert_valid(&document, "CreatePayment", &request);
    request.amount = 0;
    let mut root = document.clone();
    root["$ref"] = json!("#/components/schemas/CreatePayment");
    let validator = jsonschema::validator_for(&root).unwrap();
    assert!(!validator.is_valid(&serde_json::to_value(&request).unwrap()));
}
