//! The live router against the document: every documented operation is routed (an unsigned
//! call is refused by the signature check, not by routing), every other method on a
//! documented path is refused with `method_not_allowed`, and every refusal axum itself would
//! give (unknown route, bad query string) is the JSON error envelope.

use crate::state::AppState;
use serde_json::Value;
use std::sync::Arc;
use unipay_core::SystemClock;
use unipay_store::Store;

struct Answer {
    status: u16,
    content_type: String,
    code: Option<String>,
}

async fn serve() -> String {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    let state =
        AppState::new(store, crate::ServerConfig::default(), Arc::new(SystemClock)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = crate::app::router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    format!("http://{address}")
}

async fn call(base: &str, method: &str, path: &str) -> Answer {
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let response = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().map(str::to_string);
    Answer {
        status,
        content_type,
        code,
    }
}

#[tokio::test]
async fn the_router_answers_the_documented_operations_and_only_those() {
    let base = serve().await;
    let document: Value = serde_json::from_str(&super::openapi::document_json()).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", "x_1");
        let documented = item.as_object().unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            let answer = call(&base, method, &concrete).await;
            assert!(
                answer.content_type.starts_with("application/json"),
                "{method} {path}"
            );
            let expected = match documented.get(method) {
                None => (405, Some("method_not_allowed")),
                Some(operation) if operation["security"] == serde_json::json!([{}]) => (200, None),
                Some(_) => (401, Some("missing_authorization")),
            };
            assert_eq!(
                (answer.status, answer.code.as_deref()),
                expected,
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn axums_own_refusals_are_error_envelopes() {
    let base = serve().await;
    for (method, path, status, code) in [
        ("get", "/v1/no-such-route", 404, "not_found"),
        ("get", "/v1/payments/a/b", 404, "not_found"),
        ("get", "/v1/payments/x_1?sync=maybe", 400, "invalid_request"),
        ("get", "/v1/transactions?limit=many", 400, "invalid_request"),
        (
            "get",
            "/v1/channel-transactions?start_hour=25x",
            400,
            "invalid_request",
        ),
        ("get", "/v1/payments/%FF", 400, "invalid_request"),
        ("delete", "/v1/payments", 405, "method_not_allowed"),
    ] {
        let answer = call(&base, method, path).await;
        assert_eq!(answer.status, status, "{method} {path}");
        assert_eq!(answer.code.as_deref(), Some(code), "{method} {path}");
        assert!(
            answer.content_type.starts_with("application/json"),
            "{path}"
        );
    }
}
