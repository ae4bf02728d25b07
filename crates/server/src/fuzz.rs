//! What the server's fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer) run, one function per
//! target, and the tests that replay their corpora on stable with `cargo test`: both call the
//! same functions, so an input that once found a fault stays checked in CI.
//!
//! Each function hands outside bytes to the parsing the handlers do (the `/v1` bodies, the
//! `Authorization` header, the console's forms, the bank callbacks' bodies) and must return
//! whatever the bytes: a panic would be a 500 (or a dead worker) that anyone could cause.
//! Where the first byte chooses among several parsers, the rest is the input.

use crate::channels::build_channel;
use crate::flows;
use crate::http::api::{
    auth, create, debit_batches, identity, kcode, mandate_input, preauth, refund_batches, refunds,
};
use crate::http::console::accounts::{check_password, check_username};
use crate::http::console::admin_page::read_new_app;
use crate::http::console::channel_account_upload::{read_fields, read_upload};
use crate::http::console::form::csrf_refusal;
use crate::http::console::notifications_page::{is_console_path, read_resend};
use crate::http::console::recon_page::read_decision;
use crate::http::console::session::same_secret;
use crate::http::console::signin::{read_form, safe_next};
use crate::http::console::{FormFields, Role};
use axum::body::Body;
use axum::extract::{FromRequest, Multipart};
use axum::http::{HeaderValue, Request, header};
use std::sync::{Arc, OnceLock};
use unipay_channel_abc::fuzz as abc;
use unipay_core::channel::Channel;
use unipay_core::masking::unverified_record;
use unipay_store::merchants::ChannelAccount;

/// The day mandate bodies are judged on (`expires_on` may not be before it).
const TODAY: &str = "2026-05-01";
/// The session's CSRF token the forms are checked against.
const CSRF_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// Target `api_bodies`: the body parsers of the `/v1` calls that take one, field by field as
/// the handlers read them; a refusal is rendered as the client would receive it.
pub fn api_body(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let refusal = match which % 10 {
        0 => create::parse(body).err(),
        1 => refunds::parse(body).err(),
        2 => refund_batches::parse(body).err(),
        3 => mandate_input::mandate(body, TODAY).err(),
        // `POST /v1/mandates/{id}/debits`
        4 => mandate_input::object(body)
            .and_then(|fields| mandate_input::debit_fields(&fields))
            .err(),
        5 => debit_batches::parse(body).err(),
        6 => identity::parse(body).err(),
        7 => kcode::parse_confirm(body).err(),
        8 => kcode::check_resend_body(body).err(),
        // capture
        _ => preauth::parse_amount(body).err(),
    };
    if let Some(error) = refusal {
        let _ = (error.status(), error.body());
    }
}

/// Target `api_authorization`: the `Authorization` header as `auth::verify` reads it (a
/// visible-ASCII value, its four parameters), then the signature it names checked.
pub fn authorization(data: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let Ok(text) = value.to_str() else {
        return;
    };
    let Ok(credentials) = auth::parse_authorization(text) else {
        return;
    };
    let signed = auth::string_to_sign(
        "POST",
        "/v1/payments",
        credentials.timestamp,
        credentials.nonce,
        b"{}",
    );
    let _ = auth::verify_signature("fuzz-secret", &signed, credentials.signature);
    let _ = credentials.app_id.len();
}

/// Target `console_forms`: the console's sign-in form and its action forms as the handlers
/// read them, and the channel-account upload (multipart, with its key and certificate).
pub fn console_form(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => {
            let form = read_form(body);
            // `next` is where a signed-in browser is sent: never off the console.
            let next = safe_next(&form.next);
            assert!(next.starts_with("/console") && !next.contains("//"));
            let _ = same_secret(&form.csrf, CSRF_TOKEN);
            let _ = check_username(&form.username);
        }
        1 => {
            // Every action form: the CSRF check, then the fields the actions read.
            let fields = FormFields::parse(body);
            let _ = csrf_refusal(&fields, CSRF_TOKEN);
            let (ids, back) = read_resend(&fields);
            assert!(back == "/console/notifications" || is_console_path(&back));
            let _ = ids.join(",");
            let _ = read_decision(&fields);
            let _ = fields.get("note");
        }
        2 => {
            // The users page: create, change role.
            let fields = FormFields::parse(body);
            let _ = check_username(fields.get("username").unwrap_or(""));
            let _ = Role::parse(fields.get("role").unwrap_or(""));
            let _ = check_password(fields.raw("password"));
        }
        3 => {
            // Merchants and apps.
            let fields = FormFields::parse(body);
            let _ = fields.get("name");
            let _ = read_new_app(&fields);
        }
        _ => upload(body),
    }
}

/// The channel-account upload: the multipart body as axum hands it to the handler, its fields,
/// then the key and certificate read as `flows::admin::add_channel_account` reads them.
fn upload(body: &[u8]) {
    let Some(runtime) = runtime() else {
        return;
    };
    let Ok(request) = Request::builder()
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=fuzz")
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    let fields = runtime.block_on(async {
        let multipart = Multipart::from_request(request, &()).await.ok()?;
        read_fields(multipart).await
    });
    let Some(fields) = fields else {
        return;
    };
    if let Some(upload) = read_upload(&fields) {
        let _ = flows::admin::read_credentials(&upload.account("mch_fuzz"));
    }
}

fn runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| tokio::runtime::Builder::new_current_thread().build().ok())
        .as_ref()
}

/// Target `callback_forms`: a bank callback's body as the three callbacks (payment results,
/// signing results, identity results) hand it to the channel, with a channel built the way the
/// server builds one from a stored account; what a rejected message leaves is its record. A
/// body starting with `<` is a decoded envelope, sent in the form as the bank would.
pub fn callback(data: &[u8]) {
    let Some(channel) = channel() else {
        return;
    };
    let body = abc::notification_body(data);
    // callbacks.rs
    if let Err(error) = channel.read_notification(&body) {
        rejected(&body, &error);
    }
    // mandate_callbacks.rs
    if let Some(mandates) = channel.mandates()
        && let Err(error) = mandates.read_sign_result(&body)
    {
        rejected(&body, &error);
    }
    // identity_callbacks.rs
    if let Some(identity) = channel.identity()
        && let Err(error) = identity.read_identity_result("IDV1", &body)
    {
        rejected(&body, &error);
    }
}

/// What `inbound::keep_unverified` keeps of a rejected message.
fn rejected(body: &[u8], error: &dyn std::fmt::Display) {
    let _ = (unverified_record(body), error.to_string());
}

fn channel() -> Option<&'static Arc<dyn Channel>> {
    static CHANNEL: OnceLock<Option<Arc<dyn Channel>>> = OnceLock::new();
    CHANNEL
        .get_or_init(|| {
            build_channel(&ChannelAccount {
                id: "cha_fuzz".into(),
                merchant_id: "mch_fuzz".into(),
                channel: "abc".into(),
                bank_merchant_id: abc::MERCHANT_ID.into(),
                private_key_pem: abc::KEY_PEM.into(),
                bank_certificate_pem: abc::CERT_PEM.into(),
                signature_algorithm: "SHA1withRSA".into(),
                trx_url: "http://127.0.0.1:9/trx".into(),
                payment_types: "A".into(),
                notify_type: "server".into(),
                cutover_hour: 23,
                bank_fee_bps: 0,
                created_at: 0,
            })
            .ok()
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::path::PathBuf;
    use std::time::Instant;

    /// Feeds every file of `fuzz/corpus/<target>` to `run`. A missing or empty corpus fails:
    /// the replay is CI's only run of the fuzzers' findings.
    fn replay(target: &str, run: fn(&[u8])) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(target);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {} cannot be read: {e}", dir.display()));
        let started = Instant::now();
        let mut files = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                run(&std::fs::read(&path).unwrap());
                files += 1;
            }
        }
        assert!(files > 0, "corpus {} is empty", dir.display());
        eprintln!("{target}: {files} inputs in {:?}", started.elapsed());
    }

    /// The fixed channel must build: without it the callback target would test nothing.
    #[test]
    fn the_fuzz_channel_builds() {
        assert!(super::channel().is_some());
    }

    #[test]
    fn api_bodies_corpus_replays() {
        replay("api_bodies", super::api_body);
    }

    #[test]
    fn api_authorization_corpus_replays() {
        replay("api_authorization", super::authorization);
    }

    #[test]
    fn console_forms_corpus_replays() {
        replay("console_forms", super::console_form);
    }

    #[test]
    fn callback_forms_corpus_replays() {
        replay("callback_forms", super::callback);
    }
}
