//! Every vector in `vectors/vectors.json`: UnionPay's own messages and SDK values, checked by
//! this crate's wire parsers, string to sign, digests, signers and verifier. Certificates
//! that have since expired are judged at the time the message names (its `txnTime`).
#![allow(clippy::unwrap_used, clippy::panic)]

use serde_json::Value;
use unipay_channel_unionpay::crypto::{Certificate, CertificateError, ChainOfTrust, IdentityRule};
use unipay_channel_unionpay::signing::{
    self, BankVerifier, MessageSigner, SecureKeyDigest, SecureKeySigner, VerifiedBy, Version,
};
use unipay_channel_unionpay::wire::{decode_form, parse_answer};
use unipay_channel_unionpay::{Charset, Fields};

fn vectors_dir() -> String {
    format!("{}/tests/vectors", env!("CARGO_MANIFEST_DIR"))
}

fn vectors(kind: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{}/vectors.json", vectors_dir())).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["check"]["type"] == kind)
        .cloned()
        .collect()
}

fn cert(name: &str) -> Certificate {
    let bytes = std::fs::read(format!("{}/certs/{name}", vectors_dir())).unwrap();
    Certificate::from_der_or_pem(&bytes).unwrap()
}

fn fields_of(vector: &Value) -> Fields {
    let mut fields = Fields::new();
    for (key, value) in vector["fields"].as_object().unwrap() {
        fields.set(key, value.as_str().unwrap());
    }
    fields
}

fn text<'v>(vector: &'v Value, key: &str) -> &'v str {
    vector[key].as_str().unwrap()
}

/// Seconds since the epoch of a `YYYYMMDDhhmmss` Beijing time.
fn beijing_to_unix(txn_time: &str) -> u64 {
    let n = |range: std::ops::Range<usize>| txn_time[range].parse::<i64>().unwrap();
    let (year, month, day) = (n(0..4), n(4..6), n(6..8));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + n(8..10) * 3600 + n(10..12) * 60 + n(12..14) - 8 * 3600;
    u64::try_from(seconds).unwrap()
}

fn test_chain(identity: IdentityRule) -> ChainOfTrust {
    ChainOfTrust {
        root: cert("acp_test_root.cer"),
        middle: cert("acp_test_middle.cer"),
        identity,
    }
}

fn hex_digest(version: &str, data: &[u8]) -> String {
    use sha2::Digest;
    if version == "5.0.0" {
        hex::encode(sha1::Sha1::digest(data))
    } else {
        hex::encode(sha2::Sha256::digest(data))
    }
}

#[test]
fn merchant_signatures_from_field_sets_verify_with_the_public_certificate() {
    let list = vectors("rsa_sign_dict");
    assert_eq!(list.len(), 5);
    for vector in list {
        let id = text(&vector, "id");
        let mut fields = fields_of(&vector);
        let string = fields.string_to_sign();
        assert_eq!(string, text(&vector["check"], "link_string"), "{id}");
        let version = fields.get("version").unwrap().to_string();
        assert_eq!(
            hex_digest(&version, string.as_bytes()),
            text(&vector["check"], "digest_hex"),
            "{id}"
        );
        fields.set("signature", text(&vector, "signature"));
        let certificate = cert(text(&vector["check"], "cert"));
        let cert_id = certificate.cert_id().to_string();
        let verifier = BankVerifier::new().with_certificate(certificate);
        // The test merchant certificates have expired; configured ones are not dated.
        assert_eq!(
            verifier.verify(&fields, 0),
            Ok(VerifiedBy::Certificate { cert_id }),
            "{id}"
        );
        fields.set("merId", "888888888888889");
        assert!(verifier.verify(&fields, 0).is_err(), "{id} tampered");
    }
}

#[test]
fn secure_key_signatures_are_reproduced_exactly() {
    let list = vectors("secure_key");
    assert_eq!(list.len(), 4);
    for vector in list {
        let id = text(&vector, "id");
        let mut fields = fields_of(&vector);
        assert_eq!(
            fields.string_to_sign(),
            text(&vector["check"], "link_string"),
            "{id}"
        );
        let digest = match fields.get("signMethod") {
            Some("11") => SecureKeyDigest::Sha256,
            Some("12") => SecureKeyDigest::Sm3,
            other => panic!("{id}: signMethod {other:?}"),
        };
        let signer = SecureKeySigner::new(digest, text(&vector["check"], "secureKey"));
        signing::sign(&mut fields, &signer).unwrap();
        assert_eq!(
            fields.get("signature"),
            Some(text(&vector, "signature")),
            "{id}"
        );
        let verifier = BankVerifier::new().with_secure_key(signer);
        assert_eq!(
            verifier.verify(&fields, 0),
            Ok(VerifiedBy::SecureKey),
            "{id}"
        );
    }
}

#[test]
fn sm3_digest_matches_the_sdk() {
    let list = vectors("digest");
    assert_eq!(list.len(), 1);
    for vector in list {
        use sm3::Digest;
        let digest = hex::encode(sm3::Sm3::digest(text(&vector, "message").as_bytes()));
        assert_eq!(digest, text(&vector, "signature"));
    }
}

/// Request bodies as real clients posted them: decoded by our form reader, verified, and
/// each `key=value` re-encoded by our form writer to the very same bytes.
#[test]
fn urlencoded_request_bodies_decode_verify_and_re_encode_byte_for_byte() {
    let list: Vec<Value> = vectors("rsa_message")
        .into_iter()
        .filter(|v| v["check"]["format"] == "urlencoded")
        .collect();
    assert_eq!(list.len(), 5);
    for vector in list {
        let id = text(&vector, "id");
        let body = text(&vector, "message");
        let fields = decode_form(body.as_bytes()).unwrap();
        let verifier = BankVerifier::new().with_certificate(cert(text(&vector["check"], "cert")));
        assert!(verifier.verify(&fields, 0).is_ok(), "{id}");
        let charset = Charset::parse(fields.get("encoding").unwrap()).unwrap();
        for pair in body.split('&') {
            let (key, _) = pair.split_once('=').unwrap();
            let one: Fields = [(key, fields.get(key).unwrap())].into_iter().collect();
            let encoded = unipay_channel_unionpay::wire::encode_form(&one, charset).unwrap();
            assert_eq!(String::from_utf8(encoded).unwrap(), pair, "{id}");
        }
    }
}

#[test]
fn unionpay_5_0_0_answer_verifies_by_cert_id() {
    let vector = vectors("rsa_message")
        .into_iter()
        .find(|v| v["id"] == "resp_query_5.0.0_UnionPay_test_2016")
        .unwrap();
    let fields = parse_answer(text(&vector, "message").as_bytes(), Charset::Utf8).unwrap();
    assert_eq!(fields.get("reqReserved"), Some("{a=aaa&b=bbb&c=ccc}"));
    assert_eq!(fields.get("certId"), Some("68759585097"));
    assert_eq!(
        hex_digest("5.0.0", fields.string_to_sign().as_bytes()),
        text(&vector["check"], "expect_digest")
    );
    let verifier = BankVerifier::new().with_certificate(cert("acp_test_verify_sign_500.cer"));
    assert!(verifier.verify(&fields, 0).is_ok());
    assert!(BankVerifier::new().verify(&fields, 0).is_err());
}

/// UnionPay's 5.1.0 answers and its notification: the certificate inside (CR LF kept) is
/// checked for dates at the message's own time, for the chain to the test root, and for
/// the CN; then the signature.
#[test]
fn unionpay_5_1_0_messages_verify_through_the_certificate_they_carry() {
    let list: Vec<Value> = vectors("rsa_message")
        .into_iter()
        .filter(|v| v["check"]["use_embedded_cert"] == true)
        .collect();
    assert_eq!(list.len(), 8);
    let lenient = BankVerifier::new().with_rsa_chain(test_chain(IdentityRule::AlsoTestIdentity));
    let strict = BankVerifier::new().with_rsa_chain(test_chain(IdentityRule::UnionPayOnly));
    for vector in list {
        let id = text(&vector, "id");
        let mut fields = parse_answer(text(&vector, "message").as_bytes(), Charset::Utf8).unwrap();
        let signature = match vector["signature"].as_str() {
            Some(separate) => separate.to_string(),
            None => fields.remove("signature").unwrap(),
        };
        let pem = fields.get("signPubKeyCert").unwrap();
        assert!(pem.contains("\r\n"), "{id}: CR LF kept");
        if let Some(digest) = vector["check"]["expect_digest"].as_str() {
            assert_eq!(
                hex_digest("5.1.0", fields.string_to_sign().as_bytes()),
                digest,
                "{id}"
            );
        }
        let at = beijing_to_unix(fields.get("txnTime").unwrap());
        let verified = lenient.verify_signature(&fields, &signature, at);
        assert!(
            matches!(verified, Ok(VerifiedBy::Certificate { .. })),
            "{id}: {verified:?}"
        );
        // The 2020 certificate names UnionPay; the 2017 one only the test identity.
        let carried = Certificate::from_pem(pem).unwrap();
        let names_unionpay = carried.common_name().contains("中国银联股份有限公司");
        assert_eq!(
            strict.verify_signature(&fields, &signature, at).is_ok(),
            names_unionpay,
            "{id}"
        );
        // Today every one of these certificates has expired.
        assert!(
            lenient
                .verify_signature(&fields, &signature, 1_798_761_600)
                .is_err(),
            "{id}"
        );
        // Line ends normalised to LF: the signature no longer matches.
        let mut lf = fields.clone();
        lf.set("signPubKeyCert", pem.replace("\r\n", "\n"));
        assert!(
            lenient.verify_signature(&lf, &signature, at).is_err(),
            "{id}: LF"
        );
    }
}

#[test]
fn signers_name_their_method() {
    let signer = SecureKeySigner::new(SecureKeyDigest::Sm3, "88888888");
    assert_eq!(signer.sign_method().code(), "12");
    assert_eq!(Version::parse("5.1.0"), Some(Version::V5_1_0));
}

/// The raw files in `vectors/messages/` are the vectors' own messages, byte for byte (the
/// other tests read them from there).
#[test]
fn the_raw_message_files_hold_the_vectors_exactly() {
    let dir = format!("{}/messages", vectors_dir());
    let all: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/vectors.json", vectors_dir())).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for vector in all["vectors"].as_array().unwrap() {
        let id = text(vector, "id");
        if let Ok(raw) = std::fs::read_to_string(format!("{dir}/{id}.txt")) {
            assert_eq!(raw, text(vector, "message"), "{id}");
            checked += 1;
        }
        if let Ok(raw) = std::fs::read_to_string(format!("{dir}/{id}.signature.txt")) {
            assert_eq!(raw.trim(), text(vector, "signature"), "{id}");
            checked += 1;
        }
        if let Ok(raw) = std::fs::read_to_string(format!("{dir}/{id}.fields.json")) {
            let file: Value = serde_json::from_str(&raw).unwrap();
            assert_eq!(file["fields"], vector["fields"], "{id}");
            assert_eq!(file["signature"], vector["signature"], "{id}");
            checked += 1;
        }
    }
    assert_eq!(checked, 25);
}

/// Every certificate reads, with the certId (decimal serial) and identity UnionPay's
/// configuration names it by; the production middle certificate chains to the root.
#[test]
fn the_certificates_read_with_their_cert_ids() {
    let expected = [
        (
            "acp_test_sign_2015_PUBLIC.cer",
            "68759663125",
            "700000000000001:SIGN",
        ),
        (
            "acp_test_sign_2021_PUBLIC.cer",
            "69903319369",
            "700000000000001:SIGN",
        ),
        (
            "acp_test_verify_sign_500.cer",
            "68759585097",
            "00040000:SIGN",
        ),
        ("acp_test_enc_2015.cer", "68759622183", "00040000:SIGN"),
        ("acp_test_enc_2020.cer", "69683525138", "00040000:SIGN"),
        (
            "signPubKeyCert_test_2017.pem",
            "69026276696",
            "00040000:SIGN",
        ),
        (
            "signPubKeyCert_test_2020.pem",
            "69678957876",
            "中国银联股份有限公司",
        ),
        ("acp_prod_root.cer", "405099140", ""),
        ("acp_prod_middle.cer", "68719476761", ""),
    ];
    for (name, cert_id, identity) in expected {
        let certificate = cert(name);
        assert_eq!(certificate.cert_id(), cert_id, "{name}");
        assert!(certificate.common_name().contains(identity), "{name}");
    }
    assert_eq!(
        cert("acp_test_root.cer").cert_id(),
        u128::from_str_radix("52137ECC1D7D85B73AE6", 16)
            .unwrap()
            .to_string()
    );
    // The production chain: a production certificate (none is public) would be checked
    // against these two exactly as the test ones are.
    let production = ChainOfTrust {
        root: cert("acp_prod_root.cer"),
        middle: cert("acp_prod_middle.cer"),
        identity: IdentityRule::UnionPayOnly,
    };
    // The middle as the leaf of a chain whose middle is the root itself: only the identity
    // rule (checked last) can fail, so the signatures and dates held.
    let middle_under_root = ChainOfTrust {
        root: cert("acp_prod_root.cer"),
        middle: cert("acp_prod_root.cer"),
        identity: IdentityRule::UnionPayOnly,
    };
    let middle = cert("acp_prod_middle.cer");
    assert!(matches!(
        middle_under_root.check(&middle, middle.valid_from() + 86_400),
        Err(CertificateError::WrongIdentity(_))
    ));
    let test_leaf = cert("signPubKeyCert_test_2020.pem");
    let at = test_leaf.valid_from() + 86_400;
    assert!(production.check(&test_leaf, at).is_err());
    assert!(
        test_chain(IdentityRule::UnionPayOnly)
            .check(&test_leaf, at)
            .is_ok()
    );
}
