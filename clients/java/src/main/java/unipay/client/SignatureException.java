package unipay.client;

/** A notification or return URL whose signature does not hold: answer it 400, act on nothing. */
public final class SignatureException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The header or query is not in the documented form. */
        MALFORMED,
        /** Not signed with this app's secret, or altered since. */
        MISMATCH,
        /** Signed too long ago (or in the future): a replay. */
        STALE
    }

    private final Reason reason;

    SignatureException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason getReason() {
        return reason;
    }
}
