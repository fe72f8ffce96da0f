package io.txprocessor.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SqlFailureTest {

    @ParameterizedTest(name = "SQLSTATE {0} is {1}")
    @CsvSource({
            "08001, TRANSIENT", // connection refused
            "08006, TRANSIENT", // connection failure
            "57014, TRANSIENT", // query cancelled: the statement timeout
            "57P01, TRANSIENT", // admin shutdown
            "57P03, TRANSIENT", // cannot connect now (starting up)
            "40001, TRANSIENT", // serialization failure
            "40P01, TRANSIENT", // deadlock
            "53300, TRANSIENT", // too many connections
            "55P03, TRANSIENT", // lock not available
            "22003, PERMANENT", // numeric value out of range
            "23502, PERMANENT", // not null violation
            "42P01, PERMANENT", // undefined table
            "55000, PERMANENT", // object not in prerequisite state
    })
    void theSqlStateClassDecides(String state, SqlFailure expected) {
        assertThat(SqlFailure.of(new SQLException("x", state))).isEqualTo(expected);
    }

    @Test
    void noSqlStateIsThePoolWithoutAConnectionAndTransient() {
        assertThat(SqlFailure.of(new SQLException("Sorry, acquisition timeout!"))).isEqualTo(SqlFailure.TRANSIENT);
    }

    @Test
    void whatJdbcCallsTransientIsTransientWhateverItsState() {
        assertThat(SqlFailure.of(new SQLTransientConnectionException("x", "22003"))).isEqualTo(SqlFailure.TRANSIENT);
    }

    @Test
    void theBackoffDoublesUpToItsMaximum() {
        Duration base = Duration.ofMillis(200);
        Duration max = Duration.ofSeconds(5);
        assertThat(SqlFailure.backoff(base, max, 2)).isEqualTo(Duration.ofMillis(200));
        assertThat(SqlFailure.backoff(base, max, 3)).isEqualTo(Duration.ofMillis(400));
        assertThat(SqlFailure.backoff(base, max, 6)).isEqualTo(Duration.ofMillis(3200));
        assertThat(SqlFailure.backoff(base, max, 7)).isEqualTo(max);
        assertThat(SqlFailure.backoff(base, max, 1000)).isEqualTo(max);
    }

    @Test
    void onlyTheJdbcHandlerActivatesTheDatasource() {
        assertThat(DatasourceActivation.isJdbc("jdbc")).isTrue();
        assertThat(DatasourceActivation.isJdbc(" JDBC ")).isTrue();
        assertThat(DatasourceActivation.isJdbc("simulated")).isFalse();
        assertThat(DatasourceActivation.isJdbc("ledger")).isFalse();
        assertThat(DatasourceActivation.isJdbc(null)).isFalse();
    }
}
