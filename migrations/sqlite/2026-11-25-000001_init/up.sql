-- Verity's first schema (SQLite). Kept column for column in step with migrations/postgres.
-- Flags are INTEGER 0/1 and timestamps are UTC, because the same diesel code serves both backends.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    role TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    token_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE collections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    default_verifier TEXT,
    default_verify_every_days INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE cards (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    collection_id INTEGER NOT NULL REFERENCES collections (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    owner TEXT,
    verifier TEXT,
    verify_every_days INTEGER NOT NULL,
    verified_at TIMESTAMP,
    verified_by TEXT,
    verified_rev INTEGER,
    trusted INTEGER NOT NULL DEFAULT 0,
    due_soon_at TIMESTAMP,
    due_at TIMESTAMP,
    head_rev INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL,
    source_path TEXT UNIQUE,
    extra TEXT NOT NULL DEFAULT '{}',
    archived_at TIMESTAMP
);
CREATE INDEX cards_collection ON cards (collection_id);
CREATE INDEX cards_updated_at ON cards (updated_at);
CREATE INDEX cards_due_at ON cards (due_at);

CREATE TABLE card_tags (
    card_id INTEGER NOT NULL REFERENCES cards (id),
    tag TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (card_id, tag)
);
CREATE INDEX card_tags_tag ON card_tags (tag);

CREATE TABLE card_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id INTEGER NOT NULL REFERENCES cards (id),
    rev INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL,
    author TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (card_id, rev)
);

CREATE TABLE verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id INTEGER NOT NULL REFERENCES cards (id),
    rev INTEGER NOT NULL,
    verified_by TEXT NOT NULL,
    verified_at TIMESTAMP NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX verifications_card ON verifications (card_id);

-- The outbox: one row per card mutation, written in the mutation's transaction.
-- The index follows it by `seq`.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id INTEGER NOT NULL REFERENCES cards (id),
    created_at TIMESTAMP NOT NULL
);
