package io.txprocessor.jdbc;

import java.sql.SQLException;

/**
 * The database refused a booking for good ({@link SqlFailure#PERMANENT}): the transaction is FAILED, with the
 * SQLSTATE and the database's message as the reason.
 */
public final class BookingRefusedException extends Exception {

    private static final long serialVersionUID = 1L;

    BookingRefusedException(SQLException cause) {
        super("database refused the booking (SQLSTATE " + cause.getSQLState() + "): " + cause.getMessage(), cause);
    }
}
