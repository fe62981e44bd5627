DROP TABLE attachment_grants;
DROP INDEX attachments_url_key;
ALTER TABLE attachments DROP COLUMN url_key;
