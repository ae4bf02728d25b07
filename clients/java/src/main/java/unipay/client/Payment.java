package unipay.client;

import java.util.Map;

/** A payment (the API's Payment object). Amounts are in fen. */
public final class Payment extends ApiObject {
    public Payment(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return getString("id");
    }

    public String getAppId() {
        return getString("app_id");
    }

    public String getOutTradeNo() {
        return getString("out_trade_no");
    }

    public long getAmount() {
        return getRequiredLong("amount");
    }

    public String getCurrency() {
        return getString("currency");
    }

    public String getSubject() {
        return getString("subject");
    }

    /** created, pending, succeeded, failed, closed, authorized or cancelled. */
    public String getStatus() {
        return getString("status");
    }

    public String getChannel() {
        return getString("channel");
    }

    public String getChannelOrderNo() {
        return getString("channel_order_no");
    }

    public String getChannelTradeNo() {
        return getString("channel_trade_no");
    }

    public String getAccountingDate() {
        return getString("accounting_date");
    }

    public String getPaidAt() {
        return getString("paid_at");
    }

    /** Where to send the consumer to pay. */
    public String getCashierUrl() {
        return getString("cashier_url");
    }

    public String getReturnUrl() {
        return getString("return_url");
    }

    public String getNotifyUrl() {
        return getString("notify_url");
    }

    public String getExpiresAt() {
        return getString("expires_at");
    }

    public String getCreatedAt() {
        return getString("created_at");
    }

    public Map<String, Object> getMetadata() {
        return getObject("metadata");
    }

    public String getCapture() {
        return getString("capture");
    }

    public Long getCapturedAmount() {
        return getLong("captured_amount");
    }

    public long getRefundedAmount() {
        return getRequiredLong("refunded_amount");
    }

    public Map<String, Object> getKcode() {
        return getObject("kcode");
    }
}
