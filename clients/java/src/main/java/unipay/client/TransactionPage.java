package unipay.client;

import java.util.List;
import java.util.Map;

/** A page of the app's payments and refunds ({@code GET /v1/transactions}). */
public final class TransactionPage extends ApiObject {
    public TransactionPage(Map<String, Object> raw) {
        super(raw);
    }

    /** Each transaction as a JSON object: kind, id, out_no, amount, status, payment_id, created_at. */
    public List<Object> getData() {
        return listMember("data");
    }

    /** Pass as {@code cursor} for the next page; null on the last page. */
    public String getNextCursor() {
        return stringMember("next_cursor");
    }
}
