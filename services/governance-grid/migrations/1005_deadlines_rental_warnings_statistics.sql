-- Deadlines per category and level; staff on the map; rental housing and
-- inspections; early warning; the columns the statistics count.

CREATE TABLE category_deadlines (
    category    TEXT PRIMARY KEY,
    unit        TEXT NOT NULL CHECK (unit IN ('working_days', 'hours')),
    grid        INT NOT NULL CHECK (grid > 0),
    community   INT NOT NULL CHECK (community > 0),
    subdistrict INT NOT NULL CHECK (subdistrict > 0),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO category_deadlines (category, unit, grid, community, subdistrict) VALUES
    ('*', 'working_days', 3, 5, 7),
    ('emergency', 'hours', 2, 4, 8),
    ('labour', 'working_days', 2, 3, 5),
    ('rental', 'working_days', 5, 5, 5);

CREATE TABLE grid_workers (
    staff_code  TEXT PRIMARY KEY,
    grid_id     UUID NOT NULL REFERENCES grids (id),
    name        TEXT NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX grid_workers_grid ON grid_workers (grid_id);

ALTER TABLE buildings ADD COLUMN head_staff_code TEXT, ADD COLUMN head_name TEXT;

CREATE TABLE rental_units (
    id                  UUID PRIMARY KEY,
    building_id         UUID NOT NULL REFERENCES buildings (id),
    code                TEXT NOT NULL UNIQUE,
    category            TEXT NOT NULL,
    grade               TEXT NOT NULL,
    registered_at       TIMESTAMPTZ NOT NULL,
    last_inspected_at   TIMESTAMPTZ,
    next_inspection_due TIMESTAMPTZ NOT NULL,
    -- The due time an overdue warning was last raised for, so each missed
    -- inspection warns once.
    overdue_warned_for  TIMESTAMPTZ
);

CREATE INDEX rental_units_building ON rental_units (building_id);
CREATE INDEX rental_units_due ON rental_units (next_inspection_due);

CREATE TABLE inspections (
    id           UUID PRIMARY KEY,
    unit_id      UUID NOT NULL REFERENCES rental_units (id),
    inspector    TEXT NOT NULL,
    inspected_at TIMESTAMPTZ NOT NULL,
    grade_before TEXT NOT NULL,
    grade_after  TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);

CREATE INDEX inspections_unit ON inspections (unit_id, inspected_at DESC);

CREATE TABLE inspection_hazards (
    inspection_id UUID NOT NULL REFERENCES inspections (id),
    kind          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
);

CREATE INDEX inspection_hazards_inspection ON inspection_hazards (inspection_id);

CREATE TABLE warning_rules (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    category_prefix TEXT NOT NULL,
    scope           TEXT NOT NULL CHECK (scope IN ('building', 'enterprise', 'grid')),
    threshold       INT NOT NULL CHECK (threshold >= 2),
    window_days     INT NOT NULL CHECK (window_days >= 1),
    severity        TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO warning_rules (code, name, category_prefix, scope, threshold, window_days, severity, enabled) VALUES
    ('repeated_noise', 'Repeated noise at one building', 'noise', 'building', 3, 7, 'normal', true),
    ('wage_arrears', 'Labour complaints against one enterprise', 'labour', 'enterprise', 3, 7, 'major', true);

CREATE TABLE warnings (
    id          UUID PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('rule', 'inspection_overdue')),
    rule_code   TEXT,
    scope       TEXT,
    subject_id  UUID NOT NULL,
    grid_id     UUID,
    count       INT NOT NULL,
    raised_at   TIMESTAMPTZ NOT NULL,
    incident_id UUID REFERENCES incidents (id)
);

CREATE INDEX warnings_rule_subject ON warnings (rule_code, subject_id, raised_at DESC);
CREATE INDEX warnings_grid ON warnings (grid_id, raised_at DESC);

ALTER TABLE incidents
    ADD COLUMN responded_at TIMESTAMPTZ,
    ADD COLUMN closed_at TIMESTAMPTZ,
    ADD COLUMN closed_on_time BOOLEAN,
    -- Escalated because a deadline passed: never counted as on time.
    ADD COLUMN missed_deadline BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN satisfaction TEXT;

CREATE INDEX incidents_opened ON incidents (opened_at);
CREATE INDEX incidents_building_recent ON incidents (building_id, opened_at) WHERE building_id IS NOT NULL;
CREATE INDEX incidents_enterprise_recent ON incidents (enterprise_id, opened_at) WHERE enterprise_id IS NOT NULL;
