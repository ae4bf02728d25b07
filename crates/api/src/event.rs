//! The body of a business notification, POSTed to the notify_url: the same envelope for every
//! kind of object, so one receiver handles them all. A retry keeps the event's id.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// `{id, type, created_at, data}`: `K` names the kinds of event, `T` is the object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event<'a, K, T> {
    pub id: Cow<'a, str>,
    #[serde(rename = "type")]
    pub event_type: K,
    pub created_at: String,
    pub data: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum PaymentEventType {
    #[serde(rename = "payment.succeeded")]
    Succeeded,
    #[serde(rename = "payment.failed")]
    Failed,
    #[serde(rename = "payment.closed")]
    Closed,
    #[serde(rename = "payment.authorized")]
    Authorized,
    #[serde(rename = "payment.cancelled")]
    Cancelled,
    /// The bank took the money after the payment was closed, and an operator accepted it: the
    /// payment is now `succeeded` (an operator who gives the money back accepts it the same
    /// way, and a full refund follows with its own `refund.*` events).
    #[serde(rename = "payment.late_succeeded")]
    LateSucceeded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum RefundEventType {
    #[serde(rename = "refund.succeeded")]
    Succeeded,
    #[serde(rename = "refund.failed")]
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum MandateEventType {
    #[serde(rename = "mandate.active")]
    Active,
    #[serde(rename = "mandate.failed")]
    Failed,
    #[serde(rename = "mandate.cancelled")]
    Cancelled,
    #[serde(rename = "mandate.expired")]
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum IdentityEventType {
    #[serde(rename = "identity.verified")]
    Verified,
}

macro_rules! event_type_names {
    ($($kind:ident),*) => {$(
        impl $kind {
            /// Every kind, for the document and for checking a name the server sends.
            pub fn parse(name: &str) -> Option<$kind> {
                serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
            }
        }
    )*};
}

event_type_names!(
    PaymentEventType,
    RefundEventType,
    MandateEventType,
    IdentityEventType
);

// By hand, because the derive inlines a generic's object into every event: here `data` and
// `type` refer to their components, and each event is named after its object (`PaymentEvent`).
impl<K: ToSchema, T: ToSchema> PartialSchema for Event<'_, K, T> {
    fn schema() -> RefOr<Schema> {
        let reference = |name: Cow<'static, str>| Ref::from_schema_name(name);
        ObjectBuilder::new()
            .description(Some(format!(
                "The body of a {} notification, POSTed to the notify_url. A retry keeps the id.",
                T::name()
            )))
            .property("id", ObjectBuilder::new().schema_type(Type::String))
            .property("type", reference(K::name()))
            .property(
                "created_at",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .property("data", reference(T::name()))
            .required("id")
            .required("type")
            .required("created_at")
            .required("data")
            .into()
    }
}

impl<K: ToSchema, T: ToSchema> ToSchema for Event<'_, K, T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Event", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((K::name().into(), K::schema()));
        K::schemas(schemas);
        schemas.push((T::name().into(), T::schema()));
        T::schemas(schemas);
    }
}
