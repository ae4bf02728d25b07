//! `POST /console/admin/channel-accounts` (multipart): an admin adds an ABC TrustPay channel
//! account by uploading the merchant's key (.pfx with its password, or PEM) and the bank's
//! certificate, through `flows::admin::add_channel_account`, the command line's own. The key
//! is stored, never shown: the answer names it by fingerprint. A multipart body is not read
//! by `ConsoleForm`, so its `csrf` field is checked here the same way.

use super::form::CSRF_FIELD;
use super::page::{self, Flash};
use super::roles::Permission;
use super::session::{SignedIn, same_secret};
use crate::flows;
use crate::flows::admin::{AdminError, KeySource, NewChannelAccount};
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
                "bank MerchantID {}; certificate sha256 {}; key sha256 {}",
                added.bank_merchant_id, added.certificate_sha256, added.key_sha256
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
/// or two, an hour or a fee that is no number).
pub(crate) struct Upload<'f> {
    key: KeySource<'f>,
    bank_merchant_id: &'f str,
    bank_certificate: &'f [u8],
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
            // The console's upload form takes ABC's key files; UnionPay's accounts are added
            // with `unipay admin add-channel-account --bank unionpay`.
            channel: "abc",
            merchant_id,
            bank_merchant_id: self.bank_merchant_id,
            key: self.key,
            bank_certificate: self.bank_certificate,
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

pub(crate) fn read_upload(fields: &HashMap<String, Vec<u8>>) -> Option<Upload<'_>> {
    let pfx = fields.get("key_pfx").filter(|v| !v.is_empty());
    let pem = Some(field_text(fields, "key_pem")).filter(|v| !v.is_empty());
    let password = fields
        .get("key_password")
        .and_then(|v| std::str::from_utf8(v).ok())
        .unwrap_or("");
    let key = match (pfx, pem) {
        (Some(der), None) => KeySource::Pkcs12 { der, password },
        (None, Some(text)) => KeySource::Pem(text),
        _ => return None,
    };
    let number = |name: &str, default: u32| {
        let value = field_text(fields, name);
        if value.is_empty() {
            Some(default)
        } else {
            value.parse().ok()
        }
    };
    let cutover_hour =
        number("cutover_hour", 23).and_then(|h| u8::try_from(h).ok().filter(|h| *h < 24))?;
    let bank_fee_bps = number("bank_fee_bps", 0)?;
    let or = |value: &'static str, name: &str| -> String {
        Some(field_text(fields, name))
            .filter(|v| !v.is_empty())
            .unwrap_or(value)
            .to_string()
    };
    Some(Upload {
        key,
        bank_merchant_id: field_text(fields, "bank_merchant_id"),
        bank_certificate: fields
            .get("bank_certificate")
            .map(Vec::as_slice)
            .unwrap_or_default(),
        trx_url: field_text(fields, "trx_url"),
        algorithm: or("SHA1withRSA", "algorithm"),
        payment_types: or("A,1,3,6", "payment_types"),
        notify_type: or("server", "notify_type"),
        cutover_hour,
        bank_fee_bps,
    })
}
