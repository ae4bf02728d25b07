#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use sha2::{Digest, Sha256};

const TRUSTPAY_CER: &[u8] = include_bytes!("../../tests/vectors/TrustPay.cer");
const MERCHANT_CER: &[u8] = include_bytes!("../../tests/vectors/merchant.cer");
const KEY_PKCS8: &str = include_str!("../../tests/fixtures/legacy.key.pem");
const KEY_PKCS1: &str = include_str!("../../tests/fixtures/legacy.key.pkcs1.pem");
const CERT_PEM: &[u8] = include_bytes!("../../tests/fixtures/legacy.cert.pem");
const LEGACY_PFX: &[u8] = include_bytes!("../../tests/fixtures/legacy-3des-rc2.pfx");

#[test]
fn algorithm_names_round_trip() {
    for alg in [
        SignatureAlgorithm::Sha1WithRsa,
        SignatureAlgorithm::Sha256WithRsa,
    ] {
        assert_eq!(SignatureAlgorithm::parse(alg.as_str()), Some(alg));
    }
    assert_eq!(
        SignatureAlgorithm::parse("sha1withrsa"),
        Some(SignatureAlgorithm::Sha1WithRsa)
    );
    assert_eq!(SignatureAlgorithm::parse("SM3withSM2"), None);
}

#[test]
fn the_real_trustpay_certificate_loads() {
    let cert = Certificate::from_der_or_pem(TRUSTPAY_CER).unwrap();
    let subject = cert.subject();
    assert!(subject.contains("CN=MainServer.0001"), "{subject}");
    assert!(subject.contains("O=ABC"), "{subject}");
    assert_eq!(cert.to_der(), TRUSTPAY_CER);
    assert_eq!(
        cert.fingerprint_sha256(),
        hex::encode(Sha256::digest(TRUSTPAY_CER))
    );
    // PEM round trip gives the very same bytes.
    let again = Certificate::from_der_or_pem(cert.to_pem().as_bytes()).unwrap();
    assert_eq!(again.to_der(), TRUSTPAY_CER);
    assert!(Certificate::from_der_or_pem(MERCHANT_CER).is_ok());
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(Certificate::from_der_or_pem(b"").is_err());
    assert!(Certificate::from_der_or_pem(b"\x30\x03\x02\x01\x01").is_err());
    assert!(
        Certificate::from_der_or_pem(b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----")
            .is_err()
    );
    assert!(Certificate::from_der_or_pem(&TRUSTPAY_CER[..100]).is_err());
    assert!(Certificate::from_der_or_pem(&vec![0x30; MAX_KEY_FILE_BYTES + 1]).is_err());
    assert!(PrivateKey::from_pem("hello").is_err());
    assert!(
        PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
            .is_err()
    );
    assert!(PrivateKey::from_pkcs12(b"not a pfx", "x").is_err());
    assert!(PrivateKey::from_pkcs12(&[], "").is_err());
    assert!(PrivateKey::generate(512).is_err());
}

#[test]
fn pkcs8_and_pkcs1_pem_load_the_same_key() {
    let a = PrivateKey::from_pem(KEY_PKCS8).unwrap();
    let b = PrivateKey::from_pem(KEY_PKCS1).unwrap();
    let data = "测试 data".as_bytes();
    // PKCS#1 v1.5 is deterministic: same key, same signature.
    assert_eq!(
        a.sign(SignatureAlgorithm::Sha1WithRsa, data),
        b.sign(SignatureAlgorithm::Sha1WithRsa, data)
    );
    let again = PrivateKey::from_pem(&a.to_pkcs8_pem().unwrap()).unwrap();
    assert_eq!(
        again.sign(SignatureAlgorithm::Sha256WithRsa, data),
        a.sign(SignatureAlgorithm::Sha256WithRsa, data)
    );
    assert_eq!(a.bits(), 1024);
    assert!(!format!("{a:?}").contains("BEGIN"));
}

#[test]
fn legacy_pfx_made_by_openssl_loads() {
    let key = PrivateKey::from_pkcs12(LEGACY_PFX, "test-1234").unwrap();
    let cert = Certificate::from_der_or_pem(CERT_PEM).unwrap();
    for alg in [
        SignatureAlgorithm::Sha1WithRsa,
        SignatureAlgorithm::Sha256WithRsa,
    ] {
        let sig = key.sign(alg, b"payload");
        cert.verify(alg, b"payload", &sig).unwrap();
    }
    assert!(PrivateKey::from_pkcs12(LEGACY_PFX, "wrong").is_err());
}

#[test]
fn generated_key_self_signs_and_round_trips_through_pkcs12() {
    let key = PrivateKey::generate(1024).unwrap();
    let cert = key
        .self_signed_certificate("unipay bank simulator, test", 30)
        .unwrap();
    assert!(
        cert.subject().contains("unipay bank simulator"),
        "{}",
        cert.subject()
    );
    for alg in [
        SignatureAlgorithm::Sha1WithRsa,
        SignatureAlgorithm::Sha256WithRsa,
    ] {
        let sig = key.sign(alg, b"abc");
        cert.verify(alg, b"abc", &sig).unwrap();
        assert!(cert.verify(alg, b"abd", &sig).is_err());
    }
    // A SHA-1 signature does not pass as SHA-256.
    let sig = key.sign(SignatureAlgorithm::Sha1WithRsa, b"abc");
    assert!(
        cert.verify(SignatureAlgorithm::Sha256WithRsa, b"abc", &sig)
            .is_err()
    );

    let pfx = key.to_pkcs12(&cert, "pässword").unwrap();
    let loaded = PrivateKey::from_pkcs12(&pfx, "pässword").unwrap();
    assert_eq!(
        loaded.sign(SignatureAlgorithm::Sha256WithRsa, b"x"),
        key.sign(SignatureAlgorithm::Sha256WithRsa, b"x")
    );
    assert!(PrivateKey::from_pkcs12(&pfx, "password").is_err());
    // The certificate checks out with another implementation's parser too.
    Certificate::from_der_or_pem(cert.to_pem().as_bytes()).unwrap();
}

#[test]
fn a_wrong_certificate_does_not_verify() {
    let key = PrivateKey::from_pem(KEY_PKCS8).unwrap();
    let sig = key.sign(SignatureAlgorithm::Sha1WithRsa, b"abc");
    let other = Certificate::from_der_or_pem(TRUSTPAY_CER).unwrap();
    assert!(
        other
            .verify(SignatureAlgorithm::Sha1WithRsa, b"abc", &sig)
            .is_err()
    );
    assert!(
        other
            .verify(SignatureAlgorithm::Sha1WithRsa, b"abc", &[])
            .is_err()
    );
}

/// Proves the fast (OpenSSL) signer and the portable (pure Rust) one produce the same bytes:
/// PKCS#1 v1.5 is deterministic, so any difference would be a bug in one of them.
#[test]
fn fast_and_portable_signatures_are_identical() {
    let key = PrivateKey::generate(1024).unwrap();
    let certificate = key.self_signed_certificate("signer", 1).unwrap();
    for algorithm in [
        SignatureAlgorithm::Sha1WithRsa,
        SignatureAlgorithm::Sha256WithRsa,
    ] {
        let data = "支付 payment 12.34".as_bytes();
        let fast = key.sign(algorithm, data);
        assert_eq!(fast, key.sign_portable(algorithm, data));
        certificate.verify(algorithm, data, &fast).unwrap();
    }
}
