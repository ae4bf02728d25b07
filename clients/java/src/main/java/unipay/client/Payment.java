package unipay.client;

import java.util.Map;

/** A payment (the API's Payment object). Amounts are in fen. */
public final class Payment extends ApiObject {
    public Payment(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return stringMember("id");
    }

    public String getAppId() {
        return stringMember("app_id");
    }

    public String getOutTradeNo() {
        return stringMember("out_trade_no");
    }

    public long getAmount() {
        return requiredLongMember("amount");
    }

    public String getCurrency() {
        return stringMember("currency");
    }

    public String getSubject() {
        return stringMember("subject");
    }

    /** created, pending, succeeded, failed, closed, authorized or cancelled. */
    public String getStatus() {
        return stringMember("status");
    }

    public String getChannel() {
        return stringMember("channel");
    }

    /** The merchant's account at that bank the payment went through. */
    public String getChannelAccountId() {
        return stringMember("channel_account_id");
    }

    public String getChannelOrderNo() {
        return stringMember("channel_order_no");
    }

    public String getChannelTradeNo() {
        return stringMember("channel_trade_no");
    }

    public String getAccountingDate() {
        return stringMember("accounting_date");
    }

    public String getPaidAt() {
        return stringMember("paid_at");
    }

    /** Where to send the consumer to pay. */
    public String getCashierUrl() {
        return stringMember("cashier_url");
    }

    public String getReturnUrl() {
        return stringMember("return_url");
    }

    public String getNotifyUrl() {
        return stringMember("notify_url");
    }

    public String getExpiresAt() {
        return stringMember("expires_at");
    }

    public String getCreatedAt() {
        return stringMember("created_at");
    }

    public Map<String, Object> getMetadata() {
        return objectMember("metadata");
    }

    public String getCapture() {
        return stringMember("capture");
    }

    public Long getCapturedAmount() {
        return longMember("captured_amount");
    }

    public long getRefundedAmount() {
        return requiredLongMember("refunded_amount");
    }

    public Map<String, Object> getKcode() {
        return objectMember("kcode");
    }
}
