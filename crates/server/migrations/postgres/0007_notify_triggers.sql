-- PostgreSQL only: SQLite has one node, which wakes its own streams and long polls.

-- Every node hears of new events and of requests that reached a final state from
-- the database itself, at commit, whoever wrote them (a node, the admin CLI): where
-- the server sent a `SELECT pg_notify(...)` of its own, a round trip to PostgreSQL
-- in each creating and deciding transaction. Identical notifications in one
-- transaction are delivered once.

CREATE FUNCTION godkend_announce_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The pumps read every event after their last; the payload says nothing more.
    PERFORM pg_notify('godkend_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_announced AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION godkend_announce_events();

CREATE FUNCTION godkend_announce_finished() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The long polls on this request read it again.
    PERFORM pg_notify('godkend_finished', NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER requests_finished_announced AFTER UPDATE OF state ON requests
    FOR EACH ROW WHEN (OLD.state = 'pending' AND NEW.state <> 'pending')
    EXECUTE FUNCTION godkend_announce_finished();
