//! The `/v1` route table: each operation's method, path and handler with what the document
//! says about it. The router and the OpenAPI document are both built from this one list, so a
//! route cannot exist without its documentation, nor be documented without existing.

mod mandates;
mod other;
mod payments;
mod refunds;

use crate::state::AppState;
use axum::routing::MethodRouter;
use std::borrow::Cow;
use unipay_api::ErrorCode as E;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
        }
    }
}

/// A schema's component name (`<T as ToSchema>::name`).
pub type SchemaName = fn() -> Cow<'static, str>;

pub struct Route {
    pub verb: Verb,
    pub path: &'static str,
    pub handler: fn() -> MethodRouter<AppState>,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Whether the request must be signed (every operation but the document itself).
    pub signed: bool,
    pub params: &'static [Param],
    pub body: Option<Body>,
    pub answer: Answer,
    /// The codes this operation's own logic answers; those every signed request, every path
    /// parameter and every query string may meet are added by the document.
    pub errors: &'static [E],
}

pub struct Body {
    pub schema: SchemaName,
    /// Capture takes no body, `{}` or `{"amount": n}`.
    pub required: bool,
}

pub struct Answer {
    pub status: u16,
    /// None for the document itself, which is not described by a schema of ours.
    pub schema: Option<SchemaName>,
    pub description: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Path,
    Query,
    Header,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text { max_length: Option<usize> },
    Boolean,
    Integer { minimum: i64, maximum: i64 },
    Date,
    DateTime,
}

pub struct Param {
    pub name: &'static str,
    pub place: Place,
    pub required: bool,
    pub kind: Kind,
    pub description: &'static str,
}

const ID: Param = Param {
    name: "id",
    place: Place::Path,
    required: true,
    kind: Kind::Text { max_length: None },
    description: "The object's id.",
};

const IDEMPOTENCY_KEY: Param = Param {
    name: "Idempotency-Key",
    place: Place::Header,
    required: false,
    kind: Kind::Text {
        max_length: Some(128),
    },
    description: "1-128 visible ASCII characters. A retry with the same key and body gets the first answer again; with another body, idempotency_key_reused.",
};

const SYNC: Param = Param {
    name: "sync",
    place: Place::Query,
    required: false,
    kind: Kind::Boolean,
    description: "Ask the bank first while the object is still open.",
};

fn name<T: ToSchema>() -> Cow<'static, str> {
    T::name()
}

fn body<T: ToSchema>() -> Option<Body> {
    Some(Body {
        schema: name::<T>,
        required: true,
    })
}

fn answer<T: ToSchema>(status: u16, description: &'static str) -> Answer {
    Answer {
        status,
        schema: Some(name::<T>),
        description,
    }
}

type PaymentObject = unipay_api::Payment<'static>;

/// Every `/v1` operation.
pub fn routes() -> Vec<Route> {
    let mut routes = payments::routes();
    routes.extend(refunds::routes());
    routes.extend(mandates::routes());
    routes.extend(other::routes());
    routes
}
