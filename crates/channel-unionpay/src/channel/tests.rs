use super::*;
use crate::fields::Fields;
use crate::signing::{SecureKeyDigest, SecureKeySigner, sign};
use crate::wire::encode_form;
use unipay_core::channel::{BankPaymentState, CaptureMode, NotificationOutcome};
use unipay_core::money::{Amount, Currency};

const MER_ID: &str = "777290058110048";
const KEY: &str = "88888888";
// 2026-12-07 08:00:00 Beijing time.
const CREATED_MS: i64 = 1_796_601_600_000;

fn channel() -> UnionPayChannel {
    let profile = SigningProfile::SecureKeySha256;
    let account = UnionPayAccount::new(
        MER_ID,
        profile,
        signer(profile, KEY).unwrap(),
        verifier(profile, KEY, "", Default::default()).unwrap(),
        "http://127.0.0.1:1",
    )
    .unwrap();
    UnionPayChannel::new(account).unwrap()
}

fn request() -> PaymentRequest {
    PaymentRequest {
        order_no: "ord0000000001".into(),
        amount: Amount::from_fen(1234).unwrap(),
        currency: Currency::Cny,
        subject: "test".into(),
        payment_type: "07".into(),
        result_notify_url: "https://pay.example.com/callbacks/cha_1".into(),
        created_at_ms: CREATED_MS,
        expires_at_ms: CREATED_MS + 1_800_000,
        buyer_ip: None,
        capture: CaptureMode::Immediate,
    }
}

/// A notification as the bank would post it, signed with the shared key.
fn notification(txn_type: &str, code: &str, amount: &str, mer_id: &str) -> Vec<u8> {
    let mut fields = Fields::new();
    for (k, v) in [
        ("version", "5.1.0"),
        ("encoding", "UTF-8"),
        ("txnType", txn_type),
        ("txnSubType", "01"),
        ("bizType", "000201"),
        ("accessType", "0"),
        ("merId", mer_id),
        ("orderId", "ord0000000001"),
        ("txnTime", "20261207080000"),
        ("txnAmt", amount),
        ("queryId", "202612070800001234567"),
        ("respCode", code),
        ("respMsg", "成功[0000000]"),
        ("settleDate", "1207"),
        ("accNo", "6216261000000000018"),
    ] {
        fields.set(k, v);
    }
    sign(
        &mut fields,
        &SecureKeySigner::new(SecureKeyDigest::Sha256, KEY),
    )
    .unwrap();
    encode_form(&fields, crate::Charset::Utf8).unwrap()
}

#[tokio::test]
async fn the_payment_starts_as_a_signed_form_for_the_front_address() {
    let channel = channel();
    let PaymentRedirect::PostForm { action, fields } =
        channel.request_payment(&request()).await.unwrap()
    else {
        panic!("a form to post");
    };
    assert_eq!(action, "http://127.0.0.1:1/gateway/api/frontTransReq.do");
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    };
    // The order's creation in Beijing time: every query repeats it.
    assert_eq!(field("txnTime"), "20261207080000");
    assert_eq!(field("payTimeout"), "20261207083000");
    assert_eq!(field("txnAmt"), "1234");
    assert_eq!(
        field("frontUrl"),
        "https://pay.example.com/callbacks/cha_1/front"
    );
    assert_eq!(field("signMethod"), "11");
    let mut signed = Fields::new();
    for (k, v) in &fields {
        signed.set(k, v);
    }
    channel.account().verifier.verify(&signed, 0).unwrap();
}

#[test]
fn a_verified_notification_reads_as_paid_or_as_an_operation() {
    let channel = channel();
    let paid = channel
        .read_notification(&notification("01", "00", "1234", MER_ID))
        .unwrap();
    assert_eq!(paid.order_no, "ord0000000001");
    assert_eq!(paid.mode, NotificationMode::Server);
    let NotificationOutcome::Paid(paid_outcome) = &paid.outcome else {
        panic!("paid");
    };
    assert_eq!(paid_outcome.amount.fen(), 1234);
    assert_eq!(paid_outcome.accounting_date, "2026-12-07");
    assert!(paid.raw_masked.contains("accNo=621626*********0018"));
    let front = channel
        .read_browser_notification(&notification("01", "00", "1234", MER_ID))
        .unwrap();
    assert_eq!(front.mode, NotificationMode::Page);
    let refund = channel
        .read_notification(&notification("04", "00", "100", MER_ID))
        .unwrap();
    assert!(matches!(
        refund.outcome,
        NotificationOutcome::Operation { ref kind, succeeded: true, .. } if kind == "04"
    ));
}

#[test]
fn a_forged_or_foreign_notification_is_not_believed() {
    let channel = channel();
    let mut tampered = notification("01", "00", "1234", MER_ID);
    let text = String::from_utf8(tampered.clone()).unwrap();
    tampered = text.replace("txnAmt=1234", "txnAmt=9234").into_bytes();
    assert_eq!(
        channel.read_notification(&tampered),
        Err(NotificationError::BadSignature)
    );
    assert_eq!(
        channel.read_notification(&notification("01", "00", "1234", "777290058110049")),
        Err(NotificationError::WrongMerchant("777290058110049".into()))
    );
}

#[tokio::test]
async fn an_unreachable_gateway_is_an_error_and_not_a_state() {
    let error = channel()
        .query_payment("ord0000000001", CREATED_MS, CREATED_MS)
        .await
        .unwrap_err();
    assert!(matches!(error, ChannelError::Unreachable(_)), "{error:?}");
    let _ = BankPaymentState::Unpaid;
}

/// A completion takes up to 115 % of the hold and comes within 30 days of it: both are
/// checked by unipay before the gateway is asked.
#[test]
fn a_completion_takes_up_to_115_percent_within_30_days() {
    let channel = channel();
    assert_eq!(channel.capture_limit_percent(), 115);
    assert_eq!(channel.capture_window_days(), Some(30));
}

/// An answer as the gateway writes it (`k=v&…`, not URL-encoded), signed with the shared key.
fn answer(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut fields = Fields::new();
    for (k, v) in pairs {
        fields.set(k, v);
    }
    sign(
        &mut fields,
        &SecureKeySigner::new(SecureKeyDigest::Sha256, KEY),
    )
    .unwrap();
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// The answer to `sent` with `extra` fields.
fn answer_to(sent: &Fields, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut pairs: Vec<(&str, &str)> = ["version", "encoding", "merId", "orderId", "txnTime"]
        .into_iter()
        .map(|k| (k, sent.get(k).unwrap()))
        .collect();
    pairs.push(("txnType", sent.get("txnType").unwrap()));
    pairs.push(("respMsg", "msg"));
    pairs.extend_from_slice(extra);
    answer(&pairs)
}

mod query_tests;
mod refund_tests;
