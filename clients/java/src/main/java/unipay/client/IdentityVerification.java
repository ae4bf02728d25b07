package unipay.client;

import java.util.Map;

/** An identity verification (身份验证). Only masks of personal data are returned. */
public final class IdentityVerification extends ApiObject {
    public IdentityVerification(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return getString("id");
    }

    public String getAppId() {
        return getString("app_id");
    }

    public String getOutVerifyNo() {
        return getString("out_verify_no");
    }

    public String getMode() {
        return getString("mode");
    }

    public String getCustomerType() {
        return getString("customer_type");
    }

    public String getStatus() {
        return getString("status");
    }

    public String getNameMasked() {
        return getString("name_masked");
    }

    public String getCertificateType() {
        return getString("certificate_type");
    }

    public String getCertificateNoMasked() {
        return getString("certificate_no_masked");
    }

    public String getCardNoMasked() {
        return getString("card_no_masked");
    }

    public String getMobileMasked() {
        return getString("mobile_masked");
    }

    public String getVerifyUrl() {
        return getString("verify_url");
    }

    public String getChannelVerifyNo() {
        return getString("channel_verify_no");
    }

    public String getReasonCode() {
        return getString("reason_code");
    }

    public String getReason() {
        return getString("reason");
    }

    public String getRepeatOf() {
        return getString("repeat_of");
    }

    public Boolean getSeenBefore() {
        return getBoolean("seen_before");
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

    public String getFinishedAt() {
        return getString("finished_at");
    }
}
