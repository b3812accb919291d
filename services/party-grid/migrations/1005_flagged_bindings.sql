-- Map changes under a binding flag it for review; retired units leave coverage.
ALTER TABLE governance_units ADD COLUMN retired_at TIMESTAMPTZ;
ALTER TABLE bindings ADD COLUMN flagged_reason TEXT, ADD COLUMN flagged_at TIMESTAMPTZ;
