ALTER TABLE cards DROP COLUMN sync_conflict;
ALTER TABLE cards DROP COLUMN source_rev;
ALTER TABLE cards DROP COLUMN source_hash;
