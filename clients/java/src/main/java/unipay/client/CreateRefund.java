package unipay.client;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code POST /v1/payments/{id}/refunds} takes: {@code new CreateRefund("R-1", 200).reason("退学")}. */
public final class CreateRefund {
    private final Map<String, Object> body = new LinkedHashMap<String, Object>();

    /** A refund of {@code amount} fen, known to the business system as {@code outRefundNo}. */
    public CreateRefund(String outRefundNo, long amount) {
        body.put("out_refund_no", outRefundNo);
        body.put("amount", amount);
    }

    public CreateRefund reason(String reason) {
        body.put("reason", reason);
        return this;
    }

    Map<String, Object> body() {
        return body;
    }
}
