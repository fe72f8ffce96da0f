package io.txprocessor.ledger;

import java.math.BigDecimal;

import io.txprocessor.transaction.Transaction;

/**
 * The body of a {@code POST /entries}: the transaction as the ledger books it. The amount is sent as a JSON
 * number with exactly the digits of the input.
 *
 * @param id
 *            transaction id (also sent as the {@code Idempotency-Key} header)
 * @param account
 *            the account booked
 * @param amount
 *            the amount
 * @param currency
 *            ISO 4217 code
 */
public record LedgerEntry(String id, String account, BigDecimal amount, String currency) {

    static LedgerEntry of(Transaction transaction) {
        return new LedgerEntry(transaction.id(), transaction.account(), transaction.amount(),
                transaction.currency());
    }
}
