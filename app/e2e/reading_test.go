package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// ZoomWidth is a 360 px phone at 200 % zoom: 180 CSS px.
const ZoomWidth = 180

// TestReadingAidsOnAPhone sets text size, background and furigana with the
// form in the page shell, without JavaScript and with it, and checks the
// pages they give: readable (axe, contrast included), no sideways scroll,
// ruby over the kanji. Read aloud appears only where a Japanese voice
// exists, and reads the main text without the readings.
func TestReadingAidsOnAPhone(t *testing.T) {
	br := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := Start(t)
	notice := env.FirstLink(t, "/notices", `main a.title[href^="/notices/"]`)

	// The settings are a disclosure in the page shell, or, on a page shared
	// between visitors (cached, no CSRF token), a link to /reading that
	// comes back to the page: follow whichever the page offers.
	choose := func(t *testing.T, tab context.Context, size, bg, ruby string) {
		t.Helper()
		scope := `details.reading-tools`
		if Eval[bool](t, tab, `!!document.querySelector('a.reading-link')`) {
			res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`a.reading-link`)))
			if err != nil || res.Status != http.StatusOK {
				t.Fatalf("open the reading settings: %v %v", res, err)
			}
			if p := Eval[string](t, tab, `location.pathname`); p != "/reading" {
				t.Fatalf("the reading link leads to %s", p)
			}
			scope = `main form.reading-form`
		} else {
			tap(t, tab, `details.reading-tools > summary`)
		}
		for name, v := range map[string]string{"size": size, "background": bg, "furigana": ruby} {
			tap(t, tab, scope+` input[name="`+name+`"][value="`+v+`"]`)
		}
		ResetConsole(tab)
		res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(scope+` button[type="submit"]`)))
		if err != nil || res.Status != http.StatusOK {
			t.Fatalf("apply the settings: %v %v", res, err)
		}
	}
	for _, js := range []bool{false, true} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) {
			t.Parallel()
			tab := NewTab(t, br)
			Navigate(t, tab, env.URL+notice)
			scripts(t, tab, js)
			Navigate(t, tab, env.URL+notice)
			choose(t, tab, "larger", "black", "on")
			// The checks run scripts of their own in the page.
			scripts(t, tab, true)
			if p := Eval[string](t, tab, `location.pathname`); p != notice {
				t.Errorf("back on %s, want %s", p, notice)
			}
			if c := Eval[string](t, tab, `document.documentElement.className`); c != "text-larger bg-black" {
				t.Errorf("html class %q", c)
			}
			if n := Eval[int](t, tab, `document.querySelectorAll('main ruby rt').length`); n == 0 {
				t.Error("no furigana in the notice")
			}
			if fs := Eval[string](t, tab, `getComputedStyle(document.documentElement).fontSize`); fs != "24px" {
				t.Errorf("root font size %s, want 24px", fs)
			}
			CheckPage(t, tab, env.URL+notice)
			scripts(t, tab, js)
			Navigate(t, tab, env.URL+notice)
			choose(t, tab, "large", "blue", "off")
			scripts(t, tab, true)
			if n := Eval[int](t, tab, `document.querySelectorAll('ruby').length`); n != 0 {
				t.Errorf("furigana still shown: %d", n)
			}
			CheckPage(t, tab, env.URL+"/events")
			CheckPage(t, tab, env.URL+"/register")
		})
	}

	t.Run("read aloud", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, br)
		// Headless Chromium has no voices: the button stays hidden.
		Navigate(t, tab, env.URL+notice)
		if !Eval[bool](t, tab, `document.getElementById('read-aloud').hidden`) {
			t.Error("read aloud offered without a voice")
		}
		// A device with a Japanese voice: stand one in before the page loads.
		if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fakeVoice})
			return err
		})); err != nil {
			t.Fatal(err)
		}
		Navigate(t, tab, env.URL+notice)
		if Eval[bool](t, tab, `document.getElementById('read-aloud').hidden`) {
			t.Fatal("read aloud not offered with a Japanese voice")
		}
		tap(t, tab, "#read-aloud")
		spoken := Eval[string](t, tab, `window.__spoken.join('')`)
		h1 := Eval[string](t, tab, `document.querySelector('main h1').textContent.trim()`)
		if !strings.Contains(spoken, h1) {
			t.Errorf("read aloud %q, want the notice %q in it", spoken, h1)
		}
		if p := Eval[string](t, tab, `document.getElementById('read-aloud').getAttribute('aria-pressed')`); p != "true" {
			t.Errorf("aria-pressed=%q while reading", p)
		}
		Axe(t, tab)
	})
}

// TestEveryPageTypeAtZoom opens every page type as the account that sees
// it, including those no test had checked, and runs every check of
// CheckPage (axe, 360 px and 320 px without sideways scrolling) and the
// 200 % zoom of a phone (180 CSS px); the visitors' pages TestPages
// already runs CheckPage on get the zoom (and the console check) only.
func TestEveryPageTypeAtZoom(t *testing.T) {
	if os.Getenv("PORTAL_SKIP_BROWSER") == "1" { // before the database is made
		t.Skip("PORTAL_SKIP_BROWSER=1: browser tests skipped")
	}
	env := Start(t)
	ctx := context.Background()
	h := passwordHash(t)
	member := dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9400001", Handle: "ずーむのひと", PasswordHash: h})
	mod := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "zoom-mod", Name: "運営 一郎", Roles: []string{db.RoleModerator}, PasswordHash: h})
	ward := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "zoom-ward", Name: "区 次郎", Roles: []string{db.RoleWardStaff}, PasswordHash: h})
	var group string
	if err := env.DB.Pool.QueryRow(ctx, `SELECT a.login_id FROM groups g JOIN accounts a ON a.id = g.account_id WHERE a.status = 'active' ORDER BY g.id LIMIT 1`).Scan(&group); err != nil {
		t.Fatal(err)
	}
	const reset = "zoom-walk-reset-token"
	sum := sha256.Sum256([]byte(reset))
	if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')`,
		hex.EncodeToString(sum[:]), member.ID); err != nil {
		t.Fatal(err)
	}
	notice := env.FirstLink(t, "/notices", `main a.title[href^="/notices/"]`)
	event := env.FirstLink(t, "/events", `main a.title[href^="/events/"]`)
	topic := env.FirstLink(t, "/board", `main a.title[href^="/board/"]`)
	group1 := env.FirstLink(t, "/groups", `main a.title[href^="/groups/"]`)

	type visit struct {
		who   string // "" visitor, or a login
		paths []string
	}
	visits := []visit{
		{"", []string{"/", "/?lang=en", notice, "/notices?lang=en", event, topic, group1, "/facilities", "/subsidies", "/articles",
			"/privacy", "/privacy?lang=en", "/accessibility", "/terms", "/sitemap", "/reading", "/register", "/login",
			"/password/forgot", "/password/reset/" + reset}},
		{member.LoginID, []string{"/account", "/account/profile", "/account/withdraw", "/account/calendar", "/account/history",
			"/account/password", "/account/events", "/account/posts", "/board/new", "/account/history?lang=en"}},
		{group, []string{"/events/new", "/account/organised"}},
		{mod.LoginID, []string{"/moderation", "/moderation?flag=flagged&order=newest_flagged", "/staff/board", "/staff/registrations"}},
		{ward.LoginID, []string{"/staff", "/staff/groups", "/staff/mail", "/staff/members", "/staff/members/" + fmt.Sprint(member.ID),
			"/staff/members/export", "/staff/audit", "/staff/accounts", "/moderation"}},
	}
	// Pages TestPages already checks at 360 and 320 px as a visitor: here
	// only their 200 % zoom.
	checked := map[string]bool{"/": true, "/?lang=en": true, notice: true, event: true, topic: true, group1: true,
		"/facilities": true, "/subsidies": true, "/articles": true}
	// One browser for the walk; one tab per account (signed in once), with
	// a few pages per tab: a tab lives two minutes at most.
	br := NewBrowser(t)
	const perTab = 8
	for _, v := range visits {
		who := v.who
		if who == "" {
			who = "visitor"
		}
		for i := 0; i < len(v.paths); i += perTab {
			paths := v.paths[i:min(i+perTab, len(v.paths))]
			t.Run(fmt.Sprintf("as %s %d", who, i/perTab+1), func(t *testing.T) {
				t.Parallel() // tabs of one browser run side by side
				tab := NewTab(t, br)
				if v.who != "" {
					signIn(t, tab, env.URL, v.who, seed.Password, "/account", "/account")
				}
				for _, p := range paths {
					if v.who == "" && checked[p] {
						ResetConsole(tab)
						if s := Navigate(t, tab, env.URL+p); s != http.StatusOK {
							t.Errorf("%s: HTTP status %d", p, s)
						}
						CheckReflow(t, tab, ZoomWidth)
						CheckConsole(t, tab)
						continue
					}
					CheckPage(t, tab, env.URL+p)
					CheckReflow(t, tab, ZoomWidth)
				}
			})
		}
	}
}

// fakeVoice stands in a speech synthesis with a Japanese voice that
// records what it is asked to say.
const fakeVoice = `
window.__spoken = [];
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
Object.defineProperty(window, 'speechSynthesis', {value: {
  speaking: false,
  getVoices: () => [{lang: 'ja-JP', name: 'Kyoko'}],
  speak(u) { window.__spoken.push(u.text); this.speaking = true; },
  cancel() { this.speaking = false; },
  addEventListener() {}, onvoiceschanged: null,
}});`
