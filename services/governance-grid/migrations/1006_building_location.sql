-- Where a building stands (WGS 84), so requests filed by coordinates find it.
ALTER TABLE buildings ADD COLUMN latitude DOUBLE PRECISION, ADD COLUMN longitude DOUBLE PRECISION;
