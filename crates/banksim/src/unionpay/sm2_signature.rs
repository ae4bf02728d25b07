//! signMethod 21 as the gateway computes it (the 2020 Java SDK's `gm` package): SM3withSM2
//! over the ASCII of lowerhex(SM3(S)), the signer's `certId` as the SM2 user ID, and the
//! signature as base64 of the plain 64 bytes r‖s (not DER).

use base64::Engine;
use sm2::dsa::signature::{Signer, Verifier};
use sm3::{Digest, Sm3};

/// The `signature` value for the bytes `signed` (the string to sign in the message's
/// charset); none when the key cannot sign under `user_id`.
pub fn sign(key: &sm2::SecretKey, user_id: &str, signed: &[u8]) -> Option<String> {
    let signer = sm2::dsa::SigningKey::new(user_id, key).ok()?;
    let digest_hex = hex::encode(Sm3::digest(signed));
    let signature: sm2::dsa::Signature = signer.try_sign(digest_hex.as_bytes()).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()))
}

/// Whether `signature` (base64 r‖s) is `key`'s, under `user_id`, over `signed`.
pub fn verifies(key: &sm2::PublicKey, user_id: &str, signed: &[u8], signature: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    let Ok(signature) = sm2::dsa::Signature::from_slice(&bytes) else {
        return false;
    };
    let Ok(verifier) = sm2::dsa::VerifyingKey::new(user_id, *key) else {
        return false;
    };
    let digest_hex = hex::encode(Sm3::digest(signed));
    verifier.verify(digest_hex.as_bytes(), &signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sm2::elliptic_curve::Generate;

    #[test]
    fn a_signature_holds_only_under_its_user_id_and_message() {
        let key = sm2::SecretKey::generate_from_rng(&mut rand::rng());
        let signature = sign(&key, "70000000021", b"a=1&b=2").unwrap();
        let public = key.public_key();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&signature)
                .unwrap()
                .len(),
            64,
            "plain r‖s"
        );
        assert!(verifies(&public, "70000000021", b"a=1&b=2", &signature));
        assert!(!verifies(
            &public,
            "1234567812345678",
            b"a=1&b=2",
            &signature
        ));
        assert!(!verifies(&public, "70000000021", b"a=1&b=3", &signature));
        assert!(!verifies(&public, "70000000021", b"a=1&b=2", "not base64"));
    }
}
