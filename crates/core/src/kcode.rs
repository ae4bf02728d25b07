//! K-code payment (网上K码支付): the consumer pays without leaving the merchant's page. The bank
//! takes the bill with the consumer's card and mobile numbers and texts a verification code;
//! the merchant sends the code back with the card holder's details and the bank pays at once.
//! A bank protocol that offers it implements [`KcodeChannel`] and returns it from
//! [`crate::channel::Channel::kcode`].

use crate::channel::{BankPaid, BoxFuture, ChannelError, PaymentRequest, RawMessage};
use crate::masking::{mask_card, mask_mobile};
use crate::money::Amount;

/// The bill: the order as for a redirected payment, plus the card to charge and the mobile
/// the code goes to. Only masked forms of both ever reach a log.
#[derive(Clone)]
pub struct KcodeBill {
    pub order: PaymentRequest,
    pub card_no: String,
    pub mobile_no: String,
}

impl std::fmt::Debug for KcodeBill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KcodeBill")
            .field("order_no", &self.order.order_no)
            .field("card_no", &mask_card(&self.card_no))
            .field("mobile_no", &mask_mobile(&self.mobile_no))
            .finish()
    }
}

/// The order a K-code request is about, as the bill named it: the bank wants it whole with
/// every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KcodeOrder {
    pub order_no: String,
    /// The amount of the order (also to check the bank's answer against).
    pub amount: Amount,
    /// When the order was made: its OrderDate and OrderTime.
    pub created_at_ms: i64,
}

/// What the consumer types in to pay: the texted code and the card holder's details.
#[derive(Clone)]
pub struct KcodePayment {
    pub order: KcodeOrder,
    /// The bank's payment type the bill was sent with.
    pub payment_type: String,
    pub verify_code: String,
    pub account_name: String,
    /// One of [`crate::identity::CERTIFICATE_TYPES`].
    pub certificate_type: String,
    pub certificate_no: String,
    /// `MMYY` of a credit card; empty for a debit card.
    pub exp_date: String,
    /// A credit card's security code; empty for a debit card.
    pub cvv2: String,
}

impl std::fmt::Debug for KcodePayment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KcodePayment")
            .field("order", &self.order)
            .field("certificate_type", &self.certificate_type)
            .finish_non_exhaustive()
    }
}

/// What the bank says to a K-code request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KcodeState {
    /// A (new) code was texted: to the bill and to a resend. Any earlier code is void.
    CodeSent,
    /// The code was right and the money is taken: to the payment.
    Paid(BankPaid),
    /// The code was wrong; the bank counted the attempt.
    WrongCode { reason: String },
    /// The code is too old; a resend gives a new one.
    CodeExpired { reason: String },
    /// Too many wrong codes: the bank failed the order for good.
    AttemptsExhausted { reason: String },
    /// The bank will text no more codes for this order.
    ResendLimit { reason: String },
    /// The bank judged the request and declined it (card or mobile not accepted, order not
    /// payable, holder details wrong): nothing was done.
    Refused { code: String, reason: String },
    /// The bank cannot tell (ABC: `EUNKWN`): query the order.
    Unknown { reason: String },
}

/// Where a payment's K-code stands: the sub-state of a payment paid with a texted code. The
/// payment itself moves by the payment's table; this one says whether a code is awaited.
///
/// ```text
/// sending --bill: code texted--> code_sent --code right--> paid
///    |  \--bill: declined--> refused          \--too many wrong codes--> failed
///    +--bill: answer lost--> unknown (the bill may be sent again)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcodeStatus {
    /// The bill is on its way to the bank.
    Sending,
    /// The bank texted a code: the payment waits for it.
    CodeSent,
    /// The bank declined the bill (card or mobile not accepted).
    Refused,
    /// The bill's answer was lost: sending it again is safe.
    Unknown,
    Paid,
    /// Too many wrong codes.
    Failed,
}

impl KcodeStatus {
    pub const ALL: [KcodeStatus; 6] = [
        KcodeStatus::Sending,
        KcodeStatus::CodeSent,
        KcodeStatus::Refused,
        KcodeStatus::Unknown,
        KcodeStatus::Paid,
        KcodeStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KcodeStatus::Sending => "sending",
            KcodeStatus::CodeSent => "code_sent",
            KcodeStatus::Refused => "refused",
            KcodeStatus::Unknown => "unknown",
            KcodeStatus::Paid => "paid",
            KcodeStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<KcodeStatus> {
        KcodeStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    /// Whether the bank's answer to the bill is still missing, so the bill may be sent (again).
    pub fn bill_unanswered(self) -> bool {
        matches!(self, KcodeStatus::Sending | KcodeStatus::Unknown)
    }

    /// Whether a code is awaited: only then may it be confirmed or sent again.
    pub fn awaits_code(self) -> bool {
        self == KcodeStatus::CodeSent
    }
}

/// The table of the bill's answer: where the K-code stands after the bank answered the bill.
/// Any answer a bill should not get leaves the bill unanswered (`Unknown`), to be sent again.
pub fn status_after_bill(answer: &KcodeState) -> KcodeStatus {
    match answer {
        KcodeState::CodeSent => KcodeStatus::CodeSent,
        KcodeState::Refused { .. }
        | KcodeState::ResendLimit { .. }
        | KcodeState::AttemptsExhausted { .. } => KcodeStatus::Refused,
        KcodeState::Unknown { .. }
        | KcodeState::Paid(_)
        | KcodeState::WrongCode { .. }
        | KcodeState::CodeExpired { .. } => KcodeStatus::Unknown,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KcodeAnswer {
    pub state: KcodeState,
    pub raw: RawMessage,
}

/// The K-code operations of a bank. `Err` is, as for every channel call, an outcome unknown
/// ([`ChannelError::Unknown`]), a request that never reached the bank, one the bank refused as
/// a message, or an answer not believed.
pub trait KcodeChannel: Send + Sync {
    /// Hands the bank the bill; it texts a code to the mobile number it holds for the card,
    /// which must end in the digits of `bill.mobile_no`.
    fn send_bill<'a>(
        &'a self,
        bill: &'a KcodeBill,
    ) -> BoxFuture<'a, Result<KcodeAnswer, ChannelError>>;

    /// Pays the order with the texted code.
    fn pay<'a>(
        &'a self,
        payment: &'a KcodePayment,
    ) -> BoxFuture<'a, Result<KcodeAnswer, ChannelError>>;

    /// Asks for a new code for the order (the old one stops working).
    fn resend_code<'a>(
        &'a self,
        order: &'a KcodeOrder,
    ) -> BoxFuture<'a, Result<KcodeAnswer, ChannelError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bill_answered_with_a_code_awaits_it() {
        assert_eq!(
            status_after_bill(&KcodeState::CodeSent),
            KcodeStatus::CodeSent
        );
        assert!(KcodeStatus::CodeSent.awaits_code());
        assert!(!KcodeStatus::CodeSent.bill_unanswered());
    }

    #[test]
    fn a_declined_bill_is_refused_and_a_lost_answer_may_be_sent_again() {
        let reason = String::from("no");
        for declined in [
            KcodeState::Refused {
                code: "X".into(),
                reason: reason.clone(),
            },
            KcodeState::ResendLimit {
                reason: reason.clone(),
            },
            KcodeState::AttemptsExhausted {
                reason: reason.clone(),
            },
        ] {
            assert_eq!(status_after_bill(&declined), KcodeStatus::Refused);
        }
        for unanswered in [
            KcodeState::Unknown {
                reason: reason.clone(),
            },
            KcodeState::WrongCode {
                reason: reason.clone(),
            },
            KcodeState::CodeExpired { reason },
        ] {
            let status = status_after_bill(&unanswered);
            assert_eq!(status, KcodeStatus::Unknown);
            assert!(status.bill_unanswered());
        }
        assert!(KcodeStatus::Sending.bill_unanswered());
    }

    #[test]
    fn statuses_read_back() {
        for status in KcodeStatus::ALL {
            assert_eq!(KcodeStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(KcodeStatus::parse("CODE_SENT"), None);
    }
}
