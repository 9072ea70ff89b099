CREATE INDEX IF NOT EXISTS access_history_ip_failed_idx ON access_history (ip, at) WHERE NOT success AND action = 'login';
DROP TABLE IF EXISTS rate_events;
