-- Enterprises on the map, and labour-risk incidents about them.
CREATE TABLE enterprises (
    id         UUID PRIMARY KEY,
    grid_id    UUID NOT NULL REFERENCES grids (id),
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE incidents ADD COLUMN enterprise_id UUID REFERENCES enterprises (id);
