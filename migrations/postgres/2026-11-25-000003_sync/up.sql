-- The content folder as a two-way source: what each card's file held when last synced.
ALTER TABLE cards ADD COLUMN source_hash TEXT;
ALTER TABLE cards ADD COLUMN source_rev INTEGER;
ALTER TABLE cards ADD COLUMN sync_conflict INTEGER NOT NULL DEFAULT 0;
