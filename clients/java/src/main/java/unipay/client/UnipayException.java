package unipay.client;

/** Anything that kept a call from giving an answer: the network, or an unreadable answer. */
public class UnipayException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnipayException(String message) {
        super(message);
    }

    public UnipayException(String message, Throwable cause) {
        super(message, cause);
    }
}
