#![allow(clippy::unwrap_used)]

use super::*;
use crate::channel::account::{SigningProfile, signer, verifier};
use crate::signing::{SecureKeyDigest, SecureKeySigner, sign};
use base64::Engine;
use std::io::Write;

const MER_ID: &str = "802310048993424";
const KEY: &str = "88888888";
// 2015-09-06 09:00:00 Beijing time: the morning after the sample's day.
const NOW_MS: i64 = 1_441_501_200_000;

fn account(mer_id: &str, gateway: &str) -> UnionPayAccount {
    let profile = SigningProfile::SecureKeySha256;
    UnionPayAccount::new(
        mer_id,
        profile,
        signer(profile, KEY).unwrap(),
        verifier(profile, KEY, "", Default::default()).unwrap(),
        gateway,
    )
    .unwrap()
}

fn sample_zip() -> Vec<u8> {
    let path = format!(
        "{}/tests/vectors/recon/802310048993424_20150905.zip",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn file_content(zip: &[u8]) -> String {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(zip).unwrap();
    base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap())
}

/// The gateway's answer to `sent`, with `changes`, signed with the shared key.
fn answer(sent: &crate::Fields, changes: &[(&str, &str)]) -> Vec<u8> {
    let mut fields = crate::Fields::new();
    for (key, value) in sent.iter() {
        if key != "signature" {
            fields.set(key, value);
        }
    }
    for (key, value) in changes {
        fields.set(key, value);
    }
    sign(
        &mut fields,
        &SecureKeySigner::new(SecureKeyDigest::Sha256, KEY),
    )
    .unwrap();
    // Synchronous answers are raw `k=v&…`, not URL-encoded.
    fields
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

#[test]
fn the_request_asks_for_the_day_by_its_settle_date() {
    let (sent, body) = request(&account(MER_ID, "http://sim"), "2015-09-05", NOW_MS).unwrap();
    for (key, value) in [
        ("txnType", "76"),
        ("txnSubType", "01"),
        ("bizType", "000000"),
        ("settleDate", "0905"),
        ("fileType", "00"),
        ("merId", MER_ID),
        ("txnTime", "20150906090000"),
    ] {
        assert_eq!(sent.get(key), Some(value), "{key}");
    }
    assert!(sent.get("signature").is_some());
    assert!(!body.is_empty());
    for bad in ["2015-9-05", "2015/09/05", "2015-02-30"] {
        assert!(matches!(
            request(&account(MER_ID, "http://sim"), bad, NOW_MS),
            Err(ChannelError::Unreachable(_))
        ));
    }
}

#[test]
fn the_file_host_is_beside_unionpays_gateways_and_at_the_root_elsewhere() {
    assert_eq!(
        file_url(&account(MER_ID, "https://gateway.95516.com")),
        "https://filedownload.95516.com/"
    );
    assert_eq!(
        file_url(&account(MER_ID, "https://gateway.test.95516.com/")),
        "https://filedownload.test.95516.com/"
    );
    assert_eq!(
        file_url(&account(MER_ID, "http://127.0.0.1:7702")),
        "http://127.0.0.1:7702/"
    );
}

#[test]
fn a_delivered_file_is_kept_as_the_zip_with_its_summary_declared() {
    let account = account(MER_ID, "http://sim");
    let (sent, _) = request(&account, "2015-09-05", NOW_MS).unwrap();
    let content = file_content(&sample_zip());
    let body = answer(
        &sent,
        &[
            ("respCode", "00"),
            ("respMsg", "成功[0000000]"),
            ("fileName", "802310048993424_20150905.zip"),
            ("fileContent", &content),
        ],
    );
    let file = read(&account, &sent, "2015-09-05", &body, NOW_MS).unwrap();
    assert_eq!(file.bytes, sample_zip());
    assert!(!file.gzip);
    assert_eq!(file.sha256, hex::encode(Sha256::digest(sample_zip())));
    assert_eq!(file.declared.payments, 8);
    assert_eq!(file.declared.payments_fen, 1_322_700);
    assert_eq!((file.declared.refunds, file.declared.refunds_fen), (0, 0));
    assert_eq!(file.raw.sha256, hex::encode(Sha256::digest(&body)));
    assert!(
        !file.raw.masked.contains(&content[..40]),
        "the file is left out of the record"
    );
    assert!(
        file.raw.masked.contains("fileContent=[omitted:"),
        "{}",
        file.raw.masked
    );
}

#[test]
fn no_file_yet_is_not_ready_and_says_so() {
    let account = account(MER_ID, "http://sim");
    let (sent, _) = request(&account, "2015-09-05", NOW_MS).unwrap();
    let body = answer(
        &sent,
        &[("respCode", "98"), ("respMsg", "文件不存在[9800000]")],
    );
    match read(&account, &sent, "2015-09-05", &body, NOW_MS) {
        Err(ChannelError::NotReady(message)) => {
            assert!(
                message.contains("no reconciliation file of 2015-09-05 yet (98 "),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let body = answer(&sent, &[("respCode", "03"), ("respMsg", "超时")]);
    assert!(matches!(
        read(&account, &sent, "2015-09-05", &body, NOW_MS),
        Err(ChannelError::Unknown(_))
    ));
    let body = answer(&sent, &[("respCode", "12"), ("respMsg", "重复交易")]);
    assert!(matches!(
        read(&account, &sent, "2015-09-05", &body, NOW_MS),
        Err(ChannelError::Refused { code, .. }) if code == "12"
    ));
}

#[test]
fn a_file_of_another_day_or_merchant_or_unsigned_is_not_believed() {
    let content = file_content(&sample_zip());
    let delivered = [("respCode", "00"), ("fileContent", content.as_str())];
    // The sample is of 2015-09-05: asked for the 6th, the answer names the 5th.
    let account_ = account(MER_ID, "http://sim");
    let (sent, _) = request(&account_, "2015-09-06", NOW_MS).unwrap();
    let body = answer(&sent, &[&delivered[..], &[("settleDate", "0905")]].concat());
    assert!(matches!(
        read(&account_, &sent, "2015-09-06", &body, NOW_MS),
        Err(ChannelError::BadAnswer(_))
    ));
    // The answer says the 6th, but the zip is the 5th's.
    let body = answer(&sent, &delivered);
    assert!(matches!(
        read(&account_, &sent, "2015-09-06", &body, NOW_MS),
        Err(ChannelError::BadAnswer(_))
    ));
    // Another merchant's zip.
    let other = account("777290058110048", "http://sim");
    let (sent, _) = request(&other, "2015-09-05", NOW_MS).unwrap();
    let body = answer(&sent, &delivered);
    let error = read(&other, &sent, "2015-09-05", &body, NOW_MS).unwrap_err();
    assert!(
        matches!(&error, ChannelError::BadAnswer(m) if m.contains("not merchant")),
        "{error:?}"
    );
    // Tampered after signing.
    let (sent, _) = request(&account_, "2015-09-05", NOW_MS).unwrap();
    let mut body = answer(&sent, &delivered);
    body.extend_from_slice(b"&respMsg=x");
    assert!(matches!(
        read(&account_, &sent, "2015-09-05", &body, NOW_MS),
        Err(ChannelError::BadAnswer(_))
    ));
}

#[tokio::test]
async fn an_unreachable_file_host_is_an_error_and_nothing_is_kept() {
    let channel =
        crate::channel::UnionPayChannel::new(account(MER_ID, "http://127.0.0.1:1")).unwrap();
    use unipay_core::channel::Channel;
    let error = channel.fetch_statement("2015-09-05").await.unwrap_err();
    assert!(matches!(error, ChannelError::Unreachable(_)), "{error:?}");
}
