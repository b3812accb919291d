-- When a task was accepted and completed (response times), and to whom it
-- was delegated.
ALTER TABLE linkage_tasks
    ADD COLUMN accepted_at  TIMESTAMPTZ,
    ADD COLUMN completed_at TIMESTAMPTZ,
    ADD COLUMN delegated_to UUID REFERENCES members (id);
