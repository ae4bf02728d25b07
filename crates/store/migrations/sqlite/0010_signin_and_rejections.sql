-- Refused bank messages that name no payment (failed verification) are expired by the pruner
-- by when they were last seen.
CREATE INDEX bank_messages_refused ON bank_messages (verdict, last_seen_at);

-- K-code bills a payment has asked for, refused ones included: a payment link is not a way
-- to try card after card.
ALTER TABLE kcode_payments ADD COLUMN bill_count INTEGER NOT NULL DEFAULT 0;
