-- Calls for volunteers on an incident, sign-ups and show-ups.
CREATE TABLE volunteer_calls (
    id              UUID PRIMARY KEY,
    incident_id     UUID NOT NULL,
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    needed          INTEGER NOT NULL CHECK (needed > 0),
    purpose         TEXT NOT NULL,
    correlation_id  UUID NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE volunteer_signups (
    call_id   UUID NOT NULL REFERENCES volunteer_calls (id),
    member_id UUID NOT NULL REFERENCES members (id),
    signed_at TIMESTAMPTZ NOT NULL,
    showed_at TIMESTAMPTZ,
    PRIMARY KEY (call_id, member_id)
);
