package io.txprocessor.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.ObjectMapper;

class TransactionParserTest {

    private final TransactionParser parser = new TransactionParser(new ObjectMapper());

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

    private String reason(byte[] value) {
        return catchThrowableOfType(InvalidTransactionException.class, () -> parser.parse(value)).reason();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
