-- The janitor looks for verifications still pending long after their bank call should have
-- ended (a node that died before it): few rows, found without scanning the table.
CREATE INDEX identity_verifications_pending ON identity_verifications (created_at) WHERE status = 'pending';
