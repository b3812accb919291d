-- The audit log names the record read `record_id`, as in every service.
ALTER TABLE personal_data_reads RENAME COLUMN complaint_id TO record_id;
ALTER INDEX personal_data_reads_complaint RENAME TO personal_data_reads_record;
