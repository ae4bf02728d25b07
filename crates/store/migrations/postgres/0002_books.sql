-- Books: fees, the double-entry ledger, statements, reconciliation, settlement and the audit log.
-- Times are Unix milliseconds, amounts fen, dates YYYY-MM-DD (accounting dates).

-- Fees fixed when the payment is created: ours (charged to the merchant) and the bank's.
ALTER TABLE payments ADD COLUMN fee BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN bank_fee BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channel_accounts ADD COLUMN bank_fee_bps BIGINT NOT NULL DEFAULT 0;
CREATE INDEX payments_accounting_day ON payments (channel_account_id, accounting_date)
    WHERE accounting_date IS NOT NULL;
CREATE INDEX payments_merchant_day ON payments (merchant_id, accounting_date)
    WHERE accounting_date IS NOT NULL;

CREATE TABLE fee_plans (
    merchant_id         TEXT NOT NULL REFERENCES merchants(id),
    channel_account_id  TEXT NOT NULL REFERENCES channel_accounts(id),
    rate_bps            BIGINT NOT NULL,
    min_fen             BIGINT,
    max_fen             BIGINT,
    refund_fee          TEXT NOT NULL,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, channel_account_id)
);

CREATE FUNCTION unipay_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql;

CREATE TABLE journal_entries (
    id               TEXT PRIMARY KEY,
    reason           TEXT NOT NULL,
    cause_id         TEXT NOT NULL,
    accounting_date  TEXT NOT NULL,
    memo             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    UNIQUE (reason, cause_id)
);
CREATE INDEX journal_entries_cause ON journal_entries (cause_id);

CREATE TABLE postings (
    id               BIGSERIAL PRIMARY KEY,
    entry_id         TEXT NOT NULL REFERENCES journal_entries(id),
    account          TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    accounting_date  TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX postings_account ON postings (account, created_at);
CREATE INDEX postings_entry ON postings (entry_id);

CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION unipay_refuse_change();
CREATE TRIGGER postings_immutable BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION unipay_refuse_change();

CREATE TABLE statements (
    id                    TEXT PRIMARY KEY,
    channel_account_id    TEXT NOT NULL REFERENCES channel_accounts(id),
    accounting_date       TEXT NOT NULL,
    version               BIGINT NOT NULL,
    sha256                TEXT NOT NULL,
    gzip                  BIGINT NOT NULL,
    size_bytes            BIGINT NOT NULL,
    columns               TEXT NOT NULL,
    declared_payments     BIGINT NOT NULL,
    declared_payments_fen BIGINT NOT NULL,
    declared_refunds      BIGINT NOT NULL,
    declared_refunds_fen  BIGINT NOT NULL,
    read_payments         BIGINT NOT NULL,
    read_payments_fen     BIGINT NOT NULL,
    read_refunds          BIGINT NOT NULL,
    read_refunds_fen      BIGINT NOT NULL,
    unreadable_lines      BIGINT NOT NULL,
    answer_sha256         TEXT NOT NULL,
    fetched_at            BIGINT NOT NULL,
    UNIQUE (channel_account_id, accounting_date, sha256),
    UNIQUE (channel_account_id, accounting_date, version)
);

CREATE TABLE statement_files (
    statement_id  TEXT PRIMARY KEY REFERENCES statements(id),
    bytes         BYTEA NOT NULL
);

CREATE TABLE statement_unreadable_lines (
    statement_id  TEXT NOT NULL REFERENCES statements(id),
    line_no       BIGINT NOT NULL,
    text          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    PRIMARY KEY (statement_id, line_no)
);

-- The latest reconciliation of each channel account and accounting date.
CREATE TABLE recon_days (
    channel_account_id   TEXT NOT NULL REFERENCES channel_accounts(id),
    accounting_date      TEXT NOT NULL,
    statement_id         TEXT NOT NULL REFERENCES statements(id),
    bank_payments        BIGINT NOT NULL,
    bank_payments_fen    BIGINT NOT NULL,
    bank_refunds         BIGINT NOT NULL,
    bank_refunds_fen     BIGINT NOT NULL,
    bank_fees_fen        BIGINT NOT NULL,
    platform_payments    BIGINT NOT NULL,
    platform_payments_fen BIGINT NOT NULL,
    platform_refunds     BIGINT NOT NULL,
    platform_refunds_fen BIGINT NOT NULL,
    platform_fees_fen    BIGINT NOT NULL,
    matched              BIGINT NOT NULL,
    matched_fen          BIGINT NOT NULL,
    unreadable_lines     BIGINT NOT NULL,
    runs                 BIGINT NOT NULL,
    ran_at               BIGINT NOT NULL,
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
    bank_amount         BIGINT,
    bank_fee            BIGINT,
    bank_serial         TEXT,
    bank_line_no        BIGINT,
    platform_amount     BIGINT,
    platform_fee        BIGINT,
    platform_status     TEXT,
    status              TEXT NOT NULL,
    hold_until          TEXT,
    resolution          TEXT,
    note                TEXT,
    resolved_by         TEXT,
    resolved_at         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (channel_account_id, accounting_date, kind, order_no)
);
CREATE INDEX recon_items_status ON recon_items (status, accounting_date);
CREATE INDEX recon_items_order ON recon_items (channel_account_id, order_no);

CREATE TABLE settlement_batches (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants(id),
    accounting_date  TEXT NOT NULL,
    generation       BIGINT NOT NULL,
    status           TEXT NOT NULL,
    payments         BIGINT NOT NULL,
    payments_fen     BIGINT NOT NULL,
    refunds          BIGINT NOT NULL,
    refunds_fen      BIGINT NOT NULL,
    fees_fen         BIGINT NOT NULL,
    net_fen          BIGINT NOT NULL,
    file_csv         TEXT NOT NULL,
    file_sha256      TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    approved_by      TEXT,
    approved_at      BIGINT,
    paid_by          TEXT,
    paid_at          BIGINT,
    cancelled_by     TEXT,
    cancelled_at     BIGINT,
    UNIQUE (merchant_id, accounting_date, generation)
);

CREATE TABLE settlement_lines (
    batch_id            TEXT NOT NULL REFERENCES settlement_batches(id),
    channel_account_id  TEXT NOT NULL,
    payments            BIGINT NOT NULL,
    payments_fen        BIGINT NOT NULL,
    refunds             BIGINT NOT NULL,
    refunds_fen         BIGINT NOT NULL,
    fees_fen            BIGINT NOT NULL,
    net_fen             BIGINT NOT NULL,
    PRIMARY KEY (batch_id, channel_account_id)
);

-- Who did what, when, from where, and why. Never changed.
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    at           BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    from_address TEXT NOT NULL,
    outcome      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION unipay_refuse_change();
