-- complaints owns residents' requests. Personal data lives in its own table
-- and never leaves this database.

CREATE TABLE complaints (
    id             UUID PRIMARY KEY,
    kind           TEXT NOT NULL,
    category       TEXT NOT NULL,
    channel        TEXT NOT NULL,
    building_id    UUID,
    grid_id        UUID,
    community_id   UUID,
    description    TEXT NOT NULL,
    status         TEXT NOT NULL,
    incident_id    UUID,
    correlation_id UUID NOT NULL,
    reply          TEXT NOT NULL DEFAULT '',
    satisfaction   TEXT,
    rating_comment TEXT NOT NULL DEFAULT '',
    enterprise_id  UUID,
    workers        INTEGER NOT NULL DEFAULT 0,
    filed_at       TIMESTAMPTZ NOT NULL,
    deadline       TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE INDEX complaints_building ON complaints (building_id, filed_at DESC);
CREATE INDEX complaints_status ON complaints (status, filed_at DESC);

CREATE TABLE complaint_residents (
    complaint_id UUID PRIMARY KEY REFERENCES complaints (id),
    name         TEXT,
    phone        TEXT
);

-- Read model of governance-grid's map, kept from its events.
CREATE TABLE known_grids (
    grid_id      UUID PRIMARY KEY,
    community_id UUID NOT NULL
);

CREATE TABLE known_buildings (
    building_id UUID PRIMARY KEY,
    grid_id     UUID NOT NULL
);
