import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import unipay.client.Event;
import unipay.client.NotificationVerifier;
import unipay.client.Payment;
import unipay.client.SignatureException;

/**
 * A notify_url endpoint. {@link #handle} is what any web framework calls: the
 * {@code Unipay-Signature} header and the raw body in, the HTTP status out. In a servlet:
 *
 * <pre>{@code
 * protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
 *     byte[] body = NotificationEndpoint.readAll(request.getInputStream());
 *     response.setStatus(notifications.handle(request.getHeader("Unipay-Signature"), body));
 * }
 * }</pre>
 *
 * <p>Run standalone on the JDK's own HTTP server:
 * {@code UNIPAY_APP_SECRET=… java -cp unipay-client.jar:. NotificationEndpoint 9000} (unipay itself is on 8080 in docs/CONNECT.md).
 */
public final class NotificationEndpoint {
    private final NotificationVerifier verifier;
    /** unipay delivers an event again until it gets a 2xx; its id says it was handled already. */
    private final Set<String> handledEventIds = ConcurrentHashMap.newKeySet();

    public NotificationEndpoint(String appSecret) {
        this.verifier = new NotificationVerifier(appSecret);
    }

    /** 200 once the event is handled (or was before), 400 for a body unipay did not sign. */
    public int handle(String signatureHeader, byte[] body) {
        Event event;
        try {
            event = verifier.verify(signatureHeader, body);
        } catch (SignatureException refused) {
            return 400;
        }
        if (!handledEventIds.add(event.getId())) {
            return 200;
        }
        Payment payment = event.getPayment();
        if ("payment.succeeded".equals(event.getType()) && payment != null) {
            // Fulfil the order here, in the business system's own transaction: this is the
            // trustworthy news that it was paid (a return URL can be lost or never followed).
            System.out.println("paid: " + payment.getOutTradeNo() + " " + payment.getAmount() + " fen");
        }
        return 200;
    }

    public static byte[] readAll(InputStream stream) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int read;
        while ((read = stream.read(buffer)) > 0) {
            out.write(buffer, 0, read);
        }
        return out.toByteArray();
    }

    public static void main(String[] args) throws IOException {
        String secret = System.getenv("UNIPAY_APP_SECRET");
        if (secret == null || args.length != 1) {
            System.err.println("usage: UNIPAY_APP_SECRET=<secret> java NotificationEndpoint <port>");
            System.exit(2);
        }
        NotificationEndpoint notifications = new NotificationEndpoint(secret);
        HttpServer server = HttpServer.create(new InetSocketAddress(Integer.parseInt(args[0])), 0);
        server.createContext("/unipay/notify", exchange -> {
            int status = notifications.handle(exchange.getRequestHeaders().getFirst("Unipay-Signature"),
                    readAll(exchange.getRequestBody()));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        System.out.println("listening on http://" + server.getAddress() + "/unipay/notify");
    }
}
