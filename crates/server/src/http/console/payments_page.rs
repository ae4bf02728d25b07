//! `/console/payments`: search (id, out_trade_no, bank numbers; status, app, dates) a page at a
//! time, and one page per payment with its whole story: the timeline with each event's source
//! and the masked bank message behind it, its notifications and their delivery attempts, its
//! refunds and its ledger entries. Operators may ask the bank now (the janitor's own query) or
//! close it (the API's close), both recorded with source `console`.

use super::ConsoleForm;
use super::i18n::Tr;
use super::late_success_page::LateView;
use super::names::Names;
use super::page::{self, Flash, Layout, local_time};
use super::pretty;
use super::roles::Permission;
use super::session::SignedIn;
use super::views::{EntryView, Paging, SearchParams, or_blank};
use crate::flows::close::CloseOutcome;
use crate::flows::{self, payments::QueryConclusion};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use std::collections::HashMap;
use unipay_core::event::EventSource;
use unipay_core::ledger::EntryReason;
use unipay_core::money::display_yuan;
use unipay_core::payment::PaymentStatus;
use unipay_store::browse::payments::{DeliveryAttempt, PaymentMessage, PaymentSet};
use unipay_store::outbox::OutboxEvent;
use unipay_store::payments::Payment;
use unipay_store::refunds::Refund;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/payments", get(list))
        .route("/console/payments/{id}", get(detail))
        .route("/console/payments/{id}/query", post(query_now))
        .route("/console/payments/{id}/close", post(close))
}

/// The statuses a search may pick.
const STATUSES: [&str; 7] = [
    "created",
    "pending",
    "succeeded",
    "failed",
    "closed",
    "authorized",
    "cancelled",
];

pub struct PaymentRow {
    pub id: String,
    pub out_trade_no: String,
    pub app_id: String,
    pub app_name: String,
    pub merchant_name: String,
    pub subject: String,
    pub amount: String,
    pub status: &'static str,
    pub created: String,
    pub channel_trade_no: String,
}

impl PaymentRow {
    pub fn of(p: &Payment, names: &Names) -> PaymentRow {
        PaymentRow {
            id: p.id.clone(),
            out_trade_no: p.out_trade_no.clone(),
            app_id: p.app_id.clone(),
            app_name: names.app(&p.app_id),
            merchant_name: names.merchant(&p.merchant_id),
            subject: p.subject.clone(),
            amount: p.amount.to_display_yuan(),
            status: p.status.as_str(),
            created: local_time(p.created_at),
            channel_trade_no: or_blank(&p.channel_trade_no),
        }
    }
}

#[derive(Template)]
#[template(path = "console/payments.html")]
struct PaymentsPage {
    layout: Layout,
    t: Tr,
    params: SearchParams,
    statuses: &'static [&'static str],
    rows: Vec<PaymentRow>,
    paging: Paging,
    /// How many payments the filters find on all pages, and their amount.
    total: String,
    /// The CSV download of the same filters.
    export: String,
    bad_date: bool,
    bad_amount: bool,
    /// The catalogue key naming the set shown (`?set=`), when one is.
    set_label: Option<&'static str>,
}

/// `GET /console/payments?q=&status=&app=&amount=&from=&to=&cursor=&trail=`
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<SearchParams>,
) -> Response {
    let (search, bad_date) = params.search();
    let set_label = search.set.map(set_label);
    let store = &state.store;
    let (found, totals, names) = match (
        store.search_payments(&search).await,
        store.payment_totals(&search).await,
        Names::load(store).await,
    ) {
        (Ok(found), Ok(totals), Ok(names)) => (found, totals, names),
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
            return page::failure(&error);
        }
    };
    let paging = params.paging("/console/payments", found.next_cursor.as_ref());
    let rows = found
        .rows
        .iter()
        .map(|p| PaymentRow::of(p, &names))
        .collect();
    let layout = Layout::new(&signed, "payments", "payments.title");
    page::render(&PaymentsPage {
        t: layout.t,
        layout,
        statuses: &STATUSES,
        rows,
        paging,
        total: signed.t.fill(
            "list.total",
            &[
                ("count", &totals.count.to_string()),
                ("amount", &display_yuan(totals.amount_fen)),
            ],
        ),
        export: format!("/console/payments.csv?{}", params.filters()),
        bad_date,
        bad_amount: params.amount_fen().is_err(),
        params,
        set_label,
    })
}

fn set_label(set: PaymentSet) -> &'static str {
    match set {
        PaymentSet::ReachedBank => "payments.set_reached_bank",
        PaymentSet::AwaitingResult => "payments.set_awaiting_result",
        PaymentSet::LateSuccess => "payments.set_late_success",
    }
}

pub struct TimelineRow {
    pub at: String,
    pub kind: String,
    pub source: String,
    /// The statuses before and after (blank when the event moved nothing).
    pub from: String,
    pub to: String,
    pub detail: String,
    pub raw_sha256: String,
    /// The masked bank message behind the event, when one was kept.
    pub raw_masked: Option<String>,
}

pub struct EventRow {
    pub id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub url: String,
    pub last_error: String,
}

pub struct DeliveryRow {
    pub at: String,
    pub event_id: String,
    pub event_type: String,
    pub attempt: i64,
    pub status_code: String,
    pub error: String,
    pub duration_ms: i64,
}

pub struct RefundRow {
    pub id: String,
    pub out_refund_no: String,
    pub amount: String,
    pub status: &'static str,
    pub created: String,
}

pub struct MessageRow {
    pub at: String,
    pub source: String,
    pub verdict: String,
    pub reason: String,
    pub sha256: String,
    pub seen_count: i64,
    pub raw_masked: String,
}

pub struct PaymentView {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub app_name: String,
    pub merchant_name: String,
    /// The bank's merchant number of the channel account.
    pub channel_account_label: String,
    /// What is left to refund (yuan); `None` when nothing is (or it is not paid).
    pub refundable: Option<String>,
    pub out_trade_no: String,
    pub order_no: String,
    pub subject: String,
    pub amount: String,
    pub collected: String,
    pub refunded: String,
    pub status: &'static str,
    pub capture: &'static str,
    pub payment_type: String,
    pub channel_trade_no: String,
    pub accounting_date: String,
    pub created: String,
    pub updated: String,
    pub expires: String,
    pub paid: String,
    pub next_query: String,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "console/payment.html")]
struct PaymentPage {
    layout: Layout,
    t: Tr,
    payment: PaymentView,
    timeline: Vec<TimelineRow>,
    messages: Vec<MessageRow>,
    events: Vec<EventRow>,
    deliveries: Vec<DeliveryRow>,
    refunds: Vec<RefundRow>,
    entries: Vec<EntryView>,
    may_query: bool,
    may_close: bool,
    may_resend: bool,
    may_refund: bool,
    late: Option<LateView>,
    may_decide_late: bool,
    answer: Option<AnswerView>,
}

/// `GET /console/payments/{id}`
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let payment = match state.store.get_payment(&id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return page::not_found(&signed),
        Err(error) => return page::failure(&error),
    };
    render_detail(&state, &signed, &payment, None).await
}

/// The bank's answer to the query an operator just made, shown on the payment's page.
pub struct AnswerView {
    pub answer: &'static str,
    pub code: String,
    pub reason: String,
}

async fn render_detail(
    state: &AppState,
    signed: &SignedIn,
    payment: &Payment,
    answer: Option<AnswerView>,
) -> Response {
    let names = match Names::load(&state.store).await {
        Ok(names) => names,
        Err(error) => return page::failure(&error),
    };
    let late = match state.store.late_success_of(&payment.id).await {
        Ok(late) => late.map(|late| LateView::of(&late, &signed.t)),
        Err(error) => return page::failure(&error),
    };
    match story(state, payment).await {
        Ok(story) => {
            let mut layout = Layout::new(signed, "payments", "payment.title");
            // After a query the request was a POST: the language links come back to the page.
            layout.back = form_urlencoded::byte_serialize(
                format!("/console/payments/{}", payment.id).as_bytes(),
            )
            .collect();
            page::render(&PaymentPage {
                t: layout.t,
                layout,
                payment: view(payment, &names),
                timeline: story.timeline,
                messages: story.messages,
                events: story.events,
                deliveries: story.deliveries,
                refunds: story.refunds,
                entries: story.entries,
                may_query: signed.can(Permission::QueryPayment),
                may_close: signed.can(Permission::ClosePayment),
                may_resend: signed.can(Permission::ResendNotification),
                may_refund: signed.can(Permission::RefundPayment),
                late,
                may_decide_late: signed.can(Permission::DecideLateSuccess),
                answer,
            })
        }
        Err(error) => page::failure(&error),
    }
}

struct Story {
    timeline: Vec<TimelineRow>,
    messages: Vec<MessageRow>,
    events: Vec<EventRow>,
    deliveries: Vec<DeliveryRow>,
    refunds: Vec<RefundRow>,
    entries: Vec<EntryView>,
}

async fn story(state: &AppState, payment: &Payment) -> Result<Story, unipay_store::StoreError> {
    let store = &state.store;
    let events = store.list_payment_events(&payment.id).await?;
    let messages = store.payment_messages(&payment.id).await?;
    let outbox = store.list_events_for_payment(&payment.id).await?;
    let deliveries = store.payment_delivery_attempts(&payment.id).await?;
    let refunds = store.list_refunds_for_payment(&payment.id).await?;
    let mut entries = store.entries_for(&payment.id).await?;
    // A late success's suspense entry is reversed when an operator decides it: the reversal
    // is caused by that entry, not by the payment.
    let held: Vec<String> = entries
        .iter()
        .filter(|e| e.reason == EntryReason::LateSuccess)
        .map(|e| e.id.clone())
        .collect();
    for id in &held {
        entries.extend(store.entries_for(id).await?);
    }
    for refund in &refunds {
        entries.extend(store.entries_for(&refund.id).await?);
    }
    let by_hash: HashMap<&str, &PaymentMessage> =
        messages.iter().map(|m| (m.sha256.as_str(), m)).collect();
    let timeline = events
        .iter()
        .map(|e| TimelineRow {
            at: local_time(e.created_at),
            kind: e.kind.clone(),
            source: e.source.clone(),
            from: or_blank(&e.from_status),
            to: or_blank(&e.to_status),
            detail: e.detail.clone(),
            raw_sha256: or_blank(&e.raw_sha256),
            raw_masked: e
                .raw_sha256
                .as_deref()
                .and_then(|hash| by_hash.get(hash))
                .map(|m| pretty::bank_message(&m.raw_masked)),
        })
        .collect();
    Ok(Story {
        timeline,
        messages: messages.iter().map(message_row).collect(),
        events: outbox.iter().map(event_row).collect(),
        deliveries: deliveries.iter().map(delivery_row).collect(),
        refunds: refunds.iter().map(refund_row).collect(),
        entries: entries.iter().map(EntryView::of).collect(),
    })
}

fn view(p: &Payment, names: &Names) -> PaymentView {
    let left_fen = p.collected_amount() - p.refunded_amount - p.refund_reserved;
    PaymentView {
        id: p.id.clone(),
        app_id: p.app_id.clone(),
        merchant_id: p.merchant_id.clone(),
        channel_account_id: p.channel_account_id.clone(),
        app_name: names.app(&p.app_id),
        merchant_name: names.merchant(&p.merchant_id),
        channel_account_label: names.channel_account(&p.channel_account_id),
        refundable: (p.status == PaymentStatus::Succeeded && left_fen > 0)
            .then(|| display_yuan(left_fen)),
        out_trade_no: p.out_trade_no.clone(),
        order_no: p.order_no.clone(),
        subject: p.subject.clone(),
        amount: p.amount.to_display_yuan(),
        collected: received(p),
        refunded: display_yuan(p.refunded_amount),
        status: p.status.as_str(),
        capture: p.capture.as_str(),
        payment_type: or_blank(&p.payment_type),
        channel_trade_no: or_blank(&p.channel_trade_no),
        accounting_date: or_blank(&p.accounting_date),
        created: local_time(p.created_at),
        updated: local_time(p.updated_at),
        expires: local_time(p.expires_at),
        paid: p.paid_at.map(local_time).unwrap_or_default(),
        next_query: p.next_query_at.map(local_time).unwrap_or_default(),
        open: p.status.is_open(),
    }
}

/// 实收: what the bank took, shown only once it took it. An open, failed, closed or cancelled
/// payment received nothing, and an authorization only holds money until it is captured.
fn received(p: &Payment) -> String {
    match p.status {
        PaymentStatus::Succeeded => display_yuan(p.collected_amount()),
        _ => String::new(),
    }
}

fn message_row(m: &PaymentMessage) -> MessageRow {
    MessageRow {
        at: local_time(m.first_seen_at),
        source: m.source.clone(),
        verdict: m.verdict.clone(),
        reason: m.reason.clone(),
        sha256: m.sha256.clone(),
        seen_count: m.seen_count,
        raw_masked: pretty::bank_message(&m.raw_masked),
    }
}

fn event_row(e: &OutboxEvent) -> EventRow {
    EventRow {
        id: e.id.clone(),
        event_type: e.event_type.clone(),
        status: e.status.clone(),
        attempts: e.attempts,
        url: e.url.clone(),
        last_error: or_blank(&e.last_error),
    }
}

fn delivery_row(d: &DeliveryAttempt) -> DeliveryRow {
    DeliveryRow {
        at: local_time(d.created_at),
        event_id: d.event_id.clone(),
        event_type: d.event_type.clone(),
        attempt: d.attempt,
        status_code: d.status_code.map(|c| c.to_string()).unwrap_or_default(),
        error: or_blank(&d.error),
        duration_ms: d.duration_ms,
    }
}

pub fn refund_row(r: &Refund) -> RefundRow {
    RefundRow {
        id: r.id.clone(),
        out_refund_no: r.out_refund_no.clone(),
        amount: r.amount.to_display_yuan(),
        status: r.status.as_str(),
        created: local_time(r.created_at),
    }
}

/// `POST /console/payments/{id}/query`: ask the bank now, record what it says, and show the
/// payment's page with the bank's answer (what it said and its code) above it.
pub async fn query_now(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let signed = form.signed;
    signed
        .require(&state, Permission::QueryPayment, &id)
        .await?;
    let payment = match state.store.get_payment(&id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let asked =
        flows::payments::query_with_answer(&state, &payment, EventSource::Console, false).await;
    let (detail, outcome, answer) = match asked {
        Ok((conclusion, said)) => {
            let recorded = match conclusion {
                QueryConclusion::Applied(outcome) => outcome
                    .into_payment()
                    .map_or("unchanged", |p| p.status.as_str())
                    .to_string(),
                QueryConclusion::StillUnpaid => "still unpaid".to_string(),
                QueryConclusion::Unknown(reason) => format!("no answer: {reason}"),
            };
            (
                format!(
                    "bank says {} ({}); payment {recorded}",
                    said.answer, said.code
                ),
                "ok",
                AnswerView {
                    answer: said.answer,
                    code: said.code,
                    reason: said.reason,
                },
            )
        }
        Err(error) => {
            tracing::warn!(%error, payment_id = %id, "console query failed");
            (
                error.to_string(),
                "failed",
                AnswerView {
                    answer: "unreachable",
                    code: String::new(),
                    reason: error.to_string(),
                },
            )
        }
    };
    signed
        .audit(&state, "payment.query", &id, &detail, outcome)
        .await;
    // Read again: the answer may have moved the payment.
    let payment = match state.store.get_payment(&id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    Ok(render_detail(&state, &signed, &payment, Some(answer)).await)
}

/// `POST /console/payments/{id}/close`: the API's close, recorded with source `console`.
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let signed = form.signed;
    signed
        .require(&state, Permission::ClosePayment, &id)
        .await?;
    let payment = match state.store.get_payment(&id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let back = format!("/console/payments/{id}");
    let (detail, outcome, flash) =
        match flows::close::close_payment(&state, &payment, EventSource::Console).await {
            Ok(CloseOutcome::Closed(_)) => ("closed".to_string(), "ok", Flash::Ok("flash.closed")),
            Ok(CloseOutcome::NotClosable(after)) => (
                format!("not closable: {}", after.status),
                "refused",
                Flash::Error("flash.not_closable"),
            ),
            Ok(CloseOutcome::Unknown(reason)) => (
                format!("bank could not confirm unpaid: {reason}"),
                "refused",
                Flash::Error("flash.query_unknown"),
            ),
            Ok(CloseOutcome::Lost(what)) => {
                (what.to_string(), "failed", Flash::Error("flash.failed"))
            }
            Err(error) => {
                tracing::warn!(%error, payment_id = %id, "console close failed");
                (error.to_string(), "failed", Flash::Error("flash.failed"))
            }
        };
    signed
        .audit(&state, "payment.close", &id, &detail, outcome)
        .await;
    Ok(page::redirect_with(&back, flash))
}
