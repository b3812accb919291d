-- party-grid owns the party organisations, their binding to governance
-- units (两网合一), and the linkage tasks incidents give them.

CREATE TABLE organisations (
    id         UUID PRIMARY KEY,
    parent_id  UUID REFERENCES organisations (id),
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The dual-network binding: one organisation per unit, one unit per
-- organisation.
CREATE TABLE bindings (
    organisation_id UUID PRIMARY KEY REFERENCES organisations (id),
    unit_kind       TEXT NOT NULL,
    unit_id         UUID NOT NULL,
    bound_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (unit_kind, unit_id)
);

-- Read model of governance-grid's map, kept from its events.
CREATE TABLE governance_units (
    unit_kind TEXT NOT NULL,
    unit_id   UUID NOT NULL,
    parent_id UUID,
    name      TEXT NOT NULL,
    PRIMARY KEY (unit_kind, unit_id)
);

CREATE TABLE linkage_tasks (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    incident_id     UUID NOT NULL,
    status          TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    -- Who moved the task last (a member, or the incident's closing).
    updated_by      TEXT NOT NULL DEFAULT '',
    correlation_id  UUID NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation_id, incident_id)
);

CREATE INDEX linkage_tasks_incident ON linkage_tasks (incident_id);
