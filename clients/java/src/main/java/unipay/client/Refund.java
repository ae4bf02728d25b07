package unipay.client;

import java.util.Map;

/** A refund (the API's Refund object). */
public final class Refund extends ApiObject {
    public Refund(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return stringMember("id");
    }

    public String getPaymentId() {
        return stringMember("payment_id");
    }

    public String getOutRefundNo() {
        return stringMember("out_refund_no");
    }

    public long getAmount() {
        return requiredLongMember("amount");
    }

    public String getCurrency() {
        return stringMember("currency");
    }

    public String getReason() {
        return stringMember("reason");
    }

    public String getStatus() {
        return stringMember("status");
    }

    public String getChannelRefundNo() {
        return stringMember("channel_refund_no");
    }

    public String getAccountingDate() {
        return stringMember("accounting_date");
    }

    public String getFailureReason() {
        return stringMember("failure_reason");
    }

    public String getBatchId() {
        return stringMember("batch_id");
    }

    public String getCreatedAt() {
        return stringMember("created_at");
    }

    public String getFinishedAt() {
        return stringMember("finished_at");
    }
}
