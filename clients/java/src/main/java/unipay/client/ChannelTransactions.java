package unipay.client;

import java.util.List;
import java.util.Map;

/** The bank's own record of a channel account's day ({@code GET /v1/channel-transactions}). */
public final class ChannelTransactions extends ApiObject {
    public ChannelTransactions(Map<String, Object> raw) {
        super(raw);
    }

    public String getChannelAccount() {
        return stringMember("channel_account");
    }

    public String getDate() {
        return stringMember("date");
    }

    public Long getStartHour() {
        return longMember("start_hour");
    }

    public Long getEndHour() {
        return longMember("end_hour");
    }

    /** Each record as a JSON object. */
    public List<Object> getRecords() {
        return listMember("records");
    }

    /** The lines of the bank's file that could not be read, with the reason. */
    public List<Object> getUnreadable() {
        return listMember("unreadable");
    }
}
