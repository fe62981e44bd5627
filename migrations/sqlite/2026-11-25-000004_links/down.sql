DROP TABLE card_links;
