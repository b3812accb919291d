-- Residents' consultation councils (议事协商): councils, their members
-- (names and phones sealed), topics with their history, meetings.

CREATE TABLE councils (
    id                       UUID PRIMARY KEY,
    community_id             UUID NOT NULL,
    name                     TEXT NOT NULL,
    convenor_organisation_id UUID NOT NULL REFERENCES organisations (id),
    quorum_numerator         INTEGER NOT NULL CHECK (quorum_numerator > 0),
    quorum_denominator       INTEGER NOT NULL CHECK (quorum_denominator >= quorum_numerator),
    term_start               TIMESTAMPTZ NOT NULL,
    term_end                 TIMESTAMPTZ NOT NULL CHECK (term_end > term_start),
    correlation_id           UUID NOT NULL,
    created_at               TIMESTAMPTZ NOT NULL,
    CONSTRAINT councils_name_in_community UNIQUE (community_id, name)
);

-- A member's name and phone: the plaintext columns only while no sealing
-- key is configured (personal_data.disabled), else the sealed ones.
CREATE TABLE council_members (
    id           UUID PRIMARY KEY,
    council_id   UUID NOT NULL REFERENCES councils (id),
    kind         TEXT NOT NULL,
    liaison_role TEXT,
    name         TEXT,
    phone        TEXT,
    name_sealed  BYTEA,
    phone_sealed BYTEA,
    joined_at    TIMESTAMPTZ NOT NULL,
    left_at      TIMESTAMPTZ
);

CREATE INDEX council_members_council ON council_members (council_id, joined_at, id);

CREATE TABLE council_meetings (
    id         UUID PRIMARY KEY,
    council_id UUID NOT NULL REFERENCES councils (id),
    held_at    TIMESTAMPTZ NOT NULL,
    members    INTEGER NOT NULL,
    attending  UUID[] NOT NULL,
    quorate    BOOLEAN NOT NULL,
    minutes    TEXT NOT NULL,
    held_by    TEXT NOT NULL
);

CREATE TABLE council_topics (
    id             UUID PRIMARY KEY,
    council_id     UUID NOT NULL REFERENCES councils (id),
    title          TEXT NOT NULL,
    description    TEXT NOT NULL,
    source         TEXT NOT NULL,
    status         TEXT NOT NULL,
    complaint_id   UUID,
    member_id      UUID REFERENCES council_members (id),
    warning_id     UUID,
    -- The resolution, once a meeting adopted one.
    meeting_id     UUID REFERENCES council_meetings (id),
    resolution     TEXT,
    in_favour      INTEGER,
    against        INTEGER,
    abstaining     INTEGER,
    hand_off_building_id UUID,
    hand_off_grid_id     UUID,
    hand_off_category    TEXT,
    incident_id    UUID,
    incident_closed BOOLEAN NOT NULL DEFAULT false,
    adopted_at     TIMESTAMPTZ,
    correlation_id UUID NOT NULL,
    raised_at      TIMESTAMPTZ NOT NULL,
    -- One topic per early warning: a redelivered warning proposes nothing twice.
    CONSTRAINT council_topics_one_per_warning UNIQUE (council_id, warning_id)
);

CREATE INDEX council_topics_council ON council_topics (council_id, raised_at, id);
CREATE INDEX council_topics_incident ON council_topics (incident_id) WHERE incident_id IS NOT NULL;

CREATE TABLE council_topic_history (
    topic_id    UUID NOT NULL REFERENCES council_topics (id),
    seq         INTEGER NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL,
    PRIMARY KEY (topic_id, seq)
);

-- Every unmasked read of a council member's name or phone (record_id: the
-- council). Append-only.
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

-- The community a council (and its topics and members) belongs to is in
-- a caller's area through the community's lineage.
CREATE FUNCTION council_in_area(council UUID, area UUID[]) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT unit_lineage(community_id) && area FROM councils WHERE id = council), false)
$$;
