DROP INDEX card_revisions_created_at;
DROP INDEX cards_verifier;
DROP INDEX cards_collection;
CREATE INDEX cards_collection ON cards (collection_id);
