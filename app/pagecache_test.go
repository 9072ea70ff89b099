package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// keptBodies returns every page the cache keeps, decompressed, by key.
func keptBodies(t *testing.T, pc *pageCache) map[string]string {
	t.Helper()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	out := map[string]string{}
	for key, el := range pc.entries {
		p := el.Value.(*pageEntry).page
		body := p.body
		if p.gzipped {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		}
		out[key] = string(body)
	}
	return out
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("10 s and still not: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPageCacheServesVisitorsOutsideDisasterMode: on an ordinary day a
// visitor's home and board come from memory without a statement, while
// every visitor's form carries that visitor's own token and works without
// JavaScript, and nothing of a signed-in user's page is ever kept or served
// to a visitor.
func TestPageCacheServesVisitorsOutsideDisasterMode(t *testing.T) {
	t.Parallel()
	store := dbtest.New(t)
	queries := &queryCounter{}
	store.Bun = store.Bun.WithQueryHook(queries)
	e := newTestEnvDB(t, store)
	b := boardEnvOn(t, e)
	id := b.postTopic(b.alice, "公園の清掃", "日曜の朝に清掃します。")
	itemID, version := b.item(b.mod1, id)
	b.decide(b.mod1, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)

	// A signed-in member and staff look first: their pages are their own.
	for _, c := range []*testEnv{b.alice, b.mod1} {
		for _, p := range []string{"/", "/board", fmt.Sprintf("/board/%d", id)} {
			if res := c.get(p); res.Doc.Find(`a[href="/account"]`).Length() == 0 {
				t.Fatalf("%s as a signed-in user shows no link to their page", p)
			}
		}
	}
	if n, _ := e.app.pages.Len(); n != 0 {
		t.Errorf("%d pages kept from signed-in users' requests", n)
	}

	// Visitors: the first renders, the next are answered from memory.
	paths := []string{"/", "/board", fmt.Sprintf("/board/%d", id), "/events", "/groups"}
	first := e.client()
	for _, p := range paths {
		first.get(p).wantStatus(t, http.StatusOK)
	}
	before := queries.n.Load()
	for range 3 {
		v := e.client()
		for _, p := range paths {
			res := v.get(p)
			res.wantStatus(t, http.StatusOK)
			if res.Doc.Find(`a[href="/account"]`).Length() != 0 || res.Doc.Find(`a[href="/moderation"]`).Length() != 0 {
				t.Errorf("%s: a visitor got a signed-in user's page", p)
			}
			if res.Doc.Find(`a[href="/login"]`).Length() == 0 {
				t.Errorf("%s: a visitor is not offered to sign in", p)
			}
			if res.Header.Get("Set-Cookie") != "" {
				t.Errorf("%s: a kept page sets a cookie %q", p, res.Header.Get("Set-Cookie"))
			}
		}
	}
	if n := queries.n.Load() - before; n != 0 {
		t.Errorf("visitors' pages cost %d statements, want 0 (served from memory)", n)
	}
	kept := keptBodies(t, e.app.pages)
	if len(kept) < len(paths) {
		t.Errorf("%d pages kept, want %d", len(kept), len(paths))
	}
	for key, body := range kept {
		for _, bad := range []string{`name="_csrf"`, "X-CSRF-Token", "hx-headers", `href="/account"`, "/moderation", "mod1"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s kept with %q in it", key, bad)
			}
		}
	}

	// Two visitors' forms: each carries the visitor's own token (the one
	// of their cookie), never another's or a kept one, and posts without
	// JavaScript.
	tokens := map[string]bool{}
	for range 2 {
		v := e.client()
		v.get("/board") // from memory: no token, no cookie
		res := v.get("/login")
		tok := res.csrfToken(t)
		if tokens[tok] {
			t.Fatal("two visitors got the same CSRF token")
		}
		tokens[tok] = true
		u, _ := url.Parse(e.srv.URL)
		var cookie string
		for _, ck := range v.http.Jar.Cookies(u) {
			if ck.Name == csrfCookieName(e.app.cfg) {
				cookie = ck.Value
			}
		}
		if cookie != tok {
			t.Errorf("the sign-in form's token %q is not the visitor's own cookie %q", tok, cookie)
		}
		v.post("/login", url.Values{"_csrf": {tok}, "login_id": {"M2000001"}, "password": {"member-password-1"}}).
			wantStatus(t, http.StatusSeeOther)
	}
}

// TestPageCacheFollowsChangesOnEveryInstance runs two instances on one
// database, as production does: a topic approved on one, a handle name
// changed behind both's backs, an event filling up: the other's visitors
// see each within the delivery time, not after the cache's time to live.
func TestPageCacheFollowsChangesOnEveryInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := dbtest.NewURL(t)
	open := func() *db.DB {
		d, err := db.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		return d
	}
	one := newTestEnvDB(t, open())
	two := newTestEnvDB(t, open())
	b := boardEnvOn(t, one)
	visitor := two.client()
	topics := func() string { return visitor.get("/board").Doc.Find("main").Text() }

	before := topics()
	if strings.Contains(before, "公園の清掃") {
		t.Fatal("the topic shows before it is posted")
	}
	if n, _ := two.app.pages.Len(); n == 0 {
		t.Fatal("the other instance kept no page: nothing to invalidate")
	}
	id := b.postTopic(b.alice, "公園の清掃", "日曜の朝に清掃します。")
	// A topic waiting for moderation changes no public page: the kept board
	// stays.
	if got := topics(); got != before {
		t.Error("a pending topic changed the kept board")
	}
	itemID, version := b.item(b.mod1, id)
	b.decide(b.mod1, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)
	waitFor(t, "the other instance's board shows the approved topic", func() bool {
		return strings.Contains(topics(), "公園の清掃")
	})
	page := fmt.Sprintf("/board/%d", id)
	if !strings.Contains(visitor.get(page).Body, "ありす") {
		t.Fatal("the topic page does not show its author's handle")
	}

	// Behind both instances' backs (psql, a job): the triggers tell them.
	if _, err := one.db.Bun.NewUpdate().Table("accounts").Set("display_name = ?", "ありすさん").
		Where("id = ?", b.aliceAcc.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the other instance shows the new handle name", func() bool {
		return strings.Contains(visitor.get(page).Body, "ありすさん")
	})

	// Seats: an event page kept on two shows a sign-up made on one.
	ev := one.publishedEvent(1, 0)
	evPage := fmt.Sprintf("/events/%d", ev.ID)
	seats := func() string { return visitor.get(evPage).Doc.Find("main").Text() }
	open1 := seats()
	b.alice.post(evPage+"/signup", url.Values{"_csrf": {b.alice.token()}}).wantStatus(t, http.StatusSeeOther)
	waitFor(t, "the other instance's event page shows the seat taken", func() bool { return seats() != open1 })
}
