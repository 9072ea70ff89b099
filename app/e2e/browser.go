// Package e2e is the browser-test harness: a running portal on a seeded
// throwaway database, and a headless Chromium (Debian's package) that opens
// its pages as a 360 px phone would and checks what a person with a screen
// reader, a keyboard or a zoomed-in view would meet.
//
// A test starts an Env and a browser, opens a tab per page and calls
// CheckPage, which fails on any axe-core WCAG 2.2 AA violation, horizontal
// scrolling at 360 and 320 CSS px, a missing or doubled h1, a missing lang, a
// skip link that does not lead anywhere, and any Content Security Policy
// violation, uncaught exception or console error (so it also proves htmx runs
// under the strict CSP):
//
//	func TestThing(t *testing.T) {
//		env := e2e.Start(t)
//		browser := e2e.NewBrowser(t)
//		tab := e2e.NewTab(t, browser)
//		e2e.CheckPage(t, tab, env.URL+"/thing")
//	}
//
// Chromium comes from `apt-get install -y chromium` (or PORTAL_CHROMIUM);
// axe-core from `go tool task assets`. Without either the tests fail, they do
// not skip; PORTAL_SKIP_BROWSER=1 skips them on purpose.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/wardportal/portal/app"
	"github.com/wardportal/portal/app/apptest"
	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// Viewport sizes: a common small phone, and the WCAG 1.4.10 reflow width
// (1280 px at 400 % zoom).
const (
	PhoneWidth  = 360
	PhoneHeight = 800
	ReflowWidth = 320
)

// ---------------------------------------------------------------------------
// The portal under test

// Env is a running portal on a seeded throwaway database.
type Env struct {
	URL    string           // base address, no trailing slash: http://127.0.0.1:port
	DB     *db.DB           // the test's own database
	App    *app.App         // the application serving URL
	Server *httptest.Server // the server behind URL
	Seed   seed.Options     // what the database was seeded with
	Counts seed.Counts      // what the seed inserted
	logs   *apptest.Logs
}

// SeedOptions is the small, fast data set Start seeds: enough rows for every
// list to have a second page and every page type to have something to show.
func SeedOptions() seed.Options {
	o := seed.Defaults()
	o.Seed = 1
	o.Members = 200
	o.Groups = 20
	o.Events = 60
	o.Posts = 400
	o.Notices = 15
	o.Subsidies = 8
	o.Articles = 8
	return o
}

var (
	hashOnce sync.Once
	hash     string
	hashErr  error
)

// passwordHash is the hash of seed.Password, made once per test binary:
// argon2id is slow on purpose.
func passwordHash(t testing.TB) string {
	t.Helper()
	hashOnce.Do(func() { hash, hashErr = auth.HashPassword(seed.Password) })
	if hashErr != nil {
		t.Fatalf("e2e: hash password: %v", hashErr)
	}
	return hash
}

// Start serves the portal on a fresh database seeded with SeedOptions.
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWith(t, nil)
}

// StartWith is Start with the seed options changed by edit (nil: none);
// all sizes zero means an empty database (migrated, not seeded).
func StartWith(t testing.TB, edit func(*seed.Options)) *Env {
	t.Helper()
	d := dbtest.New(t)
	o := SeedOptions()
	if edit != nil {
		edit(&o)
	}
	env := &Env{DB: d, Seed: o}
	if o.Members+o.Groups+o.Events+o.Posts+o.Notices+o.Subsidies+o.Articles > 0 {
		o.PasswordHash = passwordHash(t)
		if o.Now.IsZero() {
			o.Now = time.Now().Truncate(time.Minute)
		}
		var out bytes.Buffer
		counts, err := seed.Run(context.Background(), d, o, &out)
		if err != nil {
			t.Fatalf("e2e: seed: %v\n%s", err, out.String())
		}
		env.Seed, env.Counts = o, counts
	}

	cfg, err := app.LoadConfig(apptest.Getenv)
	if err != nil {
		t.Fatalf("e2e: config: %v", err)
	}
	s := apptest.Start(t, func(log *slog.Logger) (*app.App, error) { return app.New(cfg, d, log) })
	env.URL, env.App, env.Server, env.logs = s.URL, s.App, s.Server, s.Logs
	return env
}

// Get fetches path (or an absolute URL) with a plain HTTP client, no
// browser, and parses the HTML; it fails the test on a status other than want.
func (e *Env) Get(t testing.TB, path string, want int) *goquery.Document {
	t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = e.URL + path
	}
	res, err := apptest.Client().Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if res.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d", u, res.StatusCode, want)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: parse: %v", u, err)
	}
	return doc
}

// FirstLink returns the path of the first element matching selector on the
// page at path (fetched without a browser), e.g. the first item of a list.
// Following the app's own link keeps the tests free of its visibility rules.
func (e *Env) FirstLink(t testing.TB, path, selector string) string {
	t.Helper()
	doc := e.Get(t, path, http.StatusOK)
	href, ok := doc.Find(selector).First().Attr("href")
	if !ok || href == "" {
		t.Fatalf("e2e: %s has no %q link", path, selector)
	}
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("e2e: %s: bad link %q: %v", path, href, err)
	}
	return u.RequestURI()
}

// Logs returns what the application logged so far.
func (e *Env) Logs() string { return e.logs.String() }

// ---------------------------------------------------------------------------
// The browser

// ChromiumPath is PORTAL_CHROMIUM, else Debian's /usr/bin/chromium.
func ChromiumPath() string {
	if p := os.Getenv("PORTAL_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// NewBrowser starts a headless Chromium for the test, emulating a 360×800
// phone, and returns its first tab. Use NewTab for more tabs of the same
// browser: one browser per test function, one tab per page, keeps the suite
// fast. The browser is closed when the test ends.
//
// A missing Chromium fails the test (a browser test that skips cannot fail);
// PORTAL_SKIP_BROWSER=1 skips it explicitly.
func NewBrowser(t testing.TB) context.Context {
	t.Helper()
	if os.Getenv("PORTAL_SKIP_BROWSER") == "1" {
		t.Skip("PORTAL_SKIP_BROWSER=1: browser tests skipped")
	}
	path := ChromiumPath()
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("e2e: Chromium not found at %s (%v): install it with `apt-get install -y chromium`, "+
			"or set PORTAL_CHROMIUM to a Chromium binary (PORTAL_SKIP_BROWSER=1 skips browser tests)", path, err)
	}
	// Exactly these flags; the allocator adds only --remote-debugging-pipe
	// and about:blank.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	con := new(consoleLog)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(con.listen))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("e2e: start Chromium (%s): %v", path, err)
	}
	return context.WithValue(setupTab(t, ctx, con), browserKey{}, ctx)
}

// browserKey holds the browser's context without the deadline of its first
// tab, so that each tab gets a deadline of its own.
type browserKey struct{}

// NewTab opens a tab in the browser of ctx, in a fresh browser context (its
// own cookies and storage, like a private window), emulating the phone. Tabs
// may be used in parallel; one tab must not. It is closed when the test ends.
func NewTab(t testing.TB, browser context.Context) context.Context {
	t.Helper()
	con := new(consoleLog)
	if b, ok := browser.Value(browserKey{}).(context.Context); ok {
		browser = b
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(con.listen))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("e2e: open tab: %v", err)
	}
	return setupTab(t, ctx, con)
}

type consoleKey struct{}

// setupTab sets the phone viewport, keeps the page "focused" though no
// window is, and gives the tab a deadline so a hung page fails instead of
// hanging the suite.
func setupTab(t testing.TB, ctx context.Context, con *consoleLog) context.Context {
	t.Helper()
	timeout := 2 * time.Minute
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok && time.Until(dl) < timeout+10*time.Second {
			timeout = max(time.Until(dl)-10*time.Second, 10*time.Second)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel)
	ctx = context.WithValue(ctx, consoleKey{}, con)
	err := chromedp.Do(ctx,
		SetViewport(PhoneWidth, PhoneHeight),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
			return err
		}),
	)
	if err != nil {
		t.Fatalf("e2e: set up tab: %v", err)
	}
	return ctx
}

// SetViewport emulates a phone (mobile, touch, device scale 1) of the given
// size in CSS px.
func SetViewport(width, height int64) chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(width, height,
		chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
}

// ---------------------------------------------------------------------------
// Console: CSP violations, exceptions, errors

// ConsoleMessage is one message of the page's console or of the browser log.
type ConsoleMessage struct {
	Kind   string // "console", "exception" or "log"
	Level  string // console type or log level: error, warning, info…
	Source string // log entries: network, security, javascript, violation…
	Text   string
	URL    string
}

func (m ConsoleMessage) String() string {
	s := m.Kind + " " + m.Level
	if m.Source != "" {
		s += " [" + m.Source + "]"
	}
	s += ": " + m.Text
	if m.URL != "" {
		s += " (" + m.URL + ")"
	}
	return s
}

type consoleLog struct {
	mu   sync.Mutex
	msgs []ConsoleMessage
}

// listen runs on the tab's event loop: it must return fast and send nothing.
func (c *consoleLog) listen(ev any) {
	var m ConsoleMessage
	switch ev := ev.(type) {
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		m = ConsoleMessage{Kind: "log", Level: string(e.Level), Source: string(e.Source), Text: e.Text, URL: e.URL}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		m = ConsoleMessage{Kind: "exception", Level: "error", Text: text, URL: d.URL}
	case *runtime.EventConsoleAPICalled:
		parts := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				var s string
				if json.Unmarshal(a.Value, &s) == nil {
					parts = append(parts, s)
				} else {
					parts = append(parts, string(a.Value))
				}
			case a.Description != "":
				parts = append(parts, a.Description)
			default:
				parts = append(parts, string(a.Type))
			}
		}
		m = ConsoleMessage{Kind: "console", Level: string(ev.Type), Text: strings.Join(parts, " ")}
	default:
		return
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
}

func consoleOf(ctx context.Context) *consoleLog {
	c, _ := ctx.Value(consoleKey{}).(*consoleLog)
	return c
}

// Console returns the console messages of the tab since it opened or since
// the last ResetConsole.
func Console(ctx context.Context) []ConsoleMessage {
	c := consoleOf(ctx)
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ConsoleMessage(nil), c.msgs...)
}

// ResetConsole forgets the messages seen so far.
func ResetConsole(ctx context.Context) {
	if c := consoleOf(ctx); c != nil {
		c.mu.Lock()
		c.msgs = nil
		c.mu.Unlock()
	}
}

// IsCSPViolation reports whether m is the browser refusing something under
// the Content Security Policy.
func IsCSPViolation(m ConsoleMessage) bool {
	return strings.Contains(m.Text, "Content Security Policy") || strings.HasPrefix(m.Text, "Refused to")
}

// consoleProblem reports whether m fails a page: a CSP violation, an
// uncaught exception, console.error/assert, or an error in the browser log
// (a failed asset, say) — except the error status of the document itself
// when that status was expected (docURL is then set).
func consoleProblem(m ConsoleMessage, docURL string) bool {
	switch {
	case IsCSPViolation(m):
		return true
	case m.Kind == "exception":
		return true
	case m.Kind == "console":
		return m.Level == "error" || m.Level == "assert"
	case m.Kind == "log" && m.Level == "error":
		if m.Source == "network" && (isFavicon(m.URL) || docURL != "" && sameURL(m.URL, docURL)) {
			return false
		}
		return true
	}
	return false
}

// isFavicon reports whether u is the /favicon.ico the browser asks for on its
// own, at a moment of its choosing; its 404 is not the page's doing.
func isFavicon(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Path == "/favicon.ico"
}

func sameURL(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// CheckConsole fails the test for every console problem since the tab opened
// or since the last ResetConsole: CSP violations, uncaught exceptions,
// console errors and browser-log errors. Warnings are only logged.
func CheckConsole(t testing.TB, ctx context.Context) {
	t.Helper()
	checkConsole(t, ctx, "")
}

func checkConsole(t testing.TB, ctx context.Context, allowedDocURL string) {
	t.Helper()
	if consoleOf(ctx) == nil {
		t.Fatalf("e2e: CheckConsole needs a tab from NewBrowser or NewTab")
	}
	for _, m := range Console(ctx) {
		switch {
		case IsCSPViolation(m):
			t.Errorf("CSP violation: %s", m)
		case consoleProblem(m, allowedDocURL):
			t.Errorf("console problem: %s", m)
		case m.Level == "warning" || m.Kind == "log" && m.Level == "error":
			t.Logf("console (ignored): %s", m)
		}
	}
}

// ---------------------------------------------------------------------------
// Navigation and the page checks

// Navigate opens url in the tab, waits for the load event and returns the
// HTTP status of the document.
func Navigate(t testing.TB, ctx context.Context, url string) int {
	t.Helper()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("e2e: navigate to %s: %v", url, err)
	}
	if res == nil {
		t.Fatalf("e2e: navigate to %s: no response", url)
	}
	return int(res.Status)
}

// Eval evaluates a JavaScript expression in the page (DevTools evaluation:
// the page's CSP does not apply) and decodes its JSON value into T; promises
// are awaited.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("e2e: evaluate %.80q: %v", expr, err)
	}
	return v
}

// CheckOption changes what CheckPage expects.
type CheckOption func(*checkConfig)

type checkConfig struct {
	status int
	lang   string
}

// WantStatus makes CheckPage expect an HTTP status other than 200 (a 404
// page is a page too, and must be as accessible as any).
func WantStatus(code int) CheckOption { return func(c *checkConfig) { c.status = code } }

// WantLang makes CheckPage expect html[lang] to be lang.
func WantLang(lang string) CheckOption { return func(c *checkConfig) { c.lang = lang } }

// Page is what CheckPage found.
type Page struct {
	URL    string
	Status int
	Lang   string
	Title  string
	H1     string
}

// pageFacts is measured in the page by factsJS.
type pageFacts struct {
	Lang     string   `json:"lang"`
	Title    string   `json:"title"`
	H1s      []string `json:"h1s"`
	Skip     *skip    `json:"skip"`
	Overflow overflow `json:"overflow"`
}

type skip struct {
	Text         string `json:"text"`
	Href         string `json:"href"`
	TargetExists bool   `json:"targetExists"`
	IsFirst      bool   `json:"isFirst"`
}

type overflow struct {
	ScrollWidth float64  `json:"scrollWidth"`
	InnerWidth  float64  `json:"innerWidth"`
	Offenders   []string `json:"offenders"`
}

// overflowJS measures horizontal overflow and names the elements that stick
// out on the right, outermost first.
const overflowJS = `(() => {
  const de = document.documentElement, vw = window.innerWidth;
  const sw = Math.max(de.scrollWidth, document.body ? document.body.scrollWidth : 0);
  const offenders = [];
  if (sw > vw) {
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > vw + 0.5) {
        const p = el.parentElement && el.parentElement.getBoundingClientRect();
        if (!p || p.right <= vw + 0.5) offenders.push(name(el) + ' (right edge ' + Math.round(r.right) + 'px, width ' + Math.round(r.width) + 'px): ' + (el.textContent || '').trim().slice(0, 60));
      }
      if (offenders.length >= 8) break;
    }
  }
  return {scrollWidth: sw, innerWidth: vw, offenders};
})()`

const factsJS = `(() => {
  const de = document.documentElement;
  const focusable = 'a[href], area[href], button:not([disabled]), input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  const first = document.querySelector(focusable);
  let skip = null;
  const link = document.querySelector('body a[href^="#"]');
  if (link) {
    const id = decodeURIComponent(link.getAttribute('href').slice(1));
    skip = {text: link.textContent.trim(), href: link.getAttribute('href'), targetExists: id !== '' && !!document.getElementById(id), isFirst: link === first};
  }
  return {
    lang: de.getAttribute('lang') || '',
    title: document.title,
    h1s: Array.from(document.querySelectorAll('h1')).map(h => h.textContent.trim()),
    skip,
    overflow: ` + overflowJS + `,
  };
})()`

// CheckPage opens url at 360 px and fails the test on anything a person
// would trip over: a status other than 200 (see WantStatus), any axe-core
// WCAG 2.x A/AA violation, horizontal overflow at 360 or at 320 px (reflow),
// not exactly one h1, no html[lang], no skip link as the first focusable
// element, a skip link whose target is missing or does not take the focus,
// and any CSP violation, uncaught exception or console error.
func CheckPage(t testing.TB, ctx context.Context, url string, opts ...CheckOption) Page {
	t.Helper()
	cfg := checkConfig{status: http.StatusOK}
	for _, o := range opts {
		o(&cfg)
	}
	ResetConsole(ctx)
	status := Navigate(t, ctx, url)
	if status != cfg.status {
		t.Errorf("%s: HTTP status %d, want %d", url, status, cfg.status)
	}
	facts := Eval[pageFacts](t, ctx, factsJS)
	p := Page{URL: url, Status: status, Lang: facts.Lang, Title: facts.Title}
	if len(facts.H1s) > 0 {
		p.H1 = facts.H1s[0]
	}

	if facts.Lang == "" {
		t.Errorf("%s: html has no lang attribute", url)
	} else if cfg.lang != "" && facts.Lang != cfg.lang {
		t.Errorf("%s: html lang=%q, want %q", url, facts.Lang, cfg.lang)
	}
	if strings.TrimSpace(facts.Title) == "" {
		t.Errorf("%s: empty <title>", url)
	}
	if len(facts.H1s) != 1 {
		t.Errorf("%s: %d h1 elements %q, want exactly one", url, len(facts.H1s), facts.H1s)
	}
	if facts.Overflow.InnerWidth != PhoneWidth {
		t.Errorf("%s: the layout viewport is %.0f CSS px wide on a %d px phone: "+
			"missing <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">?", url, facts.Overflow.InnerWidth, PhoneWidth)
	}
	checkSkipLink(t, ctx, url, facts.Skip)
	CheckFocusVisible(t, ctx, FocusStops)
	checkOverflow(t, url, PhoneWidth, facts.Overflow)
	Axe(t, ctx)
	CheckReflow(t, ctx, ReflowWidth)

	docURL := ""
	if cfg.status >= 400 {
		docURL = url
	}
	checkConsole(t, ctx, docURL)
	return p
}

// checkSkipLink wants the skip link to be the first Tab stop and to move the
// focus to its target when activated with the keyboard.
func checkSkipLink(t testing.TB, ctx context.Context, url string, s *skip) {
	t.Helper()
	switch {
	case s == nil:
		t.Errorf("%s: no skip link (a[href^=\"#\"])", url)
		return
	case !s.TargetExists:
		t.Errorf("%s: skip link %q points at %s, which does not exist", url, s.Text, s.Href)
		return
	case !s.IsFirst:
		t.Errorf("%s: skip link %q is not the first focusable element", url, s.Text)
	}
	// A real keyboard: Tab from the top of the page, then Enter.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatalf("e2e: press Tab: %v", err)
	}
	focused := Eval[string](t, ctx, `document.activeElement ? (document.activeElement.getAttribute('href') || document.activeElement.tagName) : ''`)
	if focused != s.Href {
		t.Errorf("%s: first Tab focuses %q, want the skip link %q", url, focused, s.Href)
		return
	}
	visible := Eval[bool](t, ctx, `(() => { const r = document.activeElement.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth; })()`)
	if !visible {
		t.Errorf("%s: the focused skip link is not visible on screen", url)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatalf("e2e: press Enter: %v", err)
	}
	target := Eval[string](t, ctx, `new Promise(r => requestAnimationFrame(() => r(document.activeElement ? '#' + document.activeElement.id : '')))`)
	if target != s.Href {
		t.Errorf("%s: Enter on the skip link focuses %q, want %q (give the target tabindex=\"-1\")", url, target, s.Href)
	}
	// Leave the page as it was: no focus, scrolled to the top.
	Eval[bool](t, ctx, `(() => { history.replaceState(null, '', location.pathname + location.search); `+focusTopJS+` return true; })()`)
}

// focusTopJS moves the focus, and the point where the next Tab starts, back
// to the top of the page: blur alone leaves the starting point where the
// focus was. A throwaway focusable element at the start of body takes the
// focus and is removed.
const focusTopJS = `if (document.activeElement) document.activeElement.blur();
  if (document.body) { const tmp = document.createElement('span'); tmp.tabIndex = -1;
    document.body.prepend(tmp); tmp.focus({preventScroll: true}); tmp.blur(); tmp.remove(); }
  window.scrollTo(0, 0);`

// FocusStops is how many Tab stops CheckPage follows from the top of a page.
const FocusStops = 20

// focusJS describes the focused element, or returns null when the focus has
// left the document or come back to an element already seen.
const focusJS = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const seen = window.__e2eFocusSeen || (window.__e2eFocusSeen = new WeakSet());
  if (seen.has(el)) return null;
  seen.add(el);
  const cs = getComputedStyle(el), r = el.getBoundingClientRect();
  const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  return {
    name: name + ' "' + (el.textContent || el.value || '').trim().slice(0, 40) + '"',
    ring: (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none',
    inView: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth,
  };
})()`

type focusStop struct {
	Name   string `json:"name"`
	Ring   bool   `json:"ring"`
	InView bool   `json:"inView"`
}

// CheckFocusVisible presses Tab from the top of the current page up to
// stops times and fails the test for every focused element that shows no
// focus indicator (WCAG 2.4.7: an outline or a box-shadow) or is off screen
// (2.4.11). It leaves the page unfocused and scrolled to the top.
func CheckFocusVisible(t testing.TB, ctx context.Context, stops int) {
	t.Helper()
	reset := `(() => { ` + focusTopJS + ` delete window.__e2eFocusSeen; return true; })()`
	Eval[bool](t, ctx, reset)
	defer Eval[bool](t, ctx, reset)
	loc := Eval[string](t, ctx, `location.href`)
	for i := 0; i < stops; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatalf("e2e: press Tab: %v", err)
		}
		f := Eval[*focusStop](t, ctx, focusJS)
		if f == nil {
			return
		}
		if !f.Ring {
			t.Errorf("%s: Tab stop %d, %s, shows no focus indicator (outline or box-shadow)", loc, i+1, f.Name)
		}
		if !f.InView {
			t.Errorf("%s: Tab stop %d, %s, is not on screen when focused", loc, i+1, f.Name)
		}
	}
}

func checkOverflow(t testing.TB, url string, width int, o overflow) {
	t.Helper()
	if o.ScrollWidth > o.InnerWidth {
		t.Errorf("%s: horizontal scrolling at %d CSS px: content is %.0f px wide in a %.0f px viewport; sticking out:\n\t%s",
			url, width, o.ScrollWidth, o.InnerWidth, strings.Join(o.Offenders, "\n\t"))
	}
}

// CheckReflow emulates a phone width CSS px wide (320 is WCAG 1.4.10's 400 %
// zoom of 1280 px), fails the test if the current page scrolls sideways,
// and goes back to the 360 px phone.
func CheckReflow(t testing.TB, ctx context.Context, width int64) {
	t.Helper()
	if err := chromedp.Do(ctx, SetViewport(width, PhoneHeight)); err != nil {
		t.Fatalf("e2e: set viewport %d: %v", width, err)
	}
	defer func() {
		if err := chromedp.Do(ctx, SetViewport(PhoneWidth, PhoneHeight)); err != nil {
			t.Fatalf("e2e: reset viewport: %v", err)
		}
	}()
	o := Eval[overflow](t, ctx, `new Promise(r => requestAnimationFrame(() => r(`+overflowJS+`)))`)
	if o.InnerWidth != float64(width) {
		loc := Eval[string](t, ctx, `location.href`)
		t.Errorf("%s: the layout viewport is %.0f CSS px wide on a %d px phone (no viewport meta?)", loc, o.InnerWidth, width)
	}
	loc := Eval[string](t, ctx, `location.href`)
	checkOverflow(t, loc, int(width), o)
}

// ---------------------------------------------------------------------------
// axe-core

// AxeTags are the rule sets Axe runs: WCAG 2.0, 2.1 and 2.2, levels A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// AxeViolation is one failed axe-core rule with the elements that fail it.
type AxeViolation struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []AxeNode `json:"nodes"`
}

// AxeNode is one failing element.
type AxeNode struct {
	Target  []string `json:"target"`
	HTML    string   `json:"html"`
	Summary string   `json:"summary"`
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// ModuleRoot is the directory of go.mod, found by walking up from the
// working directory (go test runs in the package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// AxePath is where `go tool task assets` installs axe-core.
func AxePath() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "static", "node_modules", "axe-core", "axe.min.js"), nil
}

func loadAxe() (string, error) {
	axeOnce.Do(func() {
		p, err := AxePath()
		if err != nil {
			axeErr = err
			return
		}
		b, err := os.ReadFile(p)
		if err != nil {
			axeErr = fmt.Errorf("%w (install it with `go tool task assets`)", err)
			return
		}
		axeSource = string(b)
	})
	return axeSource, axeErr
}

// AxeRun injects axe-core into the current page (DevTools evaluation, so the
// page's CSP does not block it) and returns the WCAG A/AA violations.
func AxeRun(ctx context.Context) ([]AxeViolation, error) {
	src, err := loadAxe()
	if err != nil {
		return nil, err
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object'`))
	if err != nil {
		return nil, err
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](src+"\n;true")); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	tags, _ := json.Marshal(AxeTags)
	expr := `axe.run(document, {runOnly: {type: 'tag', values: ` + string(tags) + `}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({
    id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : String(s)),
      html: n.html,
      summary: n.failureSummary || '',
    })),
  })))`
	return chromedp.Run(ctx, chromedp.Evaluate[[]AxeViolation](expr, chromedp.EvalAwaitPromise))
}

// Axe runs axe-core on the current page and fails the test for every
// violation, naming the rule, its impact, what it asks for and each failing
// element's selector.
func Axe(t testing.TB, ctx context.Context) {
	t.Helper()
	vs, err := AxeRun(ctx)
	if err != nil {
		t.Fatalf("e2e: axe-core: %v", err)
	}
	if len(vs) == 0 {
		return
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	for _, v := range vs {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: axe %s (%s): %s — %s", loc, v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n\t%s\n\t\t%s", strings.Join(n.Target, ", "), n.HTML)
			if n.Summary != "" {
				fmt.Fprintf(&b, "\n\t\t%s", strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
			}
		}
		t.Errorf("%s", b.String())
	}
}

// Screenshot saves a PNG of the whole page under dir (created if missing)
// and returns its path: for looking at what a test saw.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) string {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("e2e: screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
