DROP TABLE inquiry_templates;
DROP TABLE inquiry_events;
DROP TABLE inquiries;
