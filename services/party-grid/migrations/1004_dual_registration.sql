-- 双报到: in-service members also register with their residential community.
ALTER TABLE members ADD COLUMN registered_community_id UUID;
