package unipay.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code POST /v1/mandates} takes (授权支付, AgentSign). Send the customer to the answer's
 * {@link Mandate#getSignUrl()}; the result is notified as {@code mandate.active} or {@code mandate.failed}.
 */
public final class CreateMandate {
    private final Map<String, Object> body = new LinkedHashMap<String, Object>();

    /**
     * @param cardType "1" (debit) or "3" (credit)
     * @param certificateType I, P, K, D, W or U
     * @param expiresOn YYYY-MM-DD, the last day the mandate may be used
     */
    public CreateMandate(String outMandateNo, String customerRef, String cardType, String certificateType,
                         String certificateNo, String expiresOn) {
        body.put("out_mandate_no", outMandateNo);
        body.put("customer_ref", customerRef);
        body.put("card_type", cardType);
        body.put("certificate_type", certificateType);
        body.put("certificate_no", certificateNo);
        body.put("expires_on", expiresOn);
    }

    /** The most one debit may take, in fen. */
    public CreateMandate maxAmountPerDebit(long amount) {
        body.put("max_amount_per_debit", amount);
        return this;
    }

    public CreateMandate notifyUrl(String notifyUrl) {
        body.put("notify_url", notifyUrl);
        return this;
    }

    public CreateMandate returnUrl(String returnUrl) {
        body.put("return_url", returnUrl);
        return this;
    }

    Map<String, Object> body() {
        return body;
    }
}
