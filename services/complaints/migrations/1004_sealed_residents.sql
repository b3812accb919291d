-- Residents' contacts sealed at rest (AES-256-GCM, keys from the
-- configuration). With keys configured the service writes only these
-- columns and, at start, seals and clears any plaintext left from before.
ALTER TABLE complaint_residents
    ADD COLUMN name_sealed BYTEA,
    ADD COLUMN phone_sealed BYTEA,
    ADD COLUMN email_sealed BYTEA;
