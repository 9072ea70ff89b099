-- Issue 11, item 14: the waitlist is promoted in the order in which places
-- were given. created_at is the start of the sign-up's transaction, taken
-- before it waited for the event's row lock, so two members signing up at
-- the same moment could be told their places in one order and promoted in
-- the other. place is drawn from a sequence by the insert, which every
-- sign-up makes while holding that lock, so it follows the lock order.
CREATE SEQUENCE event_signups_place_seq AS bigint;
ALTER TABLE event_signups ADD COLUMN place bigint;
-- Existing sign-ups keep the order promotion has used so far.
UPDATE event_signups AS s SET place = o.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM event_signups) AS o
WHERE s.id = o.id;
SELECT setval('event_signups_place_seq', coalesce(max(place), 0) + 1, false) FROM event_signups;
ALTER TABLE event_signups
    ALTER COLUMN place SET DEFAULT nextval('event_signups_place_seq'),
    ALTER COLUMN place SET NOT NULL;
ALTER SEQUENCE event_signups_place_seq OWNED BY event_signups.place;
DROP INDEX event_signups_waitlist_idx;
CREATE INDEX event_signups_waitlist_idx ON event_signups (event_id, place) WHERE status = 'waitlisted';
