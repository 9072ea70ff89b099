package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/seed"
)

// TestPublicPagesShowNoPersonalData seeds members who post on the board,
// groups, an inquiry and a consent record, and crawls every public page of
// every kind — lists, details, general pages, a sub-site, searches for the
// personal data itself, calendar files, meta (OGP) tags, the live streams'
// replay and the disaster-mode home — as a visitor and as another member,
// looking for any member's name, kana, address, phone, FAX or e-mail, an
// inquirer's or a consent subject's data, or a login ID: only handle names
// may appear.
func TestPublicPagesShowNoPersonalData(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	o := seed.Defaults()
	o.Members, o.Groups, o.Events, o.Posts, o.Notices, o.Subsidies, o.Articles = 120, 8, 20, 300, 5, 3, 3
	o.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=2$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
	o.Now = time.Now()
	if _, err := seed.Run(ctx, e.db, o, io.Discard); err != nil {
		t.Fatal(err)
	}
	var profiles []db.MemberProfile
	if err := e.db.Bun.NewSelect().Model(&profiles).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, p := range profiles {
		secrets = append(secrets, p.Name, p.NameKana, p.Address, p.Phone, p.Email)
		if p.Fax != "" {
			secrets = append(secrets, p.Fax)
		}
	}
	// Recognisable personal data beyond the members' profiles: an
	// inquiry's sender, a consent record's subject and how they agreed, and
	// the login IDs of members and groups (credentials, never shown).
	secrets = append(secrets, "問合 秘子", "toiawase.himitsu@example.jp", "090-8888-7777", "同意 秘太郎", "同意書を090-6666-5555で確認")
	var logins []string
	if err := e.db.Bun.NewRaw(`SELECT login_id FROM accounts WHERE kind IN (?, ?) AND length(login_id) >= 6`, db.KindMember, db.KindGroup).
		Scan(ctx, &logins); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, logins...)
	pub := newPublisher(t, e)
	consentPage := pub.publish(pageSpec{kind: db.PageGeneral, title: "地域清掃の報告", body: "多くの方が参加しました。"})
	if _, err := e.db.CreateConsent(ctx, db.Actor{Account: pub.editor, Role: db.RoleEditor}, db.NewConsent{PageID: consentPage,
		SubjectName: "同意 秘太郎", Purpose: "活動報告", Content: "氏名と写真", StartDate: time.Now(), EndDate: time.Now().AddDate(0, 1, 0),
		Method: db.ConsentWritten, MethodNote: "同意書を090-6666-5555で確認"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Bun.NewInsert().Model(&db.Inquiry{DivisionID: pub.divA.ID, PageID: &consentPage, Subject: "清掃の日程",
		Body: "参加したいです。", Name: "問合 秘子", Email: "toiawase.himitsu@example.jp", Phone: "090-8888-7777", IPHash: "x"}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// A department sub-site with a published page.
	mgr := e.staffAccount("privacy-mgr", db.RoleSiteManager, db.RoleEditor, db.RoleApprover)
	sub, subPage := e.subSiteFixture(mgr, "privacy-sub", "privacy-applied")
	// Live events: members' topics approved now, so the board's stream has
	// something to replay.
	mod := e.staffAccount("privacy-mod", db.RoleModerator)
	var cat int64
	if err := e.db.Bun.NewRaw(`SELECT id FROM board_categories ORDER BY id LIMIT 1`).Scan(ctx, &cat); err != nil {
		t.Fatal(err)
	}
	for i, p := range profiles[:3] {
		author, err := e.db.AccountByID(ctx, p.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		post, err := e.db.SubmitPost(ctx, author, db.PostInput{CategoryID: cat, Title: fmt.Sprintf("ライブの話題 %d", i), Body: "本文"}, db.AccessEvent{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := e.db.ModerationQueue(ctx, []string{db.ItemOpen}, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range q {
			if it.Post != nil && it.Post.ID == post.ID {
				if _, err := e.db.DecideItem(ctx, db.Decision{ItemID: it.Item.ID, Version: it.Item.Version, Action: db.ActApprove,
					Actor: db.Actor{Account: mod, Role: db.RoleModerator}}, func(db.Outcome) *db.Mail { return nil }); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var anEvent int64
	if err := e.db.Bun.NewRaw(`SELECT id FROM events WHERE status = ? ORDER BY id LIMIT 1`, db.EventPublished).Scan(ctx, &anEvent); err != nil {
		t.Fatal(err)
	}
	// Another member, signed in: their own data is theirs to see, so they
	// are made after the secrets were gathered.
	other := e.client()
	other.memberAccount("M9990001", "よそのひと")
	other.signIn("M9990001", "member-password-1").wantStatus(t, 303)

	leaks := func(who, where, body string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Fatalf("%s: %s shows personal data %q", who, where, s)
			}
		}
	}
	// Searches for the secrets themselves find nothing that shows them.
	starts := []string{"/", "/board", "/events", "/groups", "/notices", "/subsidies", "/articles", "/facilities", "/inquiry",
		fmt.Sprintf("/pages/%d", consentPage), "/s/" + sub.Slug, fmt.Sprintf("/s/%s/pages/%d", sub.Slug, subPage), "/events.ics",
		fmt.Sprintf("/events/%d.ics", anEvent)}
	for _, c := range []string{"general", "events", "volunteer", "childcare", "environment", "disaster", "question"} {
		starts = append(starts, "/board?category="+c)
	}
	for _, q := range []string{profiles[0].Name, profiles[1].Email, "秘子", "秘太郎", profiles[2].Phone} {
		starts = append(starts, "/board?q="+url.QueryEscape(q), "/events?q="+url.QueryEscape(q))
	}
	crawl := func(who string, c *testEnv, limit int) int {
		queue := slices.Clone(starts)
		seen := map[string]bool{}
		pages := 0
		for len(queue) > 0 && pages < limit {
			path := queue[0]
			queue = queue[1:]
			if seen[path] {
				continue
			}
			seen[path] = true
			res := c.get(path)
			if res.StatusCode != 200 {
				continue
			}
			pages++
			body := res.Body
			if u, err := url.Parse(path); err == nil && u.Query().Get("q") != "" {
				// A search shows back what the person typed; the rest of the
				// page must not hold it.
				body = strings.ReplaceAll(body, u.Query().Get("q"), "")
			}
			leaks(who, path, body)
			if res.Doc == nil {
				continue
			}
			res.Doc.Find("meta").Each(func(_ int, m *goquery.Selection) { leaks(who, path+" <meta>", m.AttrOr("content", "")) })
			res.Doc.Find("a[href^='/']").Each(func(_ int, a *goquery.Selection) {
				href, _ := a.Attr("href")
				if !seen[href] && !strings.HasPrefix(href, "/leave") && !strings.HasPrefix(href, "/staff") && !strings.HasPrefix(href, "/account") &&
					!strings.HasPrefix(href, "/moderation") && !strings.HasPrefix(href, "/static") && !strings.HasPrefix(href, "/files") {
					queue = append(queue, href)
				}
			})
		}
		return pages
	}
	if pages := crawl("a visitor", e, 400); pages < 50 {
		t.Fatalf("crawled only %d public pages", pages)
	}
	if pages := crawl("another member", other, 150); pages < 50 {
		t.Fatalf("another member crawled only %d pages", pages)
	}
	// The live streams replay what they hold (from id 0) without personal data.
	for _, path := range []string{"/board/live", fmt.Sprintf("/events/%d/live", anEvent)} {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		req, _ := http.NewRequestWithContext(sctx, http.MethodGet, e.srv.URL+path, nil)
		req.Header.Set("Last-Event-ID", "0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body) // until the timeout ends the stream
		res.Body.Close()
		cancel()
		if path == "/board/live" && !strings.Contains(string(body), "ライブの話題") {
			t.Errorf("the board's stream replayed nothing: %.300s", body)
		}
		leaks("a visitor", path, string(body))
	}
	// The disaster-mode home page, as visitor and member.
	manager := pub.manager
	official, err := e.db.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddSiteStaff(ctx, db.Actor{Account: manager, Role: db.RoleSiteManager}, official.ID, manager.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.SetDisasterMode(ctx, db.Actor{Account: manager, Role: db.RoleSiteManager}, true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := e.get("/")
		leaks("a visitor", "the disaster-mode home", res.Body)
		leaks("another member", "the disaster-mode home", other.get("/").Body)
		if strings.Contains(res.Doc.Find("link[rel=stylesheet]").AttrOr("href", ""), "disaster") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the home page did not switch to disaster mode")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Topics written by a member show their handle and nothing else.
	var topic db.BoardPost
	if err := e.db.Bun.NewSelect().Model(&topic).Where("status = 'published' AND topic_id IS NULL").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	author, _ := e.db.AccountByID(ctx, topic.AuthorID)
	res := e.get(fmt.Sprintf("/board/%d", topic.ID))
	if author.Status != db.StatusWithdrawn && !strings.Contains(res.Body, author.DisplayName) {
		t.Errorf("topic page does not show the author's handle %q", author.DisplayName)
	}
	if strings.Contains(res.Body, author.LoginID) {
		t.Errorf("topic page shows the author's user ID")
	}
}
