-- The key page tokens are sealed with (platform::page): one per database,
-- made by the first replica to start, shared by all.
CREATE TABLE page_token_key (
    id  int PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL CHECK (length(key) = 32)
);
