-- The relay's wake-up, sent by the database itself: one NOTIFY per INSERT
-- statement on the outbox, coalesced per transaction by PostgreSQL, without
-- a round trip per event. The channel is `dualnet_events::outbox::CHANNEL`.
CREATE FUNCTION event_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dualnet_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER event_outbox_notify
    AFTER INSERT ON event_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION event_outbox_notify();
