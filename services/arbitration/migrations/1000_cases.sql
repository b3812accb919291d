-- arbitration owns labour dispute cases and their statutory clocks.

CREATE TABLE cases (
    id             UUID PRIMARY KEY,
    complaint_id   UUID UNIQUE,
    enterprise_id  UUID,
    category       TEXT NOT NULL,
    claimants      INTEGER NOT NULL,
    status         TEXT NOT NULL,
    collective     BOOLEAN NOT NULL,
    correlation_id UUID NOT NULL,
    applied_at     TIMESTAMPTZ NOT NULL,
    acceptance_due TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE INDEX cases_enterprise ON cases (enterprise_id, applied_at DESC);
