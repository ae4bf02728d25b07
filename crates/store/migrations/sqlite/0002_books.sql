-- Books: fees, the double-entry ledger, statements, reconciliation, settlement and the audit log.
-- Times are Unix milliseconds, amounts fen, dates YYYY-MM-DD (accounting dates).

-- Fees fixed when the payment is created: ours (charged to the merchant) and the bank's.
ALTER TABLE payments ADD COLUMN fee INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN bank_fee INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channel_accounts ADD COLUMN bank_fee_bps INTEGER NOT NULL DEFAULT 0;
CREATE INDEX payments_accounting_day ON payments (channel_account_id, accounting_date)
    WHERE accounting_date IS NOT NULL;
CREATE INDEX payments_merchant_day ON payments (merchant_id, accounting_date)
    WHERE accounting_date IS NOT NULL;

CREATE TABLE fee_plans (
    merchant_id         TEXT NOT NULL REFERENCES merchants(id),
    channel_account_id  TEXT NOT NULL REFERENCES channel_accounts(id),
    rate_bps            INTEGER NOT NULL,
    min_fen             INTEGER,
    max_fen             INTEGER,
    refund_fee          TEXT NOT NULL,
    updated_at          INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, channel_account_id)
);

CREATE TABLE journal_entries (
    id               TEXT PRIMARY KEY,
    reason           TEXT NOT NULL,
    cause_id         TEXT NOT NULL,
    accounting_date  TEXT NOT NULL,
    memo             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (reason, cause_id)
);
CREATE INDEX journal_entries_cause ON journal_entries (cause_id);

CREATE TABLE postings (
    id               INTEGER PRIMARY KEY,
    entry_id         TEXT NOT NULL REFERENCES journal_entries(id),
    account          TEXT NOT NULL,
    amount           INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    accounting_date  TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX postings_account ON postings (account, created_at);
CREATE INDEX postings_entry ON postings (entry_id);

CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal entries are immutable'); END;
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are immutable'); END;
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are immutable'); END;

CREATE TABLE statements (
    id                    TEXT PRIMARY KEY,
    channel_account_id    TEXT NOT NULL REFERENCES channel_accounts(id),
    accounting_date       TEXT NOT NULL,
    version               INTEGER NOT NULL,
    sha256                TEXT NOT NULL,
    gzip                  INTEGER NOT NULL,
    size_bytes            INTEGER NOT NULL,
    columns               TEXT NOT NULL,
    declared_payments     INTEGER NOT NULL,
    declared_payments_fen INTEGER NOT NULL,
    declared_refunds      INTEGER NOT NULL,
    declared_refunds_fen  INTEGER NOT NULL,
    read_payments         INTEGER NOT NULL,
    read_payments_fen     INTEGER NOT NULL,
    read_refunds          INTEGER NOT NULL,
    read_refunds_fen      INTEGER NOT NULL,
    unreadable_lines      INTEGER NOT NULL,
    answer_sha256         TEXT NOT NULL,
    fetched_at            INTEGER NOT NULL,
    UNIQUE (channel_account_id, accounting_date, sha256),
    UNIQUE (channel_account_id, accounting_date, version)
);

CREATE TABLE statement_files (
    statement_id  TEXT PRIMARY KEY REFERENCES statements(id),
    bytes         BLOB NOT NULL
);

CREATE TABLE statement_unreadable_lines (
    statement_id  TEXT NOT NULL REFERENCES statements(id),
    line_no       INTEGER NOT NULL,
    text          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    PRIMARY KEY (statement_id, line_no)
);

-- The latest reconciliation of each channel account and accounting date.
CREATE TABLE recon_days (
    channel_account_id   TEXT NOT NULL REFERENCES channel_accounts(id),
    accounting_date      TEXT NOT NULL,
    statement_id         TEXT NOT NULL REFERENCES statements(id),
    bank_payments        INTEGER NOT NULL,
    bank_payments_fen    INTEGER NOT NULL,
    bank_refunds         INTEGER NOT NULL,
    bank_refunds_fen     INTEGER NOT NULL,
    bank_fees_fen        INTEGER NOT NULL,
    platform_payments    INTEGER NOT NULL,
    platform_payments_fen INTEGER NOT NULL,
    platform_refunds     INTEGER NOT NULL,
    platform_refunds_fen INTEGER NOT NULL,
    platform_fees_fen    INTEGER NOT NULL,
    matched              INTEGER NOT NULL,
    matched_fen          INTEGER NOT NULL,
    unreadable_lines     INTEGER NOT NULL,
    runs                 INTEGER NOT NULL,
    ran_at               INTEGER NOT NULL,
    PRIMARY KEY (channel_account_id, accounting_date)
);

CREATE TABLE recon_items (
    id                  TEXT PRIMARY KEY,
    channel_account_id  TEXT NOT NULL REFERENCES channel_accounts(id),
    accounting_date     TEXT NOT NULL,
    class               TEXT NOT NULL,
    kind                TEXT NOT NULL,
    order_no            TEXT NOT NULL,
    payment_id          TEXT,
    bank_amount         INTEGER,
    bank_fee            INTEGER,
    bank_serial         TEXT,
    bank_line_no        INTEGER,
    platform_amount     INTEGER,
    platform_fee        INTEGER,
    platform_status     TEXT,
    status              TEXT NOT NULL,
    hold_until          TEXT,
    resolution          TEXT,
    note                TEXT,
    resolved_by         TEXT,
    resolved_at         INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (channel_account_id, accounting_date, kind, order_no)
);
CREATE INDEX recon_items_status ON recon_items (status, accounting_date);
CREATE INDEX recon_items_order ON recon_items (channel_account_id, order_no);

CREATE TABLE settlement_batches (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants(id),
    accounting_date  TEXT NOT NULL,
    generation       INTEGER NOT NULL,
    status           TEXT NOT NULL,
    payments         INTEGER NOT NULL,
    payments_fen     INTEGER NOT NULL,
    refunds          INTEGER NOT NULL,
    refunds_fen      INTEGER NOT NULL,
    fees_fen         INTEGER NOT NULL,
    net_fen          INTEGER NOT NULL,
    file_csv         TEXT NOT NULL,
    file_sha256      TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    approved_by      TEXT,
    approved_at      INTEGER,
    paid_by          TEXT,
    paid_at          INTEGER,
    cancelled_by     TEXT,
    cancelled_at     INTEGER,
    UNIQUE (merchant_id, accounting_date, generation)
);

CREATE TABLE settlement_lines (
    batch_id            TEXT NOT NULL REFERENCES settlement_batches(id),
    channel_account_id  TEXT NOT NULL,
    payments            INTEGER NOT NULL,
    payments_fen        INTEGER NOT NULL,
    refunds             INTEGER NOT NULL,
    refunds_fen         INTEGER NOT NULL,
    fees_fen            INTEGER NOT NULL,
    net_fen             INTEGER NOT NULL,
    PRIMARY KEY (batch_id, channel_account_id)
);

-- Who did what, when, from where, and why. Never changed.
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    from_address TEXT NOT NULL,
    outcome      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
