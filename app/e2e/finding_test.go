package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestFindAndCancelOnAPhone walks issue 17's finding and acting at 360 px,
// with JavaScript and without: the menu is a closed disclosure that keeps
// the header small and opens on a tap; the header's search finds a
// two-character word in every kind and lands on grouped results; and
// cancelling a sign-up takes a second step that says where the seat goes,
// as a page of its own when there is no JavaScript. Every state is checked
// with axe (CheckPage or Axe).
func TestFindAndCancelOnAPhone(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ja := jaCatalog(t)
	h := passwordHash(t)
	member := dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9170001", Handle: "さがすE2E", PasswordHash: h})
	rival := dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9170002", Handle: "まつE2E", PasswordHash: h})
	one := 1
	ev := newSignupEvent(t, env, "区民センターの防災講座", time.Now().Truncate(time.Minute).Add(72*time.Hour), &one, 2)
	_, g := dbtest.Group(t, env.DB, dbtest.GroupOptions{Login: "G9170001", Name: "防災ボランティアの会E2E", Published: true})
	eventPath := "/events/" + itoa(ev.ID)

	for _, js := range []bool{true, false} {
		name := "with JavaScript"
		if !js {
			name = "without JavaScript"
		}
		t.Run(name, func(t *testing.T) {
			tab := NewTab(t, browser)
			scripts(t, tab, js)
			// Without JavaScript the checks turn scripts on only to run
			// (axe-core awaits promises a page without scripts never settles).
			check := func() {
				t.Helper()
				if !js {
					scripts(t, tab, true)
				}
				Axe(t, tab)
				CheckReflow(t, tab, ReflowWidth)
				if !js {
					scripts(t, tab, false)
				}
			}
			open := func(u string) {
				t.Helper()
				if js {
					CheckPage(t, tab, u)
					return
				}
				if st := Navigate(t, tab, u); st != http.StatusOK {
					t.Errorf("%s: status %d", u, st)
				}
				check()
			}

			// The menu: closed, so the header stays small; a tap opens it.
			open(env.URL + "/events")
			type header struct {
				Height  float64 `json:"height"`
				Open    bool    `json:"open"`
				NavSeen bool    `json:"navSeen"`
				FirstY  float64 `json:"firstY"`
			}
			measure := func() header {
				return Eval[header](t, tab, `(() => {
					const h = document.querySelector('header.site-header').getBoundingClientRect();
					const d = document.querySelector('details.site-menu');
					const a = document.querySelector('nav.site-nav a[href="/board"]');
					const first = document.querySelector('main ul.list a.title');
					return {height: h.height, open: d.open, navSeen: !!a && a.checkVisibility(),
						firstY: first ? first.getBoundingClientRect().top + window.scrollY : -1};
				})()`)
			}
			m := measure()
			if m.Open || m.NavSeen {
				t.Errorf("the menu starts open: %+v", m)
			}
			if m.Height > 200 {
				t.Errorf("the header takes %.0f px of 800, want at most 200", m.Height)
			}
			if m.FirstY < 0 || m.FirstY > 560 {
				t.Errorf("the first event is at y=%.0f, want it on the first screen (<= 560)", m.FirstY)
			}
			tap(t, tab, "details.site-menu > summary")
			if m := measure(); !m.Open || !m.NavSeen {
				t.Errorf("a tap on the menu does not open it: %+v", m)
			}
			check()

			// The header's search, with a two-character word.
			Navigate(t, tab, env.URL+"/")
			if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS("#site-q"), "防災")); err != nil {
				t.Fatalf("type into the header's search: %v", err)
			}
			res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`header form[action="/search"] button[type="submit"]`)))
			if err != nil {
				t.Fatalf("search: %v", err)
			}
			if res.Status != http.StatusOK || Eval[string](t, tab, `location.pathname + location.search`) != "/search?q="+url.QueryEscape("防災") {
				t.Fatalf("the search landed on %s with %d", Eval[string](t, tab, `location.href`), res.Status)
			}
			type hit struct {
				Kind string `json:"kind"`
				Href string `json:"href"`
			}
			hits := Eval[[]hit](t, tab, `Array.from(document.querySelectorAll('section.search-kind a.title')).map(a => ({
				kind: a.closest('section').getAttribute('aria-labelledby'), href: a.getAttribute('href')}))`)
			want := map[string]string{"results-event": eventPath, "results-group": "/groups/" + itoa(g.ID)}
			for _, h := range hits {
				if want[h.Kind] == h.Href {
					delete(want, h.Kind)
				}
			}
			if len(want) > 0 {
				t.Errorf("the results %+v lack %v", hits, want)
			}
			open(env.URL + "/search?q=" + url.QueryEscape("防災"))

			// Cancelling asks once more.
			who := member
			if !js {
				who = rival
			}
			signIn(t, tab, env.URL, who.LoginID, seed.Password, eventPath, eventPath)
			signup := `#signup form[action$="/signup"] button[type="submit"]`
			if js {
				submitInPlace(t, tab, signup)
			} else if _, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(signup))); err != nil {
				t.Fatalf("sign up: %v", err)
			}
			waitJS(t, tab, "the sign-up", `!!document.querySelector('#signup [data-signup-status]')`)
			if js {
				submitInPlace(t, tab, `#signup a[href$="/cancel"]`)
				checkSamePage(t, tab, eventPath)
			} else {
				res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`#signup a[href$="/cancel"]`)))
				if err != nil || res.Status != http.StatusOK {
					t.Fatalf("open the second step: %v", err)
				}
				if p := Eval[string](t, tab, `location.pathname`); p != eventPath+"/cancel" {
					t.Fatalf("without JavaScript the second step is at %s, want %s/cancel", p, eventPath)
				}
				open(env.URL + eventPath + "/cancel")
			}
			step := strings.Join(strings.Fields(Eval[string](t, tab, `(document.querySelector('#signup .confirm-step') || {}).textContent || ''`)), " ")
			if !strings.Contains(step, ja("signup.cancel_confirm.title")) {
				t.Errorf("the second step says %q", step)
			}
			check()
			if ss := signupRows(t, env, ev.ID, who.ID); len(ss) != 1 || ss[0].Status == db.SignupCancelled {
				t.Fatalf("the first tap cancelled: %+v", ss)
			}
			confirm := `#signup .confirm-step button[type="submit"]`
			if js {
				submitInPlace(t, tab, confirm)
			} else if _, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(confirm))); err != nil {
				t.Fatalf("confirm: %v", err)
			}
			waitJS(t, tab, "the answer", `Array.from(document.querySelectorAll('.flash')).some(f => f.textContent.trim() === `+jsString(ja("signup.result.cancelled"))+`)`)
			check()
			if ss := signupRows(t, env, ev.ID, who.ID); len(ss) != 1 || ss[0].Status != db.SignupCancelled {
				t.Errorf("after the second step: %+v, want cancelled", ss)
			}
			CheckConsole(t, tab)
		})
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
