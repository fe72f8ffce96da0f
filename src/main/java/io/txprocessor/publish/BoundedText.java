package io.txprocessor.publish;

/**
 * Cuts text copied from a failure or from bad input (a handler's exception message, a parser's cause, a reason
 * code) to a bounded size before it goes into a state event or a dead-letter header. Without it a handler whose
 * message is several MB makes an event the broker refuses, and its record can never finish.
 */
final class BoundedText {

    /** The most characters kept, marker included: at most about 3 KB of UTF-8. */
    static final int MAX_CHARS = 1024;

    private BoundedText() {
    }

    /**
     * The text itself when it is at most {@link #MAX_CHARS} characters (or null); otherwise its beginning followed
     * by {@code …(truncated, N chars)}, N being the original length, in {@link #MAX_CHARS} characters in all.
     */
    static String of(String text) {
        if (text == null || text.length() <= MAX_CHARS) {
            return text;
        }
        String marker = "…(truncated, " + text.length() + " chars)";
        int keep = MAX_CHARS - marker.length();
        // Do not keep half of a surrogate pair: the lone half would be encoded as '?'.
        if (Character.isHighSurrogate(text.charAt(keep - 1))) {
            keep--;
        }
        return text.substring(0, keep) + marker;
    }
}
