//! The consumer's choice of bank at the cashier (`POST /pay/{id}/bank`), for a payment whose
//! business system left the bank open: kept on the payment, changeable until a bank has the
//! order, refused (409, nothing changed) after.

use crate::flows::bank_choice::{self, Choice};
use crate::http::cashier::{load, message};
use crate::state::AppState;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use unipay_store::payments::BankChosen;

#[derive(Deserialize)]
pub struct BankForm {
    channel_account_id: String,
}

pub async fn choose(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<BankForm>,
) -> Response {
    let payment = match load(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    let chosen = match bank_choice::choose_bank(&state, &payment, &form.channel_account_id).await {
        Ok(chosen) => chosen,
        Err(error) => {
            tracing::error!(%error, payment_id = %payment.id, "cashier: the bank could not be chosen");
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "系统繁忙 Something went wrong",
                "请稍后再试。Please try again later.",
                Some(&payment.id),
            );
        }
    };
    let chosen = match chosen {
        Choice::Done(chosen) => *chosen,
        Choice::NotAllowed => {
            return message(
                StatusCode::BAD_REQUEST,
                "无效的银行 Invalid bank",
                "请重新选择。Please choose again.",
                Some(&payment.id),
            );
        }
    };
    match chosen {
        BankChosen::Chosen(payment) => {
            Redirect::to(&format!("/pay/{}", payment.id)).into_response()
        }
        BankChosen::Fixed(payment) => message(
            StatusCode::CONFLICT,
            "不能更换银行 The bank cannot be changed",
            "商户已为此订单指定银行。The merchant set the bank for this payment.",
            Some(&payment.id),
        ),
        BankChosen::Sent(payment) => message(
            StatusCode::CONFLICT,
            "不能更换银行 The bank cannot be changed",
            "此订单已提交银行，请在原银行完成支付。The bank already has this order; please finish paying there.",
            Some(&payment.id),
        ),
        BankChosen::NotFound => message(
            StatusCode::NOT_FOUND,
            "订单不存在 Payment not found",
            "请检查链接。Please check the link.",
            None,
        ),
    }
}
