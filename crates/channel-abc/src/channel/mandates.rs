//! Authorized payment (授权支付) through ABC: core's `MandateChannel` for `AbcChannel`. The
//! signing and its result, query and unsigning are here; debits are in `agent_debit`.

use super::account::AbcAccount;
use super::answer::{self, Judged};
use super::pay::{truncate_chars, unfit, valid_order_no};
use super::statement::protocol_date;
use super::time::{beijing_date_time, booked};
use super::{AbcChannel, agent_debit, http, raw_message, request};
use crate::messages::{
    AgentSignRequest, AgentSignResponse, AgentSignResultNotification, AgentUnSignRequest,
    AgentUnSignResponse, NO_SUCH_ORDER_CODES, QueryAgentSignRequest, QueryAgentSignResponse,
    RETURN_CODE_SUCCESS, RETURN_CODE_UNKNOWN, SIGN_ACTIVE, SIGN_CANCELLED, SIGN_FAILED,
    SIGN_PENDING,
};
use crate::wire::SignedNotification;
use unipay_core::channel::{
    BatchAccepted, BatchRef, BoxFuture, ChannelError, NotificationError, NotificationMode,
};
use unipay_core::mandate_channel::{
    BankMandate, BankMandateState, DebitAnswer, DebitBatchRequest, DebitBatchResult, DebitRequest,
    MandateAnswer, MandateChannel, MandateSignNotification, MandateSignRedirect,
    MandateSignRequest,
};
use unipay_core::masking::{mask_card, mask_sensitive_fields};

/// A certificate number on the wire: letters and digits (an ID's check character is `X`).
const MAX_CERTIFICATE_CHARS: usize = 32;

impl MandateChannel for AbcChannel {
    fn sign_mandate<'a>(
        &'a self,
        request: &'a MandateSignRequest,
    ) -> BoxFuture<'a, Result<MandateSignRedirect, ChannelError>> {
        Box::pin(async move {
            let trx = sign_request(&self.account, request)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            read_sign_answer(&self.account, &trx, &answer)
        })
    }

    fn read_sign_result(&self, body: &[u8]) -> Result<MandateSignNotification, NotificationError> {
        read_sign_result(&self.account, body, self.clock.now_ms())
    }

    fn query_mandate<'a>(
        &'a self,
        sign_request_no: &'a str,
    ) -> BoxFuture<'a, Result<MandateAnswer, ChannelError>> {
        Box::pin(async move {
            if !valid_order_no(sign_request_no) {
                return Err(unfit("invalid signing number"));
            }
            let trx = QueryAgentSignRequest {
                trx_type: "QueryAgentSign".to_string(),
                order_no: sign_request_no.to_string(),
            };
            let body = request::signed(&self.account, trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state =
                read_query_answer(&self.account, sign_request_no, &answer, self.clock.now_ms())?;
            Ok(MandateAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }

    fn cancel_mandate<'a>(
        &'a self,
        sign_request_no: &'a str,
        agent_sign_no: &'a str,
    ) -> BoxFuture<'a, Result<MandateAnswer, ChannelError>> {
        Box::pin(async move {
            if !valid_order_no(sign_request_no) || !valid_order_no(agent_sign_no) {
                return Err(unfit("invalid signing or mandate number"));
            }
            let trx = AgentUnSignRequest {
                trx_type: "AgentUnSign".to_string(),
                order_no: sign_request_no.to_string(),
                agent_sign_no: agent_sign_no.to_string(),
            };
            let body = request::signed(&self.account, trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let (message, success) =
                answer::open_checked::<AgentUnSignResponse>(&self.account, &answer, "AgentUnSign")?;
            let r = &message.trx_response;
            if !success {
                return Err(answer::refusal(&r.return_code, &r.error_message));
            }
            if !r.agent_sign_no.is_empty() && r.agent_sign_no.trim() != agent_sign_no {
                return Err(ChannelError::BadAnswer(format!(
                    "answer unsigns {:?}, not {agent_sign_no:?}",
                    r.agent_sign_no
                )));
            }
            Ok(MandateAnswer {
                state: BankMandateState::Cancelled,
                raw: raw_message(&answer),
            })
        })
    }

    fn debit<'a>(
        &'a self,
        request: &'a DebitRequest,
    ) -> BoxFuture<'a, Result<DebitAnswer, ChannelError>> {
        Box::pin(async move {
            let trx = agent_debit::pay_request(request)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state =
                agent_debit::read_pay_answer(&self.account, &trx, &answer, self.clock.now_ms())?;
            Ok(DebitAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }

    fn debit_batch<'a>(
        &'a self,
        request: &'a DebitBatchRequest,
    ) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>> {
        Box::pin(async move {
            let batch = agent_debit::batch_request(request)?;
            let body = agent_debit::batch_body(&self.account, &batch)?;
            let answer = http::post_batch(&self.http, &self.account, body).await?;
            agent_debit::read_batch_answer(&self.account, &batch, &answer)
        })
    }

    fn query_debit_batch<'a>(
        &'a self,
        batch: &'a BatchRef,
    ) -> BoxFuture<'a, Result<DebitBatchResult, ChannelError>> {
        Box::pin(async move {
            let body = agent_debit::batch_query_body(&self.account, batch)?;
            let answer = http::post_batch(&self.http, &self.account, body).await?;
            let (account, batch) = (self.account.clone(), batch.clone());
            let now_ms = self.clock.now_ms();
            super::read_off_runtime(move || {
                agent_debit::read_batch_query_answer(&account, &batch, &answer, now_ms)
            })
            .await
        })
    }
}

/// The typed AgentSign; refused here (never sent) when the platform could only refuse it.
pub fn sign_request(
    account: &AbcAccount,
    request: &MandateSignRequest,
) -> Result<AgentSignRequest, ChannelError> {
    if !valid_order_no(&request.sign_request_no) {
        return Err(unfit(
            "signing number must be 1 to 50 letters, digits, - or _",
        ));
    }
    let certificate_ok = (1..=MAX_CERTIFICATE_CHARS).contains(&request.certificate_no.len())
        && request
            .certificate_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric());
    if !certificate_ok {
        return Err(unfit(
            "certificate number must be 1 to 32 letters or digits",
        ));
    }
    let (request_date, request_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    Ok(AgentSignRequest {
        trx_type: "AgentSign".to_string(),
        order_no: request.sign_request_no.clone(),
        request_date,
        request_time,
        card_type: request.card_type.clone(),
        certificate_type: request.certificate_type.clone(),
        certificate_no: request.certificate_no.clone(),
        expired_date: protocol_date(&request.expires_on)?,
        single_limit_amount: request
            .max_amount_per_debit
            .map(|a| a.to_yuan_string())
            .unwrap_or_default(),
        notify_type: account.notify_type.code().to_string(),
        result_notify_url: request.result_notify_url.clone(),
        merchant_remarks: truncate_chars("", 100),
    })
}

fn read_sign_answer(
    account: &AbcAccount,
    sent: &AgentSignRequest,
    body: &[u8],
) -> Result<MandateSignRedirect, ChannelError> {
    let (message, success) = answer::open_checked::<AgentSignResponse>(account, body, "AgentSign")?;
    let r = &message.trx_response;
    if !success {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    if !r.order_no.is_empty() && r.order_no.trim() != sent.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for signing {:?}, not {:?}",
            r.order_no, sent.order_no
        )));
    }
    let url = r.sign_url.trim();
    let usable =
        reqwest::Url::parse(url).is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https"));
    if !usable {
        return Err(ChannelError::BadAnswer(format!(
            "answer has no usable SignURL ({url:?})"
        )));
    }
    Ok(MandateSignRedirect {
        sign_url: url.to_string(),
    })
}

/// Verified exactly like a payment result: the MSG form field, the envelope, the signature over
/// M's GB2312 bytes, our MerchantID; then the fields of a signing result.
fn read_sign_result(
    account: &AbcAccount,
    body: &[u8],
    now_ms: i64,
) -> Result<MandateSignNotification, NotificationError> {
    let (signed, msg) = super::notify::cut_form(body)?;
    signed
        .verify(&account.bank_certificate)
        .map_err(|_| NotificationError::BadSignature)?;
    sign_result_verified(account, &signed, &msg, now_ms)
}

/// A signing result whose signature has verified (apart from [`read_sign_result`] so that the
/// fuzz target reaches it without the bank's key).
pub(crate) fn sign_result_verified(
    account: &AbcAccount,
    signed: &SignedNotification,
    msg: &str,
    now_ms: i64,
) -> Result<MandateSignNotification, NotificationError> {
    let fields = AgentSignResultNotification::from_xml(&signed.message)
        .map_err(|e| NotificationError::Malformed(e.to_string()))?;
    if fields.merchant_id != account.merchant_id {
        return Err(NotificationError::WrongMerchant(fields.merchant_id));
    }
    let state = match fields.return_code.as_str() {
        RETURN_CODE_UNKNOWN => {
            return Err(NotificationError::Malformed(
                "signing outcome is unknown (EUNKWN): query it".to_string(),
            ));
        }
        RETURN_CODE_SUCCESS => {
            if !valid_order_no(&fields.agent_sign_no) {
                return Err(NotificationError::Malformed(
                    "AgentSignNo missing or invalid".to_string(),
                ));
            }
            BankMandateState::Signed(BankMandate {
                agent_sign_no: fields.agent_sign_no.clone(),
                card_masked: masked_card(&fields.card_no),
                signed_at_ms: booked(&fields.host_date, &fields.host_time, now_ms, 24)
                    .map(|(at, _)| at)
                    .unwrap_or(now_ms),
            })
        }
        code => BankMandateState::Failed {
            code: code.to_string(),
            reason: fields.error_message.clone(),
        },
    };
    Ok(MandateSignNotification {
        sign_request_no: fields.order_no,
        mode: if fields.notify_type == "1" {
            NotificationMode::Server
        } else {
            NotificationMode::Page
        },
        state,
        raw_masked: mask_sensitive_fields(&signed.envelope),
        raw_sha256: super::notify::raw_sha256(msg),
    })
}

/// The platform masks the card; should a variant send it whole, we mask it ourselves.
fn masked_card(card: &str) -> String {
    if card.contains('*') {
        card.to_string()
    } else {
        mask_card(card)
    }
}

fn read_query_answer(
    account: &AbcAccount,
    sign_request_no: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<BankMandateState, ChannelError> {
    let (message, success) =
        answer::open_checked::<QueryAgentSignResponse>(account, body, "QueryAgentSign")?;
    let r = &message.trx_response;
    if !success {
        if NO_SUCH_ORDER_CODES.contains(&r.return_code.as_str()) {
            return Ok(BankMandateState::NotFound);
        }
        return Ok(match answer::judged(&r.return_code, &r.error_message)? {
            Judged::Unknown { reason } => BankMandateState::Unknown { reason },
            Judged::Refused { code, reason } => {
                return Err(ChannelError::Refused {
                    code,
                    message: reason,
                });
            }
        });
    }
    if !r.order_no.is_empty() && r.order_no.trim() != sign_request_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for signing {:?}, not {sign_request_no:?}",
            r.order_no
        )));
    }
    Ok(match r.sign_status.trim() {
        SIGN_ACTIVE => {
            let agent_sign_no = r.agent_sign_no.trim();
            if !valid_order_no(agent_sign_no) {
                return Err(ChannelError::BadAnswer(
                    "signed mandate without AgentSignNo".to_string(),
                ));
            }
            BankMandateState::Signed(BankMandate {
                agent_sign_no: agent_sign_no.to_string(),
                card_masked: masked_card(r.card_no.trim()),
                signed_at_ms: booked(&r.host_date, &r.host_time, now_ms, 24)
                    .map(|(at, _)| at)
                    .unwrap_or(now_ms),
            })
        }
        SIGN_FAILED => BankMandateState::Failed {
            code: r.reason_code.trim().to_string(),
            reason: r.reason.trim().to_string(),
        },
        SIGN_CANCELLED => BankMandateState::Cancelled,
        SIGN_PENDING => BankMandateState::Pending,
        other => BankMandateState::Unknown {
            reason: format!("unknown SignStatus {other:?}"),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::crypto::SignatureAlgorithm;
    use crate::wire::build_notification;
    use unipay_core::mandate_channel::MandateChannel;

    fn result(code: &str, merchant: &str) -> AgentSignResultNotification {
        AgentSignResultNotification {
            return_code: code.to_string(),
            error_message: if code == "0000" {
                "成功"
            } else {
                "客户拒绝签约"
            }
            .to_string(),
            merchant_id: merchant.to_string(),
            order_no: "S1".to_string(),
            agent_sign_no: if code == "0000" { "AS1" } else { "" }.to_string(),
            card_no: "6228480000000000011".to_string(),
            host_date: "2026/11/30".to_string(),
            host_time: "10:00:00".to_string(),
            notify_type: "1".to_string(),
        }
    }

    fn form(message: &AgentSignResultNotification, key: &crate::crypto::PrivateKey) -> Vec<u8> {
        let msg = build_notification(&message.to_xml(), key, SignatureAlgorithm::Sha1WithRsa);
        form_urlencoded::Serializer::new(String::new())
            .append_pair("MSG", &msg)
            .finish()
            .into_bytes()
    }

    fn channel() -> AbcChannel {
        AbcChannel::new(super::super::tests::account("http://127.0.0.1:9/")).unwrap()
    }

    /// Proves a signing result is believed only when the bank signed it for us, and reads as
    /// signed (card masked) or failed.
    #[test]
    fn sign_results_are_verified_like_payment_results() {
        let channel = channel();
        let (bank_key, _) = super::super::tests::bank();
        let merchant = channel.account().merchant_id.clone();
        let signed = channel
            .read_sign_result(&form(&result("0000", &merchant), bank_key))
            .unwrap();
        assert_eq!(signed.sign_request_no, "S1");
        assert_eq!(signed.mode, NotificationMode::Server);
        match &signed.state {
            BankMandateState::Signed(mandate) => {
                assert_eq!(mandate.agent_sign_no, "AS1");
                assert_eq!(mandate.card_masked, "622848*********0011");
            }
            other => panic!("{other:?}"),
        }
        assert!(!signed.raw_masked.contains("6228480000000000011"));
        let refused = channel
            .read_sign_result(&form(&result("2409", &merchant), bank_key))
            .unwrap();
        assert!(
            matches!(refused.state, BankMandateState::Failed { ref code, .. } if code == "2409")
        );
        assert_eq!(
            channel.read_sign_result(&form(&result("0000", "OTHER"), bank_key)),
            Err(NotificationError::WrongMerchant("OTHER".to_string()))
        );
        let forged_key = super::super::tests::merchant_key();
        assert_eq!(
            channel.read_sign_result(&form(&result("0000", &merchant), &forged_key)),
            Err(NotificationError::BadSignature)
        );
        assert!(channel.read_sign_result(b"MSG=").is_err());
    }

    /// Proves the AgentSign request carries the signing's terms in wire form.
    #[test]
    fn sign_request_fields() {
        let channel = channel();
        let request = MandateSignRequest {
            sign_request_no: "S1".to_string(),
            card_type: "1".to_string(),
            certificate_type: "I".to_string(),
            certificate_no: "110105194912310021".to_string(),
            expires_on: "2027-06-30".to_string(),
            max_amount_per_debit: Some(unipay_core::Amount::from_fen(50_000).unwrap()),
            result_notify_url: "https://pay.example/callbacks/ca_1/mandates".to_string(),
            created_at_ms: 1_764_460_800_000,
        };
        let trx = sign_request(channel.account(), &request).unwrap();
        assert_eq!(trx.expired_date, "2027/06/30");
        assert_eq!(trx.single_limit_amount, "500.00");
        assert_eq!(
            (trx.request_date.as_str(), trx.request_time.as_str()),
            ("2025/11/30", "08:00:00")
        );
        let bad = MandateSignRequest {
            certificate_no: "1101 05".to_string(),
            ..request
        };
        assert!(sign_request(channel.account(), &bad).is_err());
    }
}
