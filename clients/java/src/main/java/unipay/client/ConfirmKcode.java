package unipay.client;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code POST /v1/payments/{id}/kcode/confirm} takes: the code the consumer received, and who they are. */
public final class ConfirmKcode {
    private final Map<String, Object> body = new LinkedHashMap<String, Object>();

    /** @param certificateType I, P, K, D, W or U */
    public ConfirmKcode(String verifyCode, String accountName, String certificateType, String certificateNo) {
        body.put("verify_code", verifyCode);
        body.put("account_name", accountName);
        body.put("certificate_type", certificateType);
        body.put("certificate_no", certificateNo);
    }

    /** A credit card's expiry, as the bank asks for it. */
    public ConfirmKcode expDate(String expDate) {
        body.put("exp_date", expDate);
        return this;
    }

    public ConfirmKcode cvv2(String cvv2) {
        body.put("cvv2", cvv2);
        return this;
    }

    Map<String, Object> body() {
        return body;
    }
}
