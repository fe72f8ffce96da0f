-- One row per booked transaction (io.txprocessor.jdbc.JdbcTransactionHandler). The transaction id is the primary
-- key: a second delivery of the same transaction (a redelivery after SIGKILL, the next owner after a hand-off)
-- inserts nothing (INSERT ... ON CONFLICT DO NOTHING).
CREATE TABLE bookings (
    transaction_id TEXT PRIMARY KEY,
    account        TEXT           NOT NULL,
    amount         NUMERIC        NOT NULL,
    currency       TEXT           NOT NULL,
    booked_at      TIMESTAMPTZ    NOT NULL DEFAULT now()
);
