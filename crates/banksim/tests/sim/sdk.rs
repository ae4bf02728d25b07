//! Requests as ABC's client (TrustPayClient V3.1.4) writes them: JSON text with the keys in the
//! captured order (tests/vectors/sdk-requests), every value a string. Each builder here writes
//! one TrxType's TrxRequest; the tests change single values with [`Fields::set`].

use super::common::MERCHANT_ID;

/// An ordered JSON object, written as the client writes it.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    entries: Vec<(String, Entry)>,
}

#[derive(Debug, Clone)]
enum Entry {
    Text(String),
    Object(Fields),
    List(Vec<Fields>),
}

impl Fields {
    pub fn new() -> Fields {
        Fields::default()
    }

    /// Adds `"key":"value"`.
    pub fn s(mut self, key: &str, value: &str) -> Fields {
        self.entries
            .push((key.to_string(), Entry::Text(value.to_string())));
        self
    }

    pub fn obj(mut self, key: &str, value: Fields) -> Fields {
        self.entries.push((key.to_string(), Entry::Object(value)));
        self
    }

    pub fn list(mut self, key: &str, items: Vec<Fields>) -> Fields {
        self.entries.push((key.to_string(), Entry::List(items)));
        self
    }

    /// Replaces the value at `path` (`"Order.OrderNo"`), keeping its place.
    pub fn set(mut self, path: &str, value: &str) -> Fields {
        self.set_in(path, value);
        self
    }

    fn set_in(&mut self, path: &str, value: &str) {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        let entry = self
            .entries
            .iter_mut()
            .find(|(key, _)| key == head)
            .unwrap_or_else(|| panic!("no field {head}"));
        match (rest, &mut entry.1) {
            (None, slot) => *slot = Entry::Text(value.to_string()),
            (Some(rest), Entry::Object(inner)) => inner.set_in(rest, value),
            (Some(rest), Entry::List(items)) => {
                for item in items {
                    item.set_in(rest, value);
                }
            }
            _ => panic!("{head} is not an object"),
        }
    }

    /// Drops the key at the top level.
    pub fn without(mut self, key: &str) -> Fields {
        self.entries.retain(|(k, _)| k != key);
        self
    }

    pub fn to_json(&self) -> String {
        let parts: Vec<String> = self
            .entries
            .iter()
            .map(|(key, entry)| format!("{}:{}", quote(key), entry.to_json()))
            .collect();
        format!("{{{}}}", parts.join(","))
    }

    /// M: the envelope around this TrxRequest.
    pub fn message(&self) -> String {
        message_of(MERCHANT_ID, self)
    }
}

impl Entry {
    fn to_json(&self) -> String {
        match self {
            Entry::Text(text) => quote(text),
            Entry::Object(fields) => fields.to_json(),
            Entry::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Fields::to_json)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// `{"Version":"V3.0.0","Format":"JSON","Merchant":{…},"TrxRequest":{…}}`.
pub fn message_of(merchant_id: &str, trx_request: &Fields) -> String {
    format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{merchant_id}"}},"TrxRequest":{}}}"#,
        trx_request.to_json()
    )
}

fn item() -> Fields {
    Fields::new()
        .s("SubMerName", "测试二级商户1")
        .s("SubMerId", "12345")
        .s("SubMerMCC", "0000")
        .s("SubMerchantRemarks", "测试")
        .s("ProductID", "IP000001")
        .s("ProductName", "中国移动IP卡")
        .s("UnitPrice", "1.00")
        .s("Qty", "1")
        .s("ProductRemarks", "测试商品")
        .s("ProductType", "充值类")
        .s("ProductDiscount", "0.9")
        .s("ProductExpiredDate", "10")
}

pub fn pay_req(order_no: &str, amount: &str, notify_type: &str, notify_url: &str) -> Fields {
    Fields::new()
        .s("TrxType", "PayReq")
        .s("PaymentType", "A")
        .s("PaymentLinkType", "1")
        .s("ReceiveAccount", "")
        .s("ReceiveAccName", "")
        .s("NotifyType", notify_type)
        .s("ResultNotifyURL", notify_url)
        .s("MerchantRemarks", "")
        .s("IsBreakAccount", "0")
        .s("SplitAccTemplate", "")
        .obj(
            "Order",
            Fields::new()
                .s("PayTypeID", "ImmediatePay")
                .s("OrderDate", "2026/11/27")
                .s("OrderTime", "10:00:00")
                .s("orderTimeoutDate", "")
                .s("OrderNo", order_no)
                .s("CurrencyCode", "156")
                .s("OrderAmount", amount)
                .s("Fee", "")
                .s("AccountNo", "")
                .s("OrderDesc", "测试订单")
                .s("OrderURL", "")
                .s("ReceiverAddress", "北京")
                .s("InstallmentMark", "0")
                .s("CommodityType", "0201")
                .s("BuyIP", "")
                .s("ExpiredDate", "30")
                .list("OrderItems", vec![item()]),
        )
}

pub fn query(order_no: &str) -> Fields {
    Fields::new()
        .s("TrxType", "Query")
        .s("PayTypeID", "ImmediatePay")
        .s("OrderNo", order_no)
        .s("QueryDetail", "false")
}

/// Well-formed, unlike the real client's (see the witness test for that one).
pub fn refund(order_no: &str, new_order_no: &str, amount: &str) -> Fields {
    Fields::new()
        .s("TrxType", "Refund")
        .s("OrderDate", "2026/11/27")
        .s("OrderTime", "10:00:00")
        .s("MerRefundAccountNo", "")
        .s("MerRefundAccountName", "")
        .s("OrderNo", order_no)
        .s("NewOrderNo", new_order_no)
        .s("CurrencyCode", "156")
        .s("TrxAmount", amount)
        .s("RefundType", "0")
        .s("MerchantRemarks", "退款测试")
}

pub fn pre_auth_cancel_confirm(
    operate_type: &str,
    order_no: &str,
    original_order_no: &str,
    amount: &str,
) -> Fields {
    Fields::new().s("TrxType", "PreAuthCancelConfirm").obj(
        "Order",
        Fields::new()
            .s("OperateType", operate_type)
            .s("OrderDate", "2026/11/27")
            .s("OrderTime", "10:00:00")
            .s("OrderNo", order_no)
            .s("OriginalOrderNo", original_order_no)
            .s("CurrencyCode", "156")
            .s("OrderAmount", amount)
            .s("Fee", "")
            .s("MerchantRemarks", "预授权确认"),
    )
}

pub fn kpay_verify(order_no: &str, amount: &str, card_no: &str, mobile_last4: &str) -> Fields {
    Fields::new()
        .s("TrxType", "KPayVerifyReq")
        .s("CardNo", card_no)
        .s("MobileNo", mobile_last4)
        .s("CommodityType", "0101")
        .s("Installment", "0")
        .s("PaymentType", "1")
        .s("PaymentLinkType", "1")
        .s("ReceiveAccount", "")
        .s("ReceiveAccName", "")
        .s("MerchantRemarks", "")
        .s("IsBreakAccount", "0")
        .s("SplitAccTemplate", "")
        .obj(
            "Order",
            Fields::new()
                .s("PayTypeID", "ImmediatePay")
                .s("orderTimeoutDate", "")
                .s("OrderNo", order_no)
                .s("CurrencyCode", "156")
                .s("OrderAmount", amount)
                .s("ExpiredDate", "")
                .s("OrderDesc", "K码支付测试")
                .s("OrderDate", "2026/11/27")
                .s("OrderTime", "10:00:00")
                .s("ReceiverAddress", "北京")
                .s("BuyIP", "")
                .list("OrderItems", vec![item()]),
        )
}

pub fn kpay(order_no: &str, amount: &str, verify_code: &str, acc_name: &str) -> Fields {
    Fields::new()
        .s("TrxType", "KPayReq")
        .s("AccName", acc_name)
        .s("CertificateType", "I")
        .s("CertificateID", "110101199003071234")
        .s("ExpDate", "")
        .s("CVV2", "")
        .s("VerifyCode", verify_code)
        .s("PaymentType", "1")
        .s("PayLinkType", "1")
        .s("MerchantRemarks", "")
        .obj(
            "Order",
            Fields::new()
                .s("OrderNo", order_no)
                .s("CurrencyCode", "156")
                .s("OrderAmount", amount)
                .s("Fee", "")
                .s("OrderDate", "2026/11/27")
                .s("OrderTime", "10:00:00"),
        )
}

pub fn kpay_resend(order_no: &str, amount: &str) -> Fields {
    Fields::new().s("TrxType", "KPayResendReq").obj(
        "Order",
        Fields::new()
            .s("OrderNo", order_no)
            .s("CurrencyCode", "156")
            .s("OrderAmount", amount)
            .s("OrderDate", "2026/11/27")
            .s("OrderTime", "10:00:00"),
    )
}

pub fn agent_sign(order_no: &str, notify_url: &str) -> Fields {
    Fields::new()
        .s("TrxType", "AgentSign")
        .s("CertificateNo", "340121198403084619")
        .s("CertificateType", "I")
        .s("NotifyType", "1")
        .s("ResultNotifyURL", notify_url)
        .s("OrderNo", order_no)
        .s("PaymentLinkType", "1")
        .s("MerCustomNo", "C0001")
        .s("CardType", "1")
        .s("RequestDate", "2026/11/27")
        .s("RequestTime", "10:00:00")
        .s("InvaidDate", "2099/11/27")
        .s("IsSign", "Sign")
}

pub fn query_agent_sign(order_no: &str) -> Fields {
    Fields::new()
        .s("TrxType", "QueryAgentSign")
        .s("OrderNo", order_no)
}

pub fn agent_unsign(order_no: &str, agent_sign_no: &str) -> Fields {
    Fields::new()
        .s("TrxType", "AgentUnSign")
        .s("OrderNo", order_no)
        .s("AgentSignNo", agent_sign_no)
        .s("RequestDate", "2026/11/27")
        .s("RequestTime", "10:00:00")
}

pub fn agent_pay(order_no: &str, agent_sign_no: &str, amount: &str) -> Fields {
    Fields::new()
        .s("TrxType", "AgentPay")
        .s("OrderDate", "2026/11/27")
        .s("OrderTime", "10:00:00")
        .s("OrderNo", order_no)
        .s("AgentSignNo", agent_sign_no)
        .s("CardNo", "")
        .s("CurrencyCode", "156")
        .s("Amount", amount)
        .s("ReceiverAddress", "北京")
        .s("Fee", "")
        .s("CertificateNo", "")
        .s("InstallmentMark", "0")
        .s("CommodityType", "0101")
        .s("PaymentLinkType", "1")
        .s("BuyIP", "")
        .s("ExpiredDate", "30")
        .s("ReceiveAccount", "")
        .s("ReceiveAccName", "")
        .s("MerchantRemarks", "")
        .s("IsBreakAccount", "0")
        .s("SplitAccTemplate", "")
        .list("OrderItems", vec![item()])
}

/// A debit batch; `lines` are (OrderNo, AgentSignNo, OrderAmount).
pub fn agent_batch(batch_no: &str, lines: &[(&str, &str, &str)]) -> Fields {
    let mut total = 0i64;
    let details: Vec<Fields> = lines
        .iter()
        .enumerate()
        .map(|(i, (order_no, agent_sign_no, amount))| {
            total += unipay_core::money::parse_yuan_to_fen(amount).unwrap();
            let mut line = Fields::new()
                .s("SeqNo", &(i + 1).to_string())
                .s("OrderNo", order_no)
                .s("AgentSignNo", agent_sign_no)
                .s("CardNo", "")
                .s("OrderAmount", amount)
                .s("ReceiverAddress", "")
                .s("Fee", "")
                .s("CertificateNo", "")
                .s("InstallmentMark", "0")
                .s("InstallmentCode", "")
                .s("InstallmentNum", "")
                .s("CommodityType", "0101");
            for key in [
                "SubMerName",
                "SubMerId",
                "SubMerMCC",
                "SubMerchantRemarks",
                "ProductID",
            ] {
                line = line.s(key, "");
            }
            line = line.s("ProductName", &format!("测试商品{}", i + 1));
            for key in [
                "UnitPrice",
                "Qty",
                "ProductRemarks",
                "ProductType",
                "ProductDiscount",
                "ProductExpiredDate",
                "BuyIP",
                "Remark",
            ] {
                line = line.s(key, "");
            }
            line.s("IsBreakAccount", "0").s("SplitAccTemplate", "")
        })
        .collect();
    Fields::new()
        .s("TrxType", "AgentBatch")
        .s("ReceiveAccount", "")
        .s("ReceiveAccName", "")
        .s("CurrencyCode", "156")
        .obj(
            "AgentBatch",
            Fields::new()
                .s("BatchNo", batch_no)
                .s("BatchDate", "2026/11/27")
                .s("BatchTime", "10:00:00")
                .s("AgentCount", &lines.len().to_string())
                .s("AgentAmount", &unipay_core::money::format_yuan(total)),
        )
        .list("Details", details)
}

pub fn agent_batch_query(batch_no: &str) -> Fields {
    Fields::new()
        .s("TrxType", "AgentBatchQuery")
        .s("BatchNo", batch_no)
        .s("BatchDate", "2026/11/27")
}

pub fn identity_verify(card_no: &str, certificate_no: &str, notify_url: &str) -> Fields {
    Fields::new()
        .s("TrxType", "IdentityVerifyReq")
        .s("CustomType", "0")
        .s("BankCardNo", card_no)
        .s("CertificateNo", certificate_no)
        .s("CertificateType", "I")
        .s("ResultNotifyURL", notify_url)
        .s("OrderDate", "2026/11/27")
        .s("OrderTime", "10:00:00")
        .s("PaymentLinkType", "1")
}

pub fn static_identify(card_no: &str, name: &str, certificate_no: &str, mobile: &str) -> Fields {
    Fields::new()
        .s("TrxType", "StaticIdentifyVerifyReq")
        .s("CustomType", "0")
        .s("ClientName", name)
        .s("AccNo", card_no)
        .s("CertificateNo", certificate_no)
        .s("CertificateType", "I")
        .s("MobileNo", mobile)
        .s("CustomNo", "")
}
