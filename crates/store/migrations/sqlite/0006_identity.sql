-- Identity verification (身份验证). Personal data is never kept in plain text: each value has its
-- mask (card first 6 + last 4; ID and mobile first 3 + last 4; a name's first character) and a
-- keyed hash (HMAC-SHA256 under the server's privacy key, lowercase hex) by which a repeat is
-- recognised. Times are Unix milliseconds.
CREATE TABLE identity_verifications (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    merchant_id         TEXT NOT NULL,
    channel_account_id  TEXT NOT NULL,
    out_verify_no       TEXT NOT NULL,
    -- Our number for the verification at the bank (OrderNo).
    verify_no           TEXT NOT NULL,
    -- redirect | direct
    mode                TEXT NOT NULL,
    -- person | company
    customer_type       TEXT NOT NULL,
    certificate_type    TEXT NOT NULL,
    name_masked         TEXT NOT NULL,
    name_hash           TEXT NOT NULL,
    certificate_masked  TEXT NOT NULL,
    certificate_hash    TEXT NOT NULL,
    card_masked         TEXT NOT NULL,
    card_hash           TEXT NOT NULL,
    mobile_masked       TEXT,
    mobile_hash         TEXT,
    -- pending → matched | not_matched | failed; a final status never changes.
    status              TEXT NOT NULL,
    -- The bank's code and reason for not_matched and failed.
    reason_code         TEXT,
    reason              TEXT,
    verify_url          TEXT,
    notify_url          TEXT,
    return_url          TEXT,
    -- The app's latest earlier verification of the same document (same type and hash).
    repeat_of           TEXT,
    version             INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    finished_at         INTEGER,
    UNIQUE (app_id, out_verify_no),
    UNIQUE (channel_account_id, verify_no)
);
CREATE INDEX identity_verifications_certificate ON identity_verifications (app_id, certificate_hash, created_at);
CREATE INDEX identity_verifications_card ON identity_verifications (app_id, card_hash, created_at);
