package unipay.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code POST /v1/payments} takes. The four required members are the constructor's; the
 * optional ones are set fluently: {@code new CreatePayment("T-1", 500, "学费").notifyUrl(url)}.
 */
public final class CreatePayment {
    private final Map<String, Object> body = new LinkedHashMap<String, Object>();

    /** A CNY payment of {@code amount} fen. */
    public CreatePayment(String outTradeNo, long amount, String subject) {
        body.put("out_trade_no", outTradeNo);
        body.put("amount", amount);
        body.put("currency", "CNY");
        body.put("subject", subject);
    }

    public CreatePayment currency(String currency) {
        return set("currency", currency);
    }

    /** Where unipay POSTs this payment's notifications (the app's own URL otherwise). */
    public CreatePayment notifyUrl(String notifyUrl) {
        return set("notify_url", notifyUrl);
    }

    /** Where the consumer's browser goes back to, with a signed query (see {@link Signatures#verifyReturnUrl}). */
    public CreatePayment returnUrl(String returnUrl) {
        return set("return_url", returnUrl);
    }

    public CreatePayment expiresInSeconds(long seconds) {
        return set("expires_in_seconds", seconds);
    }

    /** The business system's own values, kept and returned with the payment. */
    public CreatePayment metadata(Map<String, Object> metadata) {
        return set("metadata", metadata);
    }

    /** {@code "manual"} for a pre-authorization captured later. */
    public CreatePayment capture(String capture) {
        return set("capture", capture);
    }

    /** Which bank takes the payment: {@code "abc"}, {@code "unionpay"} or a channel account id. */
    public CreatePayment channel(String channel) {
        return set("channel", channel);
    }

    /** A K-code payment (no page redirect): the bank texts the consumer a code. */
    public CreatePayment kcode(String cardNo, String mobileNo) {
        set("method", "kcode");
        set("card_no", cardNo);
        return set("mobile_no", mobileNo);
    }

    private CreatePayment set(String name, Object value) {
        body.put(name, value);
        return this;
    }

    Map<String, Object> body() {
        return body;
    }
}
