//! The OpenAPI 3.1 document of the merchant API, served at `/v1/openapi.json`: the schemas are
//! generated from the `unipay-api` types, the operations from the route table, and the error
//! answers from the catalogue, so the document cannot drift from what the server does.

use super::routes::{Kind, Param, Place, Route, routes};
use crate::http::api::error::{ErrorCode, json_response};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use unipay_api::ErrorCode as E;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItemBuilder,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, Required,
    ResponseBuilder,
};

const SECURITY: &str = "unipayHmac";

const DESCRIPTION: &str = "Every request but this document's is signed: `Authorization: UNIPAY-HMAC-SHA256 app_id=<app>,timestamp=<unix seconds>,nonce=<16-64 chars>,signature=<lowercase hex>` where signature = hex(HMAC-SHA256(app_secret, METHOD + \"\\n\" + PATH_WITH_QUERY + \"\\n\" + timestamp + \"\\n\" + nonce + \"\\n\" + lowercase_hex(sha256(body)))). Business notifications are POSTed to the notify_url with `Unipay-Signature: t=<unix>,v1=<hex HMAC-SHA256(app_secret, t + \".\" + body)>`; their bodies are the PaymentEvent, RefundEvent, MandateEvent and IdentityVerificationEvent schemas (`{id, type, created_at, data}`). Any 2xx acknowledges; the same event keeps its id on every retry. Every refusal answers the Error envelope; `x-error-codes` lists each code with its status and meaning, and each operation's answers name the codes they carry.";

/// The document as served; built once, it is the same for every request.
pub async fn document() -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    json_response(StatusCode::OK, TEXT.get_or_init(document_json).clone())
}

/// The document as JSON text. Going through `serde_json::Value` orders every object's keys,
/// so the text is the same at every build and every call.
pub fn document_json() -> String {
    serde_json::to_value(openapi())
        .map(|value| value.to_string())
        .unwrap_or_default()
}

pub fn openapi() -> OpenApi {
    let mut components = unipay_api::schemas::components();
    components.security_schemes.insert(
        SECURITY.to_string(),
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("Authorization"))),
    );
    let table: Vec<_> = ErrorCode::ALL
        .iter()
        .map(|code| json!({"code": code, "status": code.status(), "meaning": code.meaning()}))
        .collect();
    let info = InfoBuilder::new()
        .title("unipay merchant API")
        .version("1")
        .description(Some(DESCRIPTION))
        .extensions(Some(error_codes(json!(table))))
        .build();
    let mut by_path: BTreeMap<&str, Vec<Route>> = BTreeMap::new();
    for route in routes() {
        by_path.entry(route.path).or_default().push(route);
    }
    let mut paths = PathsBuilder::new();
    for (path, routes) in by_path {
        let mut item = PathItemBuilder::new();
        for route in &routes {
            item = item.operation(method(route), operation(route));
        }
        paths = paths.path(path, item.build());
    }
    OpenApiBuilder::new()
        .info(info)
        .paths(paths.build())
        .components(Some(components))
        .security(Some([SecurityRequirement::new::<_, [&str; 0], &str>(
            SECURITY,
            [],
        )]))
        .build()
}

/// The one extension this document uses. One key per object also keeps the text stable, as
/// utoipa holds extensions in a hash map.
fn error_codes(value: serde_json::Value) -> Extensions {
    Extensions::from_iter([("x-error-codes", value)])
}

fn method(route: &Route) -> HttpMethod {
    match route.verb {
        super::routes::Verb::Get => HttpMethod::Get,
        super::routes::Verb::Post => HttpMethod::Post,
    }
}

/// Every code an operation may answer: its own, and those its shape brings.
pub fn codes(route: &Route) -> Vec<ErrorCode> {
    let mut codes = route.errors.to_vec();
    if route.signed {
        codes.extend([
            E::MissingAuthorization,
            E::MalformedAuthorization,
            E::UnknownApp,
            E::SignatureExpired,
            E::NonceReused,
            E::InvalidSignature,
            E::AppDisabled,
            E::BodyTooLarge,
        ]);
    }
    // A path or query string axum cannot read is refused before the handler runs.
    if route.params.iter().any(|p| p.place != Place::Header) {
        codes.push(E::InvalidRequest);
    }
    // An id holding a `/` matches no route.
    if route.path.contains('{') {
        codes.push(E::NotFound);
    }
    // The path refuses the methods it does not take.
    codes.push(E::MethodNotAllowed);
    codes.push(E::InternalError);
    codes.sort();
    codes.dedup();
    codes
}

fn operation(route: &Route) -> utoipa::openapi::path::Operation {
    let mut operation = OperationBuilder::new()
        .operation_id(Some(route.operation_id))
        .summary(Some(route.summary));
    for param in route.params {
        operation = operation.parameter(parameter(param));
    }
    if let Some(body) = &route.body {
        operation = operation.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(if body.required {
                    Required::True
                } else {
                    Required::False
                }))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name((body.schema)())))
                        .build(),
                )
                .build(),
        ));
    }
    let answer = &route.answer;
    let content = match answer.schema {
        Some(schema) => Ref::from_schema_name(schema()).into(),
        None => ObjectBuilder::new().schema_type(Type::Object).into(),
    };
    let success: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> = content;
    operation = operation.response(
        answer.status.to_string(),
        ResponseBuilder::new()
            .description(answer.description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(success)).build(),
            ),
    );
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in codes(route) {
        by_status.entry(code.status()).or_default().push(code);
    }
    for (status, codes) in by_status {
        let description = codes
            .iter()
            .map(|code| format!("`{code}`: {}", code.meaning()))
            .collect::<Vec<_>>()
            .join(" ");
        let names: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
        operation = operation.response(
            status.to_string(),
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Error")))
                        .build(),
                )
                .extensions(Some(error_codes(json!(names)))),
        );
    }
    if !route.signed {
        // An empty requirement: no signature needed.
        operation = operation.securities(Some([SecurityRequirement::default()]));
    }
    operation.build()
}

fn parameter(param: &Param) -> utoipa::openapi::path::Parameter {
    let place = match param.place {
        Place::Path => ParameterIn::Path,
        Place::Query => ParameterIn::Query,
        Place::Header => ParameterIn::Header,
    };
    let schema = match param.kind {
        Kind::Text { max_length } => ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(max_length),
        Kind::Boolean => ObjectBuilder::new().schema_type(Type::Boolean),
        Kind::Integer { minimum, maximum } => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(minimum as f64))
            .maximum(Some(maximum as f64)),
        Kind::Date => ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        Kind::DateTime => ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
    };
    ParameterBuilder::new()
        .name(param.name)
        .parameter_in(place)
        .required(if param.required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(param.description))
        .schema(Some(schema))
        .build()
}
