-- Secrets at rest: an app's secret and a channel account's private key are kept sealed
-- (`v1:<kid>:<base64>`, AES-256-GCM under a key-encryption key held outside the database; see
-- store/src/secrets.rs). SQL cannot seal: rows written before this migration are sealed by
-- `unipay migrate` and `unipay serve` right after it. From here on the database itself refuses
-- a plaintext value, whatever code would write one: NOT VALID checks every row inserted or
-- updated, and leaves the rows already there to the sealing pass.

ALTER TABLE apps ADD CONSTRAINT apps_secret_sealed
    CHECK (substr(secret, 1, 3) = 'v1:') NOT VALID;
ALTER TABLE channel_accounts ADD CONSTRAINT channel_accounts_key_sealed
    CHECK (substr(private_key_pem, 1, 3) = 'v1:') NOT VALID;
