DROP TABLE IF EXISTS calendar_feeds;
