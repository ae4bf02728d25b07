//! The simulator's UnionPay identity: the root → middle → signing chain, generated at first
//! start into the key directory and found there afterwards, so that merchants configured with
//! its root and middle keep believing it across restarts. Beside it the SM2 chain
//! ([`super::sm2_authority`]) signMethod 21 answers with.

use super::certificate::{
    CertificateError, KeyAndCertificate, SimCertificate, certify, ended_yesterday, issue,
};
use super::signing::GatewayKeys;
use super::sm2_authority::Sm2Authority;
use std::path::Path;

pub const ROOT_FILE: &str = "unionpay-root.cer";
pub const MIDDLE_FILE: &str = "unionpay-middle.cer";
pub const SIGN_FILE: &str = "unionpay-sign.cer";
pub const SIGN_KEY_FILE: &str = "unionpay-sign.key";
/// The signing key's certificate whose validity has ended (the `sign_cert` fault).
pub const EXPIRED_SIGN_FILE: &str = "unionpay-sign-expired.cer";

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
    /// The signing key's out-of-date certificate, issued by the middle; none in a key
    /// directory made before the simulator had one.
    pub expired_sign: Option<SimCertificate>,
    pub sm2: Sm2Authority,
}

impl Authority {
    /// New chains, kept nowhere.
    pub fn generate() -> Result<Authority, AuthorityError> {
        Authority::generate_beside(Sm2Authority::generate()?)
    }

    /// A new RSA chain beside the SM2 chain `sm2`.
    fn generate_beside(sm2: Sm2Authority) -> Result<Authority, AuthorityError> {
        let root = issue(KEY_BITS, "UnionPay simulator root CA", 7300, true, None)?;
        let middle = issue(KEY_BITS, "UnionPay simulator OCA1", 3650, true, Some(&root))?;
        let sign = issue(KEY_BITS, SIGN_COMMON_NAME, 1825, false, Some(&middle))?;
        let expired_sign = certify(
            &sign.key,
            SIGN_COMMON_NAME,
            ended_yesterday()?,
            false,
            Some(&middle),
        )?;
        Ok(Authority {
            root: root.certificate,
            middle: middle.certificate,
            sign,
            expired_sign: Some(expired_sign),
            sm2,
        })
    }

    /// The chains in `dir`, made and written there when the directory does not hold them.
    pub fn in_dir(dir: &Path) -> Result<Authority, AuthorityError> {
        let sm2 = Sm2Authority::in_dir(dir)?;
        if dir.join(SIGN_KEY_FILE).exists() {
            let key_pem = String::from_utf8_lossy(&read_file(dir, SIGN_KEY_FILE)?).into_owned();
            let expired_sign = if dir.join(EXPIRED_SIGN_FILE).exists() {
                Some(SimCertificate::from_pem_or_der(&read_file(
                    dir,
                    EXPIRED_SIGN_FILE,
                )?)?)
            } else {
                None
            };
            return Ok(Authority {
                root: SimCertificate::from_pem_or_der(&read_file(dir, ROOT_FILE)?)?,
                middle: SimCertificate::from_pem_or_der(&read_file(dir, MIDDLE_FILE)?)?,
                sign: KeyAndCertificate::from_pem(&key_pem, &read_file(dir, SIGN_FILE)?)?,
                expired_sign,
                sm2,
            });
        }
        let authority = Authority::generate_beside(sm2)?;
        write_file(dir, ROOT_FILE, &authority.root.pem())?;
        write_file(dir, MIDDLE_FILE, &authority.middle.pem())?;
        write_file(dir, SIGN_FILE, &authority.sign.certificate.pem())?;
        if let Some(expired) = &authority.expired_sign {
            write_file(dir, EXPIRED_SIGN_FILE, &expired.pem())?;
        }
        // The key last: its presence is what says the directory holds a whole chain.
        write_file(dir, SIGN_KEY_FILE, &authority.sign.key_pem()?)?;
        Ok(authority)
    }

    /// Whether both chains hold an out-of-date certificate to sign under.
    pub fn has_expired_leaves(&self) -> bool {
        self.expired_sign.is_some() && self.sm2.expired_sign.is_some()
    }

    /// The keys and certificates answers are signed with: the current leaves, or with
    /// `out_of_date` the certificates whose validity has ended (the current ones where the
    /// key directory holds none).
    pub fn gateway_keys<'a>(
        &'a self,
        out_of_date: bool,
        secure_key: Option<&'a str>,
    ) -> GatewayKeys<'a> {
        let pick = |expired: &'a Option<SimCertificate>, current: &'a SimCertificate| match expired
        {
            Some(expired) if out_of_date => expired,
            _ => current,
        };
        GatewayKeys {
            rsa_key: &self.sign.key,
            rsa_certificate: pick(&self.expired_sign, &self.sign.certificate),
            sm2_key: &self.sm2.sign.key,
            sm2_certificate: pick(&self.sm2.expired_sign, &self.sm2.sign.certificate),
            secure_key,
        }
    }
}

/// The file `name` of the key directory.
pub(super) fn read_file(dir: &Path, name: &str) -> Result<Vec<u8>, AuthorityError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|source| AuthorityError::File {
        path: path.display().to_string(),
        source,
    })
}

pub(super) fn write_file(dir: &Path, name: &str, text: &str) -> Result<(), AuthorityError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|source| AuthorityError::File {
        path: path.display().to_string(),
        source,
    })
}
