-- Secrets at rest: an app's secret and a channel account's private key are kept sealed
-- (`v1:<kid>:<base64>`, AES-256-GCM under a key-encryption key held outside the database; see
-- store/src/secrets.rs). SQL cannot seal: rows written before this migration are sealed by
-- `unipay migrate` and `unipay serve` right after it. From here on the database itself refuses
-- a plaintext value, whatever code would write one.

CREATE TRIGGER apps_secret_sealed_insert BEFORE INSERT ON apps
WHEN substr(NEW.secret, 1, 3) <> 'v1:'
BEGIN SELECT RAISE(ABORT, 'apps.secret must be sealed'); END;
CREATE TRIGGER apps_secret_sealed_update BEFORE UPDATE OF secret ON apps
WHEN substr(NEW.secret, 1, 3) <> 'v1:'
BEGIN SELECT RAISE(ABORT, 'apps.secret must be sealed'); END;

CREATE TRIGGER channel_accounts_key_sealed_insert BEFORE INSERT ON channel_accounts
WHEN substr(NEW.private_key_pem, 1, 3) <> 'v1:'
BEGIN SELECT RAISE(ABORT, 'channel_accounts.private_key_pem must be sealed'); END;
CREATE TRIGGER channel_accounts_key_sealed_update BEFORE UPDATE OF private_key_pem ON channel_accounts
WHEN substr(NEW.private_key_pem, 1, 3) <> 'v1:'
BEGIN SELECT RAISE(ABORT, 'channel_accounts.private_key_pem must be sealed'); END;
