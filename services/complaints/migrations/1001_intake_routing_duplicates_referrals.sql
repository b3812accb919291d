-- Intake by address or coordinates, the category catalogue and routing
-- table, first-receiver responsibility, supervision, duplicates, reopening,
-- referrals, and the status notes Open311 shows.

ALTER TABLE complaints
    ADD COLUMN address TEXT NOT NULL DEFAULT '',
    ADD COLUMN latitude DOUBLE PRECISION,
    ADD COLUMN longitude DOUBLE PRECISION,
    ADD COLUMN located_by TEXT NOT NULL DEFAULT 'building',
    ADD COLUMN department TEXT NOT NULL DEFAULT 'subdistrict-service-centre',
    ADD COLUMN overdue BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN supervised_by TEXT,
    ADD COLUMN resolution TEXT,
    ADD COLUMN merged_into UUID REFERENCES complaints (id),
    ADD COLUMN reopened INT NOT NULL DEFAULT 0,
    ADD COLUMN filed_by TEXT;

CREATE INDEX complaints_open_deadline ON complaints (deadline)
    WHERE status IN ('filed', 'accepted', 'dispatched') AND NOT overdue;
CREATE INDEX complaints_duplicates ON complaints (category, building_id, filed_at DESC);
CREATE INDEX complaints_merged ON complaints (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX complaints_department ON complaints (department, filed_at DESC);
CREATE INDEX complaints_updated ON complaints (updated_at);

ALTER TABLE complaint_residents ADD COLUMN email TEXT;

ALTER TABLE known_buildings
    ADD COLUMN address_key TEXT NOT NULL DEFAULT '',
    ADD COLUMN latitude DOUBLE PRECISION,
    ADD COLUMN longitude DOUBLE PRECISION;
CREATE INDEX known_buildings_address ON known_buildings (address_key) WHERE address_key <> '';

CREATE TABLE categories (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    deadline_unit  TEXT CHECK (deadline_unit IN ('working_days', 'hours')),
    deadline       INT CHECK (deadline > 0),
    grp            TEXT NOT NULL DEFAULT '',
    active         BOOLEAN NOT NULL DEFAULT true,
    CHECK ((deadline_unit IS NULL) = (deadline IS NULL))
);

INSERT INTO categories (code, name, description, deadline_unit, deadline, grp) VALUES
    ('noise', '噪音扰民 Noise', 'Noise from neighbours, construction, business', NULL, NULL, 'environment'),
    ('refuse', '垃圾清运 Refuse', 'Refuse not collected, illegal dumping', NULL, NULL, 'environment'),
    ('property', '物业管理 Property management', 'Estate management, repairs, fees', NULL, NULL, 'housing'),
    ('rental', '出租屋 Rental housing', 'Rental housing safety and management', NULL, NULL, 'housing'),
    ('public_security', '治安 Public security', 'Disorder, theft, suspicious activity', NULL, NULL, 'safety'),
    ('fire_hazard', '消防隐患 Fire hazard', 'Blocked exits, unsafe wiring, e-bikes charging indoors', NULL, NULL, 'safety'),
    ('emergency.gas_leak', '燃气泄漏 Gas leak', 'Smell of gas, leaking cylinder', 'hours', 4, 'safety'),
    ('traffic', '交通 Traffic', 'Parking, road damage, signals', NULL, NULL, 'city'),
    ('policy', '政策咨询 Policy', 'Questions about policies and services', NULL, NULL, 'services'),
    ('labour.wage_arrears', '欠薪 Wage arrears', 'Wages unpaid or late', NULL, NULL, 'labour'),
    ('labour.dismissal', '解除劳动合同 Dismissal', 'Dismissal, relocation, compensation', NULL, NULL, 'labour'),
    ('labour.social_insurance', '社保 Social insurance', 'Contributions not paid', NULL, NULL, 'labour'),
    ('other', '其他 Other', 'Anything else', NULL, NULL, 'other');

CREATE TABLE routes (
    category     TEXT NOT NULL,
    -- The nil UUID stands for any community.
    community_id UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
    department   TEXT NOT NULL,
    PRIMARY KEY (category, community_id)
);

INSERT INTO routes (category, department) VALUES
    ('*', 'subdistrict-service-centre'),
    ('noise', 'urban-management'),
    ('refuse', 'urban-management'),
    ('rental', 'rental-housing-office'),
    ('fire_hazard', 'fire-safety'),
    ('emergency', 'emergency-management'),
    ('public_security', 'police-station'),
    ('labour', 'labour-inspection');

-- Every step, as residents and Open311 clients see it.
CREATE TABLE complaint_notes (
    seq          BIGSERIAL PRIMARY KEY,
    complaint_id UUID NOT NULL REFERENCES complaints (id),
    status       TEXT NOT NULL,
    note         TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);

CREATE INDEX complaint_notes_complaint ON complaint_notes (complaint_id, seq);

CREATE TABLE referrals (
    id           UUID PRIMARY KEY,
    complaint_id UUID NOT NULL REFERENCES complaints (id),
    kind         TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    referred_at  TIMESTAMPTZ NOT NULL,
    outcome      TEXT,
    outcome_note TEXT NOT NULL DEFAULT '',
    concluded_at TIMESTAMPTZ
);

CREATE INDEX referrals_complaint ON referrals (complaint_id, referred_at);
