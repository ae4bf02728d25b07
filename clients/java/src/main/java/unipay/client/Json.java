package unipay.client;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader and writer (RFC 8259), so that the library needs nothing outside the JDK.
 *
 * <p>Reading maps objects to {@code Map<String, Object>} (members in document order), arrays
 * to {@code List<Object>}, strings to {@code String}, integers to {@code Long} (an integer
 * outside the i64 range is refused rather than rounded), other numbers to {@code BigDecimal},
 * {@code true}/{@code false} to {@code Boolean} and {@code null} to {@code null}. Anything
 * RFC 8259 does not allow (trailing commas, comments, single quotes, leading zeros, control
 * characters in strings, lone surrogates, duplicate member names, trailing content) is refused.
 */
public final class Json {
    /** Deep enough for any answer of the API, shallow enough that no input exhausts the stack. */
    private static final int MAX_DEPTH = 256;

    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    /** Thrown for text that is not JSON. */
    public static final class ParseException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ParseException(String message, int offset) {
            super(message + " at offset " + offset);
        }
    }

    public static Object parse(String text) {
        Json reader = new Json(text);
        reader.skipWhitespace();
        Object value = reader.readValue(0);
        reader.skipWhitespace();
        if (reader.at != text.length()) {
            throw reader.error("unexpected content after the value");
        }
        return value;
    }

    /** Parses text that must be a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new ParseException("expected a JSON object", 0);
        }
        return (Map<String, Object>) value;
    }

    private ParseException error(String message) {
        return new ParseException(message, at);
    }

    private void skipWhitespace() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    private char peek() {
        if (at >= text.length()) {
            throw error("unexpected end of input");
        }
        return text.charAt(at);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        at++;
    }

    private Object readValue(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        char c = peek();
        switch (c) {
            case '{':
                return readObject(depth);
            case '[':
                return readArray(depth);
            case '"':
                return readString();
            case 't':
                readLiteral("true");
                return Boolean.TRUE;
            case 'f':
                readLiteral("false");
                return Boolean.FALSE;
            case 'n':
                readLiteral("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private void readLiteral(String literal) {
        if (!text.startsWith(literal, at)) {
            throw error("expected " + literal);
        }
        at += literal.length();
    }

    private Map<String, Object> readObject(int depth) {
        expect('{');
        Map<String, Object> object = new LinkedHashMap<String, Object>();
        skipWhitespace();
        if (peek() == '}') {
            at++;
            return object;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a member name");
            }
            int nameAt = at;
            String name = readString();
            if (object.containsKey(name)) {
                throw new ParseException("duplicate member \"" + name + "\"", nameAt);
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            object.put(name, readValue(depth + 1));
            skipWhitespace();
            if (peek() == ',') {
                at++;
                continue;
            }
            expect('}');
            return object;
        }
    }

    private List<Object> readArray(int depth) {
        expect('[');
        List<Object> array = new ArrayList<Object>();
        skipWhitespace();
        if (peek() == ']') {
            at++;
            return array;
        }
        while (true) {
            skipWhitespace();
            array.add(readValue(depth + 1));
            skipWhitespace();
            if (peek() == ',') {
                at++;
                continue;
            }
            expect(']');
            return array;
        }
    }

    private String readString() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = peek();
            at++;
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw new ParseException("control character in a string", at - 1);
            }
            if (c == '\\') {
                readEscape(out);
            } else if (Character.isHighSurrogate(c)) {
                if (at >= text.length() || !Character.isLowSurrogate(text.charAt(at))) {
                    throw error("a lone surrogate");
                }
                out.append(c).append(text.charAt(at++));
            } else if (Character.isLowSurrogate(c)) {
                throw new ParseException("a lone surrogate", at - 1);
            } else {
                out.append(c);
            }
        }
    }

    private void readEscape(StringBuilder out) {
        char c = peek();
        at++;
        switch (c) {
            case '"': out.append('"'); return;
            case '\\': out.append('\\'); return;
            case '/': out.append('/'); return;
            case 'b': out.append('\b'); return;
            case 'f': out.append('\f'); return;
            case 'n': out.append('\n'); return;
            case 'r': out.append('\r'); return;
            case 't': out.append('\t'); return;
            case 'u': break;
            default: throw new ParseException("invalid escape \\" + c, at - 1);
        }
        char unit = readHex4();
        if (Character.isHighSurrogate(unit)) {
            // A character outside the BMP is escaped as a pair; half a pair is not text.
            if (!text.startsWith("\\u", at)) {
                throw error("a high surrogate escape without its low half");
            }
            at += 2;
            char low = readHex4();
            if (!Character.isLowSurrogate(low)) {
                throw error("a high surrogate escape without its low half");
            }
            out.append(unit).append(low);
        } else if (Character.isLowSurrogate(unit)) {
            throw error("a low surrogate escape without its high half");
        } else {
            out.append(unit);
        }
    }

    private char readHex4() {
        if (at + 4 > text.length()) {
            throw error("a \\u escape needs four hex digits");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Signatures.hexDigit(text.charAt(at + i));
            if (digit < 0) {
                throw error("a \\u escape needs four hex digits");
            }
            value = value * 16 + digit;
        }
        at += 4;
        return (char) value;
    }

    private Object readNumber() {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
            if (at < text.length() && isDigit(text.charAt(at))) {
                throw error("a number with a leading zero");
            }
        } else {
            readDigits();
        }
        boolean integer = true;
        if (at < text.length() && text.charAt(at) == '.') {
            integer = false;
            at++;
            readDigits();
        }
        if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
            integer = false;
            at++;
            if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) {
                at++;
            }
            readDigits();
        }
        String literal = text.substring(start, at);
        if (!integer) {
            return new BigDecimal(literal);
        }
        try {
            return Long.valueOf(literal);
        } catch (NumberFormatException outOfRange) {
            throw new ParseException("an integer outside the 64-bit range", start);
        }
    }

    private void readDigits() {
        if (!isDigit(peek())) {
            throw error("expected a digit");
        }
        while (at < text.length() && isDigit(text.charAt(at))) {
            at++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * Writes {@code Map} (string keys), {@code Iterable}, arrays of objects, {@code String},
     * {@code Number} (integers, {@code BigDecimal}; not NaN or infinities), {@code Boolean},
     * {@code null} and {@link ApiObject} as compact JSON. Non-ASCII text is written as is (the
     * body is sent as UTF-8), control characters as escapes.
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out, 0);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH);
        }
        if (value == null) {
            out.append("null");
        } else if (value instanceof String) {
            writeString((String) value, out);
        } else if (value instanceof Boolean) {
            out.append(value.toString());
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte || value instanceof java.math.BigInteger) {
            out.append(value.toString());
        } else if (value instanceof BigDecimal) {
            out.append(((BigDecimal) value).toString());
        } else if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            if (Double.isNaN(number) || Double.isInfinite(number)) {
                throw new IllegalArgumentException("JSON has no NaN or infinity");
            }
            out.append(BigDecimal.valueOf(number).toString());
        } else if (value instanceof ApiObject) {
            write(((ApiObject) value).raw(), out, depth);
        } else if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> member : ((Map<?, ?>) value).entrySet()) {
                if (!(member.getKey() instanceof String)) {
                    throw new IllegalArgumentException("a JSON member name must be a String");
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeString((String) member.getKey(), out);
                out.append(':');
                write(member.getValue(), out, depth + 1);
            }
            out.append('}');
        } else if (value instanceof Iterable || value instanceof Object[]) {
            Iterable<?> items = value instanceof Object[]
                    ? java.util.Arrays.asList((Object[]) value) : (Iterable<?>) value;
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(item, out, depth + 1);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private static void writeString(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    // U+2028 and U+2029 are escaped too, so that the text is also safe in JavaScript.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
