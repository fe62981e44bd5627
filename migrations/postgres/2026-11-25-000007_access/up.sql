-- Who may see and change a collection. A collection without rules is open to every
-- signed-in user; with rules, only the listed users and groups see it, at their level
-- (read < write < verify < manage). Each rule names a user or a group, never both.
CREATE TABLE collection_access (
    id BIGSERIAL PRIMARY KEY,
    collection_id BIGINT NOT NULL REFERENCES collections (id),
    user_id BIGINT REFERENCES users (id),
    group_id BIGINT REFERENCES groups (id),
    level TEXT NOT NULL
);
CREATE INDEX collection_access_collection ON collection_access (collection_id);

-- Personal API tokens for scripts. Only a SHA-256 of the token is kept; the token itself
-- is shown once, when it is made.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Sessions signed out one by one (the token's id until it would have expired anyway).
-- Signing out everywhere bumps users.token_version instead.
CREATE TABLE revoked_sessions (
    jti TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
