DROP TABLE search_log;
