package io.txprocessor.transaction;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

/**
 * Turns a record value into a {@link Transaction}, or says precisely why it cannot. A value is exactly one JSON
 * document (whitespace may follow it, nothing else), and its {@code id} and {@code account} are at most
 * {@code transactions.max-id-length} and {@code transactions.max-account-length} bytes of UTF-8.
 *
 * <p>
 * Thread-safe and stateless: called from the connector's thread and the benchmark's; its fields are immutable (an
 * {@link ObjectReader} is) and every call creates its own {@link JsonParser}.
 */
@Singleton
public final class TransactionParser {

    private static final Pattern AMOUNT = Pattern.compile("-?\\d{1,30}(\\.\\d{1,18})?");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    /**
     * Reads one document and leaves the parser after it, so that {@link #rejectTrailingContent} can look at what
     * follows. Trailing-token checking is switched off here in case the application's mapper switched it on: it
     * would report {@code {..}garbage} as not JSON, and this parser names it {@code trailing-content}.
     */
    private final ObjectReader reader;
    private final int maxIdBytes;
    private final int maxAccountBytes;

    public TransactionParser(ObjectMapper mapper, TransactionsConfig config) {
        this.reader = mapper.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        this.maxIdBytes = positive(config.input().maxIdLength(), "transactions.max-id-length");
        this.maxAccountBytes = positive(config.input().maxAccountLength(), "transactions.max-account-length");
    }

    public Transaction parse(byte[] value) throws InvalidTransactionException {
        if (value == null) {
            throw new InvalidTransactionException("null-value", "the record has no value (a tombstone)");
        }
        if (value.length == 0) {
            throw new InvalidTransactionException("empty-value", "the record value is empty");
        }
        JsonNode root = readOneDocument(decodeUtf8(value));
        if (root == null || !root.isObject()) {
            throw new InvalidTransactionException("not-an-object",
                    "the value is JSON but not an object: " + (root == null ? "nothing" : root.getNodeType()));
        }
        String id = requiredText(root, "id");
        requireAtMost(id, "id", maxIdBytes);
        String account = requiredText(root, "account");
        requireAtMost(account, "account", maxAccountBytes);
        String amount = requiredText(root, "amount");
        if (!AMOUNT.matcher(amount).matches()) {
            throw new InvalidTransactionException("invalid-amount", "amount is not a decimal string: " + amount);
        }
        String currency = requiredText(root, "currency");
        if (!CURRENCY.matcher(currency).matches()) {
            throw new InvalidTransactionException("invalid-currency", "currency is not a 3-letter code: " + currency);
        }
        return new Transaction(id, account, new BigDecimal(amount), currency);
    }

    /**
     * The value's one document: a second document, or anything else but whitespace after the first, makes the
     * whole value bad input. Otherwise {@code {..}{..}} would process the first and silently drop the second.
     *
     * @return the document, or null when the value holds only whitespace
     */
    private JsonNode readOneDocument(String json) throws InvalidTransactionException {
        try (JsonParser parser = reader.createParser(json)) {
            JsonNode root;
            try {
                root = reader.readTree(parser);
            } catch (JsonProcessingException e) {
                throw new InvalidTransactionException("not-json", "the value is not JSON: " + e.getOriginalMessage());
            }
            if (root != null) {
                rejectTrailingContent(parser);
            }
            return root;
        } catch (IOException e) {
            // Creating or closing a parser over a String in memory does not do I/O; should it fail anyway, the
            // value is still what we could not read.
            throw new InvalidTransactionException("not-json", "the value could not be read as JSON: " + e);
        }
    }

    private static void rejectTrailingContent(JsonParser parser) throws InvalidTransactionException {
        long documentEnd = parser.currentLocation().getCharOffset();
        String next;
        try {
            // The tokenizer skips whitespace: null here means only whitespace followed, which is fine.
            JsonToken token = parser.nextToken();
            if (token == null) {
                return;
            }
            next = token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY
                    ? "another JSON document"
                    : "a JSON " + token;
        } catch (IOException e) {
            // Not even a token ("{..}garbage", "{..}]"): still content after the document.
            next = "content that is not JSON";
        }
        throw new InvalidTransactionException("trailing-content",
                "the JSON document ends at character " + documentEnd + " and " + next + " follows it");
    }

    private static String decodeUtf8(byte[] value) throws InvalidTransactionException {
        if (isAscii(value)) {
            // Every ASCII byte sequence is valid UTF-8, and the usual value is ASCII: no decoder needed for it.
            return new String(value, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidTransactionException("not-utf8", "the value is not valid UTF-8");
        }
    }

    private static boolean isAscii(byte[] value) {
        for (byte b : value) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static String requiredText(JsonNode root, String field) throws InvalidTransactionException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw new InvalidTransactionException("missing-" + field, "field '" + field + "' is missing");
        }
        if (!node.isTextual()) {
            throw new InvalidTransactionException("invalid-" + field,
                    "field '" + field + "' must be a string, not " + node.getNodeType());
        }
        String text = node.textValue();
        if (text.isBlank()) {
            throw new InvalidTransactionException("invalid-" + field, "field '" + field + "' is empty");
        }
        return text;
    }

    /**
     * Rejects a field longer than {@code maxBytes} bytes of UTF-8. The message gives the length, never the text:
     * it goes into a dead-letter header, and the text may be hundreds of KB.
     */
    private static void requireAtMost(String text, String field, int maxBytes) throws InvalidTransactionException {
        long bytes = utf8Length(text);
        if (bytes > maxBytes) {
            throw new InvalidTransactionException(field + "-too-long",
                    "field '" + field + "' is " + bytes + " bytes of UTF-8, more than the maximum of " + maxBytes);
        }
    }

    /** The length of the text in UTF-8, counted without encoding it. */
    static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static int positive(int value, String property) {
        if (value < 1) {
            throw new IllegalArgumentException(property + " must be at least 1, not " + value);
        }
        return value;
    }
}
