package unipay.client;

import java.util.List;
import java.util.Map;

/** A refund batch with its tallies and lines. */
public final class RefundBatch extends ApiObject {
    public RefundBatch(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return getString("id");
    }

    public String getOutBatchNo() {
        return getString("out_batch_no");
    }

    public String getStatus() {
        return getString("status");
    }

    public Long getLineCount() {
        return getLong("line_count");
    }

    public Long getTotalAmount() {
        return getLong("total_amount");
    }

    public Long getSucceededCount() {
        return getLong("succeeded_count");
    }

    public Long getSucceededAmount() {
        return getLong("succeeded_amount");
    }

    public Long getFailedCount() {
        return getLong("failed_count");
    }

    public Long getFailedAmount() {
        return getLong("failed_amount");
    }

    public String getReason() {
        return getString("reason");
    }

    public String getCreatedAt() {
        return getString("created_at");
    }

    public String getFinishedAt() {
        return getString("finished_at");
    }

    /** Each line as a JSON object. */
    public List<Object> getLines() {
        return getList("lines");
    }
}
