-- Mandates (授权支付): the customer signs on the bank's page; the merchant then debits the
-- card without the customer, one payment at a time or in batches. Times are Unix milliseconds,
-- amounts fen, expires_on YYYY-MM-DD (Beijing), the last day debits may be made.
CREATE TABLE mandates (
    id                      TEXT PRIMARY KEY,
    app_id                  TEXT NOT NULL REFERENCES apps(id),
    merchant_id             TEXT NOT NULL,
    channel_account_id      TEXT NOT NULL,
    out_mandate_no          TEXT NOT NULL,
    -- Our number for the signing at the bank (OrderNo of AgentSign), like a payment's order_no.
    sign_request_no         TEXT NOT NULL,
    -- The bank's number for the signed mandate (AgentSignNo): debits name it.
    agent_sign_no           TEXT,
    customer_ref            TEXT NOT NULL,
    card_type               TEXT NOT NULL,
    certificate_type        TEXT NOT NULL,
    -- Personal data: the mask only, and the keyed hash when the server has a key.
    certificate_no_masked   TEXT NOT NULL,
    certificate_no_hash     TEXT,
    card_masked             TEXT,
    expires_on              TEXT NOT NULL,
    max_amount_per_debit    INTEGER,
    -- pending → active | failed; active → cancelled | expired.
    status                  TEXT NOT NULL,
    failure_reason          TEXT,
    sign_url                TEXT,
    notify_url              TEXT,
    return_url              TEXT,
    next_query_at           INTEGER,
    query_attempts          INTEGER NOT NULL DEFAULT 0,
    version                 INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    signed_at               INTEGER,
    ended_at                INTEGER,
    UNIQUE (app_id, out_mandate_no),
    UNIQUE (channel_account_id, sign_request_no)
);
CREATE INDEX mandates_due ON mandates (next_query_at) WHERE next_query_at IS NOT NULL;

-- A mandate's timeline, like payment_events.
CREATE TABLE mandate_events (
    id          TEXT PRIMARY KEY,
    mandate_id  TEXT NOT NULL REFERENCES mandates(id),
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    detail      TEXT NOT NULL,
    raw_sha256  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX mandate_events_mandate ON mandate_events (mandate_id, created_at);

CREATE TABLE debit_batches (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    merchant_id         TEXT NOT NULL,
    channel_account_id  TEXT NOT NULL,
    out_batch_no        TEXT NOT NULL,
    -- Our number for the batch at the bank, fixed at creation so a resend repeats it.
    batch_no            TEXT NOT NULL,
    -- created → submitted (the bank accepted it) → finished (every line final); or rejected.
    status              TEXT NOT NULL,
    line_count          INTEGER NOT NULL,
    total_amount        INTEGER NOT NULL,
    batch_date          TEXT,
    batch_time          TEXT,
    serial_number       TEXT,
    reason              TEXT,
    next_query_at       INTEGER,
    query_attempts      INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    finished_at         INTEGER,
    UNIQUE (app_id, out_batch_no),
    UNIQUE (channel_account_id, batch_no)
);
CREATE INDEX debit_batches_due ON debit_batches (next_query_at) WHERE next_query_at IS NOT NULL;

-- Every payment debited from a mandate, single or a batch line (batch_id, seq_no).
CREATE TABLE mandate_debits (
    payment_id  TEXT PRIMARY KEY REFERENCES payments(id),
    mandate_id  TEXT NOT NULL REFERENCES mandates(id),
    batch_id    TEXT REFERENCES debit_batches(id),
    seq_no      INTEGER,
    -- Why a debit failed (the bank's code and message), for the batch's lines.
    failure_reason TEXT
);
CREATE INDEX mandate_debits_mandate ON mandate_debits (mandate_id);
CREATE UNIQUE INDEX mandate_debits_batch_line ON mandate_debits (batch_id, seq_no)
    WHERE batch_id IS NOT NULL;
