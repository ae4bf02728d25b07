package unipay.client;

import java.util.List;
import java.util.Map;

/** A refund batch with its tallies and lines. */
public final class RefundBatch extends ApiObject {
    public RefundBatch(Map<String, Object> raw) {
        super(raw);
    }

    public String getId() {
        return stringMember("id");
    }

    public String getOutBatchNo() {
        return stringMember("out_batch_no");
    }

    public String getStatus() {
        return stringMember("status");
    }

    public Long getLineCount() {
        return longMember("line_count");
    }

    public Long getTotalAmount() {
        return longMember("total_amount");
    }

    public Long getSucceededCount() {
        return longMember("succeeded_count");
    }

    public Long getSucceededAmount() {
        return longMember("succeeded_amount");
    }

    public Long getFailedCount() {
        return longMember("failed_count");
    }

    public Long getFailedAmount() {
        return longMember("failed_amount");
    }

    public String getReason() {
        return stringMember("reason");
    }

    public String getCreatedAt() {
        return stringMember("created_at");
    }

    public String getFinishedAt() {
        return stringMember("finished_at");
    }

    /** Each line as a JSON object. */
    public List<Object> getLines() {
        return listMember("lines");
    }
}
