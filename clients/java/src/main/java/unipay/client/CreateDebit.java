package unipay.client;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code POST /v1/mandates/{id}/debits} takes: a debit without the customer (AgentPay). */
public final class CreateDebit {
    private final Map<String, Object> body = new LinkedHashMap<String, Object>();

    /** A debit of {@code amount} fen. */
    public CreateDebit(String outTradeNo, long amount, String subject) {
        body.put("out_trade_no", outTradeNo);
        body.put("amount", amount);
        body.put("subject", subject);
    }

    public CreateDebit notifyUrl(String notifyUrl) {
        body.put("notify_url", notifyUrl);
        return this;
    }

    Map<String, Object> body() {
        return body;
    }
}
