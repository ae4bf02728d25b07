-- tally_add as PL/pgSQL rather than SQL. A SQL function called from a trigger that PostgreSQL
-- cannot inline is parsed and planned again in every transaction that calls it, and a payment's
-- life calls it about a dozen times; PL/pgSQL keeps the plan of its statement for the session.
-- Same arguments, same effect.
CREATE OR REPLACE FUNCTION tally_add(tally TEXT, delta BIGINT) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tallies (name, shard, n) VALUES (tally, pg_backend_pid(), delta)
    ON CONFLICT (name, shard) DO UPDATE SET n = tallies.n + EXCLUDED.n;
END;
$$;
