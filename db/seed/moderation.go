package seed

import (
	"context"
	"time"
)

// moderationItems puts every seeded post that is not public into the
// moderation queue as a real one would be: pending posts as open items,
// rejected posts as decided items with a reason and a message, so the
// queue and the authors' pages are populated like production.
func (s *seeder) moderationItems(ctx context.Context) error {
	start := time.Now()
	tag, err := s.tx.Exec(ctx, `
		INSERT INTO moderation_items (kind, subject_id, origin, status, submitted_by, submitted_at, updated_at,
		                              decided_at, decided_role, reason, message)
		SELECT 'board_post', p.id, 'submission',
		       CASE p.status WHEN 'pending' THEN 'open' ELSE 'rejected' END,
		       p.author_id, p.created_at, p.created_at,
		       CASE p.status WHEN 'rejected' THEN p.created_at + interval '3 hours' END,
		       CASE p.status WHEN 'rejected' THEN 'moderator' ELSE '' END,
		       CASE p.status WHEN 'rejected' THEN (ARRAY['privacy', 'political_religious', 'other'])[1 + p.id % 3] END,
		       CASE p.status WHEN 'rejected' THEN '掲載の基準に合わないため差し戻しました。内容を見直して再投稿してください。' ELSE '' END
		FROM board_posts AS p
		WHERE p.status IN ('pending', 'rejected')
		  AND NOT EXISTS (SELECT 1 FROM moderation_items AS i WHERE i.kind = 'board_post' AND i.subject_id = p.id)`)
	if err != nil {
		return err
	}
	s.c.ModerationItems = int(tag.RowsAffected())
	s.done("moderation_items", s.c.ModerationItems, start)
	return nil
}
