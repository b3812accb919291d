-- Claimants' personal data: name, phone and identity card number, sealed
-- at rest (AES-256-GCM, keys from the configuration). With keys configured
-- the service writes only the sealed columns and, at start, seals and
-- clears any plaintext left from before.
ALTER TABLE case_claimants
    ALTER COLUMN name DROP NOT NULL,
    ADD COLUMN phone TEXT,
    ADD COLUMN id_number TEXT,
    ADD COLUMN name_sealed BYTEA,
    ADD COLUMN phone_sealed BYTEA,
    ADD COLUMN id_number_sealed BYTEA;

-- The parties' representatives by token subject: besides the commission,
-- only they see the case.
CREATE TABLE case_representatives (
    case_id UUID NOT NULL REFERENCES cases (id),
    sub     TEXT NOT NULL,
    PRIMARY KEY (case_id, sub)
);

CREATE INDEX case_representatives_sub ON case_representatives (sub, case_id);

-- Every unmasked read of claimants' personal data: who, when, which case,
-- (`record_id`) which fields, and the purpose they stated. Append-only: the service only
-- inserts, and the table refuses changes and deletions outright.
CREATE TABLE personal_data_reads (
    seq        BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    reader     TEXT NOT NULL,
    department TEXT NOT NULL,
    record_id  UUID NOT NULL REFERENCES cases (id),
    fields     TEXT[] NOT NULL,
    purpose    TEXT NOT NULL
);

CREATE INDEX personal_data_reads_record ON personal_data_reads (record_id, seq);
CREATE INDEX personal_data_reads_reader ON personal_data_reads (reader, seq);

CREATE FUNCTION personal_data_reads_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'personal_data_reads is append-only';
END
$$;

CREATE TRIGGER personal_data_reads_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON personal_data_reads
    FOR EACH STATEMENT EXECUTE FUNCTION personal_data_reads_are_append_only();
