-- What an award grants on each claim (LDMAL Art. 47 finality is judged on
-- it, item by item); none before the award.
ALTER TABLE case_claims ADD COLUMN awarded_fen bigint CHECK (awarded_fen >= 0);
