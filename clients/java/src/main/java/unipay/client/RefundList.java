package unipay.client;

import java.util.List;
import java.util.Map;

/** A payment's refunds ({@code GET /v1/payments/{id}/refunds}). */
public final class RefundList extends ApiObject {
    public RefundList(Map<String, Object> raw) {
        super(raw);
    }

    public String getPaymentId() {
        return stringMember("payment_id");
    }

    public List<Refund> getRefunds() {
        return listOf(listMember("refunds"), Refund::new);
    }
}
