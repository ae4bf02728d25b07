//! The OpenAPI paths of mandates and debit batches, kept apart so that the main document's
//! `json!` stays within the macro's recursion limit.

use serde_json::{Value, json};

pub fn mandates(error: &dyn Fn(&str) -> Value) -> Value {
    json!({
        "post": {
            "summary": "Create a mandate (授权支付, AgentSign): send the customer to sign_url; the result arrives as mandate.active or mandate.failed",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["out_mandate_no", "customer_ref", "card_type", "certificate_type", "certificate_no", "expires_on"], "properties": {"out_mandate_no": {"type": "string", "maxLength": 64}, "customer_ref": {"type": "string", "maxLength": 64}, "card_type": {"type": "string", "enum": ["1", "3", "A"]}, "certificate_type": {"type": "string", "enum": ["I", "P", "S", "J", "K", "T", "F", "D", "W", "U", "R", "B", "A", "C", "E", "G", "H", "L", "M"], "description": "I (resident ID card) is 15 or 18 characters."}, "certificate_no": {"type": "string", "maxLength": 32, "description": "Sent to the bank; kept masked only."}, "expires_on": {"type": "string", "format": "date", "description": "The last day debits may be made (Beijing)."}, "max_amount_per_debit": {"type": "integer", "minimum": 1}, "notify_url": {"type": "string", "format": "uri"}, "return_url": {"type": "string", "format": "uri"}}}}}},
            "responses": {"201": {"description": "The mandate: {id, out_mandate_no, status pending|active|failed|cancelled|expired, sign_url, customer_ref, card_type, card_masked, certificate_type, certificate_no_masked, expires_on, max_amount_per_debit, agent_sign_no, failure_reason, created_at, signed_at, ended_at}"}, "400": error("invalid_json, invalid_request, invalid_amount"), "409": error("duplicate_out_mandate_no, no_channel_account"), "422": error("idempotency_key_reused")}
        }
    })
}

pub fn mandate(error: &dyn Fn(&str) -> Value, id_param: &Value, sync_param: &Value) -> Value {
    json!({
        "get": {"summary": "Get a mandate; sync=true asks the bank (QueryAgentSign) while it is pending", "parameters": [id_param, sync_param], "responses": {"200": {"description": "The mandate."}, "404": error("mandate_not_found"), "502": error("bank_unavailable")}}
    })
}

pub fn cancel(error: &dyn Fn(&str) -> Value, id_param: &Value) -> Value {
    json!({
        "post": {"summary": "End a mandate at the bank (AgentUnSign); a repeat answers the same", "parameters": [id_param], "responses": {"200": {"description": "The mandate, cancelled."}, "404": error("mandate_not_found"), "409": error("mandate_not_active, mandate_expired"), "502": error("bank_unavailable"), "503": error("bank_result_unknown")}}
    })
}

pub fn debit(error: &dyn Fn(&str) -> Value, id_param: &Value, payment: &Value) -> Value {
    json!({
        "post": {"summary": "Debit an active mandate without the customer (AgentPay): a payment (payment_type mandate) with the usual notifications", "parameters": [id_param, {"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["out_trade_no", "amount", "subject"], "properties": {"out_trade_no": {"type": "string", "maxLength": 64}, "amount": {"type": "integer", "minimum": 1}, "subject": {"type": "string", "maxLength": 128}, "notify_url": {"type": "string", "format": "uri"}}}}}}, "responses": {"201": payment, "400": error("invalid_json, invalid_request, invalid_amount"), "404": error("mandate_not_found"), "409": error("mandate_not_active, mandate_cancelled, mandate_expired, duplicate_out_trade_no"), "422": error("debit_exceeds_mandate_limit, idempotency_key_reused")}}
    })
}

pub fn debit_batches(error: &dyn Fn(&str) -> Value) -> Value {
    json!({
        "post": {"summary": "Debit up to 10000 mandates at once (AgentBatch); validated whole; each line becomes a payment with its own final status and notification", "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["out_batch_no", "lines"], "properties": {"out_batch_no": {"type": "string", "maxLength": 64}, "lines": {"type": "array", "maxItems": 10000, "items": {"type": "object", "required": ["mandate_id", "out_trade_no", "amount", "subject"], "properties": {"mandate_id": {"type": "string"}, "out_trade_no": {"type": "string"}, "amount": {"type": "integer"}, "subject": {"type": "string"}}}}}}}}}, "responses": {"201": {"description": "The batch: {id, out_batch_no, status created|submitted|finished|rejected, line_count, total_amount, succeeded_count, succeeded_amount, failed_count, failed_amount, lines: [{seq_no, payment_id, mandate_id, out_trade_no, amount, status, channel_trade_no, failure_reason}]}"}, "400": error("invalid_json, invalid_request, invalid_amount"), "409": error("duplicate_out_debit_batch_no, no_channel_account"), "422": error("debit_batch_lines_invalid (error.lines), idempotency_key_reused")}}
    })
}

pub fn debit_batch(error: &dyn Fn(&str) -> Value, id_param: &Value) -> Value {
    json!({
        "get": {"summary": "A debit batch with each line's status (collected with AgentBatchQuery)", "parameters": [id_param], "responses": {"200": {"description": "As the 201 of the create."}, "404": error("debit_batch_not_found")}}
    })
}
