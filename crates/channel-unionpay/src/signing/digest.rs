//! The digests the methods use, always as lower-case hex text: that text, not the digest
//! bytes, is what the RSA and SM2 keys sign and what the secure-key methods compare.

use sha2::Digest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlgorithm {
    Sha1,
    Sha256,
    Sm3,
}

pub(crate) fn lower_hex(algorithm: HashAlgorithm, data: &[u8]) -> String {
    match algorithm {
        HashAlgorithm::Sha1 => hex::encode(sha1::Sha1::digest(data)),
        HashAlgorithm::Sha256 => hex::encode(sha2::Sha256::digest(data)),
        HashAlgorithm::Sm3 => hex::encode(sm3::Sm3::digest(data)),
    }
}
