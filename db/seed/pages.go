package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/db"
)

// seedPage is one page a run writes: a page of the official site with one
// revision, live since publish, or approved and waiting for the scheduler
// to publish it at publish (scheduled).
type seedPage struct {
	kind       string
	division   int64
	title      string
	body       string // Markdown
	fields     db.PageFields
	tags       []string
	publish    time.Time
	created    time.Time
	scheduled  bool
	facilityID *int64
}

// decided is when the page's revision was approved: two hours after it
// was written, at its publication at the latest.
func (p *seedPage) decided() time.Time {
	if d := p.created.Add(2 * time.Hour); d.Before(p.publish) {
		return d
	}
	return p.publish
}

// organisation finds the official site (Run has made sure there is one)
// and the divisions that exist, by name.
func (s *seeder) organisation(ctx context.Context) error {
	if err := s.tx.QueryRow(ctx, `SELECT id, division_id FROM sites WHERE official`).Scan(&s.siteID, &s.siteDivision); err != nil {
		return fmt.Errorf("official site: %w", err)
	}
	s.divisionIDs = map[string]int64{}
	return nil
}

// division returns the division of that name, creating it with its
// contact block when there is none.
func (s *seeder) division(ctx context.Context, name string) (int64, error) {
	if id, ok := s.divisionIDs[name]; ok {
		return id, nil
	}
	var id int64
	err := s.tx.QueryRow(ctx, `SELECT id FROM divisions WHERE name = $1 ORDER BY id LIMIT 1`, name).Scan(&id)
	if err == pgx.ErrNoRows {
		code, ok := divisionCodes[name]
		if !ok {
			code = fmt.Sprintf("seed-%d", len(s.divisionIDs)+1)
		}
		r := newRand(s.o.Seed, streamDivisions+uint64(len(s.divisionIDs)))
		contact := fmt.Sprintf("区役所 本庁舎%d階\n電話 %s（直通）\n受付時間 平日 8時30分〜17時15分", 2+r.IntN(6), landline(r, 5))
		if name == operatorDivision {
			contact = fmt.Sprintf("ポータル運営事務局（新宿NPOネットワーク協議会）\n電話 %s\n受付時間 平日 10時〜17時", landline(r, 6))
		}
		// A code another name already holds is that division (reused, not renamed).
		err = s.tx.QueryRow(ctx, `INSERT INTO divisions (code, name, contact) VALUES ($1, $2, $3)
			ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code RETURNING id`, code, name, contact).Scan(&id)
		if err == nil {
			s.c.Divisions++
		}
	}
	if err != nil {
		return 0, err
	}
	s.divisionIDs[name] = id
	return id, nil
}

// facilityPages gives each facility the run created its page in the link
// collection, live since a year before now.
func (s *seeder) facilityPages(ctx context.Context) error {
	if len(s.newFacilities) == 0 {
		return nil
	}
	div, err := s.division(ctx, operatorDivision)
	if err != nil {
		return err
	}
	pub := atJST(s.now, -400, 9, 0)
	for i := range s.newFacilities {
		f := &s.newFacilities[i]
		tags := facilityTags[f.Category]
		if tags == nil {
			tags = []string{}
		}
		s.pages = append(s.pages, seedPage{kind: db.PageFacility, division: div, title: f.Name, tags: tags,
			fields:  db.PageFields{Category: f.Category, Town: f.Town, Address: f.Address, Phone: f.Phone, URL: f.URL, SortOrder: f.SortOrder},
			publish: pub, created: pub, facilityID: &f.ID})
	}
	return nil
}

// generalPages writes the official site's general pages when the run
// writes documents and the site has no general page yet.
func (s *seeder) generalPages(ctx context.Context) error {
	if s.o.Notices == 0 {
		return nil
	}
	var have bool
	if err := s.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pages WHERE site_id = $1 AND kind = $2)`, s.siteID, db.PageGeneral).Scan(&have); err != nil || have {
		return err
	}
	pub := atJST(s.now, -300, 9, 0)
	for _, g := range generalPages {
		s.pages = append(s.pages, seedPage{kind: db.PageGeneral, division: s.siteDivision, title: g.Title, body: g.Body,
			tags: []string{}, publish: pub, created: pub})
	}
	return nil
}

// writePages copies the pages the steps collected, with their revisions and
// history, in three COPYs. Ids are reserved first, so a page names its live
// revision (the constraint is checked at commit) and a revision its page.
func (s *seeder) writePages(ctx context.Context) error {
	if len(s.pages) == 0 {
		return nil
	}
	start := time.Now()
	n := len(s.pages)
	firstPage, err := s.reserveIDs(ctx, "pages", n)
	if err != nil {
		return err
	}
	firstRev, err := s.reserveIDs(ctx, "page_revisions", n)
	if err != nil {
		return err
	}
	i := 0
	if _, err := s.copyRows(ctx, "pages", []string{"id", "site_id", "division_id", "kind", "live_revision_id", "published_at",
		"facility_id", "created_at", "updated_at"}, func() []any {
		if i == n {
			return nil
		}
		p := &s.pages[i]
		id, rev := firstPage+int64(i), firstRev+int64(i)
		i++
		var live, published any = rev, p.publish
		if p.scheduled {
			live, published = nil, nil
		}
		return []any{id, s.siteID, p.division, p.kind, live, published, p.facilityID, p.created, p.publish}
	}); err != nil {
		return err
	}
	i = 0
	if _, err := s.copyRows(ctx, "page_revisions", []string{"id", "page_id", "number", "status", "title", "body", "fields", "tags",
		"publish_at", "created_at", "updated_at", "submitted_at", "decided_at", "published_at", "search_grams"}, func() []any {
		if i == n {
			return nil
		}
		p := &s.pages[i]
		id, page := firstRev+int64(i), firstPage+int64(i)
		i++
		status, updated, submitted := db.RevPublished, p.publish, p.created.Add(time.Hour)
		decided := p.decided()
		var published any = p.publish
		if p.scheduled {
			status, updated, published = db.RevApproved, decided, nil
		}
		if submitted.After(decided) {
			submitted = decided
		}
		return []any{id, page, 1, status, p.title, p.body, p.fields, p.tags, p.publish, p.created, updated, submitted, decided, published,
			db.SearchGrams(p.title, p.body)}
	}); err != nil {
		return err
	}
	i = 0
	if _, err := s.copyRows(ctx, "page_history", []string{"page_id", "revision_id", "action", "from_status", "to_status", "comment", "at"},
		func() []any {
			if i == n {
				return nil
			}
			p := &s.pages[i]
			page, rev := firstPage+int64(i), firstRev+int64(i)
			i++
			// The scheduler's publication, or the approval a scheduled page waits on.
			if p.scheduled {
				return []any{page, rev, db.PageActApprove, db.RevSubmitted, db.RevApproved, seedComment, p.decided()}
			}
			return []any{page, rev, db.PageActPublish, db.RevApproved, db.RevPublished, seedComment, p.publish}
		}); err != nil {
		return err
	}
	s.c.Pages = n
	s.done("pages", n, start)
	return nil
}

// seedComment marks the history of seeded pages.
const seedComment = "dummy data (seed)"
