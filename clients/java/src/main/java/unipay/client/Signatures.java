package unipay.client;

import java.io.UnsupportedEncodingException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The request signature and the two signatures unipay sends back (notifications and return
 * URLs), exactly as the API documentation describes them.
 */
public final class Signatures {
    public static final long DEFAULT_TOLERANCE_SECONDS = 300;

    /** The parameters unipay appends to return_url, in the order it signs them. */
    private static final String[] RETURN_URL_SIGNED_KEYS = {"payment_id", "out_trade_no", "status", "amount", "t"};

    private Signatures() {
    }

    /** The {@code Authorization} header value for a request. */
    public static String signRequest(String appId, String secret, String method, String pathAndQuery,
                                     long timestamp, String nonce, byte[] body) {
        String stringToSign = method + "\n" + pathAndQuery + "\n" + timestamp + "\n" + nonce + "\n"
                + hex(sha256(body));
        return "UNIPAY-HMAC-SHA256 app_id=" + appId + ",timestamp=" + timestamp + ",nonce=" + nonce
                + ",signature=" + hex(hmac(secret, stringToSign.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Checks {@code Unipay-Signature: t=<unix>,v1=<hex>} over {@code t + "." + body}, where body
     * is the raw bytes received (a re-serialised body would not match).
     */
    public static void verifyNotification(String secret, String header, byte[] body, long nowSeconds,
                                          long toleranceSeconds) throws SignatureException {
        if (header == null || header.isEmpty()) {
            throw malformed("no Unipay-Signature header");
        }
        Long t = null;
        String v1 = null;
        for (String untrimmed : header.split(",", -1)) {
            String part = untrimmed.trim();
            int equals = part.indexOf('=');
            if (equals < 0) {
                throw malformed("the signature header is malformed");
            }
            String key = part.substring(0, equals);
            String value = part.substring(equals + 1);
            if (key.equals("t")) {
                t = parseUnix(value);
            } else if (key.equals("v1")) {
                v1 = value;
            } else {
                throw malformed("the signature header is malformed");
            }
        }
        if (t == null || v1 == null) {
            throw malformed("the signature header is malformed");
        }
        byte[] prefix = (t + ".").getBytes(StandardCharsets.US_ASCII);
        byte[] signed = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, signed, 0, prefix.length);
        System.arraycopy(body, 0, signed, prefix.length, body.length);
        checkHmac(secret, signed, v1);
        checkTime(t, nowSeconds, toleranceSeconds);
    }

    /**
     * Checks the query unipay appends to return_url and returns its signed values (payment_id,
     * out_trade_no, status, amount, t). The signed parameters are the five just before
     * {@code signature}, which comes last; the business system's own parameters may precede
     * them. The timestamp {@code t} must be within the tolerance, so a link cannot be replayed.
     *
     * @param urlOrQuery the whole URL the browser brought, or its query string
     */
    public static Map<String, String> verifyReturnUrl(String secret, String urlOrQuery, long nowSeconds,
                                                      long toleranceSeconds) throws SignatureException {
        String query = urlOrQuery;
        int hash = query.indexOf('#');
        if (hash >= 0) {
            query = query.substring(0, hash);
        }
        int question = query.indexOf('?');
        if (question >= 0) {
            query = query.substring(question + 1);
        }
        String[] parts = query.split("&", -1);
        int count = RETURN_URL_SIGNED_KEYS.length;
        if (parts.length < count + 1) {
            throw malformed("the return URL lacks the signed parameters");
        }
        String last = parts[parts.length - 1];
        if (!last.startsWith("signature=")) {
            throw malformed("the signature is not the last parameter");
        }
        Map<String, String> values = new LinkedHashMap<String, String>();
        StringBuilder signed = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String part = parts[parts.length - 1 - count + i];
            String key = RETURN_URL_SIGNED_KEYS[i];
            if (!part.startsWith(key + "=")) {
                throw malformed("expected " + key + " among the signed parameters");
            }
            values.put(key, formDecode(part.substring(key.length() + 1)));
            if (i > 0) {
                signed.append('&');
            }
            signed.append(part);
        }
        checkHmac(secret, signed.toString().getBytes(StandardCharsets.UTF_8), last.substring("signature=".length()));
        checkTime(parseUnix(values.get("t")), nowSeconds, toleranceSeconds);
        return values;
    }

    private static void checkHmac(String secret, byte[] signed, String signatureHex) throws SignatureException {
        byte[] given = unhex(signatureHex);
        if (given == null || !MessageDigest.isEqual(hmac(secret, signed), given)) {
            throw new SignatureException(SignatureException.Reason.MISMATCH, "the signature does not match");
        }
    }

    private static void checkTime(long t, long nowSeconds, long toleranceSeconds) throws SignatureException {
        if (Math.abs(nowSeconds - t) > toleranceSeconds) {
            throw new SignatureException(SignatureException.Reason.STALE, "the signature is too old or from the future");
        }
    }

    private static long parseUnix(String text) throws SignatureException {
        // Long.parseLong alone would take "+5" and non-ASCII digits; the server writes plain ones.
        int start = text.startsWith("-") ? 1 : 0;
        if (text.length() == start) {
            throw malformed("the timestamp is not an integer");
        }
        for (int i = start; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                throw malformed("the timestamp is not an integer");
            }
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException notANumber) {
            throw malformed("the timestamp is not an integer");
        }
    }

    private static String formDecode(String value) throws SignatureException {
        try {
            return URLDecoder.decode(value, "UTF-8");
        } catch (UnsupportedEncodingException | IllegalArgumentException unreadable) {
            throw malformed("a parameter is not URL-encoded");
        }
    }

    private static SignatureException malformed(String message) {
        return new SignatureException(SignatureException.Reason.MALFORMED, message);
    }

    static byte[] hmac(String secret, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException missing) {
            // Every JDK has HmacSHA256; an empty secret is the only way here.
            throw new IllegalArgumentException("cannot compute HMAC-SHA256: " + missing.getMessage(), missing);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException missing) {
            throw new IllegalStateException("the JDK has no SHA-256", missing);
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            out.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return out.toString();
    }

    /** The value of an ASCII hex digit, or -1 (Character.digit would also take other scripts' digits). */
    static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static byte[] unhex(String text) {
        if (text.length() % 2 != 0) {
            return null;
        }
        byte[] out = new byte[text.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int high = hexDigit(text.charAt(2 * i));
            int low = hexDigit(text.charAt(2 * i + 1));
            if (high < 0 || low < 0) {
                return null;
            }
            out[i] = (byte) ((high << 4) | low);
        }
        return out;
    }
}
