package unipay.client;

import java.util.Map;

/**
 * A refusal: the HTTP status and the error envelope's {@code code} and {@code message}, e.g.
 * {@code duplicate_out_trade_no} (409), whose {@link #getPaymentId()} names the existing payment.
 * The codes and their meanings are listed in the OpenAPI document's {@code x-error-codes}.
 */
public class ApiException extends UnipayException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String errorMessage;
    private final String paymentId;

    public ApiException(int status, String code, String errorMessage, String paymentId) {
        super("HTTP " + status + ": " + code + ": " + errorMessage);
        this.status = status;
        this.code = code;
        this.errorMessage = errorMessage;
        this.paymentId = paymentId;
    }

    static ApiException fromAnswer(int status, String body) {
        try {
            Object error = Json.parseObject(body).get("error");
            if (error instanceof Map) {
                Map<?, ?> envelope = (Map<?, ?>) error;
                Object code = envelope.get("code");
                Object message = envelope.get("message");
                Object paymentId = envelope.get("payment_id");
                return new ApiException(status, code instanceof String ? (String) code : "unknown",
                        message instanceof String ? (String) message : "",
                        paymentId instanceof String ? (String) paymentId : null);
            }
        } catch (Json.ParseException notJson) {
            // Not the envelope (a proxy's page, say): the body itself is the best message.
        }
        String shown = body.length() > 200 ? body.substring(0, 200) : body;
        return new ApiException(status, "unknown", shown, null);
    }

    public int getStatus() {
        return status;
    }

    /** The error code, e.g. {@code invalid_amount}. */
    public String getCode() {
        return code;
    }

    public String getErrorMessage() {
        return errorMessage;
    }

    /** For {@code duplicate_out_trade_no}: the existing payment's id; otherwise null. */
    public String getPaymentId() {
        return paymentId;
    }
}
