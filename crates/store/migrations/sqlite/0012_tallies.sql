-- Counts that /metrics reports, kept by the database itself as rows change: a scrape reads a
-- few rows of this table instead of counting whole tables, and no code path that changes a
-- payment, a notification or an anomaly can forget to keep them. SQLite has one writer, so
-- every count is one row (shard 0); PostgreSQL's migration explains its shards.
CREATE TABLE tallies (
    name   TEXT NOT NULL,
    shard  INTEGER NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (name, shard)
);

INSERT INTO tallies (name, shard, n)
    SELECT 'payments.status:' || status, 0, COUNT(*) FROM payments GROUP BY status;
INSERT INTO tallies (name, shard, n)
    SELECT 'payments.watched', 0, COUNT(*) FROM payments WHERE next_query_at IS NOT NULL;
INSERT INTO tallies (name, shard, n)
    SELECT 'outbox.status:' || status, 0, COUNT(*) FROM outbox GROUP BY status;
INSERT INTO tallies (name, shard, n)
    SELECT 'anomalies', 0, COUNT(*) FROM anomalies;

CREATE TRIGGER payments_tally_insert AFTER INSERT ON payments
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES ('payments.status:' || NEW.status, 0, 1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
    INSERT INTO tallies (name, shard, n)
        SELECT 'payments.watched', 0, 1 WHERE NEW.next_query_at IS NOT NULL
        ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER payments_tally_status AFTER UPDATE OF status ON payments
WHEN OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES ('payments.status:' || OLD.status, 0, -1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
    INSERT INTO tallies (name, shard, n) VALUES ('payments.status:' || NEW.status, 0, 1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER payments_tally_watched AFTER UPDATE OF next_query_at ON payments
WHEN (OLD.next_query_at IS NULL) <> (NEW.next_query_at IS NULL)
BEGIN
    INSERT INTO tallies (name, shard, n)
        VALUES ('payments.watched', 0, CASE WHEN NEW.next_query_at IS NULL THEN -1 ELSE 1 END)
        ON CONFLICT (name, shard)
        DO UPDATE SET n = n + CASE WHEN NEW.next_query_at IS NULL THEN -1 ELSE 1 END;
END;

CREATE TRIGGER payments_tally_delete AFTER DELETE ON payments
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES ('payments.status:' || OLD.status, 0, -1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
    INSERT INTO tallies (name, shard, n)
        SELECT 'payments.watched', 0, -1 WHERE OLD.next_query_at IS NOT NULL
        ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;

CREATE TRIGGER outbox_tally_insert AFTER INSERT ON outbox
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES ('outbox.status:' || NEW.status, 0, 1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER outbox_tally_status AFTER UPDATE OF status ON outbox
WHEN OLD.status IS NOT NEW.status
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES ('outbox.status:' || OLD.status, 0, -1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
    INSERT INTO tallies (name, shard, n) VALUES ('outbox.status:' || NEW.status, 0, 1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER outbox_tally_delete AFTER DELETE ON outbox
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES ('outbox.status:' || OLD.status, 0, -1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;

CREATE TRIGGER anomalies_tally_insert AFTER INSERT ON anomalies
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES ('anomalies', 0, 1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER anomalies_tally_delete AFTER DELETE ON anomalies
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES ('anomalies', 0, -1)
        ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;
