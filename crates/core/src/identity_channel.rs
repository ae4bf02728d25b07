//! The identity verification port: what a channel that verifies identities offers
//! ([`crate::channel::Channel::identity`]).

use crate::channel::{BoxFuture, ChannelError, NotificationError, RawMessage};
use crate::identity::CustomerType;
use crate::masking::{mask_card, mask_id, mask_mobile, mask_name};

/// What is verified. It carries personal data in plain text for the bank and nowhere else:
/// its `Debug` shows masks only, so a log line cannot leak it.
#[derive(Clone)]
pub struct IdentityRequest {
    /// Our number for the verification at the bank (unique per channel account).
    pub verify_no: String,
    pub customer_type: CustomerType,
    pub name: String,
    /// One of [`crate::identity::CERTIFICATE_TYPES`].
    pub certificate_type: String,
    pub certificate_no: String,
    pub card_no: String,
    pub mobile: Option<String>,
    /// Where the bank sends the result (redirect mode).
    pub result_notify_url: String,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for IdentityRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityRequest")
            .field("verify_no", &self.verify_no)
            .field("customer_type", &self.customer_type)
            .field("name", &mask_name(&self.name))
            .field("certificate_type", &self.certificate_type)
            .field("certificate_no", &mask_id(&self.certificate_no))
            .field("card_no", &mask_card(&self.card_no))
            .field("mobile", &self.mobile.as_deref().map(mask_mobile))
            .finish_non_exhaustive()
    }
}

/// Where to send the customer to confirm (redirect mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRedirect {
    pub verify_url: String,
    pub raw: RawMessage,
}

/// The bank's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityOutcome {
    Matched,
    /// The details do not belong together; `code` and `reason` are the bank's.
    NotMatched {
        code: String,
        reason: String,
    },
    /// The bank gave no verdict (it refused the request, or failed).
    Failed {
        code: String,
        reason: String,
    },
}

/// A direct verification's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityAnswer {
    pub outcome: IdentityOutcome,
    pub raw: RawMessage,
}

/// A verified result message (redirect mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityNotification {
    /// The verification the result is for: named by the address it arrived at, as the
    /// bank's result carries no number of ours.
    pub verify_no: String,
    /// The card and certificate numbers the result is about, masked as the platform keeps
    /// them (empty when the bank did not echo them): they must be the verification's.
    pub card_no_masked: String,
    pub certificate_no_masked: String,
    pub outcome: IdentityOutcome,
    /// The message decoded to text, personal data masked.
    pub raw_masked: String,
    /// Lowercase hex SHA-256 of the message as received: the de-duplication key.
    pub raw_sha256: String,
}

pub trait IdentityChannel: Send + Sync {
    /// Registers a verification and returns the bank's page for the customer.
    fn request_identity_verification<'a>(
        &'a self,
        request: &'a IdentityRequest,
    ) -> BoxFuture<'a, Result<IdentityRedirect, ChannelError>>;

    /// Verifies without the customer: the answer is the verdict. A refusal of the request
    /// itself is [`IdentityOutcome::Failed`]; `Err` is a call that never got a believable
    /// answer.
    fn verify_identity<'a>(
        &'a self,
        request: &'a IdentityRequest,
    ) -> BoxFuture<'a, Result<IdentityAnswer, ChannelError>>;

    /// Verifies and reads a result message (the HTTP request body as received) that arrived at
    /// the address made for verification `verify_no`.
    fn read_identity_result(
        &self,
        verify_no: &str,
        body: &[u8],
    ) -> Result<IdentityNotification, NotificationError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_masks_only() {
        let request = IdentityRequest {
            verify_no: "V1".into(),
            customer_type: CustomerType::Person,
            name: "张三丰".into(),
            certificate_type: "I".into(),
            certificate_no: "110101199003071234".into(),
            card_no: "6228480012345678901".into(),
            mobile: Some("13800138000".into()),
            result_notify_url: String::new(),
            created_at_ms: 0,
        };
        let shown = format!("{request:?}");
        for plain in [
            "张三丰",
            "110101199003071234",
            "6228480012345678901",
            "13800138000",
        ] {
            assert!(!shown.contains(plain), "{shown}");
        }
        assert!(shown.contains("622848*********8901"), "{shown}");
    }
}
