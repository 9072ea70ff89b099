-- A group's pending change records the event it was based on (issue 14
-- follow-up): the event's version, bumped whenever its details move, and
-- the details themselves, so that approving a change after a moderator's
-- correction applies only what the group changed, or is refused when both
-- touched the same details, instead of silently undoing the correction.
ALTER TABLE events ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- Every writer of events bumps the version through this trigger, so no
-- code path (corrections, approvals, a group's own edits before
-- publication) can forget it; seats and status changes leave it alone.
CREATE FUNCTION events_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.title, OLD.description, OLD.category, OLD.town, OLD.venue, OLD.facility_id, OLD.starts_at, OLD.ends_at,
        OLD.apply_until, OLD.fee, OLD.contact)
       IS DISTINCT FROM
       (NEW.title, NEW.description, NEW.category, NEW.town, NEW.venue, NEW.facility_id, NEW.starts_at, NEW.ends_at,
        NEW.apply_until, NEW.fee, NEW.contact) THEN
        NEW.version := OLD.version + 1;
    ELSE
        NEW.version := OLD.version;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER events_version BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_bump_version();

-- NULL for changes submitted before this migration: they are applied as
-- they were before (whole).
ALTER TABLE event_changes ADD COLUMN base_version bigint, ADD COLUMN base jsonb;

-- The language an account reads the site in, for participants' mail. The
-- account-language migration (0024, another branch) adds the same column;
-- whichever runs first creates it.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS lang text NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en'));
