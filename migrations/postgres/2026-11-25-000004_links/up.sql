-- [[Wiki links]] between cards, by target as written (lower-cased): a card's backlinks are
-- the rows whose target is its slug or its title.
CREATE TABLE card_links (
    card_id BIGINT NOT NULL REFERENCES cards (id),
    target TEXT NOT NULL,
    PRIMARY KEY (card_id, target)
);
CREATE INDEX card_links_target ON card_links (target);
