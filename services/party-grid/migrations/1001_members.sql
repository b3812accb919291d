-- Party members and their roles; building heads name their building.
CREATE TABLE members (
    id              UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    building_id     UUID,
    joined_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX members_organisation ON members (organisation_id);
CREATE INDEX members_building_head ON members (building_id) WHERE role = 'building_head';
