DROP TABLE IF EXISTS event_signups;
