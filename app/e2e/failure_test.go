package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestFailedTapSaysWhatHappened: a resident on a phone taps 参加を申し込む
// after the session ended, and again with no connection. Each time the
// page stays as it was and the alert region at the bottom of the screen
// says what happened and what to do: sign in and come back to this page
// (with the request id to quote), or check the connection and try again.
// Following the sign-in link brings the resident back to the event, where
// the tap then works.
func TestFailedTapSaysWhatHappened(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ja := jaCatalog(t)
	h := passwordHash(t)
	member := dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9300001", Handle: "ためすE2E", PasswordHash: h})
	ten := 10
	now := time.Now().Truncate(time.Minute)
	ev := newSignupEvent(t, env, "区民センターの防災講座", now.Add(72*time.Hour), &ten, 0)
	other := newSignupEvent(t, env, "図書館のおはなし会", now.Add(96*time.Hour), &ten, 0)
	eventPath, otherPath := "/events/"+itoa(ev.ID), "/events/"+itoa(other.ID)
	signupButton := `#signup form[hx-post$="/signup"] button[type="submit"]`

	tab := NewTab(t, browser)
	trackEventSources(t, tab)
	signIn(t, tab, env.URL, member.LoginID, seed.Password, eventPath, eventPath)

	type alert struct {
		Role    string `json:"role"`
		Title   string `json:"title"`
		Text    string `json:"text"`
		Link    string `json:"link"`
		ID      string `json:"id"`
		Close   bool   `json:"close"`
		OnPhone bool   `json:"onPhone"`
		Button  bool   `json:"button"`
	}
	alertOf := func() alert {
		t.Helper()
		return Eval[alert](t, tab, `(() => {
			const r = document.getElementById('request-error'), m = r && r.querySelector('.request-error-message');
			const box = r ? r.getBoundingClientRect() : {top: 0, bottom: 0, height: 0};
			return {
				role: r ? r.getAttribute('role') || '' : '',
				title: m ? ((m.querySelector('.request-error-title') || {}).textContent || '').trim() : '',
				text: m ? m.textContent.replace(/\s+/g, ' ').trim() : '',
				link: m ? ((m.querySelector('a') || {getAttribute: () => ''}).getAttribute('href') || '') : '',
				id: m ? ((m.querySelector('.meta code') || {}).textContent || '') : '',
				close: !!(m && m.querySelector('button[data-dismiss-request-error]')),
				onPhone: box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight + 1,
				button: !!document.querySelector('`+signupButton+`'),
			};
		})()`)
	}
	// The browser reports the failed request itself, and htmx logs it as an
	// error; neither is the page's fault here. Anything else still fails.
	// A want starting with = is the whole message.
	checkConsoleExpecting := func(t *testing.T, wants ...string) {
		t.Helper()
		for _, m := range Console(tab) {
			expected := false
			for _, w := range wants {
				if exact, ok := strings.CutPrefix(w, "="); ok {
					expected = expected || m.Text == exact
				} else {
					expected = expected || strings.Contains(m.Text, w)
				}
			}
			if !expected && (IsCSPViolation(m) || consoleProblem(m, "")) {
				t.Errorf("console problem: %s", m)
			}
		}
	}

	t.Run("the session ended", func(t *testing.T) {
		// Once the page's live seat count is connected (its request saved
		// the session as it began), the session ends on the server.
		waitStream(t, tab, eventPath+"/live")
		if _, err := env.DB.Pool.Exec(context.Background(), `DELETE FROM sessions`); err != nil {
			t.Fatal(err)
		}
		ResetConsole(tab)
		tap(t, tab, signupButton)
		waitJS(t, tab, "the alert", `!!document.querySelector('#request-error .request-error-message')`)
		a := alertOf()
		if a.Role != "alert" || a.Title != ja("error.signed_out.title") || !strings.Contains(a.Text, ja("error.signed_out.body")) {
			t.Errorf("the alert says %+v, want %q in a role=alert region", a, ja("error.signed_out.title"))
		}
		if want := "/login?next=" + url.QueryEscape(eventPath); a.Link != want {
			t.Errorf("the alert's sign-in link is %q, want %q", a.Link, want)
		}
		if len(a.ID) < 16 || !strings.Contains(env.Logs(), a.ID) {
			t.Errorf("the alert shows no request id the log knows: %+v", a)
		}
		if !a.OnPhone || !a.Close || !a.Button {
			t.Errorf("on screen %v, closable %v, the sign-up box still there %v; want all", a.OnPhone, a.Close, a.Button)
		}
		Axe(t, tab)
		CheckReflow(t, tab, ReflowWidth)
		checkConsoleExpecting(t, "status of 403", "Response Status Error Code 403")
		var n int
		if err := env.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM event_signups WHERE event_id = $1`, ev.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d sign-ups stored after the session ended (%v)", n, err)
		}

		// The link signs in and comes back; then the tap works.
		tap(t, tab, `#request-error a`)
		waitJS(t, tab, "the sign-in page", `location.pathname === '/login'`)
		fill(t, tab, map[string]string{"login_id": member.LoginID, "password": seed.Password})
		tap(t, tab, `#login-form button[type="submit"]`)
		waitJS(t, tab, "the way back", `location.pathname === '`+eventPath+`' && !!document.querySelector('`+signupButton+`')`)
		submitInPlace(t, tab, signupButton)
		if v := signupViewOf(t, tab); v.Status != db.SignupConfirmed {
			t.Errorf("after signing in again the sign-up is %q, want confirmed", v.Status)
		}
		if a := alertOf(); a.Title != "" {
			t.Errorf("the old alert is still shown: %+v", a)
		}
	})

	t.Run("no connection", func(t *testing.T) {
		Navigate(t, tab, env.URL+otherPath)
		// The server goes away: nothing listens on its address any more.
		addr := env.Server.Listener.Addr().String()
		env.Server.Listener.Close()
		env.Server.CloseClientConnections()
		ResetConsole(tab)
		tap(t, tab, signupButton)
		waitJS(t, tab, "the alert", `!!document.querySelector('#request-error .request-error-message')`)
		a := alertOf()
		if a.Role != "alert" || a.Title != ja("request_error.network_title") || !strings.Contains(a.Text, ja("request_error.network_body")) {
			t.Errorf("the alert says %+v, want %q", a, ja("request_error.network_title"))
		}
		if !a.OnPhone || !a.Close || !a.Button {
			t.Errorf("on screen %v, closable %v, the sign-up box still there %v; want all", a.OnPhone, a.Close, a.Button)
		}
		Axe(t, tab)
		// The live seat count loses its stream too (the SSE extension logs the
		// EventSource's error event as "Event").
		checkConsoleExpecting(t, "net::ERR_CONNECTION_REFUSED", "net::ERR_CONNECTION_RESET", "=htmx:sendError", "=htmx:afterRequest", "=Event")
		// Closed, it is gone; with the server back at its address, the tap works.
		tap(t, tab, `#request-error button[data-dismiss-request-error]`)
		if a := alertOf(); a.Title != "" {
			t.Errorf("the closed alert still shows %+v", a)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen on %s again: %v", addr, err)
		}
		back := &http.Server{Handler: env.App.Handler()}
		go func() { _ = back.Serve(l) }()
		t.Cleanup(func() { _ = back.Close() })
		submitInPlace(t, tab, signupButton)
		if v := signupViewOf(t, tab); v.Status != db.SignupConfirmed {
			t.Errorf("with the server back the sign-up is %q, want confirmed", v.Status)
		}
		if a := alertOf(); a.Title != "" {
			t.Errorf("the old alert is still shown: %+v", a)
		}
	})
}
