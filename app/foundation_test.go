package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/app/apptest"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/migrations"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	// A database of our own, so we can take it away.
	url := dbtest.NewURL(t)
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	e := newTestEnvDB(t, d)
	e.get("/healthz").wantStatus(t, http.StatusOK)
	e.get("/readyz").wantStatus(t, http.StatusOK)

	name := url[strings.LastIndex(url, "/")+1:]
	if i := strings.Index(name, "?"); i >= 0 {
		name = name[:i]
	}
	if err := dbtest.Drop(name); err != nil {
		t.Fatal(err)
	}
	e.get("/readyz").wantStatus(t, http.StatusServiceUnavailable)
	e.get("/healthz").wantStatus(t, http.StatusOK)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, path := range []string{"/", "/no-such-page", "/healthz"} {
		res := e.get(path)
		h := res.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
			"X-Frame-Options":        "DENY",
		} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", path, k, got, want)
			}
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("%s: no request id", path)
		}
		// Served over plain HTTP in this test, so no HSTS.
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
}

func TestHSTSAndSecureCookiesOverTLS(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(func(k string) string {
		switch k {
		case "PORTAL_BASE_URL":
			return "https://portal.example.jp"
		case "PORTAL_SECRET":
			return strings.Repeat("x", 40)
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t)
	a, err := New(cfg, e.db, e.app.log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rec := httptestDo(a, httptestRequest(http.MethodGet, "/", nil))
	if got := rec.Header().Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("HSTS = %q", got)
	}
	for _, c := range rec.Result().Cookies() {
		if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s: Secure=%v HttpOnly=%v SameSite=%v", c.Name, c.Secure, c.HttpOnly, c.SameSite)
		}
		if !strings.HasPrefix(c.Name, "__Host-") {
			t.Errorf("cookie %s lacks the __Host- prefix over TLS", c.Name)
		}
	}
	if _, err := LoadConfig(func(k string) string {
		if k == "PORTAL_BASE_URL" {
			return "https://portal.example.jp"
		}
		return ""
	}); err == nil {
		t.Error("https without PORTAL_SECRET accepted")
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	// A page with a form (a visitor's home page comes from the page cache
	// and carries no token).
	home := e.get("/inquiry")
	home.wantStatus(t, http.StatusOK)
	tok := home.csrfToken(t)
	if hx := home.Doc.Find("body").AttrOr("hx-headers", ""); !strings.Contains(hx, tok) {
		t.Errorf("body hx-headers %q does not carry the CSRF token", hx)
	}

	// No token at all: refused, for a plain form and for a cross-site one.
	e.post("/lang", url.Values{"lang": {"en"}, "next": {"/"}}).wantStatus(t, http.StatusForbidden)
	e.post("/lang", url.Values{"lang": {"en"}}, "Sec-Fetch-Site", "cross-site").wantStatus(t, http.StatusForbidden)
	// A wrong token: refused, and the page is an error page in Japanese.
	res := e.post("/lang", url.Values{"lang": {"en"}, "_csrf": {"forged"}})
	res.wantStatus(t, http.StatusForbidden)
	if got := res.Doc.Find("h1").Text(); got != "この操作は許可されていません" {
		t.Errorf("403 page h1 = %q", got)
	}
	// With the token from the form: accepted, back to the page it came
	// from, which keeps the chosen language in its address (langlinks.go).
	ok := e.post("/lang", url.Values{"lang": {"en"}, "next": {"/events"}, "_csrf": {tok}})
	ok.wantStatus(t, http.StatusSeeOther)
	if loc := ok.Header.Get("Location"); loc != "/events?lang=en" {
		t.Errorf("redirect to %q", loc)
	}
	// The htmx way: the token in the X-CSRF-Token header.
	e.post("/lang", url.Values{"lang": {"ja"}}, "X-CSRF-Token", tok, "HX-Request", "true").wantStatus(t, http.StatusSeeOther)
}

func TestLanguageSwitchAndFlash(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home := e.get("/")
	if lang := home.Doc.Find("html").AttrOr("lang", ""); lang != "ja" {
		t.Fatalf("default lang %q", lang)
	}
	if got := home.Doc.Find(".site-name").Text(); got != "区民活動ポータル" {
		t.Errorf("site name %q", got)
	}
	// A visitor's home page, shared, offers the languages as links.
	if home.Doc.Find(`.lang-switch a[hreflang="en"]`).Length() != 1 {
		t.Error("the visitor's home page does not link to the English page")
	}
	res := e.post("/lang", url.Values{"lang": {"en"}, "next": {"/notices"}, "_csrf": {e.token()}})
	res.wantStatus(t, http.StatusSeeOther)
	page := e.get(res.Header.Get("Location"))
	if lang := page.Doc.Find("html").AttrOr("lang", ""); lang != "en" {
		t.Fatalf("after switch lang %q", lang)
	}
	if got := page.Doc.Find(".flash").Text(); got != "The site is now shown in English." {
		t.Errorf("flash %q", got)
	}
	if got := page.Doc.Find("h1").Text(); got != "Ward notices" {
		t.Errorf("h1 %q", got)
	}
	// The flash shows once.
	if e.get("/notices").Doc.Find(".flash").Length() != 0 {
		t.Error("flash shown twice")
	}
	// ?lang= works as a link too, and a next pointing elsewhere is refused.
	if got := e.get("/?lang=ja").Doc.Find("html").AttrOr("lang", ""); got != "ja" {
		t.Errorf("?lang=ja gave %q", got)
	}
	tok := e.token()
	for _, next := range []string{"//evil.example/", "https://evil.example/", "javascript:alert(1)"} {
		r := e.post("/lang", url.Values{"lang": {"en"}, "next": {next}, "_csrf": {tok}})
		if loc := r.Header.Get("Location"); loc != "/?lang=en" {
			t.Errorf("next %q redirected to %q", next, loc)
		}
	}
	e.post("/lang", url.Values{"lang": {"fr"}, "_csrf": {tok}}).wantStatus(t, http.StatusBadRequest)
}

func TestFragmentOrPage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	cases := []struct {
		name    string
		headers []string
		full    bool
	}{
		{"plain", nil, true},
		{"htmx", []string{"HX-Request", "true"}, false},
		{"boosted", []string{"HX-Request", "true", "HX-Boosted", "true"}, true},
		{"history restore", []string{"HX-Request", "true", "HX-History-Restore-Request", "true"}, true},
	}
	for _, c := range cases {
		for _, path := range []string{"/notices", "/no-such-page"} {
			res := e.get(path, c.headers...)
			full := strings.Contains(res.Body, "<html")
			if full != c.full {
				t.Errorf("%s %s: full page = %v, want %v", c.name, path, full, c.full)
			}
			// A fragment that is an error is a message for the page's alert
			// region, not a heading of its own (the page has its h1).
			h1 := 1
			if !c.full && path == "/no-such-page" {
				h1 = 0
			}
			if res.Doc.Find("h1").Length() != h1 {
				t.Errorf("%s %s: %d h1 elements, want %d", c.name, path, res.Doc.Find("h1").Length(), h1)
			}
			if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "HX-Request") {
				t.Errorf("%s %s: Vary = %q", c.name, path, res.Header.Values("Vary"))
			}
		}
	}
	nf := e.get("/no-such-page", "HX-Request", "true")
	nf.wantStatus(t, http.StatusNotFound)
	if got := nf.Doc.Find(".request-error-message .request-error-title").Text(); got != "ページが見つかりません" {
		t.Errorf("404 fragment title %q", got)
	}
}

func TestErrorPages(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for path, status := range map[string]int{
		"/notices/999999":               404,
		"/notices/abc":                  404,
		"/board?category=nope":          404,
		"/notices?after=broken":         404,
		"/leave?to=javascript:alert(1)": 400,
	} {
		res := e.get(path)
		res.wantStatus(t, status)
		if res.Doc.Find("main h1").Length() != 1 || res.Doc.Find("header nav").Length() != 1 {
			t.Errorf("%s: error is not a full page", path)
		}
		if res.Doc.Find(".meta code").Text() != res.Header.Get("X-Request-Id") {
			t.Errorf("%s: page does not show the request id", path)
		}
	}
	// A panic is a 500 page, logged with the request id, leaking nothing.
	e.app.echo.GET("/test-panic", func(c echoContext) error { panic("secret internal detail") })
	res := e.get("/test-panic")
	res.wantStatus(t, http.StatusInternalServerError)
	if strings.Contains(res.Body, "secret internal detail") {
		t.Error("500 page leaks the panic value")
	}
	if !strings.Contains(e.logs.String(), res.Header.Get("X-Request-Id")) {
		t.Error("500 not logged with its request id")
	}
}

func TestServeRefusesStaleSchema(t *testing.T) {
	t.Parallel()
	admin := dbtest.AdminURL()
	name := fmt.Sprintf("portal_stale_%d", time.Now().UnixNano())
	url := dbtest.WithDatabase(admin, name)
	if err := db.EnsureDatabase(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dbtest.Drop(name) })
	env := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if k == "DATABASE_URL" {
				return url
			}
			if k == "PORTAL_ADDR" {
				return "127.0.0.1:0"
			}
			return extra[k]
		}
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"portal", "serve"}, env(nil), &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "pending migrations") {
		t.Fatalf("serve on an empty schema: exit %d, stderr %q", code, stderr.String())
	}
	// With PORTAL_AUTO_MIGRATE it migrates and serves until cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"portal", "serve"}, env(map[string]string{"PORTAL_AUTO_MIGRATE": "true"}), io.Discard, new(apptest.Logs))
	}()
	d, err := db.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ms, _ := db.LoadMigrations(migrations.FS)
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, err := d.Pending(context.Background(), ms)
		if err == nil && len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("auto-migrate did not happen")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d after cancel", code)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	name := fmt.Sprintf("portal_migr_%d", time.Now().UnixNano())
	url := dbtest.WithDatabase(dbtest.AdminURL(), name)
	if err := db.EnsureDatabase(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dbtest.Drop(name) })
	ms, _ := db.LoadMigrations(migrations.FS)
	var wg sync.WaitGroup
	applied := make([][]string, 4)
	errs := make([]error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := db.Open(context.Background(), url)
			if err != nil {
				errs[i] = err
				return
			}
			defer d.Close()
			applied[i], errs[i] = d.Migrate(context.Background(), ms)
		}()
	}
	wg.Wait()
	total := 0
	for i := range 4 {
		if errs[i] != nil {
			t.Fatalf("migrator %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != len(ms) {
		t.Errorf("migrations applied %d times in all, want %d (each once)", total, len(ms))
	}
}

// TestFailedTapsSayWhatHappened: an htmx request that fails — the session
// ended, the CSRF check failed, the server broke — is answered with a
// message for the page's alert region (which htmx-config sends every 4xx
// and 5xx to): what happened, what to do, the request id.
func TestFailedTapsSayWhatHappened(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	ev := e.publishedEvent(10, 0)
	page := fmt.Sprintf("/events/%d", ev.ID)

	// Every page has the region, the script that fills it when no answer
	// comes, and the configuration that sends failed answers to it.
	home := e.get(page)
	region := home.Doc.Find("body > #request-error[role=alert]")
	if region.Length() != 1 || region.AttrOr("data-network-title", "") != "通信できませんでした" || region.Text() != "" {
		t.Errorf("the page's alert region: %d, %q", region.Length(), region.AttrOr("data-network-title", ""))
	}
	if !strings.Contains(home.Body, e.app.assets.URL("js/request-error.js")) {
		t.Error("the page does not load js/request-error.js")
	}
	var cfg struct {
		ResponseHandling []struct {
			Code, Target, Select, SwapOverride string
			Swap, Error                        bool
		}
	}
	if err := json.Unmarshal([]byte(home.Doc.Find(`meta[name="htmx-config"]`).AttrOr("content", "")), &cfg); err != nil {
		t.Fatal(err)
	}
	if n := len(cfg.ResponseHandling); n == 0 || cfg.ResponseHandling[n-1] != (struct {
		Code, Target, Select, SwapOverride string
		Swap, Error                        bool
	}{"[45]..", "#request-error", ".request-error-message", "innerHTML", true, true}) {
		t.Errorf("htmx does not send failed answers to the alert region: %+v", cfg.ResponseHandling)
	}

	member := e.client()
	e.memberAccount("M4700001", "ためすひと")
	member.signIn("M4700001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	tok := member.get(page).csrfToken(t)
	message := func(res *response, status int, title string) *goquery.Selection {
		t.Helper()
		res.wantStatus(t, status)
		m := res.Doc.Find(".request-error-message")
		if m.Length() != 1 || strings.Contains(res.Body, "<html") || res.Doc.Find("h1").Length() != 0 {
			t.Fatalf("%s: not a message for the alert region: %s", res.Request.URL.Path, res.Body)
		}
		if got := m.Find(".request-error-title").Text(); got != title {
			t.Errorf("%s: %q, want %q", res.Request.URL.Path, got, title)
		}
		if id := m.Find(".meta code").Text(); id == "" || id != res.Header.Get("X-Request-Id") {
			t.Errorf("%s: request id %q, header %q", res.Request.URL.Path, id, res.Header.Get("X-Request-Id"))
		}
		if m.Find("button[data-dismiss-request-error]").Length() != 1 {
			t.Errorf("%s: the message cannot be closed", res.Request.URL.Path)
		}
		return m
	}

	// The session ended (here: deleted on the server) while the page was open.
	if _, err := e.db.Pool.Exec(ctx, `DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	res := member.post(page+"/signup", url.Values{}, "HX-Request", "true", "X-CSRF-Token", tok, "HX-Current-URL", e.srv.URL+page+"#signup")
	m := message(res, http.StatusForbidden, "ログインが切れています")
	if href := m.Find("a").AttrOr("href", ""); href != "/login?next="+url.QueryEscape(page) {
		t.Errorf("sign in again: %q, want back to %s", href, page)
	}
	if n, _ := e.db.Bun.NewSelect().Model((*db.Signup)(nil)).Where("event_id = ?", ev.ID).Count(ctx); n != 0 {
		t.Errorf("%d sign-ups stored without a session", n)
	}
	// A page's own htmx request (the export report asking) gets the same, not the sign-in page.
	message(member.get("/account/events", "HX-Request", "true", "HX-Current-URL", e.srv.URL+"/account/events"), http.StatusForbidden, "ログインが切れています")
	// Without JavaScript the form's answer is a page saying the same, with the way back.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+page+"/signup", strings.NewReader(url.Values{"_csrf": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", e.srv.URL+page)
	full := member.do(req)
	full.wantStatus(t, http.StatusForbidden)
	if full.Doc.Find("main h1").Text() != "ログインが切れています" || full.Doc.Find(`main a[href="/login?next=`+url.QueryEscape(page)+`"]`).Length() != 1 {
		t.Errorf("plain form after the session ended: %s", full.Doc.Find("main").Text())
	}

	// A failed CSRF check: reload and try again.
	message(e.client().post("/lang", url.Values{"lang": {"en"}}, "HX-Request", "true", "X-CSRF-Token", "forged"),
		http.StatusForbidden, "この操作は許可されていません")
	// A server error: try again later, quoting the request id; nothing internal.
	e.app.echo.POST("/test-broken", func(c echoContext) error { return errors.New("secret internal detail") })
	res = e.post("/test-broken", url.Values{}, "HX-Request", "true", "X-CSRF-Token", e.token())
	message(res, http.StatusInternalServerError, "エラーが発生しました")
	if strings.Contains(res.Body, "secret internal detail") {
		t.Error("the message leaks the error")
	}
}
