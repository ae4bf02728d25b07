package unipay.client;

import java.util.Map;

/** A mandate (授权支付, AgentSign). */
public final class Mandate extends ApiObject {
    public Mandate(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return stringMember("id");
    }

    public String getAppId() {
        return stringMember("app_id");
    }

    public String getOutMandateNo() {
        return stringMember("out_mandate_no");
    }

    public String getStatus() {
        return stringMember("status");
    }

    public String getCustomerRef() {
        return stringMember("customer_ref");
    }

    public String getCardType() {
        return stringMember("card_type");
    }

    public String getCardMasked() {
        return stringMember("card_masked");
    }

    public String getCertificateType() {
        return stringMember("certificate_type");
    }

    public String getCertificateNoMasked() {
        return stringMember("certificate_no_masked");
    }

    public String getExpiresOn() {
        return stringMember("expires_on");
    }

    public Long getMaxAmountPerDebit() {
        return longMember("max_amount_per_debit");
    }

    /** Where to send the customer to sign. */
    public String getSignUrl() {
        return stringMember("sign_url");
    }

    public String getChannelSignNo() {
        return stringMember("channel_sign_no");
    }

    public String getAgentSignNo() {
        return stringMember("agent_sign_no");
    }

    public String getFailureReason() {
        return stringMember("failure_reason");
    }

    public String getNotifyUrl() {
        return stringMember("notify_url");
    }

    public String getReturnUrl() {
        return stringMember("return_url");
    }

    public String getCreatedAt() {
        return stringMember("created_at");
    }

    public String getSignedAt() {
        return stringMember("signed_at");
    }

    public String getEndedAt() {
        return stringMember("ended_at");
    }
}
