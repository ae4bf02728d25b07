package unipay.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A JSON object the API answers. The typed subclasses name the documented members; the whole
 * object stays available through {@link #raw()}, so that members a newer server adds are not
 * lost.
 */
public class ApiObject {
    private final Map<String, Object> raw;

    public ApiObject(Map<String, Object> raw) {
        if (raw == null) {
            throw new IllegalArgumentException("an API object needs a JSON object");
        }
        this.raw = Collections.unmodifiableMap(raw);
    }

    /** The whole JSON object, unmodifiable. */
    public Map<String, Object> raw() {
        return raw;
    }

    /** A string member, or null when absent or null. */
    public String stringMember(String name) {
        return member(name, String.class);
    }

    /** An integer member, or null when absent or null. */
    public Long longMember(String name) {
        return member(name, Long.class);
    }

    /** An integer member that the document says is always present. */
    public long requiredLongMember(String name) {
        Long value = longMember(name);
        if (value == null) {
            throw new UnipayException("the answer lacks " + name + ": " + raw);
        }
        return value;
    }

    public Boolean booleanMember(String name) {
        return member(name, Boolean.class);
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> objectMember(String name) {
        return member(name, Map.class);
    }

    @SuppressWarnings("unchecked")
    public List<Object> listMember(String name) {
        return member(name, List.class);
    }

    private <T> T member(String name, Class<T> type) {
        Object value = raw.get(name);
        if (value == null) {
            return null;
        }
        if (!type.isInstance(value)) {
            throw new UnipayException(name + " is not a " + type.getSimpleName() + ": " + value);
        }
        return type.cast(value);
    }

    @SuppressWarnings("unchecked")
    static <T extends ApiObject> List<T> listOf(List<Object> items, Function<Map<String, Object>, T> make) {
        List<T> out = new ArrayList<T>();
        if (items != null) {
            for (Object item : items) {
                if (!(item instanceof Map)) {
                    throw new UnipayException("expected a list of objects: " + items);
                }
                out.add(make.apply((Map<String, Object>) item));
            }
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + Json.write(raw);
    }
}
