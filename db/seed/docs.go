package seed

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"
)

// docReplacer fills a template's placeholders for one document.
func (s *seeder) docReplacer(r *rand.Rand, when time.Time, department string) *strings.Replacer {
	facility := "区民センター"
	if len(s.facilityRows) > 0 {
		facility = pick(r, s.facilityRows).Name
	}
	return strings.NewReplacer(
		"{町}", pickTown(r).Name,
		"{年度}", fiscalYear(when),
		"{日付}", jpDate(when.AddDate(0, 0, 7+r.IntN(40))),
		"{施設}", facility,
		"{課}", department,
	)
}

// pastTime returns a working-hours time in the i-th of n slices of the span
// before now, newest first.
func pastTime(r *rand.Rand, now time.Time, span time.Duration, i, n int) time.Time {
	at := now.Add(-time.Duration((float64(i) + r.Float64()) / float64(n) * float64(span)))
	t := atJST(at, 0, 9+r.IntN(8), 15*r.IntN(4))
	if t.After(now) {
		t = atJST(now, -1, 10, 0)
	}
	return t
}

// notices writes ward notices over the past year; a couple are scheduled
// for the coming days.
func (s *seeder) notices(ctx context.Context) error {
	N := s.o.Notices
	if N == 0 {
		return nil
	}
	start := time.Now()
	r := newRand(s.o.Seed, streamNotices)
	future := min(2, N/10)
	perm := r.Perm(len(noticeTemplates))
	i := 0
	n, err := s.copyRows(ctx, "notices", []string{"title", "body", "department", "published_at", "created_at"}, func() []any {
		if i == N {
			return nil
		}
		var pub time.Time
		if i < future {
			pub = atJST(s.now, 1+r.IntN(14), 9, 0)
		} else {
			pub = pastTime(r, s.now, 365*24*time.Hour, i-future, N-future)
		}
		t := noticeTemplates[perm[i%len(perm)]]
		i++
		rep := s.docReplacer(r, pub, t.Department)
		created := pub.Add(-time.Duration(1+r.IntN(120)) * time.Hour)
		return []any{rep.Replace(t.Title), expandDoc(t.Paragraphs, rep), t.Department, pub, created}
	})
	if err != nil {
		return err
	}
	s.c.Notices = n
	s.done("notices", n, start)
	return nil
}

// subsidies writes subsidy programmes; most still take applications.
func (s *seeder) subsidies(ctx context.Context) error {
	N := s.o.Subsidies
	if N == 0 {
		return nil
	}
	start := time.Now()
	r := newRand(s.o.Seed, streamSubsidies)
	perm := r.Perm(len(subsidyTemplates))
	i := 0
	n, err := s.copyRows(ctx, "subsidies", []string{"title", "body", "department", "amount", "apply_until", "published_at", "created_at"}, func() []any {
		if i == N {
			return nil
		}
		t := subsidyTemplates[perm[i%len(perm)]]
		i++
		pub := pastTime(r, s.now, 300*24*time.Hour, i-1, N)
		var until time.Time
		if r.IntN(4) == 0 {
			// Closed: the deadline passed.
			until = pub.AddDate(0, 0, 30+r.IntN(60))
			if !until.Before(s.now) {
				until = s.now.AddDate(0, 0, -1-r.IntN(20))
			}
		} else {
			until = s.now.AddDate(0, 0, 14+r.IntN(170))
		}
		u := until.In(jst)
		var applyUntil any = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
		if r.IntN(12) == 0 {
			applyUntil = nil // year-round
		}
		// The programme's fiscal year is the one its deadline falls in.
		rep := s.docReplacer(r, until, t.Department)
		body := expandDoc(t.Paragraphs, rep) + "\n\n助成額：" + t.Amount
		created := pub.Add(-time.Duration(1+r.IntN(72)) * time.Hour)
		return []any{rep.Replace(t.Title), body, t.Department, t.Amount, applyUntil, pub, created}
	})
	if err != nil {
		return err
	}
	s.c.Subsidies = n
	s.done("subsidies", n, start)
	return nil
}

// articles writes articles and columns over the past two years.
func (s *seeder) articles(ctx context.Context) error {
	N := s.o.Articles
	if N == 0 {
		return nil
	}
	start := time.Now()
	r := newRand(s.o.Seed, streamArticles)
	ai, ci := r.Perm(len(articleTemplates)), r.Perm(len(columnTemplates))
	na, nc := 0, 0
	i := 0
	n, err := s.copyRows(ctx, "articles", []string{"kind", "title", "body", "author_label", "published_at", "created_at"}, func() []any {
		if i == N {
			return nil
		}
		pub := pastTime(r, s.now, 2*365*24*time.Hour, i, N)
		i++
		kind, author := "article", articleAuthor
		var t docTemplate
		if r.IntN(100) < 35 {
			kind, author = "column", pick(r, columnAuthors)
			t = columnTemplates[ci[nc%len(ci)]]
			nc++
		} else {
			t = articleTemplates[ai[na%len(ai)]]
			na++
		}
		rep := s.docReplacer(r, pub, "")
		created := pub.Add(-time.Duration(1+r.IntN(240)) * time.Hour)
		return []any{kind, rep.Replace(t.Title), expandDoc(t.Paragraphs, rep), author, pub, created}
	})
	if err != nil {
		return err
	}
	s.c.Articles = n
	s.done("articles", n, start)
	return nil
}
