-- Every instance keeps the public pages it rendered for visitors in memory
-- (app/pagecache.go). A change to what those pages show notifies channel
-- portal_public, the payload naming the table, when its transaction
-- commits; each instance LISTENs (app/live) and drops the pages the table
-- appears on. Triggers, not calls in the Go code, so that no write path
-- (a handler, a worker, a fixture, psql) can forget it. PostgreSQL sends
-- one notification per distinct payload per transaction, so a bulk change
-- costs one message.
CREATE FUNCTION portal_public_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portal_public', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

-- Tables whose every change may show on a public page.
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON event_signups
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON groups
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON board_categories
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON facilities
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pages
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON page_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON attachments
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON portal_settings
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();

-- Board posts: only published ones are public; a post waiting for
-- moderation (most inserts) changes no public page.
CREATE TRIGGER public_changed_ins AFTER INSERT ON board_posts
    FOR EACH ROW WHEN (NEW.status = 'published') EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed_upd AFTER UPDATE ON board_posts
    FOR EACH ROW WHEN (OLD.status = 'published' OR NEW.status = 'published') EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed_del AFTER DELETE ON board_posts
    FOR EACH ROW WHEN (OLD.status = 'published') EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed_trunc AFTER TRUNCATE ON board_posts
    FOR EACH STATEMENT EXECUTE FUNCTION portal_public_changed();

-- Accounts: public pages show a member, a group or staff by display name
-- only, and only while the account is active; sign-ins and password
-- changes touch neither.
CREATE TRIGGER public_changed_upd AFTER UPDATE ON accounts
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION portal_public_changed();
CREATE TRIGGER public_changed_del AFTER DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION portal_public_changed();
