ALTER TABLE buildings ADD COLUMN retired_at TIMESTAMPTZ, ADD COLUMN retired_reason TEXT;
