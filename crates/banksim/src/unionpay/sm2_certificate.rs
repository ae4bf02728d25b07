//! The simulated UnionPay's SM2 certificates, for signMethod 21: SM2 keys, and certificates
//! signed SM2-with-SM3 as certificate authorities sign them (the DER `(r, s)` pair, under
//! GM/T 0009's default user ID), built with the same X.509 builder as the RSA chain.

use super::certificate::{
    CertificateError, KeyAndCertificate, Profile, SimCertificate, build_error, new_serial,
};
use der::Encode;
use der::asn1::BitString;
use pkcs8::EncodePublicKey;
use sm2::dsa::signature::Signer;
use sm2::elliptic_curve::Generate;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::spki::SubjectPublicKeyInfo;
use x509_cert::time::Validity;

/// GM/T 0009's default user ID, which certificate authorities sign certificates under (a
/// message's signer uses its `certId` instead).
pub const DEFAULT_USER_ID: &str = "1234567812345678";

/// An SM2 key and its certificate.
pub type Sm2KeyAndCertificate = KeyAndCertificate<sm2::SecretKey>;

/// A new SM2 key with a certificate for `common_name`, issued by `issuer` (self-signed
/// without).
pub fn issue_sm2(
    common_name: &str,
    validity: Validity,
    authority: bool,
    issuer: Option<&Sm2KeyAndCertificate>,
) -> Result<Sm2KeyAndCertificate, CertificateError> {
    let key = sm2::SecretKey::generate_from_rng(&mut rand::rng());
    let certificate = certify_sm2(&key, common_name, validity, authority, issuer)?;
    Ok(Sm2KeyAndCertificate { key, certificate })
}

/// A certificate for the SM2 `key` over `validity`, issued by `issuer` (self-signed without).
pub fn certify_sm2(
    key: &sm2::SecretKey,
    common_name: &str,
    validity: Validity,
    authority: bool,
    issuer: Option<&Sm2KeyAndCertificate>,
) -> Result<SimCertificate, CertificateError> {
    let public = key
        .public_key()
        .to_public_key_der()
        .map_err(|e| build_error("public key", e))?;
    let spki = SubjectPublicKeyInfo::try_from(public.as_bytes())
        .map_err(|e| build_error("public key", e))?;
    let profile = Profile::new(common_name, authority, issuer.map(|i| &i.certificate))?;
    let mut builder = CertificateBuilder::new(profile, new_serial()?, validity, spki)
        .map_err(|e| build_error("builder", e))?;
    let signer = sm2::dsa::SigningKey::new(DEFAULT_USER_ID, issuer.map_or(key, |i| &i.key))
        .map_err(|e| build_error("SM2 key", e))?;
    let to_be_signed = builder
        .finalize(&signer)
        .map_err(|e| build_error("certificate", e))?;
    let signature: sm2::dsa::Signature = signer
        .try_sign(&to_be_signed)
        .map_err(|e| build_error("signing", e))?;
    // X.509 carries an SM2 signature as DER, unlike signMethod 21's plain r‖s.
    let bits = BitString::from_bytes(signature.to_der().as_bytes())
        .map_err(|e| build_error("signature", e))?;
    let built = builder
        .assemble(bits, &signer)
        .map_err(|e| build_error("certificate", e))?;
    let der = built.to_der().map_err(|e| build_error("encoding", e))?;
    SimCertificate::from_der(&der)
}
