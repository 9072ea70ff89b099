package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/seed"
)

// TestPublicPagesShowNoPersonalData seeds members who post on the board and
// crawls every public page a visitor can reach, looking for any member's
// name, kana, address, phone, FAX or e-mail: only handle names may appear.
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
	// Crawl: start from every list and follow links on this site.
	queue := []string{"/", "/board", "/events", "/groups", "/notices", "/subsidies", "/articles", "/facilities"}
	for _, c := range []string{"general", "events", "volunteer", "childcare", "environment", "disaster", "question"} {
		queue = append(queue, "/board?category="+c)
	}
	seen := map[string]bool{}
	pages := 0
	for len(queue) > 0 && pages < 400 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		res := e.get(path)
		if res.StatusCode != 200 {
			continue
		}
		pages++
		for _, s := range secrets {
			if strings.Contains(res.Body, s) {
				t.Fatalf("%s shows a member's personal data %q", path, s)
			}
		}
		res.Doc.Find("main a[href^='/']").Each(func(_ int, a *goquery.Selection) {
			href, _ := a.Attr("href")
			if !seen[href] && !strings.HasPrefix(href, "/leave") {
				queue = append(queue, href)
			}
		})
	}
	if pages < 50 {
		t.Fatalf("crawled only %d public pages", pages)
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
