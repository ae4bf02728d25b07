package unipay.client;

import java.util.Map;

/**
 * A verified notification: {@code {id, type, created_at, data}}. The same event keeps its id on
 * every retry, so a business system handles each id once.
 */
public final class Event extends ApiObject {
    public Event(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return stringMember("id");
    }

    /** E.g. {@code payment.succeeded}, {@code refund.succeeded}, {@code mandate.active}. */
    public String getType() {
        return stringMember("type");
    }

    public String getCreatedAt() {
        return stringMember("created_at");
    }

    public Map<String, Object> getData() {
        return objectMember("data");
    }

    /** The payment of a {@code payment.*} event; null for other events. */
    public Payment getPayment() {
        return isAbout("payment.") ? new Payment(getData()) : null;
    }

    /** The refund of a {@code refund.*} event; null for other events. */
    public Refund getRefund() {
        return isAbout("refund.") ? new Refund(getData()) : null;
    }

    /** The mandate of a {@code mandate.*} event; null for other events. */
    public Mandate getMandate() {
        return isAbout("mandate.") ? new Mandate(getData()) : null;
    }

    /** The verification of an {@code identity.*} event; null for other events. */
    public IdentityVerification getIdentityVerification() {
        return isAbout("identity.") ? new IdentityVerification(getData()) : null;
    }

    private boolean isAbout(String prefix) {
        String type = getType();
        return type != null && type.startsWith(prefix) && getData() != null;
    }
}
