-- What people search for, how many cards they found and which one they opened: the
-- knowledge gaps to write cards for. Rows older than the retention period are deleted.
CREATE TABLE search_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    query TEXT NOT NULL,
    results INTEGER NOT NULL,
    clicked_slug TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX search_log_created ON search_log (created_at);
