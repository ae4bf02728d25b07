package unipay.client;

import java.util.Map;

/** An identity verification (身份验证). Only masks of personal data are returned. */
public final class IdentityVerification extends ApiObject {
    public IdentityVerification(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return stringMember("id");
    }

    /** Always "identity_verification". */
    public String getObject() {
        return stringMember("object");
    }

    public String getAppId() {
        return stringMember("app_id");
    }

    public String getOutVerifyNo() {
        return stringMember("out_verify_no");
    }

    public String getMode() {
        return stringMember("mode");
    }

    public String getCustomerType() {
        return stringMember("customer_type");
    }

    public String getStatus() {
        return stringMember("status");
    }

    public String getNameMasked() {
        return stringMember("name_masked");
    }

    public String getCertificateType() {
        return stringMember("certificate_type");
    }

    public String getCertificateNoMasked() {
        return stringMember("certificate_no_masked");
    }

    public String getCardNoMasked() {
        return stringMember("card_no_masked");
    }

    public String getMobileMasked() {
        return stringMember("mobile_masked");
    }

    public String getVerifyUrl() {
        return stringMember("verify_url");
    }

    public String getChannelVerifyNo() {
        return stringMember("channel_verify_no");
    }

    public String getReasonCode() {
        return stringMember("reason_code");
    }

    public String getReason() {
        return stringMember("reason");
    }

    public String getRepeatOf() {
        return stringMember("repeat_of");
    }

    public Boolean getSeenBefore() {
        return booleanMember("seen_before");
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

    public String getFinishedAt() {
        return stringMember("finished_at");
    }
}
