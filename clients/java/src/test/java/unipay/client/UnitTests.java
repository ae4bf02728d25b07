package unipay.client;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON reader and writer, the signatures and the example endpoint: compiled with the library
 * and {@code examples/}, run with {@code java unipay.client.UnitTests}.
 */
public final class UnitTests {
    private static int passed;
    private static int failed;

    private UnitTests() {
    }

    interface Check {
        void run() throws Exception;
    }

    public static void main(String[] args) {
        test("JSON reads the API's objects", UnitTests::jsonReadsTheApisObjects);
        test("JSON reads every escape and keeps Chinese text", UnitTests::jsonReadsEscapes);
        test("JSON holds i64 exactly and refuses what overflows", UnitTests::jsonHoldsI64);
        test("JSON refuses what RFC 8259 does not allow", UnitTests::jsonIsStrict);
        test("JSON round-trips what it writes", UnitTests::jsonRoundTrips);
        test("the request signature matches the documented string", UnitTests::requestSignature);
        test("notification signatures verify and refuse tampering", UnitTests::notificationSignature);
        test("return URLs verify and refuse tampering, staleness and reshaping", UnitTests::returnUrlSignature);
        test("an error envelope becomes an ApiException with its code", UnitTests::errorEnvelope);
        test("the notification endpoint example acknowledges once and refuses forgeries", UnitTests::notificationEndpointExample);
        System.out.println(passed + " passed, " + failed + " failed");
        if (failed > 0) {
            System.exit(1);
        }
    }

    private static void test(String name, Check check) {
        try {
            check.run();
            passed++;
            System.out.println("ok   " + name);
        } catch (Throwable failure) {
            failed++;
            System.out.println("FAIL " + name + ": " + failure);
            failure.printStackTrace(System.out);
        }
    }

    static void assertEquals(Object expected, Object actual) {
        if (expected == null ? actual != null : !expected.equals(actual)) {
            throw new AssertionError("expected " + expected + ", got " + actual);
        }
    }

    static void assertTrue(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    @SuppressWarnings("unchecked")
    private static void jsonReadsTheApisObjects() {
        String text = "{\"id\":\"pay_1\",\"amount\":500,\"paid_at\":null,\"metadata\":{\"term\":2026,"
                + "\"tags\":[\"a\",true,false,null,-1.5e2]},\"refunds\":[],\"kcode\":{}}";
        Map<String, Object> object = Json.parseObject(" \n\t" + text + "\r\n");
        assertEquals(Arrays.asList("id", "amount", "paid_at", "metadata", "refunds", "kcode"),
                Arrays.asList(object.keySet().toArray()));
        assertEquals(500L, object.get("amount"));
        assertTrue(object.containsKey("paid_at") && object.get("paid_at") == null, "null is kept");
        Map<String, Object> metadata = (Map<String, Object>) object.get("metadata");
        List<Object> tags = (List<Object>) metadata.get("tags");
        assertEquals(Arrays.asList("a", true, false, null, new BigDecimal("-1.5e2")), tags);
        Payment payment = new Payment(object);
        assertEquals("pay_1", payment.getId());
        assertEquals(500L, payment.getAmount());
        assertEquals(null, payment.getPaidAt());
        assertEquals(2026L, payment.getMetadata().get("term"));
    }

    private static void jsonReadsEscapes() {
        Object value = Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u5b66\\u8D39 学费 \\ud83d\\ude00 😀\"");
        assertEquals("\"\\/\b\f\n\r\tA学费 学费 \ud83d\ude00 😀", value);
    }

    private static void jsonHoldsI64() {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(0L, Json.parse("-0"));
        refused("9223372036854775808");
        refused("-9223372036854775809");
    }

    private static void jsonIsStrict() {
        for (String text : new String[] {
            "", " ", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", ".5", "1e", "+1", "--1",
            "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"",
            "\"a\nb\"", "\"abc", "tru", "nul", "True", "NaN", "Infinity", "[1] [2]", "{} x",
            "{\"a\":1,\"a\":2}", "/* c */ 1", "[\"\\u٠٠٤١\"]", "{\"a\" 1}", "{1:2}",
        }) {
            refused(text);
        }
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            deep.append('[');
        }
        refused(deep.toString());
    }

    private static void refused(String text) {
        try {
            Object value = Json.parse(text);
            throw new AssertionError("accepted " + text + " as " + value);
        } catch (Json.ParseException expected) {
            // Refused, as it must be.
        }
    }

    private static void jsonRoundTrips() {
        Map<String, Object> object = new LinkedHashMap<String, Object>();
        object.put("subject", "学费 \"autumn\"\n\u0001\u2028 😀");
        object.put("amount", Long.MIN_VALUE);
        object.put("nested", Arrays.asList(1, "two", null, true, new LinkedHashMap<String, Object>()));
        object.put("empty", Arrays.asList());
        String written = Json.write(object);
        assertEquals("{\"subject\":\"学费 \\\"autumn\\\"\\n\\u0001\\u2028 😀\",\"amount\":-9223372036854775808,"
                + "\"nested\":[1,\"two\",null,true,{}],\"empty\":[]}", written);
        Map<String, Object> read = Json.parseObject(written);
        assertEquals(object.get("subject"), read.get("subject"));
        assertEquals(Json.write(read), written);
    }

    private static void requestSignature() {
        String header = Signatures.signRequest("app_1", "secret", "POST", "/v1/payments", 5, "n",
                "{}".getBytes(StandardCharsets.UTF_8));
        String expected = Signatures.hex(Signatures.hmac("secret", ("POST\n/v1/payments\n5\nn\n"
                + "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a").getBytes(StandardCharsets.UTF_8)));
        assertEquals("UNIPAY-HMAC-SHA256 app_id=app_1,timestamp=5,nonce=n,signature=" + expected, header);
    }

    private static String notificationHeader(String secret, long t, byte[] body) {
        byte[] prefix = (t + ".").getBytes(StandardCharsets.UTF_8);
        byte[] signed = Arrays.copyOf(prefix, prefix.length + body.length);
        System.arraycopy(body, 0, signed, prefix.length, body.length);
        return "t=" + t + ",v1=" + Signatures.hex(Signatures.hmac(secret, signed));
    }

    private static SignatureException.Reason notificationRefusal(String secret, String header, byte[] body, long now) {
        try {
            Signatures.verifyNotification(secret, header, body, now, 300);
            return null;
        } catch (SignatureException refused) {
            return refused.getReason();
        }
    }

    private static void notificationSignature() {
        byte[] body = "{\"id\":\"evt_1\",\"type\":\"payment.succeeded\",\"data\":{\"subject\":\"学费\"}}"
                .getBytes(StandardCharsets.UTF_8);
        String header = notificationHeader("s", 100, body);
        assertEquals(null, notificationRefusal("s", header, body, 100));
        assertEquals(null, notificationRefusal("s", header, body, 400));
        assertEquals(SignatureException.Reason.MISMATCH, notificationRefusal("x", header, body, 100));
        byte[] other = "{}".getBytes(StandardCharsets.UTF_8);
        assertEquals(SignatureException.Reason.MISMATCH, notificationRefusal("s", header, other, 100));
        assertEquals(SignatureException.Reason.STALE, notificationRefusal("s", header, body, 401));
        assertEquals(SignatureException.Reason.STALE, notificationRefusal("s", header, body, -201));
        String[] malformed = {
            null, "", "nonsense", "t=100", "t=x,v1=00", "t=100,v1=00,x=1", "t=+100,v1=00", "t=-,v1=00", "t=١٠٠,v1=00",
        };
        for (String nonsense : malformed) {
            assertEquals(SignatureException.Reason.MALFORMED, notificationRefusal("s", nonsense, body, 100));
        }
        assertEquals(SignatureException.Reason.MISMATCH, notificationRefusal("s", "t=100,v1=zz", body, 100));
    }

    private static final String SIGNED = "payment_id=pay_1&out_trade_no=T+1%E5%AD%A6&status=succeeded&amount=500&t=1000";

    private static String returnUrl(String prefix, String signed, String secret) {
        return prefix + signed + "&signature=" + Signatures.hex(Signatures.hmac(secret, signed.getBytes(StandardCharsets.UTF_8)));
    }

    private static SignatureException.Reason returnUrlRefusal(String url, long now) {
        try {
            Signatures.verifyReturnUrl("s", url, now, 300);
            return null;
        } catch (SignatureException refused) {
            return refused.getReason();
        }
    }

    private static void returnUrlSignature() throws SignatureException {
        String url = returnUrl("https://shop.example/return?order=7&", SIGNED, "s");
        Map<String, String> values = Signatures.verifyReturnUrl("s", url, 1000, 300);
        Map<String, String> expected = new LinkedHashMap<String, String>();
        expected.put("payment_id", "pay_1");
        expected.put("out_trade_no", "T 1学");
        expected.put("status", "succeeded");
        expected.put("amount", "500");
        expected.put("t", "1000");
        assertEquals(expected, values);
        assertEquals(null, returnUrlRefusal(returnUrl("https://shop.example/return?", SIGNED, "s"), 1299));
        assertEquals(SignatureException.Reason.MISMATCH, returnUrlRefusal(url.replace("succeeded", "failed"), 1000));
        String otherSecret = returnUrl("https://shop.example/return?", SIGNED, "x");
        assertEquals(SignatureException.Reason.MISMATCH, returnUrlRefusal(otherSecret, 1000));
        assertEquals(SignatureException.Reason.STALE, returnUrlRefusal(url, 1301));
        // The Rust client's substring search would take "xpayment_id=" as the start.
        String reshaped = "xpayment_id=pay_1&out_trade_no=T&status=succeeded&amount=500&t=1000";
        String reshapedUrl = returnUrl("https://shop.example/return?", reshaped, "s");
        assertEquals(SignatureException.Reason.MALFORMED, returnUrlRefusal(reshapedUrl, 1000));
        assertEquals(SignatureException.Reason.MALFORMED, returnUrlRefusal(url + "&extra=1", 1000));
        assertEquals(SignatureException.Reason.MALFORMED, returnUrlRefusal("https://shop.example/return?payment_id=pay_1", 1000));
    }

    private static void errorEnvelope() {
        ApiException duplicate = ApiException.fromAnswer(409,
                "{\"error\":{\"code\":\"duplicate_out_trade_no\",\"message\":\"exists\",\"payment_id\":\"pay_1\"}}");
        assertEquals("duplicate_out_trade_no", duplicate.getCode());
        assertEquals(409, duplicate.getStatus());
        assertEquals("pay_1", duplicate.getPaymentId());
        ApiException proxy = ApiException.fromAnswer(502, "<html>Bad Gateway</html>");
        assertEquals("unknown", proxy.getCode());
        assertEquals("<html>Bad Gateway</html>", proxy.getErrorMessage());
    }

    /** The example lives in the default package, which a named package reaches by reflection only. */
    private static void notificationEndpointExample() throws Exception {
        Class<?> example = Class.forName("NotificationEndpoint");
        Object endpoint = example.getConstructor(String.class).newInstance("s");
        java.lang.reflect.Method handle = example.getMethod("handle", String.class, byte[].class);
        byte[] body = "{\"id\":\"evt_1\",\"type\":\"refund.succeeded\",\"data\":{\"id\":\"rfd_1\"}}"
                .getBytes(StandardCharsets.UTF_8);
        String header = notificationHeader("s", System.currentTimeMillis() / 1000, body);
        assertEquals(200, handle.invoke(endpoint, header, body));
        assertEquals(200, handle.invoke(endpoint, header, body));
        assertEquals(400, handle.invoke(endpoint, header, "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, handle.invoke(endpoint, null, body));
    }
}
