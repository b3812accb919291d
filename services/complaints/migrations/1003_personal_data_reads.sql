-- Every unmasked read of a resident's contact: who, when, which request,
-- which fields, and the purpose they stated. Append-only: the service only
-- inserts, and the table refuses changes and deletions outright.
CREATE TABLE personal_data_reads (
    seq          BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    reader       TEXT NOT NULL,
    department   TEXT NOT NULL,
    complaint_id UUID NOT NULL REFERENCES complaints (id),
    fields       TEXT[] NOT NULL,
    purpose      TEXT NOT NULL
);

CREATE INDEX personal_data_reads_complaint ON personal_data_reads (complaint_id, seq);
CREATE INDEX personal_data_reads_reader ON personal_data_reads (reader, seq);

CREATE FUNCTION personal_data_reads_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'personal_data_reads is append-only';
END
$$;

CREATE TRIGGER personal_data_reads_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON personal_data_reads
    FOR EACH STATEMENT EXECUTE FUNCTION personal_data_reads_are_append_only();
