//! Every console POST: the signed-in user and the form's fields, with the form's `csrf` field
//! checked against the session's token before the handler runs. A missing or wrong token
//! answers 403 and writes `console.csrf` to the audit log; the handler never sees the request.

use super::page;
use super::session::{SignedIn, same_secret};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};

/// The name of the hidden field every form carries.
pub const CSRF_FIELD: &str = "csrf";

/// A checked form: take it as the last argument of a POST handler.
pub struct ConsoleForm {
    pub signed: SignedIn,
    pub fields: FormFields,
}

/// The fields of a submitted form, in order; a name may repeat (`event_id` for many at once).
#[derive(Debug, Clone, Default)]
pub struct FormFields {
    pairs: Vec<(String, String)>,
}

impl FormFields {
    pub fn parse(body: &[u8]) -> FormFields {
        FormFields {
            pairs: form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// The first value of `name` exactly as sent (passwords), `""` when absent.
    pub fn raw(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }

    /// Every non-blank value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
            .collect()
    }
}

/// Why a form's `csrf` field does not match the session's token (`None`: it matches).
pub(crate) fn csrf_refusal(fields: &FormFields, expected: &str) -> Option<&'static str> {
    let sent = fields.raw(CSRF_FIELD);
    if sent.is_empty() {
        Some("no csrf token")
    } else if !same_secret(sent, expected) {
        Some("wrong csrf token")
    } else {
        None
    }
}

impl FromRequest<AppState> for ConsoleForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<ConsoleForm, Response> {
        let (mut parts, body) = request.into_parts();
        let signed = SignedIn::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields = FormFields::parse(&body);
        if let Some(detail) = csrf_refusal(&fields, &signed.csrf) {
            let target = signed.path_and_query.clone();
            signed
                .audit(state, "console.csrf", &target, detail, "refused")
                .await;
            return Err(page::csrf_refused(&signed));
        }
        Ok(ConsoleForm { signed, fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_repeat_and_trim() {
        let fields = FormFields::parse(b"event_id=a&event_id=+b+&event_id=&note=%E5%A5%BD&pw=+x+");
        assert_eq!(fields.all("event_id"), vec!["a", "b"]);
        assert_eq!(fields.get("note"), Some("好"));
        assert_eq!(fields.get("missing"), None);
        assert_eq!(fields.raw("pw"), " x ");
    }
}
