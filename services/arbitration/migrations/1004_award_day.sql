-- The day of the award: Art. 47 finality is judged at the minimum wage in
-- force on it. Cases awarded before this column existed take the time of
-- their award in the history.
ALTER TABLE cases ADD COLUMN awarded_at TIMESTAMPTZ;
UPDATE cases c SET awarded_at = h.at
FROM (SELECT case_id, max(at) AS at FROM case_history WHERE action = 'award' GROUP BY case_id) h
WHERE h.case_id = c.id;
