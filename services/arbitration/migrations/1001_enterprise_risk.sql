-- Enterprise labour risk, raised at most once per window per enterprise.
CREATE TABLE enterprise_risks (
    id            UUID PRIMARY KEY,
    enterprise_id UUID NOT NULL,
    recent_cases  INTEGER NOT NULL,
    collective    BOOLEAN NOT NULL,
    reason        TEXT NOT NULL,
    raised_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX enterprise_risks_enterprise ON enterprise_risks (enterprise_id, raised_at DESC);
