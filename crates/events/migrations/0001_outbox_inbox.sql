-- Event pipeline tables, in every service's own database.

-- Transactional outbox: rows are written in the same transaction as the
-- state change they announce, and published by the relay.
CREATE TABLE event_outbox (
    seq            BIGSERIAL PRIMARY KEY,
    topic          TEXT        NOT NULL,
    record_key     TEXT        NOT NULL,
    event_id       UUID        NOT NULL UNIQUE,
    event_type     TEXT        NOT NULL,
    source         TEXT        NOT NULL,
    event_time     TIMESTAMPTZ NOT NULL,
    correlation_id UUID        NOT NULL,
    causation_id   UUID,
    traceparent    TEXT,
    tracestate     TEXT,
    payload        BYTEA       NOT NULL,
    published_at   TIMESTAMPTZ
);

CREATE INDEX event_outbox_unsent ON event_outbox (seq) WHERE published_at IS NULL;

-- Inbox: one row per event a consumer applied, written in the same
-- transaction as the effect, so a redelivered event is applied once.
CREATE TABLE event_inbox (
    consumer   TEXT        NOT NULL,
    event_id   UUID        NOT NULL,
    event_type TEXT        NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
