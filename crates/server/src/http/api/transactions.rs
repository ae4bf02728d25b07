//! The transaction flow (交易流水): `GET /v1/transactions` pages through the app's own
//! payments and refunds by keyset cursor (stable while rows are inserted);
//! `GET /v1/channel-transactions` asks the bank for its records of some hours of a day
//! (`QueryTrnxRecords`) and answers the calling app's own lines of them, parsed, a few
//! times a minute at most (`rate_limit.rs`).

use crate::flows::objects::to_json;
use crate::flows::{self, FlowError};
use crate::http::api::auth::SignedRequest;
use crate::http::api::error::{ApiError, json_response};
use crate::http::api::extract::ApiQuery;
use crate::http::api::payments::flow_error;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use unipay_api::ErrorCode;
use unipay_api::{
    ChannelRecord, ChannelTransactions, Transaction, TransactionKind as ApiTransactionKind,
    TransactionPage, UnreadableLine,
};
use unipay_core::clock::rfc3339;
use unipay_core::statement::CollectedStatement;
use unipay_core::statement::TxnKind;
use unipay_store::refunds::transactions::{Cursor, TransactionKind, TransactionQuery};

const DEFAULT_LIMIT: i64 = 100;

#[derive(Deserialize)]
pub struct FlowParams {
    from: Option<String>,
    to: Option<String>,
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequest, message)
}

fn parse_time(name: &str, text: Option<&str>) -> Result<Option<i64>, ApiError> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|at| at.timestamp_millis())
                .map_err(|_| invalid(format!("{name} must be an RFC 3339 time")))
        })
        .transpose()
}

pub async fn list_transactions(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<FlowParams>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let from_ms = parse_time("from", params.from.as_deref())?.unwrap_or(0);
    let to_ms = parse_time("to", params.to.as_deref())?.unwrap_or(i64::MAX);
    let kind = match params.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(text) => Some(
            TransactionKind::parse(text)
                .ok_or_else(|| invalid("type must be payment or refund"))?,
        ),
    };
    let cursor = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => {
            Some(Cursor::parse(text).ok_or_else(|| invalid("cursor is not one we gave"))?)
        }
    };
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=unipay_store::refunds::transactions::MAX_PAGE).contains(&limit) {
        return Err(invalid("limit must be 1 to 1000"));
    }
    let page = state
        .store
        .list_transactions(&TransactionQuery {
            app_id: &request.app.id,
            from_ms,
            to_ms,
            status: params.status.as_deref().filter(|s| !s.is_empty()),
            kind,
            cursor: cursor.as_ref(),
            limit,
        })
        .await?;
    let body = TransactionPage {
        data: page
            .rows
            .iter()
            .map(|row| Transaction {
                kind: match row.kind {
                    TransactionKind::Payment => ApiTransactionKind::Payment,
                    TransactionKind::Refund => ApiTransactionKind::Refund,
                },
                id: row.id.clone(),
                out_no: row.out_no.clone(),
                amount: row.amount,
                status: row.status.clone(),
                payment_id: row.payment_id.clone(),
                created_at: rfc3339(row.created_at),
            })
            .collect(),
        next_cursor: page.next_cursor.as_ref().map(Cursor::encode),
    };
    Ok(json_response(StatusCode::OK, to_json(&body)))
}

#[derive(Deserialize)]
pub struct ChannelParams {
    channel_account: Option<String>,
    date: Option<String>,
    start_hour: Option<u8>,
    end_hour: Option<u8>,
}

pub async fn channel_transactions(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ChannelParams>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let route = state.channel_route(&request.app).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NoChannelAccount,
            "the app's merchant has no channel account",
        )
    })?;
    // Only the app's own channel account may be asked about.
    let account = params
        .channel_account
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| route.channel_account_id.clone());
    if account != route.channel_account_id {
        return Err(invalid("channel_account is not the app's"));
    }
    let date = params
        .date
        .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        .ok_or_else(|| invalid("date must be YYYY-MM-DD"))?;
    let start_hour = params.start_hour.unwrap_or(0);
    let end_hour = params.end_hour.unwrap_or(23);
    if start_hour > end_hour || end_hour > 23 {
        return Err(invalid("start_hour and end_hour must be 0-23, start first"));
    }
    if !state
        .limits
        .channel_transactions_per_app
        .allow(&request.app.id)
    {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "too many calls of the bank's records: at most {} a minute",
                state.config.api.channel_transactions_per_minute
            ),
        ));
    }
    let channel = flows::channel(&state, &account).await.map_err(flow_error)?;
    let file = channel
        .query_transactions(&date, start_hour, end_hour)
        .await
        .map_err(|e| flow_error(FlowError::Channel(e)))?;
    // Parsing is blocking work on a file that may be large.
    let parsed = tokio::task::spawn_blocking(move || {
        let mut collected = CollectedStatement::default();
        let mut reader = file.bytes.as_slice();
        channel
            .parse_statement(&mut reader, file.gzip, &mut collected)
            .map(|_| collected)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| {
        ApiError::new(
            ErrorCode::BankUnavailable,
            format!("the bank's records are unreadable: {e}"),
        )
    })?;
    // The bank's records are the whole channel account's, and the account is shared by the
    // merchant's apps: the answer holds only the lines of the calling app's own orders.
    let bank_order_nos: Vec<&str> = parsed
        .lines
        .iter()
        .flat_map(|line| [line.order_no.as_str(), line.original_order_no.as_str()])
        .filter(|no| !no.is_empty())
        .collect();
    let owned = state
        .store
        .app_bank_order_nos(&request.app.id, &account, &bank_order_nos)
        .await?;
    let records = parsed
        .lines
        .into_iter()
        .filter(|line| {
            owned.contains(&line.order_no)
                || (line.kind == TxnKind::Refund && owned.contains(&line.original_order_no))
        })
        .map(|line| ChannelRecord {
            line_no: line.line_no,
            kind: match line.kind {
                TxnKind::Payment => ApiTransactionKind::Payment,
                TxnKind::Refund => ApiTransactionKind::Refund,
            },
            amount: line.amount.fen(),
            order_no: line.order_no,
            original_order_no: line.original_order_no,
            fee: line.fee_fen,
            accounting_date: line.accounting_date,
            bank_serial: line.bank_serial,
            traded_at: line.traded_at,
        })
        .collect();
    let unreadable = parsed
        .unreadable
        .into_iter()
        // Whose a line it cannot read is, nobody can tell: its number only, not its text.
        .map(|u| UnreadableLine {
            line_no: u.line_no,
            reason: "the line cannot be read".to_string(),
        })
        .collect();
    let body = ChannelTransactions {
        channel_account: account,
        date,
        start_hour,
        end_hour,
        records,
        unreadable,
    };
    Ok(json_response(StatusCode::OK, to_json(&body)))
}
