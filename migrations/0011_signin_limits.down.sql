DROP TABLE IF EXISTS rate_events;
