//! Every type of the API as an OpenAPI component, for the document the server serves.

use crate::*;
use utoipa::ToSchema;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Components, ComponentsBuilder, RefOr};

/// The components of the merchant API's OpenAPI document: the objects, the request bodies,
/// the event bodies and the error envelope, with every type they refer to.
pub fn components() -> Components {
    let mut all = Vec::new();
    add::<Payment>(&mut all);
    add::<Refund>(&mut all);
    add::<RefundList>(&mut all);
    add::<Mandate>(&mut all);
    add::<IdentityVerification>(&mut all);
    add::<RefundBatch>(&mut all);
    add::<DebitBatch>(&mut all);
    add::<TransactionPage>(&mut all);
    add::<ChannelTransactions>(&mut all);
    add::<ErrorBody>(&mut all);
    add::<ErrorCode>(&mut all);
    add::<CreatePayment>(&mut all);
    add::<CreateRefund>(&mut all);
    add::<CapturePayment>(&mut all);
    add::<ConfirmKcode>(&mut all);
    add::<CreateRefundBatch>(&mut all);
    add::<CreateMandate>(&mut all);
    add::<CreateDebit>(&mut all);
    add::<CreateDebitBatch>(&mut all);
    add::<CreateIdentityVerification>(&mut all);
    add::<Event<PaymentEventType, Payment>>(&mut all);
    add::<Event<RefundEventType, Refund>>(&mut all);
    add::<Event<MandateEventType, Mandate>>(&mut all);
    add::<Event<IdentityEventType, IdentityVerification>>(&mut all);
    ComponentsBuilder::new().schemas_from_iter(all).build()
}

fn add<T: ToSchema>(all: &mut Vec<(String, RefOr<Schema>)>) {
    all.push((T::name().into_owned(), T::schema()));
    T::schemas(all);
}
