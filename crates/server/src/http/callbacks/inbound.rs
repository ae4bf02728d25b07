//! What every bank callback (payment results, signing results, identity results) answers: the
//! page the bank waits for.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use unipay_core::channel::Channel;

/// The answer the bank expects for a message it delivered, sending the customer on to
/// `customer_url`.
pub(crate) fn bank_answer(channel: &dyn Channel, customer_url: &str) -> Response {
    let (content_type, answer) = channel.notification_answer(customer_url);
    let mut response = (StatusCode::OK, answer).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
