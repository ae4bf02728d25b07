//! Query (`00/00`, `queryTrans.do`): what became of a transaction, named by the original's
//! merId, orderId and txnTime. `respCode` says whether the query itself worked;
//! `origRespCode` what became of the original.

use super::common::{Merchant, MessageError, OrderId, TxnTime, TxnType, fen_field, text_field};
use super::names::*;
use super::response_code::{CodeClass, classify};
use crate::fields::Fields;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRequest {
    pub order_id: OrderId,
    /// The original transaction's txnTime, not now.
    pub txn_time: TxnTime,
}

impl QueryRequest {
    pub fn fields(&self, merchant: &Merchant) -> Fields {
        let mut fields = merchant.base_fields(TxnType::Query, "00", BIZ_GATEWAY);
        fields.set(ORDER_ID, self.order_id.as_str());
        fields.set(TXN_TIME, self.txn_time.as_str());
        fields
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    /// UnionPay has the transaction; `state` is where it stands.
    Found(QueriedTransaction),
    /// `34`: no such transaction (never reached UnionPay, or not yet).
    NotFound { message: String },
    /// `03`/`04`/`05`: the query itself timed out: ask again.
    QueryUnanswered { code: String, message: String },
    /// Any other code: the query was refused (a malformed query, for instance).
    QueryRefused { code: String, message: String },
}

/// What became of the original transaction (`origRespCode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginalState {
    /// `00`.
    Succeeded,
    /// `A6`: succeeded with a defect; counted as a success.
    SucceededWithDefect,
    /// `03`/`04`/`05`: still in progress: ask again (at the SDK's 1, 2, 4, 8, 16, 32 s for a
    /// back transaction; for a payment, until payTimeout has passed).
    InProgress { code: String, message: String },
    /// Any other code: failed for good.
    Failed { code: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueriedTransaction {
    pub state: OriginalState,
    /// The original's txnType (the answer carries it, not the query's `00`).
    pub txn_type: Option<TxnType>,
    pub txn_sub_type: Option<String>,
    pub query_id: Option<String>,
    pub amount_fen: Option<u64>,
    /// `MMDD`.
    pub settle_date: Option<String>,
    pub settle_amount_fen: Option<u64>,
    pub trace_no: Option<String>,
    /// `MMDDhhmmss`.
    pub trace_time: Option<String>,
    pub req_reserved: Option<String>,
}

impl QueryOutcome {
    /// Types a verified query answer (see [`super::read_answer`]).
    pub fn from_answer(answer: &Fields) -> Result<QueryOutcome, MessageError> {
        let code = answer
            .get(RESP_CODE)
            .ok_or(MessageError::MissingField(RESP_CODE))?;
        let message = text_field(answer, RESP_MSG).unwrap_or_default();
        let code_owned = code.to_string();
        match (code, classify(code)) {
            ("00", _) => Ok(QueryOutcome::Found(queried(answer)?)),
            ("34", _) => Ok(QueryOutcome::NotFound { message }),
            (_, CodeClass::Unknown) => Ok(QueryOutcome::QueryUnanswered {
                code: code_owned,
                message,
            }),
            _ => Ok(QueryOutcome::QueryRefused {
                code: code_owned,
                message,
            }),
        }
    }
}

fn queried(answer: &Fields) -> Result<QueriedTransaction, MessageError> {
    let code = answer
        .get(ORIG_RESP_CODE)
        .ok_or(MessageError::MissingField(ORIG_RESP_CODE))?;
    let message = text_field(answer, ORIG_RESP_MSG).unwrap_or_default();
    let state = match classify(code) {
        CodeClass::Accepted => OriginalState::Succeeded,
        CodeClass::AcceptedWithDefect => OriginalState::SucceededWithDefect,
        CodeClass::Unknown => OriginalState::InProgress {
            code: code.to_string(),
            message,
        },
        CodeClass::Refused => OriginalState::Failed {
            code: code.to_string(),
            message,
        },
    };
    Ok(QueriedTransaction {
        state,
        txn_type: answer.get(TXN_TYPE).and_then(TxnType::parse),
        txn_sub_type: text_field(answer, TXN_SUB_TYPE),
        query_id: text_field(answer, QUERY_ID),
        amount_fen: fen_field(answer, TXN_AMT)?,
        settle_date: text_field(answer, SETTLE_DATE),
        settle_amount_fen: fen_field(answer, SETTLE_AMT)?,
        trace_no: text_field(answer, TRACE_NO),
        trace_time: text_field(answer, TRACE_TIME),
        req_reserved: text_field(answer, REQ_RESERVED),
    })
}
