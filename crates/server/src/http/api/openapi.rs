//! The OpenAPI 3.1 document of the merchant API, served at `/v1/openapi.json`. Error codes come
//! from the same table the API answers with, so the document cannot drift from the code.

use crate::http::api::error::{ErrorCode, json_response};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

pub async fn document() -> Response {
    json_response(StatusCode::OK, openapi().to_string())
}

pub fn openapi() -> Value {
    let codes: Vec<Value> = ErrorCode::ALL.iter().map(|code| json!(code)).collect();
    let code_table: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|code| json!({"code": code, "status": code.status(), "meaning": code.meaning()}))
        .collect();
    let error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let payment = json!({"description": "The payment.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Payment"}}}});
    let refund = json!({"description": "The refund.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Refund"}}}});
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let sync_param = json!({"name": "sync", "in": "query", "required": false, "schema": {"type": "boolean"}, "description": "Query the bank first when the payment is still open."});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "unipay merchant API",
            "version": "1",
            "description": "Every request is signed: `Authorization: UNIPAY-HMAC-SHA256 app_id=<app>,timestamp=<unix seconds>,nonce=<16-64 chars>,signature=<lowercase hex>` where signature = hex(HMAC-SHA256(app_secret, METHOD + \"\\n\" + PATH_WITH_QUERY + \"\\n\" + timestamp + \"\\n\" + nonce + \"\\n\" + lowercase_hex(sha256(body)))). Notifications are POSTed to notify_url with `Unipay-Signature: t=<unix>,v1=<hex HMAC-SHA256(app_secret, t + \".\" + body)>` and body {id, type (payment.succeeded|payment.failed|payment.closed|payment.authorized|payment.cancelled), created_at, data: Payment} or, for refunds, {id, type (refund.succeeded|refund.failed), created_at, data: Refund}; any 2xx acknowledges; the same event keeps its id on every retry.",
            "x-error-codes": code_table,
        },
        "components": {
            "securitySchemes": {"unipayHmac": {"type": "apiKey", "in": "header", "name": "Authorization"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "enum": codes},
                        "message": {"type": "string"},
                        "payment_id": {"type": "string", "description": "For duplicate_out_trade_no: the existing payment."},
                        "refund_id": {"type": "string", "description": "For duplicate_out_refund_no: the existing refund (also in the answer's refund)."}
                    }}}
                },
                "CreatePayment": {
                    "type": "object",
                    "required": ["out_trade_no", "amount", "currency", "subject"],
                    "properties": {
                        "out_trade_no": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$"},
                        "amount": {"type": "integer", "minimum": 1, "maximum": 10_000_000_000i64, "description": "Minor units (fen)."},
                        "currency": {"type": "string", "enum": ["CNY"]},
                        "subject": {"type": "string", "maxLength": 128},
                        "notify_url": {"type": "string", "format": "uri"},
                        "return_url": {"type": "string", "format": "uri"},
                        "expires_in_seconds": {"type": "integer", "minimum": 1},
                        "metadata": {"type": "object"},
                        "capture": {"type": "string", "enum": ["immediate", "manual"], "description": "manual: a pre-authorization (PreAuthPay), authorized then captured or cancelled."},
                        "method": super::kcode_openapi::method(),
                        "card_no": super::kcode_openapi::card_no(),
                        "mobile_no": super::kcode_openapi::mobile_no()
                    }
                },
                "Payment": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"}, "app_id": {"type": "string"}, "out_trade_no": {"type": "string"},
                        "amount": {"type": "integer"}, "currency": {"type": "string"}, "subject": {"type": "string"},
                        "status": {"type": "string", "enum": ["created", "pending", "authorized", "succeeded", "failed", "closed", "cancelled"]},
                        "channel": {"type": "string"},
                        "channel_order_no": {"type": "string", "description": "The order number the bank knows the payment by (ABC OrderNo)."},
                        "channel_trade_no": {"type": ["string", "null"], "description": "The bank's serial (ABC iRspRef)."},
                        "accounting_date": {"type": ["string", "null"], "format": "date"},
                        "paid_at": {"type": ["string", "null"], "format": "date-time"},
                        "cashier_url": {"type": "string"}, "return_url": {"type": ["string", "null"]},
                        "notify_url": {"type": ["string", "null"]},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "metadata": {"type": ["object", "null"]},
                        "capture": {"type": "string", "enum": ["immediate", "manual"]},
                        "captured_amount": {"type": ["integer", "null"], "description": "What the capture of a pre-authorization took."},
                        "refunded_amount": {"type": "integer", "description": "Refunds that succeeded; a refunded payment stays succeeded."},
                        "kcode": super::kcode_openapi::kcode_member()
                    }
                },
                "CreateRefund": {
                    "type": "object",
                    "required": ["out_refund_no", "amount"],
                    "properties": {
                        "out_refund_no": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$"},
                        "amount": {"type": "integer", "minimum": 1, "description": "Minor units (fen), at most what remains refundable."},
                        "reason": {"type": "string", "maxLength": 128}
                    }
                },
                "Refund": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"}, "payment_id": {"type": "string"}, "out_refund_no": {"type": "string"},
                        "amount": {"type": "integer"}, "currency": {"type": "string"}, "reason": {"type": ["string", "null"]},
                        "status": {"type": "string", "enum": ["pending", "succeeded", "failed"]},
                        "channel_refund_no": {"type": ["string", "null"], "description": "The bank's serial for the refund."},
                        "accounting_date": {"type": ["string", "null"], "format": "date"},
                        "failure_reason": {"type": ["string", "null"]},
                        "batch_id": {"type": ["string", "null"]},
                        "created_at": {"type": "string", "format": "date-time"},
                        "finished_at": {"type": ["string", "null"], "format": "date-time"}
                    }
                }
            }
        },
        "security": [{"unipayHmac": []}],
        "paths": {
            "/v1/payments": {
                "post": {
                    "summary": "Create a payment",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreatePayment"}}}},
                    "responses": {"201": payment, "400": error("invalid_json, invalid_request, invalid_amount, invalid_currency, invalid_idempotency_key"), "401": error("authorization errors"), "402": error("kcode_bill_refused (method kcode)"), "409": error("duplicate_out_trade_no, idempotency_key_in_flight, no_channel_account, kcode_not_offered"), "422": error("idempotency_key_reused"), "503": error("bank_result_unknown (method kcode: the bill's answer was lost; send the same request with the same Idempotency-Key again)")}
                },
                "get": {
                    "summary": "Find a payment by out_trade_no",
                    "parameters": [{"name": "out_trade_no", "in": "query", "required": true, "schema": {"type": "string"}}, sync_param],
                    "responses": {"200": payment, "404": error("payment_not_found")}
                }
            },
            "/v1/payments/{id}": {
                "get": {"summary": "Get a payment", "parameters": [id_param, sync_param], "responses": {"200": payment, "404": error("payment_not_found")}}
            },
            "/v1/payments/{id}/refunds": {
                "post": {
                    "summary": "Refund (part of) a paid payment; pending until the bank answers",
                    "parameters": [id_param, {"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateRefund"}}}},
                    "responses": {"201": refund, "400": error("invalid_json, invalid_request, invalid_amount, invalid_idempotency_key"), "404": error("payment_not_found"), "409": error("payment_not_paid, payment_not_captured, refund_exceeds_refundable, duplicate_out_refund_no (with the existing refund), idempotency_key_in_flight"), "422": error("idempotency_key_reused")}
                },
                "get": {"summary": "A payment's refunds, oldest first", "parameters": [id_param], "responses": {"200": {"description": "{payment_id, refunds: [Refund]}"}, "404": error("payment_not_found")}}
            },
            "/v1/refund-batches": {
                "post": {
                    "summary": "Refund up to 10000 lines at once; validated whole, then sent to the bank; lines become refunds with their own notifications",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["out_batch_no", "lines"], "properties": {"out_batch_no": {"type": "string", "maxLength": 64}, "lines": {"type": "array", "maxItems": 10000, "items": {"type": "object", "required": ["out_refund_no", "amount"], "properties": {"payment_id": {"type": "string"}, "out_trade_no": {"type": "string"}, "out_refund_no": {"type": "string"}, "amount": {"type": "integer"}, "reason": {"type": "string"}}}}}}}}},
                    "responses": {"201": {"description": "The batch with its lines: {id, out_batch_no, status created|submitted|finished|rejected, line_count, total_amount, succeeded_count, succeeded_amount, failed_count, failed_amount, lines: [{seq_no, refund_id, payment_id, out_refund_no, amount, status, channel_refund_no, failure_reason}]}"}, "400": error("invalid_json, invalid_request, invalid_amount"), "409": error("duplicate_out_batch_no"), "422": error("refund_batch_lines_invalid (error.lines), idempotency_key_reused")}
                }
            },
            "/v1/refund-batches/{id}": {
                "get": {"summary": "A refund batch with each line's status", "parameters": [id_param], "responses": {"200": {"description": "As the 201 of the create."}, "404": error("refund_batch_not_found")}}
            },
            "/v1/transactions": {
                "get": {"summary": "The app's payments and refunds, oldest first, paged by cursor (stable while rows are added)", "parameters": [
                    {"name": "from", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "to", "in": "query", "required": false, "schema": {"type": "string", "format": "date-time"}},
                    {"name": "status", "in": "query", "required": false, "schema": {"type": "string"}},
                    {"name": "type", "in": "query", "required": false, "schema": {"type": "string", "enum": ["payment", "refund"]}},
                    {"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}, "description": "The previous page's next_cursor."},
                    {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
                ], "responses": {"200": {"description": "{data: [{type, id, out_no, amount, status, payment_id, created_at}], next_cursor: string|null}"}, "400": error("invalid_request")}}
            },
            "/v1/channel-transactions": {
                "get": {"summary": "The bank's records of some hours of a day (QueryTrnxRecords), parsed", "parameters": [
                    {"name": "channel_account", "in": "query", "required": false, "schema": {"type": "string"}, "description": "The app's channel account (the default)."},
                    {"name": "date", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}},
                    {"name": "start_hour", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 23}},
                    {"name": "end_hour", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 23}}
                ], "responses": {"200": {"description": "{channel_account, date, start_hour, end_hour, records: [{line_no, type, order_no, original_order_no, amount, fee, accounting_date, bank_serial, traded_at}], unreadable: [{line_no, reason}]}"}, "400": error("invalid_request"), "409": error("no_channel_account"), "502": error("bank_unavailable")}}
            },
            "/v1/refunds": {
                "get": {"summary": "Find a refund by out_refund_no", "parameters": [{"name": "out_refund_no", "in": "query", "required": true, "schema": {"type": "string"}}], "responses": {"200": refund, "404": error("refund_not_found")}}
            },
            "/v1/refunds/{id}": {
                "get": {"summary": "Get a refund", "parameters": [id_param], "responses": {"200": refund, "404": error("refund_not_found")}}
            },
            "/v1/payments/{id}/capture": {
                "post": {"summary": "Capture (part of) an authorized pre-authorization; a repeat answers the same", "parameters": [id_param], "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"amount": {"type": "integer", "minimum": 1, "description": "At most the authorized amount; all of it when absent."}}}}}}, "responses": {"200": payment, "400": error("invalid_json, invalid_amount"), "404": error("payment_not_found"), "409": error("payment_not_authorized, payment_already_captured, payment_cancelled, capture_exceeds_authorized"), "502": error("bank_unavailable"), "503": error("bank_result_unknown")}}
            },
            "/v1/payments/{id}/cancel": {
                "post": {"summary": "Release an authorized pre-authorization; a repeat answers the same", "parameters": [id_param], "responses": {"200": payment, "404": error("payment_not_found"), "409": error("payment_not_authorized, payment_already_captured"), "502": error("bank_unavailable"), "503": error("bank_result_unknown")}}
            },
            "/v1/payments/{id}/kcode/confirm": super::kcode_openapi::confirm(&error, &id_param, &payment),
            "/v1/payments/{id}/kcode/resend": super::kcode_openapi::resend(&error, &id_param, &payment),
            "/v1/mandates": super::mandate_openapi::mandates(&error),
            "/v1/mandates/{id}": super::mandate_openapi::mandate(&error, &id_param, &sync_param),
            "/v1/mandates/{id}/cancel": super::mandate_openapi::cancel(&error, &id_param),
            "/v1/mandates/{id}/debits": super::mandate_openapi::debit(&error, &id_param, &payment),
            "/v1/debit-batches": super::mandate_openapi::debit_batches(&error),
            "/v1/debit-batches/{id}": super::mandate_openapi::debit_batch(&error, &id_param),
            "/v1/identity-verifications": super::identity_openapi::verifications(&error),
            "/v1/identity-verifications/{id}": super::identity_openapi::verification(&error, &id_param),
            "/v1/payments/{id}/close": {
                "post": {"summary": "Close an unpaid payment after the bank confirms it unpaid", "parameters": [id_param], "responses": {"200": payment, "404": error("payment_not_found"), "409": error("payment_not_closable"), "503": error("bank_result_unknown")}}
            }
        }
    })
}
