//! The platform's icon, for the console, the cashier and the demo shop's tabs (without one,
//! every browser asks for `/favicon.ico` on every page and logs a 404).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub const SVG: &str = include_str!("../../static/favicon.svg");

/// `GET /favicon.svg` and `GET /favicon.ico` (browsers read an SVG under either name).
pub async fn icon() -> Response {
    let mut response = SVG.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}
