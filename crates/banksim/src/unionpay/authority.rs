//! The simulator's UnionPay identity: the root → middle → signing chain, generated at first
//! start into the key directory and found there afterwards, so that merchants configured with
//! its root and middle keep believing it across restarts.

use super::certificate::{CertificateError, KeyAndCertificate, SimCertificate, issue};
use std::path::Path;

pub const ROOT_FILE: &str = "unionpay-root.cer";
pub const MIDDLE_FILE: &str = "unionpay-middle.cer";
pub const SIGN_FILE: &str = "unionpay-sign.cer";
pub const SIGN_KEY_FILE: &str = "unionpay-sign.key";

/// The signing leaf's CN, in the shape of UnionPay's test certificates: the third
/// `@`-separated part is what the SDKs check with `ifValidateCNName=false`.
pub const SIGN_COMMON_NAME: &str = "041@Zbanksim@00040000:SIGN@00000001";

const KEY_BITS: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

/// The chain and the signing key.
pub struct Authority {
    pub root: SimCertificate,
    pub middle: SimCertificate,
    pub sign: KeyAndCertificate,
}

impl Authority {
    /// A new chain, kept nowhere.
    pub fn generate() -> Result<Authority, AuthorityError> {
        let root = issue(KEY_BITS, "UnionPay simulator root CA", 7300, true, None)?;
        let middle = issue(KEY_BITS, "UnionPay simulator OCA1", 3650, true, Some(&root))?;
        let sign = issue(KEY_BITS, SIGN_COMMON_NAME, 1825, false, Some(&middle))?;
        Ok(Authority {
            root: root.certificate,
            middle: middle.certificate,
            sign,
        })
    }

    /// The chain in `dir`, made and written there when the directory does not hold one.
    pub fn in_dir(dir: &Path) -> Result<Authority, AuthorityError> {
        let sign_key = dir.join(SIGN_KEY_FILE);
        if sign_key.exists() {
            let read = |name: &str| {
                let path = dir.join(name);
                std::fs::read(&path).map_err(|source| AuthorityError::File {
                    path: path.display().to_string(),
                    source,
                })
            };
            let key_pem = String::from_utf8_lossy(&read(SIGN_KEY_FILE)?).into_owned();
            return Ok(Authority {
                root: SimCertificate::from_pem_or_der(&read(ROOT_FILE)?)?,
                middle: SimCertificate::from_pem_or_der(&read(MIDDLE_FILE)?)?,
                sign: KeyAndCertificate::from_pem(&key_pem, &read(SIGN_FILE)?)?,
            });
        }
        let authority = Authority::generate()?;
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|source| AuthorityError::File {
                path: path.display().to_string(),
                source,
            })
        };
        write(ROOT_FILE, &authority.root.pem())?;
        write(MIDDLE_FILE, &authority.middle.pem())?;
        write(SIGN_FILE, &authority.sign.certificate.pem())?;
        // The key last: its presence is what says the directory holds a whole chain.
        write(SIGN_KEY_FILE, &authority.sign.key_pem()?)?;
        Ok(authority)
    }
}
