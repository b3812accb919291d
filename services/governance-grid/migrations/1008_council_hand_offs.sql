-- An incident a residents' council's resolution handed out names the topic.
ALTER TABLE incidents ADD COLUMN topic_id UUID;
CREATE UNIQUE INDEX incidents_topic ON incidents (topic_id) WHERE topic_id IS NOT NULL;
