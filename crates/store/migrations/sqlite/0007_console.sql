-- The operations console: its users and their server-side sessions.

CREATE TABLE console_users (
    username         TEXT PRIMARY KEY,
    role             TEXT NOT NULL,
    -- argon2id, PHC string.
    password_hash    TEXT NOT NULL,
    -- active | disabled
    status           TEXT NOT NULL,
    -- Failed sign-ins since the last success; reaching the limit locks until locked_until.
    failed_signins   INTEGER NOT NULL DEFAULT 0,
    locked_until     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- Only the SHA-256 of a session's token is kept: a copy of this table signs nobody in.
CREATE TABLE console_sessions (
    token_sha256  TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES console_users(username),
    csrf_token    TEXT NOT NULL,
    from_address  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    -- The absolute end; the idle end is last_seen_at + the configured idle time.
    expires_at    INTEGER NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (username);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- The audit page filters by who and by what, newest first.
CREATE INDEX audit_log_actor_at ON audit_log (actor, at);
CREATE INDEX audit_log_action_at ON audit_log (action, at);

-- The dashboard's last 30 days and the payment search's date range.
CREATE INDEX payments_created_at ON payments (created_at);
