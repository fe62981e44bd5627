-- Uploaded images and files, stored in the database so every server process serves them.
-- The bytes are base64 text: the one column type both backends share through diesel's
-- MultiConnection.
CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_sha ON attachments (sha256);
