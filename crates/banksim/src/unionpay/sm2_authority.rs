//! The simulator's SM2 chain for signMethod 21 (root → middle → signing leaf, as UnionPay's
//! `acp_test_root_SM2.cer` and `acp_test_middle_SM2.cer` stand above its SM2 signing
//! certificate), generated at first start into the key directory beside the RSA chain and
//! found there afterwards.

use super::authority::{AuthorityError, read_file, write_file};
use super::certificate::{SimCertificate, ended_yesterday, valid_for_days};
use super::sm2_certificate::{Sm2KeyAndCertificate, certify_sm2, issue_sm2};
use std::path::Path;

pub const SM2_ROOT_FILE: &str = "unionpay-sm2-root.cer";
pub const SM2_MIDDLE_FILE: &str = "unionpay-sm2-middle.cer";
pub const SM2_SIGN_FILE: &str = "unionpay-sm2-sign.cer";
pub const SM2_EXPIRED_SIGN_FILE: &str = "unionpay-sm2-sign-expired.cer";
pub const SM2_SIGN_KEY_FILE: &str = "unionpay-sm2-sign.key";

/// The SM2 signing leaf's CN, in the test certificates' shape (`00040000:SIGN` third).
pub const SM2_SIGN_COMMON_NAME: &str = "041@Zbanksim-sm2@00040000:SIGN@00000002";

/// The SM2 chain and its signing key.
pub struct Sm2Authority {
    pub root: SimCertificate,
    pub middle: SimCertificate,
    pub sign: Sm2KeyAndCertificate,
    /// The signing key's out-of-date certificate, issued by the middle.
    pub expired_sign: Option<SimCertificate>,
}

impl Sm2Authority {
    /// A new chain, kept nowhere.
    pub fn generate() -> Result<Sm2Authority, AuthorityError> {
        let root = issue_sm2(
            "UnionPay simulator SM2 root CA",
            valid_for_days(7300)?,
            true,
            None,
        )?;
        let middle = issue_sm2(
            "UnionPay simulator SM2 OCA1",
            valid_for_days(3650)?,
            true,
            Some(&root),
        )?;
        let sign = issue_sm2(
            SM2_SIGN_COMMON_NAME,
            valid_for_days(1825)?,
            false,
            Some(&middle),
        )?;
        let expired_sign = certify_sm2(
            &sign.key,
            SM2_SIGN_COMMON_NAME,
            ended_yesterday()?,
            false,
            Some(&middle),
        )?;
        Ok(Sm2Authority {
            root: root.certificate,
            middle: middle.certificate,
            sign,
            expired_sign: Some(expired_sign),
        })
    }

    /// The chain in `dir`, made and written there when the directory does not hold one.
    pub fn in_dir(dir: &Path) -> Result<Sm2Authority, AuthorityError> {
        if dir.join(SM2_SIGN_KEY_FILE).exists() {
            let key_pem = String::from_utf8_lossy(&read_file(dir, SM2_SIGN_KEY_FILE)?).into_owned();
            let expired_sign = if dir.join(SM2_EXPIRED_SIGN_FILE).exists() {
                Some(SimCertificate::from_pem_or_der(&read_file(
                    dir,
                    SM2_EXPIRED_SIGN_FILE,
                )?)?)
            } else {
                None
            };
            return Ok(Sm2Authority {
                root: SimCertificate::from_pem_or_der(&read_file(dir, SM2_ROOT_FILE)?)?,
                middle: SimCertificate::from_pem_or_der(&read_file(dir, SM2_MIDDLE_FILE)?)?,
                sign: Sm2KeyAndCertificate::from_pem(&key_pem, &read_file(dir, SM2_SIGN_FILE)?)?,
                expired_sign,
            });
        }
        let authority = Sm2Authority::generate()?;
        write_file(dir, SM2_ROOT_FILE, &authority.root.pem())?;
        write_file(dir, SM2_MIDDLE_FILE, &authority.middle.pem())?;
        write_file(dir, SM2_SIGN_FILE, &authority.sign.certificate.pem())?;
        if let Some(expired) = &authority.expired_sign {
            write_file(dir, SM2_EXPIRED_SIGN_FILE, &expired.pem())?;
        }
        // The key last: its presence is what says the directory holds a whole chain.
        write_file(dir, SM2_SIGN_KEY_FILE, &authority.sign.key_pem()?)?;
        Ok(authority)
    }
}
