//! Authorized payment (授权支付) through ABC: core's `MandateChannel` for `AbcChannel`. The
//! signing and its result, query and unsigning are here; debits are in `agent_debit`.

use super::account::AbcAccount;
use super::answer::{self, Judged};
use super::pay::{unfit, valid_order_no};
use super::statement::protocol_date;
use super::time::{beijing_date_time, booked};
use super::{AbcChannel, agent_debit, http, raw_message, request};
use crate::messages::{
    AGENT_UNSIGN, AgentSignRequest, AgentSignResponse, AgentSignResultNotification,
    AgentUnSignRequest, AgentUnSignResponse, IS_SIGN, NO_SUCH_ORDER_CODES, QueryAgentSignRequest,
    QueryAgentSignResponse, RETURN_CODE_SUCCESS, RETURN_CODE_UNKNOWN, SIGN_ACTIVE, SIGN_CANCELLED,
    SIGN_FAILED, SIGN_PENDING,
};
use crate::wire::SignedNotification;
use unipay_core::channel::{
    BatchAccepted, BatchRef, BoxFuture, ChannelError, NotificationError, NotificationMode,
};
use unipay_core::identity::CERTIFICATE_TYPES;
use unipay_core::mandate_channel::{
    BankMandate, BankMandateState, DebitAnswer, DebitBatchRequest, DebitBatchResult, DebitRequest,
    MandateAnswer, MandateChannel, MandateSignNotification, MandateSignRedirect,
    MandateSignRequest,
};
use unipay_core::masking::mask_sensitive_fields;

/// A certificate number on the wire: letters and digits (an ID's check character is `X`).
const MAX_CERTIFICATE_CHARS: usize = 32;
/// Card types the bank's own client sends: debit, credit, either.
const CARD_TYPES: &[&str] = &["1", "3", "A"];
/// The longest ResultNotifyURL the client sends.
const MAX_URL_BYTES: usize = 200;

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
            let (request_date, request_time) = beijing_date_time(self.clock.now_ms())
                .ok_or_else(|| unfit("clock out of range"))?;
            let trx = AgentUnSignRequest {
                trx_type: "AgentUnSign".to_string(),
                order_no: sign_request_no.to_string(),
                agent_sign_no: agent_sign_no.to_string(),
                request_date,
                request_time,
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
            let trx = agent_debit::pay_request(&self.account, request)?;
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

    fn debit_batch_no_len(&self) -> usize {
        agent_debit::MAX_AGENT_BATCH_NO
    }

    fn plan_debit_batch(&self, request: &DebitBatchRequest) -> Result<Vec<usize>, ChannelError> {
        agent_debit::plan(&self.account, request)
    }

    fn debit_batch<'a>(
        &'a self,
        request: &'a DebitBatchRequest,
    ) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>> {
        Box::pin(async move {
            let batch = agent_debit::batch_request(&self.account, request)?;
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

/// The typed AgentSign; refused here (never sent) when the platform could only refuse it, by
/// the checks the bank's own client makes before it sends one.
pub fn sign_request(
    account: &AbcAccount,
    request: &MandateSignRequest,
) -> Result<AgentSignRequest, ChannelError> {
    if !valid_order_no(&request.sign_request_no) {
        return Err(unfit(
            "signing number must be 1 to 60 letters, digits, - or _",
        ));
    }
    check_certificate(&request.certificate_type, &request.certificate_no)?;
    if !CARD_TYPES.contains(&request.card_type.as_str()) {
        return Err(unfit(
            "card type must be 1 (debit), 3 (credit) or A (either)",
        ));
    }
    let url = &request.result_notify_url;
    if url.len() > MAX_URL_BYTES || !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(unfit(
            "result notify URL must be an http(s) URL of at most 200 bytes",
        ));
    }
    let (request_date, request_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    Ok(AgentSignRequest {
        trx_type: "AgentSign".to_string(),
        certificate_no: request.certificate_no.clone(),
        certificate_type: request.certificate_type.clone(),
        notify_type: account.notify_type.code().to_string(),
        result_notify_url: url.clone(),
        order_no: request.sign_request_no.clone(),
        payment_link_type: account.payment_link_type.clone(),
        mer_custom_no: String::new(),
        card_type: request.card_type.clone(),
        request_date,
        request_time,
        invaid_date: protocol_date(&request.expires_on)?,
        is_sign: IS_SIGN.to_string(),
    })
}

/// The certificate checks of the bank's own client: a known type, an ID card (`I`) of 15 or 18
/// characters, letters and digits only.
pub(super) fn check_certificate(kind: &str, number: &str) -> Result<(), ChannelError> {
    if !CERTIFICATE_TYPES.contains(&kind) {
        return Err(unfit(format!("unknown certificate type {kind:?}")));
    }
    let number_ok = (1..=MAX_CERTIFICATE_CHARS).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_alphanumeric())
        && (kind != "I" || matches!(number.len(), 15 | 18));
    if !number_ok {
        return Err(unfit(
            "certificate number must be 1 to 32 letters or digits (an ID card 15 or 18)",
        ));
    }
    Ok(())
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
        RETURN_CODE_SUCCESS if fields.trx_type == AGENT_UNSIGN => BankMandateState::Cancelled,
        RETURN_CODE_SUCCESS => {
            if !valid_order_no(&fields.agent_sign_no) {
                return Err(NotificationError::Malformed(
                    "AgentSignNo missing or invalid".to_string(),
                ));
            }
            BankMandateState::Signed(BankMandate {
                agent_sign_no: fields.agent_sign_no.clone(),
                card_masked: masked_card(&fields.last4_card_no),
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

/// SignDate is `YYYY/MM/DD`, perhaps with a time after a space.
fn signed_at(sign_date: &str, now_ms: i64) -> i64 {
    let mut parts = sign_date.split_whitespace();
    let date = parts.next().unwrap_or_default();
    let time = parts.next().unwrap_or("00:00:00");
    booked(date, time, now_ms, 24)
        .map(|(at, _)| at)
        .unwrap_or(now_ms)
}

/// The bank tells only the card's last four digits: the card as we show it.
fn masked_card(last4: &str) -> String {
    let digits: String = last4.chars().filter(char::is_ascii_digit).collect();
    let tail = digits
        .get(digits.len().saturating_sub(4)..)
        .unwrap_or_default();
    format!("****{tail}")
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
    Ok(match r.agent_sign_status.trim() {
        SIGN_ACTIVE => {
            let agent_sign_no = r.agent_sign_no.trim();
            if !valid_order_no(agent_sign_no) {
                return Err(ChannelError::BadAnswer(
                    "signed mandate without AgentSignNo".to_string(),
                ));
            }
            BankMandateState::Signed(BankMandate {
                agent_sign_no: agent_sign_no.to_string(),
                card_masked: masked_card(r.last4_card_no.trim()),
                signed_at_ms: signed_at(&r.sign_date, now_ms),
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
    use crate::messages::AGENT_SIGN;
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
            trx_type: AGENT_SIGN.to_string(),
            order_no: "S1".to_string(),
            agent_sign_no: if code == "0000" { "AS1" } else { "" }.to_string(),
            last4_card_no: "0011".to_string(),
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
    /// signed (the card shown by its last four digits), failed, or, for an AGENTUNSIGN,
    /// unsigned at the bank.
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
                assert_eq!(mandate.card_masked, "****0011");
            }
            other => panic!("{other:?}"),
        }
        // Should the bank send more than the last four digits, only those are kept.
        let mut whole_card = result("0000", &merchant);
        whole_card.last4_card_no = "6228480000000000011".to_string();
        match channel
            .read_sign_result(&form(&whole_card, bank_key))
            .unwrap()
            .state
        {
            BankMandateState::Signed(mandate) => assert_eq!(mandate.card_masked, "****0011"),
            other => panic!("{other:?}"),
        }
        let mut unsigned = result("0000", &merchant);
        unsigned.trx_type = AGENT_UNSIGN.to_string();
        unsigned.agent_sign_no = String::new();
        let unsigned = channel
            .read_sign_result(&form(&unsigned, bank_key))
            .unwrap();
        assert_eq!(unsigned.sign_request_no, "S1");
        assert_eq!(unsigned.state, BankMandateState::Cancelled);
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

    /// Proves the AgentSign request carries the signing's terms in wire form, and refuses what
    /// the bank's own client would.
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
        assert_eq!(trx.trx_type, "AgentSign");
        assert_eq!(trx.invaid_date, "2027/06/30");
        assert_eq!(trx.is_sign, IS_SIGN);
        assert_eq!(trx.card_type, "1");
        assert_eq!(trx.order_no, "S1");
        assert_eq!(trx.notify_type, "1");
        assert_eq!(trx.payment_link_type, "1");
        assert_eq!(trx.mer_custom_no, "");
        assert_eq!(
            (trx.request_date.as_str(), trx.request_time.as_str()),
            ("2025/11/30", "08:00:00")
        );
        // The bank's client sends no per-debit limit: the platform keeps it.
        let json = serde_json::to_string(&trx).unwrap();
        assert!(
            json.contains(r#""InvaidDate":"2027/06/30","IsSign":"Sign"}"#),
            "{json}"
        );
        assert!(!json.contains("SingleLimitAmount") && !json.contains("ExpiredDate"));
        let either = MandateSignRequest {
            card_type: "A".to_string(),
            certificate_no: "110105491231002".to_string(),
            ..request.clone()
        };
        assert!(sign_request(channel.account(), &either).is_ok());
        let bads = [
            MandateSignRequest {
                certificate_no: "1101 05".to_string(),
                ..request.clone()
            },
            // An ID card is 15 or 18 characters.
            MandateSignRequest {
                certificate_no: "11010519491231002".to_string(),
                ..request.clone()
            },
            MandateSignRequest {
                certificate_type: "X".to_string(),
                ..request.clone()
            },
            MandateSignRequest {
                card_type: "2".to_string(),
                ..request.clone()
            },
            MandateSignRequest {
                result_notify_url: "ftp://pay.example/x".to_string(),
                ..request.clone()
            },
            MandateSignRequest {
                sign_request_no: "S".repeat(61),
                ..request.clone()
            },
        ];
        for bad in &bads {
            assert!(sign_request(channel.account(), bad).is_err(), "{bad:?}");
        }
        let long_no = MandateSignRequest {
            sign_request_no: "S".repeat(60),
            ..request
        };
        assert!(sign_request(channel.account(), &long_no).is_ok());
    }
}
