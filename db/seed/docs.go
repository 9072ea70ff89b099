package seed

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/wardportal/portal/db"
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

// notices writes ward notices over the past year, each owned by the
// division its template names; a couple are approved and scheduled for the
// coming days, waiting for the scheduler.
func (s *seeder) notices(ctx context.Context) error {
	N := s.o.Notices
	if N == 0 {
		return nil
	}
	r := newRand(s.o.Seed, streamNotices)
	future := min(2, N/10)
	perm := r.Perm(len(noticeTemplates))
	for i := range N {
		var pub time.Time
		if i < future {
			pub = atJST(s.now, 1+r.IntN(14), 9, 0)
		} else {
			pub = pastTime(r, s.now, 365*24*time.Hour, i-future, N-future)
		}
		t := noticeTemplates[perm[i%len(perm)]]
		rep := s.docReplacer(r, pub, t.Department)
		created := pub.Add(-time.Duration(1+r.IntN(120)) * time.Hour)
		div, err := s.division(ctx, t.Department)
		if err != nil {
			return err
		}
		title := rep.Replace(t.Title)
		s.pages = append(s.pages, seedPage{kind: db.PageNotice, division: div, title: title,
			body: expandDoc(t.Paragraphs, rep), tags: tagsFor(title), publish: pub, created: created, scheduled: i < future})
	}
	s.c.Notices = N
	return nil
}

// subsidies writes subsidy programmes; most still take applications.
func (s *seeder) subsidies(ctx context.Context) error {
	N := s.o.Subsidies
	if N == 0 {
		return nil
	}
	r := newRand(s.o.Seed, streamSubsidies)
	perm := r.Perm(len(subsidyTemplates))
	for i := range N {
		t := subsidyTemplates[perm[i%len(perm)]]
		pub := pastTime(r, s.now, 300*24*time.Hour, i, N)
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
		f := db.PageFields{Amount: t.Amount, ApplyUntil: until.In(jst).Format(time.DateOnly)}
		if r.IntN(12) == 0 {
			f.ApplyUntil = "" // year-round
		} else {
			f.ApplyFrom = pub.In(jst).Format(time.DateOnly)
		}
		// The programme's fiscal year is the one its deadline falls in.
		rep := s.docReplacer(r, until, t.Department)
		body := expandDoc(t.Paragraphs, rep) + "\n\n助成額：" + t.Amount
		created := pub.Add(-time.Duration(1+r.IntN(72)) * time.Hour)
		f.Eligibility = pick(r, eligibilities)
		div, err := s.division(ctx, t.Department)
		if err != nil {
			return err
		}
		title := rep.Replace(t.Title)
		s.pages = append(s.pages, seedPage{kind: db.PageSubsidy, division: div, title: title, body: body, fields: f,
			tags: tagsFor(title), publish: pub, created: created})
	}
	s.c.Subsidies = N
	return nil
}

// articles writes the operator's articles and columns over the past two
// years; some articles introduce a group or report from a facility and
// link them.
func (s *seeder) articles(ctx context.Context) error {
	N := s.o.Articles
	if N == 0 {
		return nil
	}
	r := newRand(s.o.Seed, streamArticles)
	ai, ci := r.Perm(len(articleTemplates)), r.Perm(len(columnTemplates))
	na, nc := 0, 0
	var published []groupRow
	for _, g := range s.groupRows {
		if g.Published {
			published = append(published, g)
		}
	}
	div, err := s.division(ctx, operatorDivision)
	if err != nil {
		return err
	}
	for i := range N {
		pub := pastTime(r, s.now, 2*365*24*time.Hour, i, N)
		f := db.PageFields{ArticleKind: "article", AuthorLabel: articleAuthor}
		var t docTemplate
		if r.IntN(100) < 35 {
			f.ArticleKind, f.AuthorLabel = "column", pick(r, columnAuthors)
			t = columnTemplates[ci[nc%len(ci)]]
			nc++
		} else {
			t = articleTemplates[ai[na%len(ai)]]
			na++
		}
		rep := s.docReplacer(r, pub, "")
		created := pub.Add(-time.Duration(1+r.IntN(240)) * time.Hour)
		if f.ArticleKind == "article" {
			if len(published) > 0 && r.IntN(2) == 0 {
				f.GroupIDs = []int64{pick(r, published).ID}
			}
			if len(s.facilityRows) > 0 && r.IntN(5) < 2 {
				f.FacilityIDs = []int64{pick(r, s.facilityRows).ID}
			}
		}
		title := rep.Replace(t.Title)
		s.pages = append(s.pages, seedPage{kind: db.PageArticle, division: div, title: title,
			body: expandDoc(t.Paragraphs, rep), fields: f, tags: tagsFor(title), publish: pub, created: created})
	}
	s.c.Articles = N
	return nil
}

// tagsFor gives a document the topics its title speaks of, so that topic
// pages gather notices, subsidies and articles of several divisions.
func tagsFor(title string) []string {
	tags := []string{}
	for _, rule := range tagRules {
		for _, w := range rule.words {
			if strings.Contains(title, w) {
				tags = append(tags, rule.tag)
				break
			}
		}
	}
	return tags
}
