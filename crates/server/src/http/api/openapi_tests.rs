//! The document against the server: every catalogued code is documented where it happens, the
//! paths are the router's, every reference resolves, and the text is stable.

use super::openapi::{codes, document_json};
use super::routes::routes;
use serde_json::Value;
use std::collections::BTreeSet;
use unipay_api::ErrorCode;

fn document() -> Value {
    serde_json::from_str(&document_json()).unwrap()
}

/// The (method, path) pairs the document describes.
fn documented_operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.clone(), path.clone()));
        }
    }
    operations
}

#[test]
fn every_catalogued_code_is_answered_by_a_documented_operation() {
    let document = document();
    let mut documented = BTreeSet::new();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                for code in response["x-error-codes"].as_array().into_iter().flatten() {
                    let code = ErrorCode::parse(code.as_str().unwrap()).unwrap();
                    assert_eq!(code.status().to_string(), *status, "{code}");
                    documented.insert(code);
                }
            }
        }
    }
    let missing: Vec<_> = ErrorCode::ALL
        .iter()
        .filter(|code| !documented.contains(code))
        .collect();
    assert!(
        missing.is_empty(),
        "documented by no operation: {missing:?}"
    );
}

#[test]
fn the_documented_operations_are_the_routers() {
    let document = document();
    let routed: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|route| (route.verb.as_str().to_string(), route.path.to_string()))
        .collect();
    assert_eq!(routed.len(), routes().len(), "a route is listed twice");
    assert_eq!(documented_operations(&document), routed);
    assert!(routed.iter().all(|(_, path)| path.starts_with("/v1/")));
}

#[test]
fn every_signed_operation_documents_the_answers_it_can_give() {
    let document = document();
    for route in routes() {
        let operation = &document["paths"][route.path][route.verb.as_str()];
        let responses = operation["responses"].as_object().unwrap();
        let success = route.answer.status.to_string();
        let schema = &responses[&success]["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{} {}", route.operation_id, success);
        if route.signed {
            for status in ["401", "403", "405", "413", "500"] {
                assert!(
                    responses.contains_key(status),
                    "{} {status}",
                    route.operation_id
                );
            }
        }
        if !route.params.is_empty() || route.body.is_some() {
            assert!(responses.contains_key("400"), "{} 400", route.operation_id);
        }
        for code in codes(&route) {
            let listed = &responses[&code.status().to_string()]["x-error-codes"];
            assert!(
                listed
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == code.as_str()),
                "{} {code}",
                route.operation_id
            );
        }
    }
}

#[test]
fn every_reference_resolves_and_every_object_lists_what_it_requires() {
    let text = document_json();
    let document: Value = serde_json::from_str(&text).unwrap();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let name = target.strip_prefix("#/components/schemas/").unwrap();
        assert!(schemas.contains_key(name), "{target}");
    }
    for name in [
        "Payment",
        "Refund",
        "Mandate",
        "IdentityVerification",
        "RefundBatch",
        "DebitBatch",
        "PaymentEvent",
        "RefundEvent",
        "MandateEvent",
        "IdentityVerificationEvent",
        "Error",
    ] {
        let required = schemas[name]["required"].as_array();
        assert!(required.is_some_and(|r| !r.is_empty()), "{name}");
    }
}

#[test]
fn the_mandate_schema_is_what_the_mandate_object_answers() {
    let document = document();
    let properties = document["components"]["schemas"]["Mandate"]["properties"]
        .as_object()
        .unwrap();
    for field in ["app_id", "channel_sign_no", "notify_url", "return_url"] {
        assert!(properties.contains_key(field), "{field}");
    }
    let payment = document["components"]["schemas"]["Payment"]["properties"]
        .as_object()
        .unwrap();
    assert!(!payment.contains_key("payment_type"));
    let events = &document["components"]["schemas"]["MandateEventType"]["enum"];
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "mandate.expired")
    );
}

#[test]
fn the_document_is_the_same_text_every_time() {
    let first = document_json();
    assert!(first.starts_with('{') && first.contains("\"openapi\":\"3.1.0\""));
    for _ in 0..3 {
        assert_eq!(document_json(), first);
    }
}

/// The official JSON Schema of OpenAPI 3.1 documents (2022-10-07), as the OpenAPI Initiative
/// publishes it.
const OPENAPI_31_SCHEMA: &str = include_str!("../../../tests/fixtures/openapi-3.1-schema.json");

#[test]
fn the_document_is_valid_openapi_3_1() {
    let schema: Value = serde_json::from_str(OPENAPI_31_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let document = document();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The OpenAPI schema leaves schema objects to JSON Schema itself: each must be a valid
    // 2020-12 schema.
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        assert!(jsonschema::meta::is_valid(schema), "{name}");
    }
}

#[test]
fn the_validation_catches_a_broken_document() {
    let schema: Value = serde_json::from_str(OPENAPI_31_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut document = document();
    document["paths"]["/v1/payments"]["post"]["responses"] = Value::String("none".into());
    assert!(!validator.is_valid(&document));
}
