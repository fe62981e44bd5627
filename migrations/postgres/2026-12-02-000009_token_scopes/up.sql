-- What a personal API token may do (read: GET only; write: also cards, verifications,
-- notifications and attachments; admin: everything its owner may do but minting tokens
-- and changing passwords) and when it stops working. Tokens made before scopes existed
-- could do everything, so they become `admin`: existing scripts keep working.
ALTER TABLE api_tokens
    ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin' CHECK (scope IN ('read', 'write', 'admin')),
    ADD COLUMN expires_at TIMESTAMP;
-- The scheduled round deletes revoked sessions past their expiry.
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);
