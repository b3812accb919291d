-- governance-grid owns the map and the incidents on it.

CREATE TABLE subdistricts (
    id         UUID PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE communities (
    id             UUID PRIMARY KEY,
    subdistrict_id UUID NOT NULL REFERENCES subdistricts (id),
    code           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE grids (
    id           UUID PRIMARY KEY,
    community_id UUID NOT NULL REFERENCES communities (id),
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE buildings (
    id         UUID PRIMARY KEY,
    grid_id    UUID NOT NULL REFERENCES grids (id),
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE incidents (
    id             UUID PRIMARY KEY,
    grid_id        UUID REFERENCES grids (id),
    building_id    UUID REFERENCES buildings (id),
    community_id   UUID REFERENCES communities (id),
    category       TEXT NOT NULL,
    summary        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    level          TEXT NOT NULL,
    source         TEXT NOT NULL,
    complaint_id   UUID,
    correlation_id UUID NOT NULL,
    assignee       TEXT,
    opened_at      TIMESTAMPTZ NOT NULL,
    deadline       TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE INDEX incidents_grid ON incidents (grid_id, opened_at DESC);
CREATE INDEX incidents_complaint ON incidents (complaint_id) WHERE complaint_id IS NOT NULL;

CREATE TABLE incident_history (
    seq         BIGSERIAL PRIMARY KEY,
    incident_id UUID NOT NULL REFERENCES incidents (id),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL
);

CREATE INDEX incident_history_incident ON incident_history (incident_id, seq);

-- What the party network did about each incident, from party-grid's
-- linkage-task events.
CREATE TABLE incident_party_responses (
    task_id         UUID PRIMARY KEY,
    incident_id     UUID NOT NULL REFERENCES incidents (id),
    organisation_id UUID NOT NULL,
    status          TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    correlation_id  UUID NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE INDEX incident_party_responses_incident ON incident_party_responses (incident_id);
