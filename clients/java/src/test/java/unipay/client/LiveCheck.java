package unipay.client;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The client against a running unipay and its bank simulator: the operations match the served
 * OpenAPI document; a payment is created, paid at the simulated bank, notified and verified;
 * its return URL verifies; a refund succeeds and is notified; a retried create with its
 * Idempotency-Key answers the same payment; refusals surface as ApiException codes.
 *
 * <p>Reads UNIPAY_BASE_URL, UNIPAY_APP_ID, UNIPAY_APP_SECRET and UNIPAY_BANKSIM_URL.
 */
public final class LiveCheck {
    private static final long PATIENCE_MILLIS = 20_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private LiveCheck() {
    }

    public static void main(String[] args) throws Exception {
        String baseUrl = required("UNIPAY_BASE_URL");
        String bankUrl = required("UNIPAY_BANKSIM_URL");
        String secret = required("UNIPAY_APP_SECRET");
        UnipayClient client = new UnipayClient(baseUrl, required("UNIPAY_APP_ID"), secret);

        Map<String, Object> document = client.openApiDocument();
        checkOperationsMatchTheDocument(document);
        checkTypesMatchTheDocument(document);

        NotificationVerifier verifier = new NotificationVerifier(secret);
        BlockingQueue<Object> notifications = new LinkedBlockingQueue<Object>();
        HttpServer endpoint = startNotificationEndpoint(verifier, notifications);
        String notifyUrl = "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/unipay/notify";
        String outTradeNo = "JAVA-" + token();
        Map<String, Object> metadata = new LinkedHashMap<String, Object>();
        metadata.put("student", "张三");
        metadata.put("term", 2026L);
        Payment payment = client.createPayment(new CreatePayment(outTradeNo, 500, "学费 Tuition \"autumn\"")
                .notifyUrl(notifyUrl)
                .returnUrl("https://shop.example/return?order=7")
                .metadata(metadata));
        UnitTests.assertEquals("created", payment.getStatus());
        UnitTests.assertEquals(500L, payment.getAmount());

        payAtTheBank(baseUrl, bankUrl, payment);
        Event event = waitForEvent(notifications, "payment.succeeded", payment.getId());
        UnitTests.assertEquals("succeeded", event.getPayment().getStatus());
        UnitTests.assertEquals("学费 Tuition \"autumn\"", event.getPayment().getSubject());
        System.out.println("payment: " + payment.getId() + " paid, payment.succeeded " + event.getId() + " verified");

        UnitTests.assertEquals("succeeded", client.getPayment(payment.getId()).getStatus());
        Payment found = client.findPayment(outTradeNo);
        UnitTests.assertEquals(payment.getId(), found.getId());
        UnitTests.assertEquals(metadata, found.getMetadata());
        checkReturnUrl(client, verifier, payment);
        System.out.println("return URL: verified, a tampered one refused");

        ApiException duplicate = expectApiError("duplicate_out_trade_no",
                () -> client.createPayment(new CreatePayment(outTradeNo, 500, "again").notifyUrl(notifyUrl)));
        UnitTests.assertEquals(409, duplicate.getStatus());
        UnitTests.assertEquals(payment.getId(), duplicate.getPaymentId());
        expectApiError("invalid_amount", () -> client.createPayment(new CreatePayment("JAVA-" + token(), 0, "nothing")));
        expectApiError("payment_not_found", () -> client.getPayment("pay_doesnotexist"));
        System.out.println("errors: duplicate_out_trade_no, invalid_amount and payment_not_found surface as ApiException");

        Refund refund = client.createRefund(payment.getId(), new CreateRefund("JAVAR-" + token(), 200).reason("退学"));
        UnitTests.assertEquals(payment.getId(), refund.getPaymentId());
        UnitTests.assertEquals(200L, refund.getAmount());
        long deadline = System.currentTimeMillis() + PATIENCE_MILLIS;
        while (!"succeeded".equals(refund.getStatus())) {
            UnitTests.assertTrue(System.currentTimeMillis() < deadline, "the refund is still " + refund);
            Thread.sleep(200);
            refund = client.getRefund(refund.getId());
        }
        UnitTests.assertEquals(refund.getId(), client.findRefund(refund.getOutRefundNo()).getId());
        RefundList listed = client.listPaymentRefunds(payment.getId());
        UnitTests.assertEquals(1, listed.getRefunds().size());
        UnitTests.assertEquals(refund.getId(), listed.getRefunds().get(0).getId());
        UnitTests.assertEquals(200L, client.getPayment(payment.getId()).getRefundedAmount());
        Event refunded = waitForEvent(notifications, "refund.succeeded", refund.getId());
        UnitTests.assertEquals(200L, refunded.getRefund().getAmount());
        UnitTests.assertEquals(payment.getId(), refunded.getRefund().getPaymentId());
        System.out.println("refund: " + refund.getId() + " succeeded, refund.succeeded " + refunded.getId() + " verified");

        String key = token() + token();
        Payment first = client.createPayment(new CreatePayment("JAVA-" + token(), 1, "idempotent"), key);
        Payment again = client.createPayment(new CreatePayment(first.getOutTradeNo(), 1, "idempotent"), key);
        UnitTests.assertEquals(first.getId(), again.getId());
        System.out.println("idempotency: a retried create with its key answers the same payment");

        endpoint.stop(0);
        System.out.println("java client: all checks passed");
    }

    private static String required(String name) {
        String value = System.getenv(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException(name + " is not set");
        }
        return value;
    }

    private static String token() {
        return Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE);
    }

    @SuppressWarnings("unchecked")
    private static void checkOperationsMatchTheDocument(Map<String, Object> document) {
        Map<String, String> documented = new TreeMap<String, String>();
        Map<String, Object> paths = (Map<String, Object>) document.get("paths");
        for (Map.Entry<String, Object> path : paths.entrySet()) {
            for (Map.Entry<String, Object> method : ((Map<String, Object>) path.getValue()).entrySet()) {
                if (method.getKey().matches("get|post|put|patch|delete")) {
                    String operationId = (String) ((Map<String, Object>) method.getValue()).get("operationId");
                    documented.put(operationId, method.getKey().toUpperCase() + " " + path.getKey());
                }
            }
        }
        Map<String, String> declared = new TreeMap<String, String>();
        for (Operation operation : Operation.values()) {
            declared.put(operation.operationId(), operation.method() + " " + operation.pathTemplate());
        }
        Map<String, String> missing = new TreeMap<String, String>(documented);
        missing.entrySet().removeAll(declared.entrySet());
        Map<String, String> undocumented = new TreeMap<String, String>(declared);
        undocumented.entrySet().removeAll(documented.entrySet());
        UnitTests.assertTrue(missing.isEmpty(), "documented but not implemented as documented: " + missing);
        UnitTests.assertTrue(undocumented.isEmpty(), "called but not documented: " + undocumented);
        System.out.println("operations: all " + documented.size() + " documented operations implemented");
    }

    /** Typed answers: each getter names a member of the schema of the class's name, and each member has one. */
    private static final Class<?>[] ANSWERS = {
        Payment.class, Refund.class, RefundList.class, RefundBatch.class, DebitBatch.class, Mandate.class,
        IdentityVerification.class, TransactionPage.class, ChannelTransactions.class,
    };

    /** Typed requests: the constructor and the fluent setters together write exactly the schema's members. */
    private static final Class<?>[] REQUESTS = {
        CreatePayment.class, CreateRefund.class, CreateMandate.class, CreateDebit.class, ConfirmKcode.class,
        CreateIdentityVerification.class,
    };

    @SuppressWarnings("unchecked")
    private static void checkTypesMatchTheDocument(Map<String, Object> document) throws Exception {
        Map<String, Object> schemas = (Map<String, Object>) ((Map<String, Object>) document.get("components")).get("schemas");
        for (Class<?> answer : ANSWERS) {
            Set<String> named = new TreeSet<String>();
            for (Method getter : answer.getDeclaredMethods()) {
                if (Modifier.isPublic(getter.getModifiers()) && getter.getName().startsWith("get")
                        && getter.getParameterTypes().length == 0) {
                    named.add(snakeCase(getter.getName().substring(3)));
                }
            }
            UnitTests.assertEquals(documentedMembers(schemas, answer), named);
        }
        for (Class<?> request : REQUESTS) {
            Constructor<?> constructor = request.getConstructors()[0];
            Object built = constructor.newInstance(sampleArguments(constructor.getParameterTypes()));
            for (Method setter : request.getDeclaredMethods()) {
                if (Modifier.isPublic(setter.getModifiers()) && setter.getReturnType() == request) {
                    setter.invoke(built, sampleArguments(setter.getParameterTypes()));
                }
            }
            Map<String, Object> body = (Map<String, Object>) request.getDeclaredMethod("body").invoke(built);
            UnitTests.assertEquals(documentedMembers(schemas, request), new TreeSet<String>(body.keySet()));
        }
        System.out.println("types: " + ANSWERS.length + " answers and " + REQUESTS.length + " requests as documented");
    }

    @SuppressWarnings("unchecked")
    private static Set<String> documentedMembers(Map<String, Object> schemas, Class<?> type) {
        Map<String, Object> schema = (Map<String, Object>) schemas.get(type.getSimpleName());
        UnitTests.assertTrue(schema != null, "the document has no schema " + type.getSimpleName());
        return new TreeSet<String>(((Map<String, Object>) schema.get("properties")).keySet());
    }

    private static String snakeCase(String camel) {
        StringBuilder out = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c) && out.length() > 0) {
                out.append('_');
            }
            out.append(Character.toLowerCase(c));
        }
        return out.toString();
    }

    private static Object[] sampleArguments(Class<?>[] types) {
        Object[] arguments = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            if (types[i] == String.class) {
                arguments[i] = "x";
            } else if (types[i] == long.class || types[i] == Long.class) {
                arguments[i] = 1L;
            } else if (types[i] == Map.class) {
                arguments[i] = new HashMap<String, Object>();
            } else {
                throw new AssertionError("no sample value of " + types[i]);
            }
        }
        return arguments;
    }

    /** An endpoint as a business system would run it; verified events and refusals land in the queue. */
    private static HttpServer startNotificationEndpoint(NotificationVerifier verifier, BlockingQueue<Object> notifications)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/unipay/notify", exchange -> {
            byte[] body = readAll(exchange.getRequestBody());
            int status;
            try {
                notifications.add(verifier.verify(exchange.getRequestHeaders().getFirst("Unipay-Signature"), body));
                status = 200;
            } catch (SignatureException refused) {
                notifications.add(refused);
                status = 400;
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static Event waitForEvent(BlockingQueue<Object> notifications, String type, String objectId)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + PATIENCE_MILLIS;
        while (true) {
            Object next = notifications.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
            UnitTests.assertTrue(next != null, "no verified " + type + " for " + objectId + " within " + PATIENCE_MILLIS + " ms");
            UnitTests.assertTrue(next instanceof Event, "a notification failed verification: " + next);
            Event event = (Event) next;
            if (type.equals(event.getType()) && objectId.equals(event.getData().get("id"))) {
                return event;
            }
        }
    }

    private static void payAtTheBank(String baseUrl, String bankUrl, Payment payment) throws IOException {
        int cashier = post(baseUrl + "/pay/" + payment.getId(), "payment_type=A", "application/x-www-form-urlencoded");
        UnitTests.assertEquals(303, cashier);
        Map<String, Object> choice = new HashMap<String, Object>();
        choice.put("outcome", "success");
        choice.put("notify", "server");
        int bank = post(bankUrl + "/sim/orders/" + payment.getChannelOrderNo() + "/pay", Json.write(choice), "application/json");
        UnitTests.assertTrue(bank >= 200 && bank < 300, "the simulated bank pays: " + bank);
    }

    private static int post(String url, String body, String contentType) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
        connection.setInstanceFollowRedirects(false);
        connection.setRequestMethod("POST");
        connection.setDoOutput(true);
        connection.setRequestProperty("Content-Type", contentType);
        OutputStream out = connection.getOutputStream();
        out.write(body.getBytes(StandardCharsets.UTF_8));
        out.close();
        int status = connection.getResponseCode();
        connection.disconnect();
        return status;
    }

    private static void checkReturnUrl(UnipayClient client, NotificationVerifier verifier, Payment payment) throws Exception {
        URL resultPage = new URL(client.getBaseUrl() + "/pay/" + payment.getId() + "/result");
        HttpURLConnection page = (HttpURLConnection) resultPage.openConnection();
        String html = new String(readAll(page.getInputStream()), StandardCharsets.UTF_8);
        Matcher link = Pattern.compile("class=\"button\" href=\"([^\"]*)\"").matcher(html);
        UnitTests.assertTrue(link.find(), "the result page links back to the merchant");
        String url = unescapeHtml(link.group(1));
        Map<String, String> values = verifier.verifyReturnUrl(url);
        UnitTests.assertEquals(payment.getId(), values.get("payment_id"));
        UnitTests.assertEquals(payment.getOutTradeNo(), values.get("out_trade_no"));
        UnitTests.assertEquals("succeeded", values.get("status"));
        try {
            verifier.verifyReturnUrl(url.replace("status=succeeded", "status=failed"));
            throw new AssertionError("a tampered return URL verified");
        } catch (SignatureException refused) {
            UnitTests.assertEquals(SignatureException.Reason.MISMATCH, refused.getReason());
        }
    }

    /** The page's attribute as the browser reads it: askama escapes &, quotes and angle brackets. */
    private static String unescapeHtml(String attribute) {
        Matcher entity = Pattern.compile("&(amp|quot|lt|gt|#[0-9]+|#x[0-9a-fA-F]+);").matcher(attribute);
        StringBuffer out = new StringBuffer();
        while (entity.find()) {
            String name = entity.group(1);
            String text;
            if (name.equals("amp")) {
                text = "&";
            } else if (name.equals("quot")) {
                text = "\"";
            } else if (name.equals("lt")) {
                text = "<";
            } else if (name.equals("gt")) {
                text = ">";
            } else if (name.startsWith("#x")) {
                text = new String(Character.toChars(Integer.parseInt(name.substring(2), 16)));
            } else {
                text = new String(Character.toChars(Integer.parseInt(name.substring(1))));
            }
            entity.appendReplacement(out, Matcher.quoteReplacement(text));
        }
        entity.appendTail(out);
        return out.toString();
    }

    interface Call {
        void run();
    }

    private static ApiException expectApiError(String code, Call call) {
        try {
            call.run();
        } catch (ApiException error) {
            UnitTests.assertEquals(code, error.getCode());
            return error;
        }
        throw new AssertionError("expected " + code + ", the call succeeded");
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
