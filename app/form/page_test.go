package form

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/app/markup"
	"github.com/wardportal/portal/db"
)

func TestPageValidate(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 12, 1, 9, 30, 0, 0, jst)
	base := func(kind string) Page {
		return Page{Kind: kind, Title: "年末年始の窓口", Body: "## 受付時間\n\n平日の9時から17時まで。", Tags: "年末年始、窓口, 窓口",
			PublishDate: "２０２６－１２－０４", PublishTime: "10:00"}
	}
	with := func(kind string, edit func(*Page)) Page {
		p := base(kind)
		edit(&p)
		return p
	}
	publish := time.Date(2026, 12, 4, 10, 0, 0, 0, jst)
	for _, tc := range []struct {
		name   string
		in     Page
		errs   map[string]string // field → message id; nil: valid
		fields db.PageFields     // when valid
		check  func(t *testing.T, c db.PageContent)
	}{
		{name: "general page", in: base(db.PageGeneral), check: func(t *testing.T, c db.PageContent) {
			if !c.PublishAt.Equal(publish) || c.EndAt != nil || !reflect.DeepEqual(c.Tags, []string{"年末年始", "窓口"}) {
				t.Errorf("content %+v", c)
			}
		}},
		{name: "notice, urgent", in: with(db.PageNotice, func(p *Page) { p.Urgent = true }), fields: db.PageFields{Urgent: true}},
		{name: "notice ending", in: with(db.PageNotice, func(p *Page) { p.EndDate, p.EndTime = "2026-12-28", "17:00" }),
			check: func(t *testing.T, c db.PageContent) {
				if c.EndAt == nil || !c.EndAt.Equal(time.Date(2026, 12, 28, 17, 0, 0, 0, jst)) {
					t.Errorf("end %v", c.EndAt)
				}
			}},
		{name: "empty", in: Page{Kind: db.PageNotice}, errs: map[string]string{
			"title": "form.err.page_title_required", "body": "form.err.page_body_required", "publish_date": "form.err.date"}},
		{name: "unknown kind", in: base("blog"), errs: map[string]string{"kind": "form.err.page_kind"}},
		{name: "title too long", in: with(db.PageGeneral, func(p *Page) { p.Title = strings.Repeat("題", PageTitleMax+1) }),
			errs: map[string]string{"title": "form.err.page_title_long"}},
		{name: "body too long", in: with(db.PageGeneral, func(p *Page) { p.Body = strings.Repeat("あ", markup.MaxSource+1) }),
			errs: map[string]string{"body": "form.err.page_body_long"}},
		{name: "too many tags", in: with(db.PageGeneral, func(p *Page) { p.Tags = "a b c d e f g h i j k" }),
			errs: map[string]string{"tags": "form.err.page_tags"}},
		{name: "publish in the past", in: with(db.PageNotice, func(p *Page) { p.PublishDate = "2026-11-30" }),
			errs: map[string]string{"publish_date": "form.err.page_publish_past"}},
		{name: "publish time not a time", in: with(db.PageNotice, func(p *Page) { p.PublishTime = "25:00" }),
			errs: map[string]string{"publish_time": "form.err.time"}},
		{name: "end before publish", in: with(db.PageNotice, func(p *Page) { p.EndDate, p.EndTime = "2026-12-04", "09:00" }),
			errs: map[string]string{"end_date": "form.err.page_end_before_publish"}},
		{name: "end date without time", in: with(db.PageNotice, func(p *Page) { p.EndDate = "2026-12-28" }),
			errs: map[string]string{"end_time": "form.err.time"}},
		{name: "year zero", in: with(db.PageNotice, func(p *Page) { p.PublishDate = "0000-01-01" }),
			errs: map[string]string{"publish_date": "form.err.date"}},
		{name: "subsidy", in: with(db.PageSubsidy, func(p *Page) {
			p.Eligibility, p.Amount, p.ApplyFrom, p.ApplyUntil = "区内に住む方", "上限5万円", "2027-01-04", "２０２７-０２-２８"
		}), fields: db.PageFields{Eligibility: "区内に住む方", Amount: "上限5万円", ApplyFrom: "2027-01-04", ApplyUntil: "2027-02-28"}},
		{name: "subsidy deadline before opening", in: with(db.PageSubsidy, func(p *Page) { p.ApplyFrom, p.ApplyUntil = "2027-03-01", "2027-02-28" }),
			errs: map[string]string{"apply_until": "form.err.page_apply_order"}},
		{name: "subsidy bad deadline", in: with(db.PageSubsidy, func(p *Page) { p.ApplyUntil = "2月28日" }),
			errs: map[string]string{"apply_until": "form.err.date"}},
		{name: "subsidy long amount", in: with(db.PageSubsidy, func(p *Page) { p.Amount = strings.Repeat("円", AmountMax+1) }),
			errs: map[string]string{"amount": "form.err.too_long"}},
		{name: "column", in: with(db.PageArticle, func(p *Page) {
			p.ArticleKind, p.AuthorLabel, p.Groups, p.Facilities = "column", "運営事務局", "12, /groups/15 https://portal.example.jp/groups/12/", []string{"3", "３"}
		}), fields: db.PageFields{ArticleKind: "column", AuthorLabel: "運営事務局", GroupIDs: []int64{12, 15}, FacilityIDs: []int64{3}}},
		{name: "article without kind", in: base(db.PageArticle), errs: map[string]string{"article_kind": "form.err.page_article_kind"}},
		{name: "article with a bad group", in: with(db.PageArticle, func(p *Page) { p.ArticleKind, p.Groups = "article", "/events/3" }),
			errs: map[string]string{"groups": "form.err.page_groups"}},
		{name: "article with a bad facility", in: with(db.PageArticle, func(p *Page) { p.ArticleKind, p.Facilities = "article", []string{"x"} }),
			errs: map[string]string{"facilities": "form.err.facility"}},
		{name: "facility", in: with(db.PageFacility, func(p *Page) {
			p.Body, p.Category, p.Town, p.Address, p.Phone, p.URL, p.SortOrder = "", "図書館", "四谷", "四谷1-2-3", "０３ー１２３４ー５６７８", "https://www.city.example.jp/lib/", "２"
		}), fields: db.PageFields{Category: "図書館", Town: "四谷", Address: "四谷1-2-3", Phone: "03-1234-5678", URL: "https://www.city.example.jp/lib/", SortOrder: 2}},
		{name: "facility without category or town", in: with(db.PageFacility, func(p *Page) {}),
			errs: map[string]string{"category": "form.err.page_category_required", "town": "form.err.page_town_required"}},
		{name: "facility bad phone and address", in: with(db.PageFacility, func(p *Page) {
			p.Category, p.Town, p.Phone, p.URL = "図書館", "四谷", "1234", "javascript:alert(1)"
		}), errs: map[string]string{"phone": "form.err.phone", "url": "form.err.page_url"}},
		{name: "facility address without scheme", in: with(db.PageFacility, func(p *Page) { p.Category, p.Town, p.URL = "図書館", "四谷", "www.city.example.jp" }),
			errs: map[string]string{"url": "form.err.page_url"}},
		{name: "facility sort order out of range", in: with(db.PageFacility, func(p *Page) { p.Category, p.Town, p.SortOrder = "図書館", "四谷", "-1" }),
			errs: map[string]string{"sort_order": "form.err.sort_order"}},
		{name: "another kind's fields are dropped", in: with(db.PageNotice, func(p *Page) { p.Amount, p.Category = "上限5万円", "図書館" })},
	} {
		in := tc.in
		in.Normalize()
		c, errs := in.Validate(now, jst)
		if tc.errs == nil {
			if errs.Any() {
				t.Errorf("%s: errors %v", tc.name, errs)
				continue
			}
			if !reflect.DeepEqual(c.Fields, tc.fields) {
				t.Errorf("%s: fields %+v, want %+v", tc.name, c.Fields, tc.fields)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
			continue
		}
		for field, id := range tc.errs {
			if errs[field] != id {
				t.Errorf("%s: %s: %q, want %q (all: %v)", tc.name, field, errs[field], id, errs)
			}
		}
		for field := range errs {
			if _, ok := tc.errs[field]; !ok {
				t.Errorf("%s: unexpected error on %s: %s", tc.name, field, errs[field])
			}
		}
	}
}

func TestMarkdownKeepsMeaning(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"\r\n\r\n# 見出し\r\n\r\n行末の改行  \r\n次の行\r\n\r\n\r\n```\na\n\n\nb\n```\n\n": "# 見出し\n\n行末の改行  \n次の行\n\n\n```\na\n\n\nb\n```",
		"ｶﾞ\u200bイド\x07": "ｶﾞイド",
	} {
		if got := Markdown(in); got != want {
			t.Errorf("Markdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultPublishAt(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	for _, tc := range []struct {
		now  time.Time
		lead int
		want time.Time
	}{
		{time.Date(2026, 12, 1, 9, 30, 0, 0, jst), 2, time.Date(2026, 12, 3, 10, 0, 0, 0, jst)},
		{time.Date(2026, 12, 1, 9, 0, 0, 0, jst), 2, time.Date(2026, 12, 3, 9, 0, 0, 0, jst)},
		{time.Date(2026, 12, 31, 23, 59, 0, 0, jst), 0, time.Date(2027, 1, 1, 0, 0, 0, 0, jst)},
		// The server's clock in UTC: the day and hour are Japan's.
		{time.Date(2026, 12, 1, 15, 10, 0, 0, time.UTC), 2, time.Date(2026, 12, 4, 1, 0, 0, 0, jst)},
	} {
		if got := DefaultPublishAt(tc.now, tc.lead, jst); !got.Equal(tc.want) || got.Location() != jst {
			t.Errorf("DefaultPublishAt(%v, %d) = %v, want %v", tc.now, tc.lead, got, tc.want)
		}
	}
}

func TestPageFromContentRoundTrips(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	end := time.Date(2027, 3, 31, 17, 0, 0, 0, jst)
	c := db.PageContent{Title: "子育て支援", Body: "本文", Tags: []string{"子育て", "補助"}, PublishAt: time.Date(2026, 12, 4, 10, 0, 0, 0, jst), EndAt: &end,
		Fields: db.PageFields{ArticleKind: "article", AuthorLabel: "事務局", GroupIDs: []int64{4, 9}, FacilityIDs: []int64{2}}}
	f := PageFromContent(db.PageArticle, c, jst)
	f.Normalize()
	got, errs := f.Validate(time.Date(2026, 12, 1, 0, 0, 0, 0, jst), jst)
	if errs.Any() || !reflect.DeepEqual(got.Fields, c.Fields) || !got.PublishAt.Equal(c.PublishAt) || !got.EndAt.Equal(end) ||
		!reflect.DeepEqual(got.Tags, c.Tags) || got.Title != c.Title {
		t.Errorf("round trip: %+v %v", got, errs)
	}
}
