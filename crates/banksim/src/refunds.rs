//! Refunds: `Refund` (one, answered at once), `BatchRefund` and `QueryBatchRefund` (up to
//! 10,000 at a time, processed after `batch_refund_delay_ms`).
//!
//! The bank keeps each refund on the order it refunds ([`record`]); the rules, the same for a
//! single refund and a batch line, are in [`rules`]:
//! - the original order must be the merchant's and have taken money: paid, or a confirmed
//!   pre-authorization (`2308` unknown, `2310` nothing taken);
//! - the done refunds of an order never add up to more than it took (paid amount, or the
//!   captured amount) — `2311`;
//! - a NewOrderNo is the refund's own number, unique per merchant together with order numbers
//!   and pre-authorization operation numbers. Sent again with the same original order and
//!   amount, it gets the first answer again (same iRspRef, VoucherNo, host date and time);
//!   with anything else it is refused (`2301`).
//!
//! A refunded order reads `05` in Query once its reported refunds cover what it took; partly
//! refunded it stays `04` (or `07`). A successful refund is stamped like a payment (iRspRef,
//! VoucherNo, BatchNo `yymmdd`, host date and time, accounting date with the same cut-over
//! hour), and statements show it as a `退款` line under its NewOrderNo, with the refunded
//! order in 原订单号 (see [`crate::statement::select`]). **Assumed**: the bank keeps the fee
//! it took on the payment and charges none on a refund (a refund line's fee is 0), and the
//! per-order statement faults concern only the payment's own line.
//!
//! **Assumed**: `Query` of a NewOrderNo answers the refund as an order ([`query`]): PayTypeID
//! `Refund`, OrderNo the NewOrderNo, OrderAmount the refund's amount, Status `04` done, `99`
//! failed (a refused batch line, kept on its order), `02` done but not yet reported (a batch
//! line under the `no_response` fault), and the extra field `OriginalOrderNo`. A refused single
//! Refund leaves nothing behind: its number queries as `2308` and may be used again.
//!
//! Faults: `refund` in `/sim/faults` ([`crate::faults::RefundFault`]) for single refunds,
//! `/sim/batches/fault` ([`crate::faults::batch`]) for batch lines.

pub mod batch;
pub mod batch_book;
pub mod batch_query;
pub mod batch_run;
pub mod query;
pub mod record;
pub mod rules;
pub mod single;
