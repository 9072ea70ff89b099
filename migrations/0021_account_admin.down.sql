DROP INDEX accounts_groups_idx;
ALTER TABLE accounts DROP COLUMN status_changed_at, DROP COLUMN status_reason;
