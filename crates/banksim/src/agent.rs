//! Authorized payment (授权支付): the merchant registers a signing (`AgentSign`) and sends the
//! customer to the bank's signing page, where they enter their card and agree or refuse; the
//! bank reports the decision as an `AgentSignResult` message (server to server with retries,
//! or through the browser, as for payments) and answers `QueryAgentSign` about it. A signed
//! mandate (its AgentSignNo) is then debited without the customer: `AgentPay` one at a time,
//! answered at once, or `AgentBatch` many at a time, carried out after the batch delay and
//! reported line by line by `AgentBatchQuery` (`X` not done, `0` success, `1` fail). The
//! merchant ends a mandate with `AgentUnSign`.
//!
//! Every debit is an order in the order book, paid or failed like a payment: `Query` answers it
//! and the statements list it (the customer's money reaches the merchant like any payment's).
//!
//! The requests are read as ABC's client sends them (`docs/ABC-WIRE.md`); the answers' and the
//! signing result's assumed names are in [`crate::wire::names`]. **Assumed** codes:
//!
//! | code | message | when |
//! |---|---|---|
//! | `2401` | 授权协议不存在 | AgentPay, a batch line or AgentUnSign naming no mandate of the merchant, or one not signed |
//! | `2402` | 授权协议已解除 | a debit on an unsigned (cancelled) mandate |
//! | `2403` | 授权协议已过期 | a debit after the mandate's ExpiredDate |
//! | `2404` | 客户账户余额不足 | a debit from a card the `insufficient_funds_cards` fault names |
//! | `2409` | 客户拒绝签约 | in an AgentSignResult: the customer refused |
//!
//! Faults (`/sim/agent/faults`, see [`sim_api`]): `lose_sign_results` (a decision is taken but
//! never delivered: only QueryAgentSign tells it), `insufficient_funds_cards`,
//! `unknown_pay_answers` (AgentPay is carried out but answered `EUNKWN`).

pub mod batch;
pub mod book;
pub mod debit;
pub mod notify;
pub mod page;
pub mod signing;
pub mod sim_api;

pub const NO_MANDATE: (&str, &str) = ("2401", "授权协议不存在");
pub const MANDATE_CANCELLED: (&str, &str) = ("2402", "授权协议已解除");
pub const MANDATE_EXPIRED: (&str, &str) = ("2403", "授权协议已过期");
pub const INSUFFICIENT_BALANCE: (&str, &str) = ("2404", "客户账户余额不足");
pub const SIGN_REFUSED: (&str, &str) = ("2409", "客户拒绝签约");
