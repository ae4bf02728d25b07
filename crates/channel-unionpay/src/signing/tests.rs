#![allow(clippy::unwrap_used)]
use super::*;
use crate::crypto::{Certificate, ChainOfTrust, IdentityRule};
use crate::wire::parse_answer;
use rsa::pkcs8::DecodePrivateKey;

/// 2027-01-01T00:00:00Z: inside every fixture's validity.
const NOW: u64 = 1_798_761_600;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

fn cert(name: &str) -> Certificate {
    Certificate::from_der_or_pem(&fixture(name)).unwrap()
}

fn merchant() -> RsaCertificateSigner {
    RsaCertificateSigner::from_pkcs8_der(&fixture("rsa_merchant.pk8"), &cert("rsa_merchant.pem"))
        .unwrap()
}

fn rsa_chain(identity: IdentityRule) -> ChainOfTrust {
    ChainOfTrust {
        root: cert("rsa_root.pem"),
        middle: cert("rsa_middle.pem"),
        identity,
    }
}

fn request(version: &str) -> Fields {
    [
        ("version", version),
        ("encoding", "UTF-8"),
        ("txnType", "01"),
        ("merId", "777290058110048"),
        ("reqReserved", "{a=1&b=2}"),
        ("orderId", "20240101120000001"),
    ]
    .into_iter()
    .collect()
}

/// A 5.1.0 answer as the bank writes it: the certificate (CR LF) inside, no certId.
fn bank_answer(key: &str, certificate: &str) -> Fields {
    let mut fields: Fields = [
        ("version", "5.1.0"),
        ("encoding", "UTF-8"),
        ("signMethod", "01"),
        ("respCode", "00"),
        ("respMsg", "成功[0000000]"),
    ]
    .into_iter()
    .collect();
    let pem = String::from_utf8(fixture(certificate)).unwrap();
    let crlf = pem.trim_end().replace('\n', "\r\n");
    fields.insert_received("signPubKeyCert".to_string(), crlf);
    let bank = rsa::PrivateKey::from_pkcs8_der(&fixture(key)).unwrap();
    let bank = RsaCertificateSigner::new(bank, &cert(certificate)).unwrap();
    let signed = fields.string_to_sign();
    let signature = bank
        .signature(Version::V5_1_0, Charset::Utf8, signed.as_bytes())
        .unwrap();
    fields.set("signature", signature);
    fields
}

#[test]
fn rsa_signing_adds_cert_id_and_verifies_in_both_versions() {
    let signer = merchant();
    let verifier = BankVerifier::new().with_certificate(cert("rsa_merchant.pem"));
    for version in ["5.0.0", "5.1.0"] {
        let mut fields = request(version);
        sign(&mut fields, &signer).unwrap();
        assert_eq!(fields.get("certId"), Some("69903319370"));
        assert_eq!(fields.get("signMethod"), Some("01"));
        {
            let verified = verifier.verify(&fields, NOW).unwrap();
            assert_eq!(
                verified,
                VerifiedBy::Certificate {
                    cert_id: "69903319370".to_string()
                }
            );
        }
        fields.set("orderId", "20240101120000002");
        assert_eq!(
            verifier.verify(&fields, NOW),
            Err(VerifyError::BadSignature)
        );
    }
}

#[test]
fn the_pfx_gives_the_key_and_the_cert_id() {
    let signer = RsaCertificateSigner::from_pkcs12(&fixture("rsa_merchant.pfx"), "000000").unwrap();
    assert_eq!(signer.cert_id(), Some("69903319370"));
    assert!(RsaCertificateSigner::from_pkcs12(&fixture("rsa_merchant.pfx"), "wrong").is_err());
    // UnionPay's own test PFX use the legacy encryption (RC2-40 for the certificate, 3DES
    // for the key).
    let legacy =
        RsaCertificateSigner::from_pkcs12(&fixture("rsa_merchant_legacy.pfx"), "000000").unwrap();
    assert_eq!(legacy.cert_id(), Some("69903319370"));
    let other = rsa::PrivateKey::from_pkcs8_der(&fixture("rsa_bank.pk8")).unwrap();
    assert!(RsaCertificateSigner::new(other, &cert("rsa_merchant.pem")).is_err());
}

#[test]
fn a_bank_certificate_in_the_message_is_believed_only_through_the_chain() {
    let verifier = BankVerifier::new().with_rsa_chain(rsa_chain(IdentityRule::UnionPayOnly));
    let answer = bank_answer("rsa_bank.pk8", "rsa_bank.pem");
    assert!(matches!(
        verifier.verify(&answer, NOW),
        Ok(VerifiedBy::Certificate { .. })
    ));
    // Line ends are part of what was signed.
    let mut lf = answer.clone();
    let pem = lf.get("signPubKeyCert").unwrap().replace("\r\n", "\n");
    lf.insert_received("signPubKeyCert".to_string(), pem);
    assert_eq!(verifier.verify(&lf, NOW), Err(VerifyError::BadSignature));
    // Outside the certificate's dates.
    assert!(matches!(
        verifier.verify(&answer, NOW + 20 * 365 * 86_400),
        Err(VerifyError::Certificate(
            CertificateError::OutsideValidity { .. }
        ))
    ));
    // No chain configured for the method.
    assert_eq!(
        BankVerifier::new().verify(&answer, NOW),
        Err(VerifyError::NotConfigured(SignMethod::RsaCertificate))
    );
}

#[test]
fn the_test_identity_is_taken_only_when_asked_and_strangers_never() {
    let strict = BankVerifier::new().with_rsa_chain(rsa_chain(IdentityRule::UnionPayOnly));
    let lenient = BankVerifier::new().with_rsa_chain(rsa_chain(IdentityRule::AlsoTestIdentity));
    let test_bank = bank_answer("rsa_testbank.pk8", "rsa_testbank.pem");
    assert!(matches!(
        strict.verify(&test_bank, NOW),
        Err(VerifyError::Certificate(CertificateError::WrongIdentity(_)))
    ));
    assert!(lenient.verify(&test_bank, NOW).is_ok());
    // Signed by the merchant's self-signed key: not issued by the middle certificate.
    let mut forged = bank_answer("rsa_merchant.pk8", "rsa_merchant.pem");
    forged.set("respCode", "00");
    assert!(matches!(
        lenient.verify(&forged, NOW),
        Err(VerifyError::Certificate(CertificateError::NotIssuedBy(_)))
    ));
    let stranger = cert("rsa_stranger.pem");
    assert!(matches!(
        rsa_chain(IdentityRule::AlsoTestIdentity).check(&stranger, NOW),
        Err(CertificateError::WrongIdentity(_))
    ));
}

#[test]
fn secure_key_methods_sign_without_cert_id_and_compare_case_blind() {
    for digest in [SecureKeyDigest::Sha256, SecureKeyDigest::Sm3] {
        let signer = SecureKeySigner::new(digest, "88888888");
        let mut fields = request("5.1.0");
        fields.set("certId", "stale");
        sign(&mut fields, &signer).unwrap();
        assert!(!fields.contains("certId"));
        let signature = fields.get("signature").unwrap().to_string();
        assert_eq!(signature.len(), 64);
        let verifier = BankVerifier::new().with_secure_key(signer.clone());
        assert_eq!(verifier.verify(&fields, NOW), Ok(VerifiedBy::SecureKey));
        fields.set("signature", signature.to_ascii_uppercase());
        assert_eq!(verifier.verify(&fields, NOW), Ok(VerifiedBy::SecureKey));
        let wrong = BankVerifier::new().with_secure_key(SecureKeySigner::new(digest, "x"));
        assert_eq!(wrong.verify(&fields, NOW), Err(VerifyError::BadSignature));
    }
    let sm3_only =
        BankVerifier::new().with_secure_key(SecureKeySigner::new(SecureKeyDigest::Sm3, "88888888"));
    let mut fields = request("5.1.0");
    sign(
        &mut fields,
        &SecureKeySigner::new(SecureKeyDigest::Sha256, "88888888"),
    )
    .unwrap();
    assert_eq!(
        sm3_only.verify(&fields, NOW),
        Err(VerifyError::NotConfigured(SignMethod::SecureKeySha256))
    );
}

fn sm2_signer() -> Sm2CertificateSigner {
    let secret = sm2::SecretKey::from_pkcs8_der(&fixture("sm2_bank.pk8")).unwrap();
    Sm2CertificateSigner::new(&secret, &cert("sm2_bank.pem")).unwrap()
}

fn sm2_chain() -> ChainOfTrust {
    ChainOfTrust {
        root: cert("sm2_root.pem"),
        middle: cert("sm2_middle.pem"),
        identity: IdentityRule::UnionPayOnly,
    }
}

#[test]
fn a_middle_not_issued_by_the_root_is_refused_at_setup() {
    assert_eq!(sm2_chain().check_middle(), Ok(()));
    let swapped = ChainOfTrust {
        root: cert("sm2_middle.pem"),
        middle: cert("sm2_root.pem"),
        identity: IdentityRule::UnionPayOnly,
    };
    assert!(swapped.check_middle().is_err());
    let twice = ChainOfTrust {
        root: cert("sm2_middle.pem"),
        middle: cert("sm2_middle.pem"),
        identity: IdentityRule::UnionPayOnly,
    };
    assert!(twice.check_middle().is_err());
}

#[test]
fn sm2_answers_signed_by_openssl_verify() {
    let verifier = BankVerifier::new()
        .with_certificate(cert("sm2_bank.pem"))
        .with_sm2_chain(sm2_chain());
    for name in ["sm2_5.0.0_openssl.txt", "sm2_5.1.0_openssl.txt"] {
        let mut fields = parse_answer(&fixture(name), Charset::Utf8).unwrap();
        assert_eq!(
            verifier.verify(&fields, NOW),
            Ok(VerifiedBy::Certificate {
                cert_id: "70000000021".to_string()
            }),
            "{name}"
        );
        fields.set("respCode", "05");
        assert_eq!(
            verifier.verify(&fields, NOW),
            Err(VerifyError::BadSignature)
        );
    }
}

#[test]
fn sm2_signing_uses_the_cert_id_as_user_id_and_plain_r_s() {
    let signer = sm2_signer();
    let verifier = BankVerifier::new().with_certificate(cert("sm2_bank.pem"));
    let mut fields = request("5.0.0");
    sign(&mut fields, &signer).unwrap();
    assert_eq!(fields.get("signMethod"), Some("21"));
    assert_eq!(fields.get("certId"), Some("70000000021"));
    let raw = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        fields.get("signature").unwrap(),
    )
    .unwrap();
    assert_eq!(raw.len(), 64);
    assert!(verifier.verify(&fields, NOW).is_ok());
    // Another user ID makes another Z: the same key named otherwise does not verify.
    let secret = sm2::SecretKey::from_pkcs8_der(&fixture("sm2_bank.pk8")).unwrap();
    let renamed = Sm2CertificateSigner::with_cert_id(&secret, "1234567812345678").unwrap();
    let mut fields = request("5.0.0");
    sign(&mut fields, &renamed).unwrap();
    fields.set("certId", "70000000021");
    assert_eq!(
        verifier.verify(&fields, NOW),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn messages_without_what_verifying_needs_are_refused() {
    let verifier = BankVerifier::new();
    let mut fields = request("5.1.0");
    assert_eq!(
        verifier.verify(&fields, NOW),
        Err(VerifyError::MissingField("signature"))
    );
    fields.set("signature", "AAAA");
    assert_eq!(
        verifier.verify(&fields, NOW),
        Err(VerifyError::MissingField("signMethod"))
    );
    fields.set("signMethod", "99");
    assert!(matches!(
        verifier.verify(&fields, NOW),
        Err(VerifyError::UnknownSignMethod(_))
    ));
    fields.set("signMethod", "01");
    fields.set("version", "6.0.0");
    assert!(matches!(
        verifier.verify(&fields, NOW),
        Err(VerifyError::UnknownVersion(_))
    ));
    fields.set("version", "5.0.0");
    fields.set("certId", "1");
    assert_eq!(
        verifier.verify(&fields, NOW),
        Err(VerifyError::UnknownCertId("1".to_string()))
    );
    let mut unsigned = request("5.1.0");
    unsigned.remove("version");
    assert_eq!(
        sign(&mut unsigned, &merchant()),
        Err(SignError::MissingField("version"))
    );
}

/// A GBK merchant: the string to sign is hashed as GBK bytes, and the bank's answer in GBK
/// verifies; the same fields read as UTF-8 would not.
#[test]
fn gbk_messages_are_signed_over_gbk_bytes() {
    let signer = merchant();
    let verifier = BankVerifier::new().with_certificate(cert("rsa_merchant.pem"));
    let mut fields = request("5.1.0");
    fields.set("encoding", "GBK");
    fields.set("reqReserved", "订单备注");
    sign(&mut fields, &signer).unwrap();
    let body = crate::wire::encode_form(&fields, Charset::Gbk).unwrap();
    assert!(
        String::from_utf8(body.clone())
            .unwrap()
            .contains("%B6%A9%B5%A5")
    );
    let received = crate::wire::decode_form(&body).unwrap();
    assert_eq!(received.get("reqReserved"), Some("订单备注"));
    assert!(verifier.verify(&received, NOW).is_ok());
    let mut as_utf8 = received.clone();
    as_utf8.set("encoding", "UTF-8");
    assert!(verifier.verify(&as_utf8, NOW).is_err());
}
