-- The API keys, by the SHA-256 of each (never the key itself).
CREATE TABLE api_keys (
    hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    tenant uuid NOT NULL
);
