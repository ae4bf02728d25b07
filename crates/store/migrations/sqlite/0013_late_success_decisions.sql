-- A late success (the bank took money for a payment we had closed) waits for an operator's
-- decision: accept it (the payment succeeds and the business system hears
-- `payment.late_succeeded`) or give the money back. The anomaly keeps what the bank reported,
-- so the decision needs no second look at the bank, and who decided, when and how.
ALTER TABLE anomalies ADD COLUMN amount_fen INTEGER;
ALTER TABLE anomalies ADD COLUMN channel_trade_no TEXT;
ALTER TABLE anomalies ADD COLUMN accounting_date TEXT;
ALTER TABLE anomalies ADD COLUMN paid_at INTEGER;
ALTER TABLE anomalies ADD COLUMN resolution TEXT;
ALTER TABLE anomalies ADD COLUMN resolved_by TEXT;
ALTER TABLE anomalies ADD COLUMN resolved_at INTEGER;
ALTER TABLE anomalies ADD COLUMN note TEXT;
