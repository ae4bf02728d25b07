-- Counts that /metrics reports, kept by the database itself as rows change: a scrape reads a
-- few rows of this table instead of counting whole tables, and no code path that changes a
-- payment, a notification or an anomaly can forget to keep them.
--
-- Each connection adds to rows of its own (shard = its backend pid), so concurrent payments
-- never wait on one another for a counter row and can never deadlock over two of them. A
-- scrape sums the shards; shards of connections that have gone are folded into shard 0
-- (`Store::tallies`), so the table stays as small as the set of live connections.
CREATE TABLE tallies (
    name   TEXT NOT NULL,
    shard  INTEGER NOT NULL,
    n      BIGINT NOT NULL,
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

CREATE FUNCTION tally_add(tally TEXT, delta BIGINT) RETURNS VOID LANGUAGE SQL AS $$
    INSERT INTO tallies (name, shard, n) VALUES (tally, pg_backend_pid(), delta)
    ON CONFLICT (name, shard) DO UPDATE SET n = tallies.n + EXCLUDED.n;
$$;

CREATE FUNCTION payments_tally() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_OP = 'DELETE' OR OLD.status IS DISTINCT FROM NEW.status THEN
            PERFORM tally_add('payments.status:' || OLD.status, -1);
        END IF;
        IF OLD.next_query_at IS NOT NULL
           AND (TG_OP = 'DELETE' OR NEW.next_query_at IS NULL) THEN
            PERFORM tally_add('payments.watched', -1);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status THEN
            PERFORM tally_add('payments.status:' || NEW.status, 1);
        END IF;
        IF NEW.next_query_at IS NOT NULL
           AND (TG_OP = 'INSERT' OR OLD.next_query_at IS NULL) THEN
            PERFORM tally_add('payments.watched', 1);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION outbox_tally() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM tally_add('outbox.status:' || OLD.status, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM tally_add('outbox.status:' || NEW.status, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION anomalies_tally() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tally_add('anomalies', CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END);
    RETURN NULL;
END;
$$;

-- The conditions keep the function from running at all for the many updates that change
-- neither count (a payment's next query moved, a notification's next attempt).
CREATE TRIGGER payments_tally_insert_delete AFTER INSERT OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_tally();
CREATE TRIGGER payments_tally_update AFTER UPDATE OF status, next_query_at ON payments
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR (OLD.next_query_at IS NULL) <> (NEW.next_query_at IS NULL))
    EXECUTE FUNCTION payments_tally();
CREATE TRIGGER outbox_tally_insert_delete AFTER INSERT OR DELETE ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_tally();
CREATE TRIGGER outbox_tally_update AFTER UPDATE OF status ON outbox
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION outbox_tally();
CREATE TRIGGER anomalies_tally AFTER INSERT OR DELETE ON anomalies
    FOR EACH ROW EXECUTE FUNCTION anomalies_tally();
