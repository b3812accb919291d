-- Community notices (信息公开): public text, one per subject and kind (a
-- redelivered event publishes nothing twice).
CREATE TABLE notices (
    id           UUID PRIMARY KEY,
    community_id UUID NOT NULL,
    kind         TEXT NOT NULL,
    subject_id   UUID NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT notices_once_per_subject UNIQUE (kind, subject_id)
);

CREATE INDEX notices_community ON notices (community_id, published_at DESC, id DESC);
