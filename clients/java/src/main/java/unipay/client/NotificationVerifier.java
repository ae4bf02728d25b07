package unipay.client;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Verifies and reads the notifications unipay POSTs to a notify_url, whatever serves the
 * endpoint (a servlet, Spring, the JDK's HttpServer): hand it the {@code Unipay-Signature}
 * header and the raw body bytes.
 *
 * <pre>{@code
 * // In a servlet's doPost:
 * byte[] body = readAll(request.getInputStream());
 * try {
 *     Event event = verifier.verify(request.getHeader("Unipay-Signature"), body);
 *     handleOnce(event);          // the same event id comes again until a 2xx is answered
 *     response.setStatus(200);
 * } catch (SignatureException refused) {
 *     response.setStatus(400);
 * }
 * }</pre>
 */
public final class NotificationVerifier {
    private final String secret;
    private final long toleranceSeconds;

    public NotificationVerifier(String secret) {
        this(secret, Signatures.DEFAULT_TOLERANCE_SECONDS);
    }

    public NotificationVerifier(String secret, long toleranceSeconds) {
        this.secret = secret;
        this.toleranceSeconds = toleranceSeconds;
    }

    /** The event, once its signature holds; the body must be the bytes received, unchanged. */
    public Event verify(String signatureHeader, byte[] body) throws SignatureException {
        Signatures.verifyNotification(secret, signatureHeader, body, System.currentTimeMillis() / 1000, toleranceSeconds);
        try {
            return new Event(Json.parseObject(new String(body, StandardCharsets.UTF_8)));
        } catch (Json.ParseException unreadable) {
            // Signed by unipay yet unreadable: not an event this version understands.
            throw new SignatureException(SignatureException.Reason.MALFORMED, "the body is not a JSON object");
        }
    }

    /**
     * The signed values of the return URL the consumer's browser brought back (payment_id,
     * out_trade_no, status, amount, t). Show the result with them, but fulfil the order on the
     * notification (or {@link UnipayClient#getPayment}): a browser may never come back.
     */
    public Map<String, String> verifyReturnUrl(String urlOrQuery) throws SignatureException {
        return Signatures.verifyReturnUrl(secret, urlOrQuery, System.currentTimeMillis() / 1000, toleranceSeconds);
    }
}
