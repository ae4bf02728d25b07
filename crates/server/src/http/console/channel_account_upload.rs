//! `POST /console/admin/channel-accounts` (multipart): an admin adds a channel account at
//! either bank through `flows::admin::add_channel_account`, the command line's own. ABC: the
//! merchant's key (.pfx with its password, or PEM) and the bank's certificate. UnionPay: the
//! signing .pfx, an SM2 key with its certificate (PEM) or the secure key, and the root and
//! middle certificates the gateway's signPubKeyCert must chain to (5.0.0: its verification
//! certificate). The key is stored sealed, never shown: the answer names it by fingerprint.
//! A multipart body is not read by `ConsoleForm`, so its `csrf` field is checked here the
//! same way.

use super::form::CSRF_FIELD;
use super::page::{self, Flash};
use super::roles::Permission;
use super::session::{SignedIn, same_secret};
use crate::flows;
use crate::flows::admin::{AdminError, KeySource, NewChannelAccount, unionpay_account};
use crate::state::AppState;
use axum::extract::{Multipart, State};
use axum::response::Response;
use std::collections::HashMap;

/// Fields larger than this are refused (a key or a certificate is a few KiB).
const FIELD_MAX_BYTES: usize = 64 * 1024;
const BACK: &str = "/console/admin/channel-accounts";

/// The form's fields by name; files as their bytes.
pub(crate) async fn read_fields(mut multipart: Multipart) -> Option<HashMap<String, Vec<u8>>> {
    let mut fields = HashMap::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name()?.to_string();
        let bytes = field.bytes().await.ok()?;
        if bytes.len() > FIELD_MAX_BYTES || fields.len() > 32 {
            return None;
        }
        fields.insert(name, bytes.to_vec());
    }
    Some(fields)
}

pub async fn add(
    State(state): State<AppState>,
    signed: SignedIn,
    multipart: Multipart,
) -> Result<Response, Response> {
    let fields = read_fields(multipart).await.unwrap_or_default();
    let text = |name: &str| field_text(&fields, name);
    let sent = text(CSRF_FIELD);
    if sent.is_empty() || !same_secret(sent, &signed.csrf) {
        signed
            .audit(
                &state,
                "console.csrf",
                BACK,
                "wrong or no csrf token",
                "refused",
            )
            .await;
        return Err(page::csrf_refused(&signed));
    }
    let merchant_id = text("merchant_id");
    signed
        .require(&state, Permission::ManageMerchants, merchant_id)
        .await?;
    let Some(upload) = read_upload(&fields) else {
        return Ok(page::redirect_with(BACK, Flash::Error("flash.bad_input")));
    };
    let new = upload.account(merchant_id);
    if new.bank_merchant_id.is_empty() || new.trx_url.is_empty() {
        return Ok(page::redirect_with(BACK, Flash::Error("flash.bad_input")));
    }
    match flows::admin::add_channel_account(&state.store, new, state.now_ms()).await {
        Ok(added) => {
            let detail = format!(
                "{} MerchantID {}; certificate sha256 {}; key sha256 {}",
                upload.bank, added.bank_merchant_id, added.certificate_sha256, added.key_sha256
            );
            signed
                .audit(&state, "channel_account.add", &added.id, &detail, "ok")
                .await;
            Ok(page::redirect_with(
                BACK,
                Flash::Ok("flash.channel_account_added"),
            ))
        }
        Err(AdminError::Invalid(reason) | AdminError::NoMerchant(reason)) => {
            signed
                .audit(
                    &state,
                    "channel_account.add",
                    merchant_id,
                    &reason,
                    "refused",
                )
                .await;
            Ok(page::redirect_with(BACK, Flash::Error("flash.bad_input")))
        }
        Err(error) => Ok(page::failure(&error)),
    }
}

/// The upload's fields as [`add`] reads them; `None` when they cannot make an account (no key
/// or two, a bank that is neither, an hour or a fee that is no number).
pub(crate) struct Upload<'f> {
    pub(crate) bank: &'static str,
    key: KeySource<'f>,
    bank_merchant_id: &'f str,
    bank_certificates: Vec<u8>,
    trx_url: &'f str,
    algorithm: String,
    payment_types: String,
    notify_type: String,
    cutover_hour: u8,
    bank_fee_bps: u32,
}

impl<'f> Upload<'f> {
    pub(crate) fn account(&self, merchant_id: &'f str) -> NewChannelAccount<'_> {
        NewChannelAccount {
            channel: self.bank,
            merchant_id,
            bank_merchant_id: self.bank_merchant_id,
            key: self.key,
            bank_certificate: &self.bank_certificates,
            trx_url: self.trx_url,
            algorithm: &self.algorithm,
            payment_types: &self.payment_types,
            notify_type: &self.notify_type,
            cutover_hour: self.cutover_hour,
            bank_fee_bps: self.bank_fee_bps,
            id: None,
        }
    }
}

/// A text field, trimmed; `""` when absent or not UTF-8.
fn field_text<'f>(fields: &'f HashMap<String, Vec<u8>>, name: &str) -> &'f str {
    fields
        .get(name)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::trim)
        .unwrap_or("")
}

/// A file field's bytes; `None` when absent or empty (a browser sends an empty part for a
/// file input left alone).
fn file<'f>(fields: &'f HashMap<String, Vec<u8>>, name: &str) -> Option<&'f [u8]> {
    fields
        .get(name)
        .map(Vec::as_slice)
        .filter(|bytes| !bytes.is_empty())
}

pub(crate) fn read_upload(fields: &HashMap<String, Vec<u8>>) -> Option<Upload<'_>> {
    let text = |name: &str| field_text(fields, name);
    let bank = match text("bank") {
        "" | "abc" => "abc",
        "unionpay" => "unionpay",
        _ => return None,
    };
    let password = fields
        .get("key_password")
        .and_then(|v| std::str::from_utf8(v).ok())
        .unwrap_or("");
    let pem = Some(text("key_pem")).filter(|v| !v.is_empty());
    let secure_key = Some(text("secure_key")).filter(|v| !v.is_empty());
    let key = match (file(fields, "key_pfx"), pem, secure_key) {
        (Some(der), None, None) => KeySource::Pkcs12 { der, password },
        (None, Some(text), None) => KeySource::Pem(text),
        (None, None, Some(text)) => KeySource::SecureKey(text),
        _ => return None,
    };
    let number = |name: &str, default: u32| {
        let value = text(name);
        if value.is_empty() {
            Some(default)
        } else {
            value.parse().ok()
        }
    };
    let bank_fee_bps = number("bank_fee_bps", 0)?;
    let or = |default: &str, name: &str| -> String {
        Some(text(name))
            .filter(|v| !v.is_empty())
            .unwrap_or(default)
            .to_string()
    };
    let upload = if bank == "unionpay" {
        let profile = or(unionpay_account::default_profile(&key), "algorithm");
        let test_cn = matches!(text("accept_test_cn"), "on" | "true" | "1");
        Upload {
            bank,
            key,
            bank_merchant_id: text("bank_merchant_id"),
            bank_certificates: unionpay_account::joined_certificates(
                ["root_certificate", "middle_certificate", "bank_certificate"]
                    .into_iter()
                    .filter_map(|name| file(fields, name)),
            ),
            trx_url: text("trx_url"),
            algorithm: unionpay_account::stored_algorithm(&profile, test_cn),
            payment_types: or(unionpay_account::DEFAULT_CHANNEL_TYPES, "payment_types"),
            // UnionPay sends both notifications, and its day ends when it says.
            notify_type: "server".to_string(),
            cutover_hour: unionpay_account::CUTOVER_HOUR,
            bank_fee_bps,
        }
    } else {
        let cutover_hour =
            number("cutover_hour", 23).and_then(|h| u8::try_from(h).ok().filter(|h| *h < 24))?;
        Upload {
            bank,
            key,
            bank_merchant_id: text("bank_merchant_id"),
            bank_certificates: file(fields, "bank_certificate")
                .unwrap_or_default()
                .to_vec(),
            trx_url: text("trx_url"),
            algorithm: or("SHA1withRSA", "algorithm"),
            payment_types: or("A,1,3,6", "payment_types"),
            notify_type: or("server", "notify_type"),
            cutover_hour,
            bank_fee_bps,
        }
    };
    Some(upload)
}
