-- The full case: drafts from complaints, parties and claims, the lifecycle
-- with its history, and the statutory deadlines with their state.

ALTER TABLE cases RENAME COLUMN claimants TO claimant_count;
ALTER TABLE cases ALTER COLUMN applied_at DROP NOT NULL, ALTER COLUMN acceptance_due DROP NOT NULL;
ALTER TABLE cases
    ADD COLUMN opened_at TIMESTAMPTZ,
    ADD COLUMN respondent TEXT NOT NULL DEFAULT '',
    ADD COLUMN facts TEXT NOT NULL DEFAULT '',
    ADD COLUMN accepted_at TIMESTAMPTZ,
    ADD COLUMN arbitrator TEXT,
    ADD COLUMN hearing_at TIMESTAMPTZ,
    ADD COLUMN award_extension_days INT NOT NULL DEFAULT 0,
    ADD COLUMN right_known_on DATE,
    ADD COLUMN employment_ended_on DATE,
    ADD COLUMN interruptions DATE[] NOT NULL DEFAULT '{}',
    ADD COLUMN suspensions_from DATE[] NOT NULL DEFAULT '{}',
    ADD COLUMN suspensions_to DATE[] NOT NULL DEFAULT '{}',
    ADD COLUMN mediation_started_on DATE,
    -- Art. 27, computed when the application is made.
    ADD COLUMN limitation_expires DATE,
    ADD COLUMN time_barred BOOLEAN NOT NULL DEFAULT false;
UPDATE cases SET opened_at = applied_at;
ALTER TABLE cases ALTER COLUMN opened_at SET NOT NULL;

CREATE INDEX cases_arbitrator ON cases (arbitrator, opened_at DESC) WHERE arbitrator IS NOT NULL;

-- Claimants' names are personal data: they stay here, never in events.
CREATE TABLE case_claimants (
    case_id        UUID NOT NULL REFERENCES cases (id),
    seq            INT NOT NULL,
    name           TEXT NOT NULL,
    representative BOOLEAN NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE case_claims (
    case_id     UUID NOT NULL REFERENCES cases (id),
    seq         INT NOT NULL,
    kind        TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL CHECK (amount_fen >= 0),
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE case_history (
    seq         BIGSERIAL PRIMARY KEY,
    case_id     UUID NOT NULL REFERENCES cases (id),
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL
);

CREATE INDEX case_history_case ON case_history (case_id, seq);

CREATE TABLE case_deadlines (
    case_id   UUID NOT NULL REFERENCES cases (id),
    kind      TEXT NOT NULL,
    due_at    TIMESTAMPTZ NOT NULL,
    state     TEXT NOT NULL CHECK (state IN ('pending', 'met', 'passed', 'cancelled')),
    passed_at TIMESTAMPTZ,
    PRIMARY KEY (case_id, kind)
);

CREATE INDEX case_deadlines_pending ON case_deadlines (due_at) WHERE state = 'pending';

-- Cases opened before drafts existed were applications: give them their
-- acceptance deadline.
INSERT INTO case_deadlines (case_id, kind, due_at, state)
SELECT id, 'acceptance', acceptance_due, CASE WHEN status = 'applied' THEN 'pending' ELSE 'met' END
FROM cases WHERE acceptance_due IS NOT NULL;

ALTER TABLE cases DROP COLUMN acceptance_due;
