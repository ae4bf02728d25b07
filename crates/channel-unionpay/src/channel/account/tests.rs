use super::*;
use crate::signing::SignMethod;
use base64::Engine;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

fn text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

#[test]
fn an_sm2_account_signs_with_its_pem_key_and_trusts_only_an_sm2_chain() {
    let secret = format!(
        "{}{}",
        pem("PRIVATE KEY", &fixture("sm2_bank.pk8")),
        text("sm2_bank.pem")
    );
    let profile = SigningProfile::parse("sm2").unwrap();
    assert_eq!(profile.name(), "sm2");
    assert_eq!(profile.version(), Version::V5_1_0);
    let sm2_signer = signer(profile, &secret).unwrap();
    assert_eq!(sm2_signer.sign_method(), SignMethod::Sm2Certificate);
    assert_eq!(sm2_signer.cert_id(), Some("70000000021"));

    let sm2_chain = format!("{}{}", text("sm2_root.pem"), text("sm2_middle.pem"));
    assert!(verifier(profile, &secret, &sm2_chain, IdentityRule::UnionPayOnly).is_ok());
    let rsa_chain = format!("{}{}", text("rsa_root.pem"), text("rsa_middle.pem"));
    assert!(matches!(
        verifier(profile, &secret, &rsa_chain, IdentityRule::UnionPayOnly),
        Err(SetupError::Certificates(_))
    ));
    assert!(matches!(
        verifier(
            profile,
            &secret,
            &text("sm2_root.pem"),
            IdentityRule::UnionPayOnly
        ),
        Err(SetupError::Certificates(_))
    ));

    // An RSA key, or the SM2 key beside another key's certificate, does not sign for it.
    let rsa = format!(
        "{}{}",
        pem("PRIVATE KEY", &fixture("rsa_bank.pk8")),
        text("rsa_bank.pem")
    );
    assert!(matches!(signer(profile, &rsa), Err(SetupError::Signing(_))));
    let mismatched = format!(
        "{}{}",
        pem("PRIVATE KEY", &fixture("sm2_bank.pk8")),
        text("rsa_bank.pem")
    );
    assert!(matches!(
        signer(profile, &mismatched),
        Err(SetupError::Signing(_))
    ));
    assert!(matches!(
        signer(profile, &text("sm2_bank.pem")),
        Err(SetupError::Signing(_))
    ));
}
