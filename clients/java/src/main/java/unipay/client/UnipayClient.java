package unipay.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Signed calls to unipay's {@code /v1} API, one method per documented operation. Every method
 * answers a typed object or throws {@link ApiException} (a refusal, with its code) or
 * {@link UnipayException} (no answer). Amounts are in fen. Safe to share between threads.
 *
 * <pre>{@code
 * UnipayClient unipay = new UnipayClient("https://pay.example.edu", appId, appSecret);
 * Payment payment = unipay.createPayment(new CreatePayment("T-2026-0001", 500, "学费")
 *         .notifyUrl("https://school.example.edu/unipay/notify"));
 * // send the consumer's browser to payment.getCashierUrl()
 * }</pre>
 */
public final class UnipayClient {
    private static final SecureRandom NONCES = new SecureRandom();

    private final String baseUrl;
    private final String appId;
    private final String secret;
    private int timeoutMillis = 30_000;

    public UnipayClient(String baseUrl, String appId, String secret) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.appId = appId;
        this.secret = secret;
    }

    /** Connect and read timeout of each call (30 s unless set). */
    public UnipayClient withTimeoutMillis(int timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
        return this;
    }

    public String getBaseUrl() {
        return baseUrl;
    }

    // Payments

    public Payment createPayment(CreatePayment request) {
        return createPayment(request, null);
    }

    /** With an {@code Idempotency-Key}: a retry with the same key answers the same payment. */
    public Payment createPayment(CreatePayment request, String idempotencyKey) {
        return new Payment(call(Operation.CREATE_PAYMENT, null, null, request.body(), idempotencyKey));
    }

    public Payment findPayment(String outTradeNo) {
        return new Payment(call(Operation.FIND_PAYMENT, null, query("out_trade_no", outTradeNo), null, null));
    }

    public Payment getPayment(String paymentId) {
        return getPayment(paymentId, false);
    }

    /** With {@code sync}, unipay asks the bank first. */
    public Payment getPayment(String paymentId, boolean sync) {
        return new Payment(call(Operation.GET_PAYMENT, paymentId, sync ? query("sync", "true") : null, null, null));
    }

    public Payment closePayment(String paymentId) {
        return new Payment(call(Operation.CLOSE_PAYMENT, paymentId, null, null, null));
    }

    /** Captures {@code amount} fen of an authorized pre-authorization; all of it when null. */
    public Payment capturePayment(String paymentId, Long amount) {
        Map<String, Object> body = new LinkedHashMap<String, Object>();
        if (amount != null) {
            body.put("amount", amount);
        }
        return new Payment(call(Operation.CAPTURE_PAYMENT, paymentId, null, body, null));
    }

    /** Releases an authorized pre-authorization. */
    public Payment cancelPayment(String paymentId) {
        return new Payment(call(Operation.CANCEL_PAYMENT, paymentId, null, null, null));
    }

    /** Pays a K-code payment with the code the consumer received. */
    public Payment confirmKcode(String paymentId, ConfirmKcode confirmation) {
        return new Payment(call(Operation.CONFIRM_KCODE, paymentId, null, confirmation.body(), null));
    }

    public Payment resendKcode(String paymentId) {
        return new Payment(call(Operation.RESEND_KCODE, paymentId, null, null, null));
    }

    // Refunds

    public Refund createRefund(String paymentId, CreateRefund request) {
        return createRefund(paymentId, request, null);
    }

    public Refund createRefund(String paymentId, CreateRefund request, String idempotencyKey) {
        return new Refund(call(Operation.CREATE_REFUND, paymentId, null, request.body(), idempotencyKey));
    }

    public RefundList listPaymentRefunds(String paymentId) {
        return new RefundList(call(Operation.LIST_PAYMENT_REFUNDS, paymentId, null, null, null));
    }

    public Refund findRefund(String outRefundNo) {
        return new Refund(call(Operation.FIND_REFUND, null, query("out_refund_no", outRefundNo), null, null));
    }

    public Refund getRefund(String refundId) {
        return new Refund(call(Operation.GET_REFUND, refundId, null, null, null));
    }

    /** {@code lines}: each {@code {payment_id, out_refund_no, amount, reason?}}. */
    public RefundBatch createRefundBatch(String outBatchNo, List<Map<String, Object>> lines, String idempotencyKey) {
        return new RefundBatch(call(Operation.CREATE_REFUND_BATCH, null, null, batch(outBatchNo, lines), idempotencyKey));
    }

    public RefundBatch getRefundBatch(String batchId) {
        return new RefundBatch(call(Operation.GET_REFUND_BATCH, batchId, null, null, null));
    }

    // Mandates and debits

    public Mandate createMandate(CreateMandate mandate, String idempotencyKey) {
        return new Mandate(call(Operation.CREATE_MANDATE, null, null, mandate.body(), idempotencyKey));
    }

    public Mandate getMandate(String mandateId, boolean sync) {
        return new Mandate(call(Operation.GET_MANDATE, mandateId, sync ? query("sync", "true") : null, null, null));
    }

    public Mandate cancelMandate(String mandateId) {
        return new Mandate(call(Operation.CANCEL_MANDATE, mandateId, null, null, null));
    }

    public Payment createDebit(String mandateId, CreateDebit debit, String idempotencyKey) {
        return new Payment(call(Operation.CREATE_DEBIT, mandateId, null, debit.body(), idempotencyKey));
    }

    /** {@code lines}: each {@code {mandate_id, out_trade_no, amount, subject}}. */
    public DebitBatch createDebitBatch(String outBatchNo, List<Map<String, Object>> lines, String idempotencyKey) {
        return new DebitBatch(call(Operation.CREATE_DEBIT_BATCH, null, null, batch(outBatchNo, lines), idempotencyKey));
    }

    public DebitBatch getDebitBatch(String batchId) {
        return new DebitBatch(call(Operation.GET_DEBIT_BATCH, batchId, null, null, null));
    }

    // Identity verification

    public IdentityVerification createIdentityVerification(CreateIdentityVerification verification, String idempotencyKey) {
        return new IdentityVerification(
                call(Operation.CREATE_IDENTITY_VERIFICATION, null, null, verification.body(), idempotencyKey));
    }

    public IdentityVerification getIdentityVerification(String verificationId) {
        return new IdentityVerification(call(Operation.GET_IDENTITY_VERIFICATION, verificationId, null, null, null));
    }

    // Transactions and the document

    /** {@code filters}: any of {@code from, to} (RFC 3339), {@code status, type, cursor, limit}. */
    public TransactionPage listTransactions(Map<String, String> filters) {
        return new TransactionPage(call(Operation.LIST_TRANSACTIONS, null, filters, null, null));
    }

    /** {@code date} is YYYY-MM-DD; the hours may be null for the whole day. */
    public ChannelTransactions listChannelTransactions(String channelAccount, String date, Integer startHour, Integer endHour) {
        Map<String, String> filters = new LinkedHashMap<String, String>();
        filters.put("channel_account", channelAccount);
        filters.put("date", date);
        if (startHour != null) {
            filters.put("start_hour", startHour.toString());
        }
        if (endHour != null) {
            filters.put("end_hour", endHour.toString());
        }
        return new ChannelTransactions(call(Operation.LIST_CHANNEL_TRANSACTIONS, null, filters, null, null));
    }

    /** The OpenAPI 3.1 document the server generates. */
    public Map<String, Object> openApiDocument() {
        return call(Operation.GET_OPENAPI_DOCUMENT, null, null, null, null);
    }

    // The one way out

    /**
     * Sends {@code operation} signed and answers its JSON object.
     *
     * @param id the path's {@code {id}}, for the operations that have one
     * @param query query parameters, in order; null for none
     * @param body the JSON body; null for none
     */
    public Map<String, Object> call(Operation operation, String id, Map<String, String> query,
                                    Map<String, Object> body, String idempotencyKey) {
        String path = operation.pathTemplate();
        if (path.contains("{id}")) {
            if (id == null) {
                throw new IllegalArgumentException(operation.operationId() + " needs an id");
            }
            path = path.replace("{id}", encodePathSegment(id));
        }
        if (query != null && !query.isEmpty()) {
            StringBuilder pathAndQuery = new StringBuilder(path).append('?');
            boolean first = true;
            for (Map.Entry<String, String> parameter : query.entrySet()) {
                if (!first) {
                    pathAndQuery.append('&');
                }
                first = false;
                pathAndQuery.append(formEncode(parameter.getKey())).append('=').append(formEncode(parameter.getValue()));
            }
            path = pathAndQuery.toString();
        }
        byte[] data = body == null ? new byte[0] : Json.write(body).getBytes(StandardCharsets.UTF_8);
        String authorization = Signatures.signRequest(appId, secret, operation.method(), path,
                System.currentTimeMillis() / 1000, newNonce(), data);
        try {
            HttpURLConnection connection = (HttpURLConnection) new URL(baseUrl + path).openConnection();
            connection.setRequestMethod(operation.method());
            // A signed request is signed for its own path: a redirect would send it elsewhere.
            connection.setInstanceFollowRedirects(false);
            connection.setConnectTimeout(timeoutMillis);
            connection.setReadTimeout(timeoutMillis);
            connection.setRequestProperty("Authorization", authorization);
            connection.setRequestProperty("Content-Type", "application/json");
            connection.setRequestProperty("Accept", "application/json");
            if (idempotencyKey != null) {
                connection.setRequestProperty("Idempotency-Key", idempotencyKey);
            }
            if (operation.method().equals("POST")) {
                connection.setDoOutput(true);
                connection.setFixedLengthStreamingMode(data.length);
                OutputStream out = connection.getOutputStream();
                try {
                    out.write(data);
                } finally {
                    out.close();
                }
            }
            int status = connection.getResponseCode();
            InputStream stream = status >= 400 ? connection.getErrorStream() : connection.getInputStream();
            String answer = stream == null ? "" : new String(readAll(stream), StandardCharsets.UTF_8);
            if (status < 200 || status >= 300) {
                throw ApiException.fromAnswer(status, answer);
            }
            try {
                return Json.parseObject(answer);
            } catch (Json.ParseException unreadable) {
                throw new UnipayException("an answer that is not a JSON object: " + unreadable.getMessage(), unreadable);
            }
        } catch (IOException failed) {
            throw new UnipayException(operation.operationId() + " failed: " + failed.getMessage(), failed);
        }
    }

    private static Map<String, String> query(String name, String value) {
        return Collections.singletonMap(name, value);
    }

    private static Map<String, Object> batch(String outBatchNo, List<Map<String, Object>> lines) {
        Map<String, Object> body = new LinkedHashMap<String, Object>();
        body.put("out_batch_no", outBatchNo);
        body.put("lines", lines);
        return body;
    }

    private static String newNonce() {
        byte[] bytes = new byte[16];
        NONCES.nextBytes(bytes);
        return Signatures.hex(bytes);
    }

    private static String formEncode(String value) {
        try {
            return URLEncoder.encode(value, "UTF-8");
        } catch (UnsupportedEncodingException impossible) {
            throw new IllegalStateException("the JDK has no UTF-8", impossible);
        }
    }

    /** Percent-encodes an id for a path segment ("+" is a plus there, not a space). */
    private static String encodePathSegment(String value) {
        return formEncode(value).replace("+", "%20");
    }

    private static byte[] readAll(InputStream stream) throws IOException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int read;
            while ((read = stream.read(buffer)) > 0) {
                out.write(buffer, 0, read);
            }
            return out.toByteArray();
        } finally {
            stream.close();
        }
    }
}
