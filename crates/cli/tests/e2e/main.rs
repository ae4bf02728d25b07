//! End to end: unipay and the bank simulator as real processes over HTTP, the business system
//! played by the client crate, every scenario on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api_rules;
mod books;
mod console_auth;
mod console_batch_lists;
mod console_flows;
mod console_lists;
mod console_more;
mod console_pages;
mod crash_points;
mod debit_batches;
mod docs;
mod edges;
mod error_codes;
mod guide;
mod harness;
mod identity;
mod inbound_limits;
mod kcode;
mod mandates;
mod notifications;
mod payments;
mod preauth;
mod refund_batches;
mod refunds;
mod rejected_messages;
mod resilience;
mod retries;
mod secrets_at_rest;
mod transactions;
mod unionpay;
mod unionpay_answers;
mod unionpay_books;
mod unionpay_cashier;
mod unionpay_console;
mod unionpay_expired;
mod unionpay_late;
mod unionpay_preauth;
mod unionpay_preauth_window;
mod unionpay_refunds;
mod unionpay_sm2;
mod unsent;

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
    identity::identity_redirect_matched,
    identity::identity_redirect_not_matched,
    identity::identity_direct_matched,
    identity::identity_direct_not_matched,
    identity::identity_plain_values_never_stored_or_logged,
    mandates::sign_then_debit_and_limit,
    mandates::refused_signing_fails_the_mandate,
    mandates::lost_signing_result_found_by_query,
    mandates::cancelled_and_expired_mandates_refuse_debits,
    mandates::unknown_debit_answer_settled_by_the_janitor,
    mandates::lost_debit_request_is_sent_again_by_the_janitor,
    unsent::unsent_mandate_signing_is_failed,
    unsent::unsent_identity_verification_is_failed,
    unsent::unsent_debit_is_sent_by_the_janitor,
    debit_batches::two_thousand_debits_in_parts,
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
    unionpay::unionpay_payment_by_back_and_front_notifications,
    unionpay_answers::unionpay_payment_by_front_notification_only,
    unionpay_answers::unionpay_decline_fails_the_payment,
    unionpay_answers::unionpay_unknown_query_answers_then_success,
    unionpay_answers::unionpay_500_message_naming_another_certificate_is_rejected,
    unionpay_answers::unionpay_sm3_secure_key_account_pays,
    unionpay_sm2::unionpay_sm2_account_pays_and_a_wrongly_signed_notification_is_rejected,
    unionpay_expired::unionpay_notification_under_an_expired_certificate_is_rejected,
    unionpay_refunds::unionpay_partial_refunds_and_over_refund,
    unionpay_refunds::unionpay_refund_found_by_query_when_its_notification_is_dropped,
    unionpay_refunds::unionpay_whole_refund_on_the_day_is_a_void,
    unionpay_refunds::unionpay_refund_batch_is_rejected_as_not_offered,
    unionpay_cashier::consumer_chooses_the_bank_at_the_cashier,
    unionpay_late::unionpay_late_success_is_an_anomaly,
    unionpay_console::unionpay_account_added_in_the_console,
    unionpay_preauth::unionpay_preauth_capture_part_then_refund,
    unionpay_preauth::unionpay_preauth_cancel_releases_the_hold,
    unionpay_preauth::unionpay_preauth_capture_up_to_115_percent,
    unionpay_preauth::unionpay_preauth_capture_finished_by_its_back_notification,
    unionpay_preauth::unionpay_preauth_whole_refund_on_the_day_is_a_completion_void,
    unionpay_preauth_window::unionpay_capture_after_30_days_is_refused_before_the_bank,
    notifications::forged_and_tampered_messages_change_nothing,
    notifications::endpoint_down_first_then_delivered_with_the_same_id,
    notifications::never_acknowledged_is_dead_lettered_and_resend_works,
    api_rules::each_bad_request_has_its_code_and_stores_nothing,
    api_rules::idempotency_and_duplicates,
    api_rules::close_and_sync_query,
    api_rules::health_and_readiness,
    resilience::killed_server_loses_nothing,
    resilience::logs_carry_request_ids_and_keep_secrets_out,
    crash_points::crash_after_payment_commit_before_bank_call,
    crash_points::crash_after_refund_commit_before_bank_call,
    crash_points::crash_after_refund_answer_before_commit,
    crash_points::crash_after_callback_verify_before_commit,
    crash_points::crash_after_notify_ack_before_record,
    crash_points::crash_during_janitor_lease,
    rejected_messages::rejected_signing_results_change_nothing,
    rejected_messages::rejected_identity_results_change_nothing,
    rejected_messages::refund_answer_contradicting_a_final_refund_changes_nothing,
    books::reconciliation_end_to_end,
    unionpay_books::abc_and_unionpay_day_reconciled_and_settled,
    refunds::full_and_partial_refunds,
    refunds::refusals_duplicates_and_idempotency,
    refunds::racing_refunds_never_over_refund,
    refunds::unknown_refund_answers_resolved_by_the_janitor,
    refunds::lost_refund_request_is_sent_by_the_janitor,
    refunds::rejected_refund_fails_and_releases_the_money,
    preauth::capture_part_then_refund,
    preauth::cancel_an_authorization,
    preauth::capture_with_a_lost_answer_keeps_the_captured_amount,
    refund_batches::batch_with_bad_lines_is_refused_whole,
    refund_batches::ten_thousand_line_batch_in_parts,
    transactions::paging_across_boundaries_while_creating,
    transactions::channel_records_show_only_the_apps_own,
    console_auth::sign_in_and_out_with_safe_cookies_and_headers,
    console_auth::repeated_failures_slow_down_and_lock_the_account,
    console_auth::forms_without_the_right_csrf_token_change_nothing,
    console_auth::an_auditor_reads_but_cannot_act,
    console_auth::language_from_the_browser_and_switchable,
    console_auth::sessions_end_idle_absolutely_and_when_disabled,
    console_auth::an_admin_manages_users,
    console_auth::an_admin_unlocks_a_locked_user,
    console_auth::the_dashboard_and_the_audit_log_show_what_happened,
    console_pages::payment_story_and_operator_actions,
    console_pages::recon_decision_and_settlement_review,
    console_pages::admin_rotates_an_app_secret,
    console_lists::every_list_searches_pages_and_exports,
    console_batch_lists::mandate_and_batch_lists_search_page_and_export,
    console_batch_lists::book_lists_walk_to_a_second_page,
    console_flows::resend_every_failure_of_an_endpoint,
    console_flows::late_success_refunded_from_the_console,
    console_more::console_more_mandate_batch_and_identity_pages,
    kcode::kcode_success,
    kcode::kcode_wrong_code_then_right,
    kcode::kcode_too_many_wrong_codes,
    kcode::kcode_resend,
    kcode::kcode_code_expired,
    kcode::kcode_at_the_cashier,
    kcode::kcode_bad_input_and_idempotency,
    kcode::kcode_lost_answer_settled_by_query,
    kcode::kcode_cards_tried_are_capped_per_payment_and_address,
    inbound_limits::concurrent_sign_ins_cannot_outrun_the_lock,
    inbound_limits::sign_in_floods_are_limited_counted_and_sampled,
    inbound_limits::forged_callback_flood_leaves_a_bounded_expiring_sample,
    inbound_limits::an_app_disabled_elsewhere_is_refused_at_once,
    error_codes::request_refusals_have_their_codes,
    error_codes::kcode_refusals_have_their_codes,
    error_codes::failures_have_their_codes,
    error_codes::codes_a_running_server_cannot_answer,
    retries::janitor_schedule_advances_through_its_steps,
    retries::query_answer_with_another_amount_is_not_believed,
    retries::close_racing_a_success_ends_one_way,
    retries::notifications_to_broken_endpoints_are_retried_then_dead_lettered,
    edges::unauthenticated_large_post_is_refused_before_its_body,
    edges::slow_headers_are_cut_off,
    edges::metrics_need_the_token_and_keep_labels_bounded,
    edges::internal_notify_urls_are_refused_unless_allowed,
    secrets_at_rest::no_secret_is_stored_in_plaintext,
    secrets_at_rest::the_kek_rotates_while_serving,
    secrets_at_rest::migrate_seals_plaintext_from_before,
);

async fn run(backend: TestBackend, scenario: impl AsyncFnOnce(&mut World)) {
    let Some(mut world) = World::start(backend).await else {
        return;
    };
    scenario(&mut world).await;
    world.check_invariants().await;
    world.finish().await;
}
