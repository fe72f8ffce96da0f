package io.txprocessor.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.ObjectMapper;

class TransactionParserTest {

    private static final String VALID = transaction("tx-1", "acc-1");

    /** With the defaults the service runs with. */
    private final TransactionParser parser = new TransactionParser(new ObjectMapper(),
            TestTransactionsConfig.with(Map.of()));

    @Test
    void readsAWellFormedTransactionAndIgnoresUnknownFields() throws Exception {
        Transaction tx = parser.parse(utf8(
                "{\"id\":\"tx-000123\",\"account\":\"acc-42\",\"amount\":\"125.50\",\"currency\":\"EUR\",\"note\":1}"));

        assertThat(tx).isEqualTo(new Transaction("tx-000123", "acc-42", new BigDecimal("125.50"), "EUR"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "not-json           | {not json",
            "not-an-object      | [1,2,3]",
            "not-an-object      | 42",
            "missing-id         | {\"account\":\"a\",\"amount\":\"1\",\"currency\":\"EUR\"}",
            "invalid-id         | {\"id\":7,\"account\":\"a\",\"amount\":\"1\",\"currency\":\"EUR\"}",
            "invalid-id         | {\"id\":\" \",\"account\":\"a\",\"amount\":\"1\",\"currency\":\"EUR\"}",
            "missing-account    | {\"id\":\"t\",\"amount\":\"1\",\"currency\":\"EUR\"}",
            "invalid-amount     | {\"id\":\"t\",\"account\":\"a\",\"amount\":\"12,5\",\"currency\":\"EUR\"}",
            "invalid-amount     | {\"id\":\"t\",\"account\":\"a\",\"amount\":12.5,\"currency\":\"EUR\"}",
            "invalid-currency   | {\"id\":\"t\",\"account\":\"a\",\"amount\":\"1\",\"currency\":\"euro\"}",
            "missing-currency   | {\"id\":\"t\",\"account\":\"a\",\"amount\":\"1\"}",
    })
    void namesWhatIsWrong(String reason, String value) {
        InvalidTransactionException e = catchThrowableOfType(InvalidTransactionException.class,
                () -> parser.parse(utf8(value)));

        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).isNotBlank();
    }

    @Test
    void rejectsEmptyNullAndNonUtf8Values() {
        assertThat(reason(new byte[0])).isEqualTo("empty-value");
        assertThat(reason(null)).isEqualTo("null-value");
        assertThat(reason(new byte[]{'{', (byte) 0xC3, (byte) 0x28, '}'})).isEqualTo("not-utf8");
    }

    /** One value is one JSON document: anything but whitespace after it is rejected, not silently dropped. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "two documents          | {\"id\":\"t1\",\"account\":\"a\",\"amount\":\"1\",\"currency\":\"EUR\"}{\"id\":\"t2\",\"account\":\"a\",\"amount\":\"2\",\"currency\":\"EUR\"}",
            "document and garbage   | {\"id\":\"t1\",\"account\":\"a\",\"amount\":\"1\",\"currency\":\"EUR\"}garbage",
            "document and a number  | '{\"id\":\"t1\",\"account\":\"a\",\"amount\":\"1\",\"currency\":\"EUR\"} 42'",
            "stray close bracket    | {\"id\":\"t1\",\"account\":\"a\",\"amount\":\"1\",\"currency\":\"EUR\"}]",
            "document and a comment | {\"id\":\"t1\",\"account\":\"a\",\"amount\":\"1\",\"currency\":\"EUR\"}//",
    })
    void rejectsContentAfterTheDocument(String kind, String value) {
        assertThat(reasonFor(value)).isEqualTo("trailing-content");
    }

    @Test
    void acceptsWhitespaceAfterTheDocument() throws Exception {
        Transaction tx = parser.parse(utf8(VALID + " \r\n\t "));

        assertThat(tx.id()).isEqualTo("tx-1");
    }

    @Test
    void acceptsAnIdAndAnAccountOfTheDefaultMaximumLength() throws Exception {
        Transaction tx = parser.parse(utf8(transaction("i".repeat(256), "a".repeat(256))));

        assertThat(tx.id()).hasSize(256);
        assertThat(tx.account()).hasSize(256);
    }

    @Test
    void rejectsAnIdOrAnAccountLongerThanTheDefaultMaximum() {
        assertThat(reasonFor(transaction("i".repeat(257), "acc"))).isEqualTo("id-too-long");
        assertThat(reasonFor(transaction("tx", "a".repeat(257)))).isEqualTo("account-too-long");
    }

    @Test
    void theLengthIsCountedInUtf8Bytes() throws Exception {
        // 128 two-byte characters are 256 bytes: accepted. 86 three-byte characters are 258 bytes, 86 chars.
        assertThat(parser.parse(utf8(transaction("\u00e9".repeat(128), "acc"))).id()).hasSize(128);
        assertThat(reasonFor(transaction("\u20ac".repeat(86), "acc"))).isEqualTo("id-too-long");
        assertThat(reasonFor(transaction("tx", "\u20ac".repeat(86)))).isEqualTo("account-too-long");
    }

    @Test
    void theMaximaAreConfigurable() throws Exception {
        TransactionParser strict = new TransactionParser(new ObjectMapper(), TestTransactionsConfig.with(
                Map.of("transactions.max-id-length", "8", "transactions.max-account-length", "4")));

        assertThat(strict.parse(utf8(transaction("12345678", "abcd")))).extracting(Transaction::id)
                .isEqualTo("12345678");
        assertThat(catchThrowableOfType(InvalidTransactionException.class,
                () -> strict.parse(utf8(transaction("123456789", "abcd")))).reason()).isEqualTo("id-too-long");
        assertThat(catchThrowableOfType(InvalidTransactionException.class,
                () -> strict.parse(utf8(transaction("1", "abcde")))).reason()).isEqualTo("account-too-long");
    }

    @Test
    void aMaximumBelowOneIsRefusedAtStart() {
        assertThatThrownBy(() -> new TransactionParser(new ObjectMapper(),
                TestTransactionsConfig.with(Map.of("transactions.max-id-length", "0"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transactions.max-id-length");
    }

    @Test
    void aHugeIdIsRejectedWithAShortMessageThatDoesNotRepeatIt() {
        InvalidTransactionException e = invalid(transaction("i".repeat(300_000), "acc"));

        assertThat(e.reason()).isEqualTo("id-too-long");
        assertThat(e.getMessage()).hasSizeLessThan(200).contains("300000");
    }

    private static String transaction(String id, String account) {
        return "{\"id\":\"" + id + "\",\"account\":\"" + account + "\",\"amount\":\"1.00\",\"currency\":\"EUR\"}";
    }

    private String reasonFor(String value) {
        return invalid(value).reason();
    }

    /** The exception parsing throws; fails, naming the value (abbreviated), when it parses. */
    private InvalidTransactionException invalid(String value) {
        Throwable thrown = catchThrowable(() -> parser.parse(utf8(value)));
        assertThat(thrown).as("parsing %s", value.length() > 120 ? value.substring(0, 120) + "..." : value)
                .isInstanceOf(InvalidTransactionException.class);
        return (InvalidTransactionException) thrown;
    }

    private String reason(byte[] value) {
        return catchThrowableOfType(InvalidTransactionException.class, () -> parser.parse(value)).reason();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
