DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
DROP TRIGGER IF EXISTS audit_log_chain ON audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only(), audit_log_chain();
DROP INDEX IF EXISTS audit_log_seq_idx;
ALTER TABLE audit_log DROP COLUMN IF EXISTS seq, DROP COLUMN IF EXISTS prev_hash, DROP COLUMN IF EXISTS hash;
DROP FUNCTION IF EXISTS audit_entry_text(audit_log);
