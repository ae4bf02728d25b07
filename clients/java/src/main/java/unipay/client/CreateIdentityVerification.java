package unipay.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code POST /v1/identity-verifications} takes (身份验证). In redirect mode send the
 * customer to the answer's {@link IdentityVerification#getVerifyUrl()}; in direct mode the
 * answer carries the verdict.
 */
public final class CreateIdentityVerification {
    private final Map<String, Object> body = new LinkedHashMap<String, Object>();

    /**
     * @param mode "redirect" or "direct"
     * @param customerType "person" or "company"
     * @param certificateType I, P, K, D, W or U
     */
    public CreateIdentityVerification(String outVerifyNo, String mode, String customerType, String name,
                                      String certificateType, String certificateNo, String cardNo) {
        body.put("out_verify_no", outVerifyNo);
        body.put("mode", mode);
        body.put("customer_type", customerType);
        body.put("name", name);
        body.put("certificate_type", certificateType);
        body.put("certificate_no", certificateNo);
        body.put("card_no", cardNo);
    }

    public CreateIdentityVerification mobile(String mobile) {
        body.put("mobile", mobile);
        return this;
    }

    public CreateIdentityVerification notifyUrl(String notifyUrl) {
        body.put("notify_url", notifyUrl);
        return this;
    }

    public CreateIdentityVerification returnUrl(String returnUrl) {
        body.put("return_url", returnUrl);
        return this;
    }

    Map<String, Object> body() {
        return body;
    }
}
