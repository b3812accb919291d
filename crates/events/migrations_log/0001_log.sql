-- The PostgreSQL log transport: the broker of a one-node dualnet. It lives
-- in a database of its own; services never share tables through it.

CREATE TABLE log_topics (
    name        TEXT PRIMARY KEY,
    -- The offset the next appended record gets. Appenders lock this row, so
    -- records become visible in offset order (commit order = read order).
    next_offset BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE log_records (
    topic       TEXT   NOT NULL REFERENCES log_topics (name),
    "offset"    BIGINT NOT NULL,
    key         TEXT   NOT NULL,
    header_names  TEXT[]  NOT NULL,
    header_values BYTEA  NOT NULL, -- length-prefixed values, in name order
    payload     BYTEA  NOT NULL,
    appended_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, "offset")
);

CREATE TABLE log_cursors (
    group_name  TEXT   NOT NULL,
    topic       TEXT   NOT NULL REFERENCES log_topics (name),
    -- The next offset the group reads (Kafka's committed-offset meaning).
    next_offset BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_name, topic)
);
