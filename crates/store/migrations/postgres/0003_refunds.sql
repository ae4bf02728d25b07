-- Refunds (single and in batches) and pre-authorization. Times are Unix milliseconds (BIGINT),
-- amounts fen (BIGINT), dates YYYY-MM-DD (accounting dates).

-- Pre-authorization: `manual` payments are authorized first and captured (or cancelled) later.
-- `amount` stays the authorized amount; `captured_amount` is what the capture took.
ALTER TABLE payments ADD COLUMN capture TEXT NOT NULL DEFAULT 'immediate';
ALTER TABLE payments ADD COLUMN captured_amount BIGINT;
-- Refunds that succeeded, and refunds still pending (their amounts reserved): a new refund may
-- take at most the refundable base less both. The payment's status stays `succeeded`.
ALTER TABLE payments ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN refund_reserved BIGINT NOT NULL DEFAULT 0;
-- The transaction flow pages an app's payments and refunds by (created_at, id).
CREATE INDEX payments_app_created ON payments (app_id, created_at, id);

CREATE TABLE refund_batches (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    merchant_id         TEXT NOT NULL,
    channel_account_id  TEXT NOT NULL,
    out_batch_no        TEXT NOT NULL,
    -- Our number for the batch at the bank (BatchNo), fixed at creation so a resend repeats it.
    batch_no            TEXT NOT NULL,
    -- created → submitted (the bank accepted it) → finished (every line final); or rejected
    -- (the bank refused the whole batch: every line failed).
    status              TEXT NOT NULL,
    line_count          BIGINT NOT NULL,
    total_amount        BIGINT NOT NULL,
    succeeded_count     BIGINT NOT NULL DEFAULT 0,
    succeeded_amount    BIGINT NOT NULL DEFAULT 0,
    failed_count        BIGINT NOT NULL DEFAULT 0,
    failed_amount       BIGINT NOT NULL DEFAULT 0,
    -- As the bank's acceptance names the batch: what its queries must repeat.
    batch_date          TEXT,
    batch_time          TEXT,
    serial_number       TEXT,
    reason              TEXT,
    next_query_at       BIGINT,
    query_attempts      BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    submitted_at        BIGINT,
    finished_at         BIGINT,
    UNIQUE (app_id, out_batch_no),
    UNIQUE (channel_account_id, batch_no)
);
CREATE INDEX refund_batches_due ON refund_batches (next_query_at) WHERE next_query_at IS NOT NULL;

CREATE TABLE refunds (
    id                  TEXT PRIMARY KEY,
    payment_id          TEXT NOT NULL REFERENCES payments(id),
    app_id              TEXT NOT NULL,
    merchant_id         TEXT NOT NULL,
    channel_account_id  TEXT NOT NULL,
    out_refund_no       TEXT NOT NULL,
    -- The refund's own number at the bank (NewOrderNo), like a payment's order_no.
    refund_no           TEXT NOT NULL,
    amount              BIGINT NOT NULL,
    -- The share of the payment's fee this refund returns, fixed at creation by the fee plan.
    fee_returned        BIGINT NOT NULL,
    currency            TEXT NOT NULL,
    reason              TEXT,
    status              TEXT NOT NULL,
    channel_refund_no   TEXT,
    accounting_date     TEXT,
    failure_reason      TEXT,
    batch_id            TEXT REFERENCES refund_batches(id),
    notify_url          TEXT,
    next_query_at       BIGINT,
    query_attempts      BIGINT NOT NULL DEFAULT 0,
    version             BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    finished_at         BIGINT,
    UNIQUE (app_id, out_refund_no),
    UNIQUE (channel_account_id, refund_no)
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at);
CREATE INDEX refunds_due ON refunds (next_query_at) WHERE next_query_at IS NOT NULL;
CREATE INDEX refunds_app_created ON refunds (app_id, created_at, id);
CREATE INDEX refunds_accounting_day ON refunds (channel_account_id, accounting_date)
    WHERE accounting_date IS NOT NULL;
CREATE INDEX refunds_merchant_day ON refunds (merchant_id, accounting_date)
    WHERE accounting_date IS NOT NULL;
CREATE INDEX refunds_batch ON refunds (batch_id) WHERE batch_id IS NOT NULL;

-- A batch's lines in the order given (the bank's SeqNo); each line is a refund, which holds
-- everything else about it (amount, numbers, status).
CREATE TABLE refund_batch_lines (
    batch_id    TEXT NOT NULL REFERENCES refund_batches(id),
    seq_no      BIGINT NOT NULL,
    refund_id   TEXT NOT NULL REFERENCES refunds(id),
    PRIMARY KEY (batch_id, seq_no)
);
