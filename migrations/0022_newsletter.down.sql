ALTER TABLE member_profiles ADD COLUMN IF NOT EXISTS newsletter_since timestamptz;
UPDATE member_profiles p SET newsletter_since = x.since
    FROM (SELECT s.account_id, min(ss.confirmed_at) AS since
          FROM newsletter_subscribers s JOIN newsletter_subscriptions ss ON ss.subscriber_id = s.id
          WHERE s.account_id IS NOT NULL AND ss.status = 'confirmed' GROUP BY s.account_id) x
    WHERE p.account_id = x.account_id;
DROP TABLE IF EXISTS newsletter_deliveries;
DROP SEQUENCE IF EXISTS newsletter_claim_seq;
DROP TABLE IF EXISTS newsletter_issue_lists;
DROP TABLE IF EXISTS newsletter_issues;
DROP TABLE IF EXISTS newsletter_subscriptions;
DROP TABLE IF EXISTS newsletter_subscribers;
DROP TABLE IF EXISTS newsletter_lists;
