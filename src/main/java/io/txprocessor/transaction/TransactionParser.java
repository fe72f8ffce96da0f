package io.txprocessor.transaction;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Turns a record value into a {@link Transaction}, or says precisely why it
 * cannot. Thread-safe and stateless.
 */
@Singleton
public final class TransactionParser {

    private static final Pattern AMOUNT = Pattern.compile("-?\\d{1,30}(\\.\\d{1,18})?");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    private final ObjectMapper mapper;

    public TransactionParser(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public Transaction parse(byte[] value) throws InvalidTransactionException {
        if (value == null) {
            throw new InvalidTransactionException("null-value", "the record has no value (a tombstone)");
        }
        if (value.length == 0) {
            throw new InvalidTransactionException("empty-value", "the record value is empty");
        }
        String json = decodeUtf8(value);
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidTransactionException("not-json", "the value is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidTransactionException("not-an-object",
                    "the value is JSON but not an object: " + (root == null ? "nothing" : root.getNodeType()));
        }
        String id = requiredText(root, "id");
        String account = requiredText(root, "account");
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

    private static String decodeUtf8(byte[] value) throws InvalidTransactionException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidTransactionException("not-utf8", "the value is not valid UTF-8");
        }
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
}
