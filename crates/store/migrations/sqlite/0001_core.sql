-- Core payment path. Times are Unix milliseconds (INTEGER), amounts are fen (INTEGER).

CREATE TABLE merchants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE channel_accounts (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT NOT NULL REFERENCES merchants(id),
    channel              TEXT NOT NULL,
    bank_merchant_id     TEXT NOT NULL,
    private_key_pem      TEXT NOT NULL,
    bank_certificate_pem TEXT NOT NULL,
    signature_algorithm  TEXT NOT NULL,
    trx_url              TEXT NOT NULL,
    payment_types        TEXT NOT NULL,
    notify_type          TEXT NOT NULL,
    cutover_hour         INTEGER NOT NULL,
    created_at           INTEGER NOT NULL
);

CREATE TABLE apps (
    id                  TEXT PRIMARY KEY,
    merchant_id         TEXT NOT NULL REFERENCES merchants(id),
    name                TEXT NOT NULL,
    secret              TEXT NOT NULL,
    notify_url          TEXT,
    channel_account_id  TEXT REFERENCES channel_accounts(id),
    status              TEXT NOT NULL,
    created_at          INTEGER NOT NULL
);

CREATE TABLE payments (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    merchant_id         TEXT NOT NULL,
    channel_account_id  TEXT NOT NULL,
    channel             TEXT NOT NULL,
    out_trade_no        TEXT NOT NULL,
    order_no            TEXT NOT NULL,
    amount              INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    subject             TEXT NOT NULL,
    status              TEXT NOT NULL,
    payment_type        TEXT,
    channel_trade_no    TEXT,
    accounting_date     TEXT,
    paid_at             INTEGER,
    return_url          TEXT,
    notify_url          TEXT,
    metadata            TEXT,
    expires_at          INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    version             INTEGER NOT NULL,
    next_query_at       INTEGER,
    query_attempts      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (app_id, out_trade_no),
    UNIQUE (channel_account_id, order_no)
);
CREATE INDEX payments_due_queries ON payments (next_query_at) WHERE next_query_at IS NOT NULL;
CREATE INDEX payments_status ON payments (status);

CREATE TABLE payment_events (
    id          TEXT PRIMARY KEY,
    payment_id  TEXT NOT NULL REFERENCES payments(id),
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    detail      TEXT NOT NULL,
    raw_sha256  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, created_at);

CREATE TABLE bank_messages (
    id                  TEXT PRIMARY KEY,
    channel_account_id  TEXT NOT NULL,
    sha256              TEXT NOT NULL,
    payment_id          TEXT,
    order_no            TEXT,
    source              TEXT NOT NULL,
    verdict             TEXT NOT NULL,
    reason              TEXT NOT NULL,
    raw_masked          TEXT NOT NULL,
    seen_count          INTEGER NOT NULL,
    first_seen_at       INTEGER NOT NULL,
    last_seen_at        INTEGER NOT NULL,
    UNIQUE (channel_account_id, sha256)
);
CREATE INDEX bank_messages_payment ON bank_messages (payment_id);

CREATE TABLE anomalies (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE UNIQUE INDEX anomalies_once ON anomalies (kind, payment_id);

CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL,
    payment_id       TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    url              TEXT NOT NULL,
    body             TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX outbox_payment ON outbox (payment_id);

CREATE TABLE notification_attempts (
    id           TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX notification_attempts_event ON notification_attempts (event_id);

CREATE TABLE idempotency_keys (
    app_id        TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER,
    response_body TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (app_id, key)
);

CREATE TABLE api_nonces (
    app_id      TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (app_id, nonce)
);
CREATE INDEX api_nonces_expiry ON api_nonces (expires_at);
