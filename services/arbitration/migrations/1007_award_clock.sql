-- The award period as the 2017 Arbitration Rules count it (Art. 46): the day
-- it runs from (acceptance, or the latest restart), the days not counted
-- (suspension, public notice), and whether it stands still now.
ALTER TABLE cases ADD COLUMN award_from TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN award_paused_days INT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN award_paused_since TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN award_paused_by TEXT;
UPDATE cases SET award_from = accepted_at WHERE accepted_at IS NOT NULL;

ALTER TABLE case_deadlines DROP CONSTRAINT case_deadlines_state_check;
ALTER TABLE case_deadlines ADD CONSTRAINT case_deadlines_state_check
    CHECK (state IN ('pending', 'met', 'passed', 'cancelled', 'paused'));
