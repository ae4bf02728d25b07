-- The bank takes no request over 8,000 bytes, so a batch of ours (refunds or debits, up to
-- 10,000 lines) goes to the bank as consecutive parts, each a bank batch of its own with its
-- own number. The parts are fixed before the first is sent, so that a resend repeats the same
-- part under the same number; each part's acceptance or refusal is kept apart, so that the
-- refusal or loss of one loses none of the others.
CREATE TABLE bank_batch_parts (
    -- refund_batches.id or debit_batches.id
    batch_id        TEXT NOT NULL,
    part_no         INTEGER NOT NULL,
    bank_batch_no   TEXT NOT NULL,
    -- The part holds the batch's lines first_seq..=last_seq.
    first_seq       INTEGER NOT NULL,
    last_seq        INTEGER NOT NULL,
    -- created → accepted | rejected
    status          TEXT NOT NULL,
    serial_number   TEXT,
    batch_date      TEXT,
    batch_time      TEXT,
    reason          TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (batch_id, part_no)
);
