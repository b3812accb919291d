-- Statistics over long periods read monthly rollups instead of every
-- incident. Each change to an incident appends deltas (its old state
-- subtracted, its new state added) in the same transaction; a background
-- fold moves them into the rollup. A statistics query reads the rollup and
-- the deltas not yet folded in one snapshot, so it is exact at any moment.

-- Time-to-close buckets: an hour wide for a week, a day wide up to 60 days,
-- then one for the rest (domain::statistics::CloseTimes agrees).
CREATE FUNCTION dualnet_close_bucket(hours DOUBLE PRECISION) RETURNS INT
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN hours < 168 THEN greatest(floor(hours), 0)::int
                WHEN hours < 1440 THEN 168 + floor((hours - 168) / 24)::int
                ELSE 221 END
$$;

CREATE FUNCTION dualnet_add_counts(a BIGINT[], b BIGINT[]) RETURNS BIGINT[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(COALESCE(x, 0) + COALESCE(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$;

CREATE TABLE incident_stat_deltas (
    seq          BIGSERIAL PRIMARY KEY,
    opened_at    TIMESTAMPTZ NOT NULL,
    community_id UUID,
    grid_id      UUID,
    category     TEXT NOT NULL,
    level        TEXT NOT NULL,
    source       TEXT NOT NULL,
    -- +1 for a new state, -1 for the state it replaced.
    weight       INT NOT NULL,
    rejected     BOOLEAN NOT NULL,
    responded    BOOLEAN NOT NULL,
    resolved     BOOLEAN NOT NULL,
    rated        BOOLEAN NOT NULL,
    satisfied    BOOLEAN NOT NULL,
    on_time      BOOLEAN NOT NULL,
    -- The time-to-close bucket of a resolved incident.
    bucket       INT
);

CREATE INDEX incident_stat_deltas_opened ON incident_stat_deltas (opened_at);

-- Per CST month, community and one dimension ('all', 'grid', 'category',
-- 'level', 'source') with its value.
CREATE TABLE incident_stat_months (
    month        DATE NOT NULL,
    community_id UUID NOT NULL,
    dim          TEXT NOT NULL,
    value        TEXT NOT NULL,
    incidents    BIGINT NOT NULL,
    rejected     BIGINT NOT NULL,
    responded    BIGINT NOT NULL,
    resolved     BIGINT NOT NULL,
    rated        BIGINT NOT NULL,
    satisfied    BIGINT NOT NULL,
    on_time      BIGINT NOT NULL,
    close_times  BIGINT[] NOT NULL,
    PRIMARY KEY (dim, month, community_id, value)
);

CREATE FUNCTION incident_stat_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (OLD.opened_at, OLD.community_id, OLD.grid_id, OLD.category, OLD.level, OLD.source, OLD.status,
            OLD.responded_at, OLD.closed_at, OLD.closed_on_time, OLD.satisfaction)
           IS NOT DISTINCT FROM
           (NEW.opened_at, NEW.community_id, NEW.grid_id, NEW.category, NEW.level, NEW.source, NEW.status,
            NEW.responded_at, NEW.closed_at, NEW.closed_on_time, NEW.satisfaction) THEN
            RETURN NULL;
        END IF;
        INSERT INTO incident_stat_deltas (opened_at, community_id, grid_id, category, level, source, weight,
                                          rejected, responded, resolved, rated, satisfied, on_time, bucket)
        VALUES (OLD.opened_at, OLD.community_id, OLD.grid_id, OLD.category, OLD.level, OLD.source, -1,
                OLD.status = 'rejected', OLD.responded_at IS NOT NULL, OLD.closed_at IS NOT NULL,
                OLD.satisfaction IS NOT NULL, COALESCE(OLD.satisfaction IN ('satisfied', 'basically_satisfied'), false),
                COALESCE(OLD.closed_on_time, false),
                CASE WHEN OLD.closed_at IS NOT NULL
                     THEN dualnet_close_bucket(extract(epoch FROM OLD.closed_at - OLD.opened_at) / 3600.0) END);
    END IF;
    INSERT INTO incident_stat_deltas (opened_at, community_id, grid_id, category, level, source, weight,
                                      rejected, responded, resolved, rated, satisfied, on_time, bucket)
    VALUES (NEW.opened_at, NEW.community_id, NEW.grid_id, NEW.category, NEW.level, NEW.source, 1,
            NEW.status = 'rejected', NEW.responded_at IS NOT NULL, NEW.closed_at IS NOT NULL,
            NEW.satisfaction IS NOT NULL, COALESCE(NEW.satisfaction IN ('satisfied', 'basically_satisfied'), false),
            COALESCE(NEW.closed_on_time, false),
            CASE WHEN NEW.closed_at IS NOT NULL
                 THEN dualnet_close_bucket(extract(epoch FROM NEW.closed_at - NEW.opened_at) / 3600.0) END);
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_stat_delta AFTER INSERT OR UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION incident_stat_delta();

-- Incidents recorded before the rollup existed enter it through the fold.
INSERT INTO incident_stat_deltas (opened_at, community_id, grid_id, category, level, source, weight,
                                  rejected, responded, resolved, rated, satisfied, on_time, bucket)
SELECT opened_at, community_id, grid_id, category, level, source, 1,
       status = 'rejected', responded_at IS NOT NULL, closed_at IS NOT NULL,
       satisfaction IS NOT NULL, COALESCE(satisfaction IN ('satisfied', 'basically_satisfied'), false),
       COALESCE(closed_on_time, false),
       CASE WHEN closed_at IS NOT NULL THEN dualnet_close_bucket(extract(epoch FROM closed_at - opened_at) / 3600.0) END
FROM incidents;

-- Open incidents past their deadline are counted as of the query's moment,
-- from the incidents themselves: few, and read from this index alone.
CREATE INDEX incidents_open_opened ON incidents (opened_at)
    INCLUDE (deadline, missed_deadline, community_id, grid_id, category, level, source)
    WHERE closed_at IS NULL AND status <> 'rejected';
