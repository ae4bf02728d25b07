package unipay.client;

import java.util.Map;

/** A mandate (授权支付, AgentSign). */
public final class Mandate extends ApiObject {
    public Mandate(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return getString("id");
    }

    public String getAppId() {
        return getString("app_id");
    }

    public String getOutMandateNo() {
        return getString("out_mandate_no");
    }

    public String getStatus() {
        return getString("status");
    }

    public String getCustomerRef() {
        return getString("customer_ref");
    }

    public String getCardType() {
        return getString("card_type");
    }

    public String getCardMasked() {
        return getString("card_masked");
    }

    public String getCertificateType() {
        return getString("certificate_type");
    }

    public String getCertificateNoMasked() {
        return getString("certificate_no_masked");
    }

    public String getExpiresOn() {
        return getString("expires_on");
    }

    public Long getMaxAmountPerDebit() {
        return getLong("max_amount_per_debit");
    }

    /** Where to send the customer to sign. */
    public String getSignUrl() {
        return getString("sign_url");
    }

    public String getChannelSignNo() {
        return getString("channel_sign_no");
    }

    public String getAgentSignNo() {
        return getString("agent_sign_no");
    }

    public String getFailureReason() {
        return getString("failure_reason");
    }

    public String getNotifyUrl() {
        return getString("notify_url");
    }

    public String getReturnUrl() {
        return getString("return_url");
    }

    public String getCreatedAt() {
        return getString("created_at");
    }

    public String getSignedAt() {
        return getString("signed_at");
    }

    public String getEndedAt() {
        return getString("ended_at");
    }
}
