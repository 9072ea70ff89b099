-- The audit log is append-only and tamper-evident (issue 6): each entry
-- carries the SHA-256 of its canonical content chained to the entry before
-- it, in the order entries were written (seq). A trigger computes the chain
-- under a transaction-level advisory lock, so concurrent writers line up;
-- another refuses UPDATE and DELETE, except for the retention job, which
-- says so with SET LOCAL portal.audit_retention = 'on'.
ALTER TABLE audit_log
    ADD COLUMN seq       bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash      bytea;

-- The canonical text of an entry: every field, NULLs as empty, times as
-- microseconds since the epoch (independent of the session's time zone).
CREATE FUNCTION audit_entry_text(e audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(E'\x1f', e.seq, e.id, (extract(epoch FROM e.at) * 1000000)::bigint, e.actor_id, e.actor_role,
        e.action, coalesce(e.subject_id::text, ''), array_to_string(e.fields, ','), e.purpose, e.detail, e.ip)
$$;

CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last audit_log;
BEGIN
    PERFORM pg_advisory_xact_lock(7204113009);
    SELECT * INTO last FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last.seq, 0) + 1;
    NEW.prev_hash := coalesce(last.hash, ''::bytea);
    NEW.hash := sha256(NEW.prev_hash || convert_to(audit_entry_text(NEW), 'UTF8'));
    RETURN NEW;
END
$$;

-- Entries written before the chain existed join it in id order.
DO $$
DECLARE
    r audit_log;
    prev bytea := ''::bytea;
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        r.seq := n;
        r.prev_hash := prev;
        r.hash := sha256(prev || convert_to(audit_entry_text(r), 'UTF8'));
        UPDATE audit_log SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash WHERE id = r.id;
        prev := r.hash;
    END LOOP;
END
$$;

ALTER TABLE audit_log ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_log_seq_idx ON audit_log (seq);

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('portal.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
