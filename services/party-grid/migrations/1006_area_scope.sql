-- Area scope: a caller confined to some subdistricts, communities or grids
-- reaches the party organisations whose bound governance unit lies in
-- them. A unit's lineage is the unit and every unit above it on the map
-- (building → grid → community → subdistrict; enterprise → grid → …).
CREATE FUNCTION unit_lineage(start UUID) RETURNS UUID[] LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (id, parent, depth) AS (
        SELECT unit_id, parent_id, 0 FROM governance_units WHERE unit_id = start
        UNION ALL
        SELECT g.unit_id, g.parent_id, up.depth + 1
        FROM governance_units g JOIN up ON g.unit_id = up.parent
        WHERE up.depth < 8
    )
    SELECT array_agg(DISTINCT id) || ARRAY[start] FROM up
$$;

-- An organisation is in an area when the unit of its nearest bound
-- organisation (itself, else the closest one above it) lies in the area.
CREATE FUNCTION organisation_in_area(org UUID, area UUID[]) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (id, parent, depth) AS (
        SELECT id, parent_id, 0 FROM organisations WHERE id = org
        UNION ALL
        SELECT o.id, o.parent_id, up.depth + 1
        FROM organisations o JOIN up ON o.id = up.parent
        WHERE up.depth < 8
    )
    SELECT COALESCE((
        SELECT unit_lineage(b.unit_id) && area
        FROM up JOIN bindings b ON b.organisation_id = up.id
        ORDER BY up.depth LIMIT 1
    ), false)
$$;
