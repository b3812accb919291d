-- Community security committees (治保会), their members (names and phones
-- sealed), patrol plans over buildings, runs with check-ins and findings.

CREATE TABLE security_committees (
    id           UUID PRIMARY KEY,
    community_id UUID NOT NULL REFERENCES communities (id),
    name         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT security_committees_name_in_community UNIQUE (community_id, name)
);

-- The plaintext columns only while no sealing key is configured.
CREATE TABLE patrol_members (
    id           UUID PRIMARY KEY,
    committee_id UUID NOT NULL REFERENCES security_committees (id),
    name         TEXT,
    phone        TEXT,
    name_sealed  BYTEA,
    phone_sealed BYTEA,
    joined_at    TIMESTAMPTZ NOT NULL
);

CREATE INDEX patrol_members_committee ON patrol_members (committee_id, joined_at, id);

CREATE TABLE patrol_plans (
    id                UUID PRIMARY KEY,
    committee_id      UUID NOT NULL REFERENCES security_committees (id),
    name              TEXT NOT NULL,
    route             UUID[] NOT NULL,
    every_days        INTEGER NOT NULL CHECK (every_days BETWEEN 1 AND 366),
    team              UUID[] NOT NULL,
    campaign          BOOLEAN NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    next_due          TIMESTAMPTZ NOT NULL,
    -- The due time a missed-patrol warning was raised for (once each).
    missed_warned_for TIMESTAMPTZ
);

CREATE INDEX patrol_plans_due ON patrol_plans (next_due);

CREATE TABLE patrol_runs (
    id                UUID PRIMARY KEY,
    plan_id           UUID NOT NULL REFERENCES patrol_plans (id),
    recorded_at       TIMESTAMPTZ NOT NULL,
    recorded_by       TEXT NOT NULL,
    buildings_planned INTEGER NOT NULL,
    buildings_checked INTEGER NOT NULL,
    complete          BOOLEAN NOT NULL
);

CREATE TABLE patrol_check_ins (
    run_id      UUID NOT NULL REFERENCES patrol_runs (id),
    building_id UUID NOT NULL,
    member_id   UUID NOT NULL REFERENCES patrol_members (id),
    at          TIMESTAMPTZ NOT NULL
);

CREATE INDEX patrol_check_ins_run ON patrol_check_ins (run_id);
CREATE INDEX patrol_check_ins_at ON patrol_check_ins (at, building_id);

-- A finding opened an incident, or recorded hazards on a rental unit.
CREATE TABLE patrol_findings (
    run_id         UUID NOT NULL REFERENCES patrol_runs (id),
    seq            INTEGER NOT NULL,
    building_id    UUID NOT NULL,
    category       TEXT NOT NULL,
    summary        TEXT NOT NULL,
    incident_id    UUID REFERENCES incidents (id),
    rental_unit_id UUID REFERENCES rental_units (id),
    PRIMARY KEY (run_id, seq),
    CHECK ((incident_id IS NULL) <> (rental_unit_id IS NULL))
);

ALTER TABLE warnings DROP CONSTRAINT IF EXISTS warnings_kind_check;
ALTER TABLE warnings ADD CONSTRAINT warnings_kind_check
    CHECK (kind IN ('rule', 'inspection_overdue', 'patrol_missed', 'patrol_incomplete'));

-- Every unmasked read of patrol members' names or phones (record_id: the
-- committee). Append-only.
CREATE TABLE personal_data_reads (
    seq        BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    reader     TEXT NOT NULL,
    department TEXT NOT NULL,
    record_id  UUID NOT NULL,
    fields     TEXT[] NOT NULL,
    purpose    TEXT NOT NULL
);

CREATE INDEX personal_data_reads_record ON personal_data_reads (record_id, seq);
CREATE INDEX personal_data_reads_reader ON personal_data_reads (reader, seq);

CREATE FUNCTION personal_data_reads_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'personal_data_reads is append-only';
END
$$;

CREATE TRIGGER personal_data_reads_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON personal_data_reads
    FOR EACH STATEMENT EXECUTE FUNCTION personal_data_reads_are_append_only();
