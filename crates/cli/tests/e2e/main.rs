//! End to end: unipay and the bank simulator as real processes over HTTP, the business system
//! played by the client crate, every scenario on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api_rules;
mod books;
mod harness;
mod notifications;
mod payments;
mod preauth;
mod refund_batches;
mod refunds;
mod resilience;
mod transactions;

use harness::World;
use unipay_store::testing::TestBackend;

macro_rules! on_both_backends {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { super::run(unipay_store::testing::TestBackend::Sqlite, super::$module::$name).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { super::run(unipay_store::testing::TestBackend::Postgres, super::$module::$name).await; })*
        }
    };
}

on_both_backends!(
    payments::success_by_page_notification_only,
    payments::success_by_server_notification_only,
    payments::both_notifications_twice_in_either_order_notify_once,
    payments::decline_fails_the_payment,
    payments::duplicated_and_delayed_server_notifications_notify_once,
    payments::janitor_finds_success_when_every_notification_is_dropped,
    payments::janitor_keeps_asking_through_unknown_answers,
    payments::janitor_survives_a_query_that_never_answers,
    payments::expired_payment_closes_and_a_late_success_is_an_anomaly,
    payments::two_hundred_concurrent_payments_each_notified_once,
    payments::sha256_channel_account_pays_end_to_end,
    notifications::forged_and_tampered_messages_change_nothing,
    notifications::endpoint_down_first_then_delivered_with_the_same_id,
    notifications::never_acknowledged_is_dead_lettered_and_resend_works,
    api_rules::each_bad_request_has_its_code_and_stores_nothing,
    api_rules::idempotency_and_duplicates,
    api_rules::close_and_sync_query,
    api_rules::health_and_readiness,
    resilience::killed_server_loses_nothing,
    resilience::logs_carry_request_ids_and_keep_secrets_out,
    books::reconciliation_end_to_end,
    refunds::full_and_partial_refunds,
    refunds::refusals_duplicates_and_idempotency,
    refunds::racing_refunds_never_over_refund,
    refunds::unknown_refund_answers_resolved_by_the_janitor,
    refunds::rejected_refund_fails_and_releases_the_money,
    preauth::capture_part_then_refund,
    preauth::cancel_an_authorization,
    refund_batches::batch_with_bad_lines_is_refused_whole,
    refund_batches::thousand_line_batch_with_failures,
    transactions::paging_across_boundaries_while_creating,
);

async fn run(backend: TestBackend, scenario: impl AsyncFnOnce(&mut World)) {
    let Some(mut world) = World::start(backend).await else {
        return;
    };
    scenario(&mut world).await;
    world.check_invariants().await;
    world.finish().await;
}
