//! The file's form of what hangs on an order: its refunds and its pre-authorization operation.
//! Owned strings throughout; codes come back as the simulator's own constants.

use crate::codes;
use crate::faults::FaultCounter;
use crate::preauth::record::{OperateType, PreAuthOp};
use crate::refunds::record::{Code, Refund, RefundOutcome};
use crate::stamp::Stamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampRecord {
    i_rsp_ref: String,
    voucher_no: String,
    batch_no: String,
    host_date: String,
    host_time: String,
    accounting_date: String,
}

impl StampRecord {
    pub fn of(stamp: &Stamp) -> StampRecord {
        StampRecord {
            i_rsp_ref: stamp.i_rsp_ref.clone(),
            voucher_no: stamp.voucher_no.clone(),
            batch_no: stamp.batch_no.clone(),
            host_date: stamp.host_date.clone(),
            host_time: stamp.host_time.clone(),
            accounting_date: stamp.accounting_date.clone(),
        }
    }

    pub fn stamp(self) -> Stamp {
        Stamp {
            i_rsp_ref: self.i_rsp_ref,
            voucher_no: self.voucher_no,
            batch_no: self.batch_no,
            host_date: self.host_date,
            host_time: self.host_time,
            accounting_date: self.accounting_date,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRecord {
    new_order_no: String,
    amount_fen: i64,
    order_date: String,
    order_time: String,
    /// Set for a done refund.
    stamp: Option<StampRecord>,
    unknown_until_ms: Option<i64>,
    /// Set for a refused batch line: its ReturnCode.
    failure: Option<String>,
    batch_serial: Option<String>,
}

/// Every code a refund can fail with (a refused batch line keeps the one it got).
const REFUND_CODES: [Code; 7] = [
    codes::DUPLICATE_ORDER,
    codes::ORDER_NOT_FOUND,
    codes::NOT_REFUNDABLE,
    codes::OVER_REFUND,
    codes::TOO_MANY_REFUNDS,
    codes::INSUFFICIENT_FUNDS,
    codes::ORDER_FINAL,
];

impl RefundRecord {
    pub fn of(refund: &Refund) -> RefundRecord {
        let (stamp, unknown_until_ms, failure) = match &refund.outcome {
            RefundOutcome::Succeeded {
                stamp,
                unknown_until_ms,
            } => (Some(StampRecord::of(stamp)), *unknown_until_ms, None),
            RefundOutcome::Failed { code } => (None, None, Some(code.0.to_string())),
        };
        RefundRecord {
            new_order_no: refund.new_order_no.to_string(),
            amount_fen: refund.amount_fen,
            order_date: refund.order_date.clone(),
            order_time: refund.order_time.clone(),
            stamp,
            unknown_until_ms,
            failure,
            batch_serial: refund.batch_serial.as_deref().map(str::to_string),
        }
    }

    /// `None` when the record is neither done nor failed with a code the simulator knows.
    pub fn refund(self) -> Option<Refund> {
        let outcome = match (self.stamp, self.failure) {
            (Some(stamp), None) => RefundOutcome::Succeeded {
                stamp: stamp.stamp(),
                unknown_until_ms: self.unknown_until_ms,
            },
            (None, Some(code)) => RefundOutcome::Failed {
                code: REFUND_CODES.into_iter().find(|known| known.0 == code)?,
            },
            _ => return None,
        };
        Some(Refund {
            new_order_no: self.new_order_no.into(),
            amount_fen: self.amount_fen,
            order_date: self.order_date,
            order_time: self.order_time,
            outcome,
            batch_serial: self.batch_serial.map(Into::into),
            query_count: 0,
            query_faults: FaultCounter::default(),
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationRecord {
    operate_type: String,
    order_no: String,
    amount_fen: i64,
    requested_fen: Option<i64>,
    fee_fen: Option<i64>,
    stamp: StampRecord,
}

impl OperationRecord {
    pub fn of(operation: &PreAuthOp) -> OperationRecord {
        OperationRecord {
            operate_type: operation.operate_type.name().to_string(),
            order_no: operation.order_no.to_string(),
            amount_fen: operation.amount_fen,
            requested_fen: operation.requested_fen,
            fee_fen: operation.fee_fen,
            stamp: StampRecord::of(&operation.stamp),
        }
    }

    pub fn operation(self) -> Option<PreAuthOp> {
        Some(PreAuthOp {
            operate_type: OperateType::parse(&self.operate_type)?,
            order_no: self.order_no.into(),
            amount_fen: self.amount_fen,
            requested_fen: self.requested_fen,
            fee_fen: self.fee_fen,
            stamp: self.stamp.stamp(),
        })
    }
}
