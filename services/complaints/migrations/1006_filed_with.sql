-- The token subject a request was filed with (a resident channel's, or the
-- Open311 api_key's): the resident's own channel is the one that may rate it.
ALTER TABLE complaints ADD COLUMN filed_with TEXT;
