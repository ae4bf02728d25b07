//! One merchant's account at UnionPay, as the channel needs it: who it is, how it signs, what
//! it believes, and where the gateway is.

use crate::charset::Charset;
use crate::crypto::{Certificate, ChainOfTrust, IdentityRule, PublicKey};
use crate::messages::{ChannelType, Merchant};
use crate::signing::{
    BankVerifier, MessageSigner, RsaCertificateSigner, SecureKeyDigest, SecureKeySigner,
    Sm2CertificateSigner, Version,
};
use std::sync::Arc;

/// The gateway's paths under its base address (`…/gateway/api/…`, as UnionPay's SDK
/// configuration names them).
pub const FRONT_PATH: &str = "/gateway/api/frontTransReq.do";
pub const BACK_PATH: &str = "/gateway/api/backTransReq.do";
pub const QUERY_PATH: &str = "/gateway/api/queryTrans.do";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("merId must be 15 digits")]
    MerId,
    #[error("signing: {0}")]
    Signing(String),
    #[error("the bank's certificates: {0}")]
    Certificates(String),
    #[error("gateway URL {0:?} is not http(s)")]
    Url(String),
    #[error("payment types: {0}")]
    PaymentTypes(String),
    #[error("HTTP client: {0}")]
    Http(String),
}

/// How the account signs, as stored beside it: the SDK's signMethod and version in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningProfile {
    /// signMethod 01, version 5.1.0: SHA-256 RSA; the bank's certificate travels in each
    /// message and must chain to the configured root and middle.
    RsaSha256,
    /// signMethod 01, version 5.0.0: SHA-1 RSA; the bank's certificate is configured and named
    /// by `certId`.
    RsaSha1,
    /// signMethod 11: SHA-256 with the secure key.
    SecureKeySha256,
    /// signMethod 12: SM3 with the secure key.
    SecureKeySm3,
    /// signMethod 21, version 5.1.0: SM3withSM2 with the merchant's SM2 certificate key; the
    /// bank's SM2 certificate travels in each message and must chain to the configured SM2
    /// root and middle.
    Sm2,
}

impl SigningProfile {
    pub const NAMES: &'static str = "rsa-sha256 (01, 5.1.0), rsa-sha1 (01, 5.0.0), key-sha256 (11), key-sm3 (12), sm2 (21, 5.1.0)";

    pub fn parse(text: &str) -> Option<SigningProfile> {
        match text {
            "rsa-sha256" => Some(SigningProfile::RsaSha256),
            "rsa-sha1" => Some(SigningProfile::RsaSha1),
            "key-sha256" => Some(SigningProfile::SecureKeySha256),
            "key-sm3" => Some(SigningProfile::SecureKeySm3),
            "sm2" => Some(SigningProfile::Sm2),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SigningProfile::RsaSha256 => "rsa-sha256",
            SigningProfile::RsaSha1 => "rsa-sha1",
            SigningProfile::SecureKeySha256 => "key-sha256",
            SigningProfile::SecureKeySm3 => "key-sm3",
            SigningProfile::Sm2 => "sm2",
        }
    }

    pub fn version(self) -> Version {
        match self {
            SigningProfile::RsaSha1 => Version::V5_0_0,
            _ => Version::V5_1_0,
        }
    }

    pub fn uses_certificate(self) -> bool {
        matches!(
            self,
            SigningProfile::RsaSha256 | SigningProfile::RsaSha1 | SigningProfile::Sm2
        )
    }
}

/// The account's signing secret as it is kept: a certificate key (PKCS#8 `PRIVATE KEY` and
/// its `CERTIFICATE`, PEM; RSA or SM2) or a secure key (its text).
pub fn signer(profile: SigningProfile, secret: &str) -> Result<Arc<dyn MessageSigner>, SetupError> {
    let signing = |e: &dyn std::fmt::Display| SetupError::Signing(e.to_string());
    match profile {
        SigningProfile::RsaSha256 | SigningProfile::RsaSha1 => {
            let key = pem_block(secret, "PRIVATE KEY")
                .ok_or_else(|| SetupError::Signing("no PRIVATE KEY block".into()))?;
            let certificate = Certificate::from_pem(secret).map_err(|e| signing(&e))?;
            let signer = RsaCertificateSigner::from_pkcs8_der(&key, &certificate)
                .map_err(|e| signing(&e))?;
            Ok(Arc::new(signer))
        }
        SigningProfile::Sm2 => {
            let key = pem_block(secret, "PRIVATE KEY")
                .ok_or_else(|| SetupError::Signing("no PRIVATE KEY block".into()))?;
            let certificate = Certificate::from_pem(secret).map_err(|e| signing(&e))?;
            let key = <sm2::SecretKey as pkcs8::DecodePrivateKey>::from_pkcs8_der(&key)
                .map_err(|e| SetupError::Signing(format!("not an SM2 PKCS#8 key: {e}")))?;
            let signer = Sm2CertificateSigner::new(&key, &certificate).map_err(|e| signing(&e))?;
            Ok(Arc::new(signer))
        }
        SigningProfile::SecureKeySha256 | SigningProfile::SecureKeySm3 => {
            Ok(Arc::new(secure_key(profile, secret)?))
        }
    }
}

fn secure_key(profile: SigningProfile, secret: &str) -> Result<SecureKeySigner, SetupError> {
    let key = secret.trim();
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SetupError::Signing(
            "the secure key must be printable ASCII".into(),
        ));
    }
    let digest = match profile {
        SigningProfile::SecureKeySm3 => SecureKeyDigest::Sm3,
        _ => SecureKeyDigest::Sha256,
    };
    Ok(SecureKeySigner::new(digest, key))
}

/// The first PEM block labelled `label` in `text`, decoded.
pub fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let rest = text.get(start..)?;
    let stop = rest.find(&end)?;
    let body: String = rest
        .get(..stop)?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Every `CERTIFICATE` block of `text`, in order.
pub fn certificates(text: &str) -> Result<Vec<Certificate>, SetupError> {
    const END: &str = "-----END CERTIFICATE-----";
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(stop) = rest.find(END) {
        let (block, tail) = rest.split_at(stop + END.len());
        found.push(
            Certificate::from_pem(block).map_err(|e| SetupError::Certificates(e.to_string()))?,
        );
        rest = tail;
    }
    Ok(found)
}

/// What the bank's messages are checked with: for 5.1.0 certificate signing, the root and the
/// middle (`bank_certificates`: root first; SM2 ones for signMethod 21); for 5.0.0, the bank's
/// signing certificate(s); for a secure key, the key itself.
pub fn verifier(
    profile: SigningProfile,
    secret: &str,
    bank_certificates: &str,
    identity: IdentityRule,
) -> Result<BankVerifier, SetupError> {
    let certificates = certificates(bank_certificates)?;
    let chain = |certificates: Vec<Certificate>| {
        let [root, middle] = <[Certificate; 2]>::try_from(certificates).map_err(|_| {
            SetupError::Certificates("give the root and the middle certificate".into())
        })?;
        let chain = ChainOfTrust {
            root,
            middle,
            identity,
        };
        chain.check_middle().map_err(|e| {
            SetupError::Certificates(format!("the middle certificate and the root: {e}"))
        })?;
        Ok::<_, SetupError>(chain)
    };
    match profile {
        SigningProfile::RsaSha256 => Ok(BankVerifier::new().with_rsa_chain(chain(certificates)?)),
        SigningProfile::Sm2 => {
            let chain = chain(certificates)?;
            let sm2 = |c: &Certificate| matches!(c.public_key(), PublicKey::Sm2(_));
            if !(sm2(&chain.root) && sm2(&chain.middle)) {
                return Err(SetupError::Certificates(
                    "signMethod 21 takes UnionPay's SM2 root and middle certificates".into(),
                ));
            }
            Ok(BankVerifier::new().with_sm2_chain(chain))
        }
        SigningProfile::RsaSha1 => {
            if certificates.is_empty() {
                return Err(SetupError::Certificates(
                    "give the bank's verification certificate".into(),
                ));
            }
            Ok(certificates
                .into_iter()
                .fold(BankVerifier::new(), BankVerifier::with_certificate))
        }
        SigningProfile::SecureKeySha256 | SigningProfile::SecureKeySm3 => {
            Ok(BankVerifier::new().with_secure_key(secure_key(profile, secret)?))
        }
    }
}

/// A channel account at UnionPay.
#[derive(Clone)]
pub struct UnionPayAccount {
    pub merchant: Merchant,
    pub signer: Arc<dyn MessageSigner>,
    pub verifier: BankVerifier,
    /// The gateway's base address (`https://gateway.95516.com`); the paths are UnionPay's.
    pub gateway_url: String,
    /// The `channelType`s the cashier offers (`07` desktop, `08` mobile).
    pub channel_types: Vec<ChannelType>,
    pub timeout_ms: u64,
}

impl std::fmt::Debug for UnionPayAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnionPayAccount")
            .field("mer_id", &self.merchant.mer_id)
            .field("gateway_url", &self.gateway_url)
            .finish_non_exhaustive()
    }
}

impl UnionPayAccount {
    pub fn new(
        mer_id: &str,
        profile: SigningProfile,
        signer: Arc<dyn MessageSigner>,
        verifier: BankVerifier,
        gateway_url: &str,
    ) -> Result<UnionPayAccount, SetupError> {
        if mer_id.len() != 15 || !mer_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SetupError::MerId);
        }
        if !(gateway_url.starts_with("https://") || gateway_url.starts_with("http://")) {
            return Err(SetupError::Url(gateway_url.to_string()));
        }
        Ok(UnionPayAccount {
            merchant: Merchant {
                mer_id: mer_id.to_string(),
                version: profile.version(),
                charset: Charset::Utf8,
            },
            signer,
            verifier,
            gateway_url: gateway_url.trim_end_matches('/').to_string(),
            channel_types: vec![ChannelType::Desktop],
            timeout_ms: 30_000,
        })
    }

    /// `07,08`, as stored: which pages the cashier offers.
    pub fn set_channel_types(&mut self, list: &str) -> Result<(), SetupError> {
        let mut types = Vec::new();
        for code in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let channel_type = match code {
                "07" => ChannelType::Desktop,
                "08" => ChannelType::Mobile,
                other => {
                    return Err(SetupError::PaymentTypes(format!(
                        "{other:?} is not 07 or 08"
                    )));
                }
            };
            if !types.contains(&channel_type) {
                types.push(channel_type);
            }
        }
        if types.is_empty() {
            return Err(SetupError::PaymentTypes("none given".into()));
        }
        self.channel_types = types;
        Ok(())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway_url)
    }
}

/// The cashier's label of a `channelType`.
pub fn channel_type_label(channel_type: ChannelType) -> &'static str {
    match channel_type {
        ChannelType::Desktop => "银联在线支付 UnionPay online",
        ChannelType::Mobile => "银联手机支付 UnionPay mobile",
    }
}

#[cfg(test)]
mod tests;
