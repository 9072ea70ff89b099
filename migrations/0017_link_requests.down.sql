DROP TABLE link_requests;
