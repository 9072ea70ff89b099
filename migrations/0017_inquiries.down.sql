DROP TABLE inquiry_events;
DROP TABLE inquiries;
