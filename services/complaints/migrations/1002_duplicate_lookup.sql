-- Duplicate candidates are looked up by building (complaints_duplicates) and
-- by a coordinate box around the new request: an index for the second.
CREATE INDEX complaints_duplicates_near ON complaints (category, latitude, longitude)
    WHERE latitude IS NOT NULL AND merged_into IS NULL;
