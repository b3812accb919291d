-- The escalation ladder: severity, and the sweep for overdue incidents.
ALTER TABLE incidents ADD COLUMN severity TEXT NOT NULL DEFAULT 'normal';
CREATE INDEX incidents_open_deadline ON incidents (deadline)
    WHERE status NOT IN ('closed', 'rated', 'rejected') AND level <> 'subdistrict';
