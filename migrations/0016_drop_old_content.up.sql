-- The public pages read pages now (0015 moved every notice, subsidy, article
-- and facility there); the old tables go.

-- A notice 0015 moved while it was still scheduled (published_at ahead) was
-- moved live; the old list hid it until its time. It waits for that time as
-- an approved revision instead, and the scheduler publishes it then, as it
-- does every approved revision. Only revisions still as 0015 left them.
UPDATE pages AS p SET live_revision_id = NULL, published_at = NULL
FROM page_revisions AS r
WHERE r.id = p.live_revision_id AND r.status = 'published' AND r.publish_at > now()
  AND EXISTS (SELECT 1 FROM page_history AS h WHERE h.revision_id = r.id AND h.action = 'migrate')
  AND NOT EXISTS (SELECT 1 FROM page_revisions AS w WHERE w.page_id = p.id
                  AND w.status IN ('draft', 'submitted', 'sent_back', 'approved'));

UPDATE page_revisions AS r SET status = 'approved', published_at = NULL
FROM pages AS p
WHERE p.id = r.page_id AND p.live_revision_id IS NULL AND r.status = 'published' AND r.publish_at > now()
  AND EXISTS (SELECT 1 FROM page_history AS h WHERE h.revision_id = r.id AND h.action = 'migrate');

UPDATE page_history AS h SET to_status = 'approved', comment = h.comment || '; scheduled, waits for its time'
FROM page_revisions AS r
WHERE r.id = h.revision_id AND h.action = 'migrate' AND r.status = 'approved';

DROP TABLE notices, subsidies, articles;
