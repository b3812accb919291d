-- What arbitration knows of governance-grid's map, from its events: the
-- enterprises and where they are, so that an enterprise's relocation notice
-- names an enterprise on the map and is given from its area.
CREATE TABLE known_communities (
    community_id   UUID PRIMARY KEY,
    subdistrict_id UUID NOT NULL
);

CREATE TABLE known_grids (
    grid_id      UUID PRIMARY KEY,
    community_id UUID NOT NULL
);

CREATE TABLE known_enterprises (
    enterprise_id UUID PRIMARY KEY,
    grid_id       UUID NOT NULL
);
