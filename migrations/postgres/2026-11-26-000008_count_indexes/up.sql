-- Pages count cards per collection, list each collection's first cards by title, show
-- the latest revisions and count the person's verification queue on every visit:
-- without these, each read every card or revision (seconds at a million cards).
DROP INDEX cards_collection;
CREATE INDEX cards_collection ON cards (collection_id, archived_at, title, id);
CREATE INDEX cards_verifier ON cards (verifier, archived_at, trusted, due_soon_at, collection_id);
CREATE INDEX card_revisions_created_at ON card_revisions (created_at, id);
