package io.txprocessor.transaction;

import java.math.BigDecimal;

/**
 * One transaction as read from the input topic.
 *
 * @param id
 *            transaction id, also the idempotency key handed to the
 *            {@link TransactionHandler}
 * @param account
 *            account id, the ordering key
 * @param amount
 *            the amount, exactly as given
 * @param currency
 *            ISO 4217 three-letter code
 */
public record Transaction(String id, String account, BigDecimal amount, String currency) {
}
