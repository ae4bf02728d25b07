package unipay.client;

import java.util.Map;

/** A refund (the API's Refund object). */
public final class Refund extends ApiObject {
    public Refund(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return getString("id");
    }

    public String getPaymentId() {
        return getString("payment_id");
    }

    public String getOutRefundNo() {
        return getString("out_refund_no");
    }

    public long getAmount() {
        return getRequiredLong("amount");
    }

    public String getCurrency() {
        return getString("currency");
    }

    public String getReason() {
        return getString("reason");
    }

    public String getStatus() {
        return getString("status");
    }

    public String getChannelRefundNo() {
        return getString("channel_refund_no");
    }

    public String getAccountingDate() {
        return getString("accounting_date");
    }

    public String getFailureReason() {
        return getString("failure_reason");
    }

    public String getBatchId() {
        return getString("batch_id");
    }

    public String getCreatedAt() {
        return getString("created_at");
    }

    public String getFinishedAt() {
        return getString("finished_at");
    }
}
