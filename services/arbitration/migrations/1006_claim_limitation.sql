-- Each claim's own limitation period (LDMAL Art. 27): a wage claim does not
-- run while the employment lasts (para. 4), the others do; the case is out
-- of time only when each of its claims is.
ALTER TABLE case_claims ADD COLUMN limitation_expires DATE;
ALTER TABLE case_claims ADD COLUMN time_barred BOOLEAN NOT NULL DEFAULT false;
