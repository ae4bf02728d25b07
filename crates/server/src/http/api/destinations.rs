//! The merchant's URLs in a request must not lead inside the operator's network (core's
//! `destination`), unless `[notify] allow_private_addresses` says they may.

use crate::http::api::error::ApiError;
use crate::state::AppState;
use unipay_api::ErrorCode;
use unipay_core::destination;
use unipay_core::http_url::HttpUrl;

/// Refuses the first of `urls` (field name, value) that leads to an internal address.
pub fn check(state: &AppState, urls: &[(&str, Option<&str>)]) -> Result<(), ApiError> {
    if state.config.notify.allow_private_addresses {
        return Ok(());
    }
    for (field, url) in urls {
        let Some(url) = url else { continue };
        let internal = HttpUrl::parse(url)
            .map_err(|_| ())
            .and_then(|url| destination::check_url(&url).map_err(|_| ()));
        if internal.is_err() {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "{field} must not lead to a loopback, private, link-local or metadata address"
                ),
            ));
        }
    }
    Ok(())
}
