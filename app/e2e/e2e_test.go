package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/app/i18n"
)

// TestPages opens every page type on a phone and runs every check on it.
func TestPages(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := Start(t)

	// Detail pages: the first item each list links to, so the test follows
	// the app's own visibility rules (published, upcoming…).
	notice := env.FirstLink(t, "/notices", `main a.title[href^="/notices/"]`)
	subsidy := env.FirstLink(t, "/subsidies", `main a.title[href^="/subsidies/"]`)
	article := env.FirstLink(t, "/articles", `main a.title[href^="/articles/"]`)
	group := env.FirstLink(t, "/groups", `main a.title[href^="/groups/"]`)
	event := env.FirstLink(t, "/events", `main a.title[href^="/events/"]`)
	topic := env.FirstLink(t, "/board", `main a.title[href^="/board/"]`)
	category := env.FirstLink(t, "/board", `main a[href^="/board?category="]`)
	boardPage2 := env.FirstLink(t, "/board", `main a[rel="next"]`)
	topicTag := env.FirstLink(t, "/facilities", `main .page-tags a[href^="/topics/"]`)
	var general int64
	if err := env.DB.Pool.QueryRow(context.Background(), `SELECT min(id) FROM pages WHERE kind = 'page' AND live_revision_id IS NOT NULL`).Scan(&general); err != nil {
		t.Fatalf("a live general page: %v", err)
	}

	pages := []struct {
		name string
		path string
		opts []CheckOption
	}{
		{"home", "/", []CheckOption{WantLang("ja")}},
		{"home en", "/?lang=en", []CheckOption{WantLang("en")}},
		{"notices", "/notices", nil},
		{"notice", notice, nil},
		{"subsidies", "/subsidies", nil},
		{"subsidy", subsidy, nil},
		{"articles", "/articles", nil},
		{"article", article, nil},
		{"groups", "/groups", nil},
		{"group", group, nil},
		{"events", "/events", nil},
		{"events filtered", "/events?seats=1&from=2026-01-01&q=" + url.QueryEscape("清掃"), nil},
		{"events month", "/events?month=" + time.Now().Format("2006-01"), nil},
		{"event", event, nil},
		{"board", "/board", nil},
		{"board category", category, nil},
		{"board page 2", boardPage2, nil},
		{"board search", "/board?q=" + url.QueryEscape("清掃"), nil},
		{"topic", topic, nil},
		{"facilities", "/facilities", nil},
		{"tag topic", topicTag, nil},
		{"general page", fmt.Sprintf("/pages/%d", general), nil},
		{"leave", "/leave?to=" + "https%3A%2F%2Fwww.example.jp%2F", nil},
		{"404 unknown address", "/no-such-page", []CheckOption{WantStatus(http.StatusNotFound)}},
		{"404 missing notice", "/notices/999999999", []CheckOption{WantStatus(http.StatusNotFound)}},
	}
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			t.Parallel()
			tab := NewTab(t, browser)
			p := CheckPage(t, tab, env.URL+pg.path, pg.opts...)
			if p.H1 == "" {
				t.Errorf("%s: empty h1", pg.path)
			}
		})
	}
}

// TestInteractions drives the home page as a person would.
func TestInteractions(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := Start(t)
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("language switch", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		CheckPage(t, tab, env.URL+"/", WantLang("ja"))

		// A visitor's home page is shared between visitors (the page
		// cache): the languages are links, ?lang= sets the same cookie.
		ResetConsole(tab)
		res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`.lang-switch a[hreflang="en"]`)))
		if err != nil {
			t.Fatalf("tap English: %v", err)
		}
		if res.Status != http.StatusOK {
			t.Fatalf("after the language link: status %d", res.Status)
		}
		if lang := Eval[string](t, tab, `document.documentElement.lang`); lang != "en" {
			t.Errorf("after the language link html lang=%q, want en", lang)
		}
		if cur := Eval[string](t, tab, `document.querySelector('.lang-switch a[hreflang="en"]').getAttribute('aria-current') || ''`); cur == "" {
			t.Error("the English link is not marked current")
		}
		Axe(t, tab)
		CheckConsole(t, tab)

		// A page rendered for this visitor (a form's page) has the plain
		// form: a real tap on a button, POST /lang, 303 back, a message.
		CheckPage(t, tab, env.URL+"/inquiry", WantLang("en"))
		ResetConsole(tab)
		res, err = chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`form.lang-switch button[value="ja"]`)))
		if err != nil {
			t.Fatalf("tap Japanese: %v", err)
		}
		if res.Status != http.StatusOK {
			t.Fatalf("after the language switch: status %d", res.Status)
		}
		if loc := Eval[string](t, tab, `location.pathname`); loc != "/inquiry" {
			t.Errorf("after the language switch the page is %s, want /inquiry", loc)
		}
		if lang := Eval[string](t, tab, `document.documentElement.lang`); lang != "ja" {
			t.Errorf("after the language switch html lang=%q, want ja", lang)
		}
		flash := Eval[string](t, tab, `(document.querySelector('main .flash[role="status"]') || {}).textContent || ''`)
		if want := catalog.T("ja", "lang.changed"); strings.TrimSpace(flash) != want {
			t.Errorf("flash message %q, want %q", flash, want)
		}
		if pressed := Eval[string](t, tab, `document.querySelector('form.lang-switch button[value="ja"]').getAttribute('aria-pressed')`); pressed != "true" {
			t.Errorf("Japanese button aria-pressed=%q, want true", pressed)
		}
		Axe(t, tab)
		CheckReflow(t, tab, ReflowWidth)
		CheckConsole(t, tab)

		// The message is shown once; the language stays.
		p := CheckPage(t, tab, env.URL+"/events", WantLang("ja"))
		if n := Eval[int](t, tab, `document.querySelectorAll('.flash').length`); n != 0 {
			t.Errorf("%s: the flash message is shown again", p.URL)
		}
	})

	t.Run("htmx under the CSP", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		CheckPage(t, tab, env.URL+"/")
		type htmxState struct {
			Type           string `json:"type"`
			Version        string `json:"version"`
			AllowEval      bool   `json:"allowEval"`
			IndicatorStyle bool   `json:"indicatorStyles"`
			SelfOnly       bool   `json:"selfRequestsOnly"`
			Styles         int    `json:"styles"`
		}
		s := Eval[htmxState](t, tab, `({
			type: typeof htmx,
			version: typeof htmx === 'object' ? htmx.version : '',
			allowEval: typeof htmx === 'object' ? htmx.config.allowEval : true,
			indicatorStyles: typeof htmx === 'object' ? htmx.config.includeIndicatorStyles : true,
			selfRequestsOnly: typeof htmx === 'object' ? htmx.config.selfRequestsOnly : false,
			styles: document.querySelectorAll('style').length,
		})`)
		if s.Type != "object" {
			t.Fatalf("typeof htmx = %q, want object: htmx did not load", s.Type)
		}
		if !strings.HasPrefix(s.Version, "2.") {
			t.Errorf("htmx version %q, want 2.x", s.Version)
		}
		if s.AllowEval || s.IndicatorStyle || !s.SelfOnly {
			t.Errorf("htmx-config meta not applied: %+v", s)
		}
		if s.Styles != 0 {
			t.Errorf("%d <style> elements in the page; the CSP forbids inline styles", s.Styles)
		}
		CheckConsole(t, tab)
	})
}

// recorder is a testing.TB that records failures instead of failing, so the
// harness can be shown to catch what it claims to catch.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errs   []string
	failed bool
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, s)
	r.failed = true
}

func (r *recorder) Helper()                           {}
func (r *recorder) Error(args ...any)                 { r.add(fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)) }
func (r *recorder) Fail()                             { r.add("Fail") }
func (r *recorder) Fatal(args ...any)                 { r.add(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.add(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) FailNow() { r.add("FailNow"); runtime.Goexit() }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// record runs fn with a recorder and returns what it reported.
func record(t *testing.T, fn func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r.errs
}

const stubCSP = "default-src 'self'; script-src 'self'; style-src 'self'"

var stubPages = map[string]string{
	"/good": `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Good</title></head>
<body><a href="#main">Skip to main content</a><main id="main" tabindex="-1"><h1>Good page</h1>
<p>Nothing wrong here.</p></main></body></html>`,
	"/bad": `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Bad</title>
<script>document.title = 'inline script ran';</script><script src="/throw.js"></script></head>
<body><h1>One</h1><h1>Two</h1><img src="/pixel.gif">
<pre>` + strings.Repeat("x", 200) + `</pre></body></html>`,
	"/no-focus-ring": `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>No focus ring</title>
<link rel="stylesheet" href="/nofocus.css"></head>
<body><a href="#main">Skip to main content</a><main id="main" tabindex="-1"><h1>Page</h1>
<p><a href="/good">A link without a focus ring</a></p></main></body></html>`,
	"/broken-skip": `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Broken skip</title></head>
<body><a href="#content">Skip to main content</a><main id="main"><h1>Page</h1></main></body></html>`,
}

func stubServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", stubCSP)
		switch r.URL.Path {
		case "/throw.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `throw new Error('boom from throw.js');`)
			return
		case "/nofocus.css":
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, `main a:focus { outline: none; }`)
			return
		case "/pixel.gif":
			w.Header().Set("Content-Type", "image/gif")
			fmt.Fprint(w, "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
			return
		}
		body, ok := stubPages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestHarnessCatchesProblems proves the checks can fail: a good page passes,
// a page with every fault fails with each of them named.
func TestHarnessCatchesProblems(t *testing.T) {
	srv := stubServer(t)
	browser := NewBrowser(t)

	t.Run("good page passes", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		CheckPage(t, tab, srv.URL+"/good", WantLang("en"))
	})

	t.Run("bad page fails on every fault", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		errs := record(t, func(tb testing.TB) { CheckPage(tb, tab, srv.URL+"/bad") })
		all := strings.Join(errs, "\n---\n")
		for _, want := range []string{
			"html has no lang attribute",
			"2 h1 elements",
			"no skip link",
			"horizontal scrolling at 360 CSS px",
			"horizontal scrolling at 320 CSS px",
			"axe image-alt",
			"CSP violation",
			"boom from throw.js",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("CheckPage did not report %q; it reported:\n%s", want, all)
			}
		}
	})

	t.Run("wrong status, language and skip target", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		errs := record(t, func(tb testing.TB) {
			CheckPage(tb, tab, srv.URL+"/broken-skip", WantStatus(http.StatusNotFound), WantLang("ja"))
		})
		all := strings.Join(errs, "\n---\n")
		for _, want := range []string{
			"HTTP status 200, want 404",
			`lang="en", want "ja"`,
			"points at #content, which does not exist",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("CheckPage did not report %q; it reported:\n%s", want, all)
			}
		}
	})

	t.Run("focus indicator", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		errs := record(t, func(tb testing.TB) { CheckPage(tb, tab, srv.URL+"/no-focus-ring") })
		all := strings.Join(errs, "\n---\n")
		if len(errs) != 1 || !strings.Contains(all, `Tab stop 2, a "A link without a focus ring", shows no focus indicator`) {
			t.Errorf("want exactly the missing focus ring reported; got:\n%s", all)
		}
	})

	t.Run("an expected 404 page is checked like any page", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		errs := record(t, func(tb testing.TB) { CheckPage(tb, tab, srv.URL+"/missing", WantStatus(http.StatusNotFound)) })
		// Go's plain 404 has no lang, no h1 and no skip link: all reported,
		// the status itself is not.
		all := strings.Join(errs, "\n---\n")
		if strings.Contains(all, "HTTP status") || strings.Contains(all, "console problem") {
			t.Errorf("an expected 404 was reported as a problem:\n%s", all)
		}
		if !strings.Contains(all, "no lang attribute") || !strings.Contains(all, "layout viewport is 980 CSS px") {
			t.Errorf("the plain 404 page's faults were not reported:\n%s", all)
		}
	})
}
