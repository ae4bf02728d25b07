//! The business system's return page, where the consumer's browser lands after paying: it checks
//! unipay's signature on the query with the app's secret and says what it learned.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use tokio::net::TcpListener;

pub struct Shop {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Shop {
    pub async fn start(secret: &str) -> Shop {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let router = Router::new()
            .route("/return", get(return_page))
            .with_state(Arc::new(secret.to_string()));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Shop { url, task }
    }

    pub fn return_url(&self) -> String {
        format!("{}/return", self.url)
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn return_page(State(secret): State<Arc<String>>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    match unipay_client::verify_return_query(&secret, &query) {
        Ok(pairs) => {
            let value = |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| escape(value))
                    .unwrap_or_default()
            };
            Html(format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>Shop</title></head>\
                 <body><h1>Tuition office</h1><p>Thank you. Your payment \
                 <span data-test=\"shop-payment\">{}</span> is \
                 <strong data-test=\"shop-status\">{}</strong>; the signature checks out.</p>\
                 </body></html>",
                value("payment_id"),
                value("status")
            ))
            .into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Html(format!(
                "<p data-test=\"shop-refused\">bad signature: {}</p>",
                escape(&error.to_string())
            )),
        )
            .into_response(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
