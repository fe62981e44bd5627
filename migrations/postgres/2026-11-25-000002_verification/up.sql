-- Groups of experts, requests for verification, reminders and their deliveries,
-- and daily knowledge-health snapshots.

CREATE TABLE groups (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES groups (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE verification_requests (
    id BIGSERIAL PRIMARY KEY,
    card_id BIGINT NOT NULL REFERENCES cards (id),
    requested_by TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by TEXT,
    -- 'verified' or 'answered'
    resolution TEXT,
    answer TEXT
);
CREATE INDEX verification_requests_card ON verification_requests (card_id);

-- One row per (card, due instant, person) reminded: what makes reminders idempotent.
CREATE TABLE reminders_sent (
    card_id BIGINT NOT NULL REFERENCES cards (id),
    due_at TIMESTAMP NOT NULL,
    username TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (card_id, due_at, username)
);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (username);

-- The outgoing webhook's outbox, retried with backoff.
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    failed_at TIMESTAMP,
    last_error TEXT
);

CREATE TABLE health_snapshots (
    day TEXT PRIMARY KEY,
    total INTEGER NOT NULL,
    verified INTEGER NOT NULL,
    due_soon INTEGER NOT NULL,
    stale INTEGER NOT NULL,
    unverified INTEGER NOT NULL
);
