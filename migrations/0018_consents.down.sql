DROP TABLE consent_records;
