package seed

import (
	"context"
	"time"

	"github.com/wardportal/portal/db"
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
		SELECT '`+db.ItemBoardPost+`', p.id, '`+db.OriginSubmission+`',
		       CASE p.status WHEN '`+db.PostPending+`' THEN '`+db.ItemOpen+`' ELSE '`+db.ItemRejected+`' END,
		       p.author_id, p.created_at, p.created_at,
		       CASE p.status WHEN '`+db.PostRejected+`' THEN p.created_at + interval '3 hours' END,
		       CASE p.status WHEN '`+db.PostRejected+`' THEN '`+db.RoleModerator+`' ELSE '' END,
		       CASE p.status WHEN '`+db.PostRejected+`' THEN (ARRAY['privacy', 'political_religious', 'other'])[1 + p.id % 3] END,
		       CASE p.status WHEN '`+db.PostRejected+`' THEN '掲載の基準に合わないため差し戻しました。内容を見直して再投稿してください。' ELSE '' END
		FROM board_posts AS p
		WHERE p.status IN ('`+db.PostPending+`', '`+db.PostRejected+`')
		  AND NOT EXISTS (SELECT 1 FROM moderation_items AS i WHERE i.kind = '`+db.ItemBoardPost+`' AND i.subject_id = p.id)`)
	if err != nil {
		return err
	}
	s.c.ModerationItems = int(tag.RowsAffected())
	s.done("moderation_items", s.c.ModerationItems, start)
	return nil
}
