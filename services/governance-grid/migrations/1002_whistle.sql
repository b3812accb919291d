-- 吹哨报到: departments summoned to an incident, their check-in and their part done.
CREATE TABLE incident_summons (
    incident_id   UUID NOT NULL REFERENCES incidents (id),
    department    TEXT NOT NULL,
    summoned_at   TIMESTAMPTZ NOT NULL,
    checked_in_at TIMESTAMPTZ,
    done_at       TIMESTAMPTZ,
    note          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, department)
);
