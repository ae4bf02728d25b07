-- K-code payment (no page redirect): the bank texts the consumer a code, the consumer types it
-- in on our side. One row per payment paid this way, beside its payments row. The card and the
-- mobile are kept masked only (card: first 6 + last 4; mobile: first 3 + last 4).
CREATE TABLE kcode_payments (
    payment_id      TEXT PRIMARY KEY REFERENCES payments(id),
    card_masked     TEXT NOT NULL,
    mobile_masked   TEXT NOT NULL,
    -- sending (the bill is on its way) → code_sent | refused (the bank declined the bill) |
    -- unknown (its answer was lost); code_sent → paid | failed (too many wrong codes).
    status          TEXT NOT NULL,
    -- When the code now valid was texted (the bill's or the last resend's).
    code_sent_at    BIGINT,
    -- When a code was last asked for: resends are rate-limited from it.
    last_sent_at    BIGINT,
    resend_count    BIGINT NOT NULL DEFAULT 0,
    wrong_attempts  BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
