DROP TABLE changes;
DROP TABLE verifications;
DROP TABLE card_revisions;
DROP TABLE card_tags;
DROP TABLE cards;
DROP TABLE collections;
DROP TABLE users;
