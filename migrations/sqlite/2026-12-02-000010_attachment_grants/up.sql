-- Attachments get an unguessable key for their URLs (/attachments/KEY), and a card only
-- serves an attachment when the person who saved it there could read the attachment then:
-- a grant per (attachment, card). Writing `/attachments/1` into a card grants nothing.
ALTER TABLE attachments ADD COLUMN url_key TEXT;
UPDATE attachments SET url_key = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX attachments_url_key ON attachments (url_key);

CREATE TABLE attachment_grants (
    attachment_id INTEGER NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    card_id INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
    PRIMARY KEY (attachment_id, card_id)
);
CREATE INDEX attachment_grants_card ON attachment_grants (card_id);

-- Attachments already shown by cards keep being served through the cards their uploader
-- wrote them into (a revision of the card by the uploader); links anyone else wrote grant
-- nothing until someone who may read the attachment saves the card.
INSERT INTO attachment_grants (attachment_id, card_id)
SELECT DISTINCT a.id, l.card_id
FROM card_links l
JOIN attachments a ON l.target = '/attachments/' || a.id
WHERE EXISTS (SELECT 1 FROM card_revisions r WHERE r.card_id = l.card_id AND r.author = a.uploaded_by);
