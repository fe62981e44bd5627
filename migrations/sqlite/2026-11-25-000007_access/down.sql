DROP TABLE revoked_sessions;
DROP TABLE api_tokens;
DROP TABLE collection_access;
