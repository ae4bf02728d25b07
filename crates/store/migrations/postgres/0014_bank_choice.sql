-- Whether the consumer chooses the bank at the cashier: `fixed` (named at creation, or the app
-- may use one channel account only), `open` (not chosen yet: the row holds the app's first
-- account), `chosen` (the consumer chose; switchable until the bank has the order).
ALTER TABLE payments ADD COLUMN bank_choice TEXT NOT NULL DEFAULT 'fixed';
