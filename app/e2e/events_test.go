package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestEventSignUpFlow follows one seat of an event between two members on
// phones: A finds the event on /events and signs up in place (confirmed, the
// seat count turns to the waitlist), B double-taps the button and is
// waitlisted once, A cancels in place and B, promoted in the same
// transaction, finds the seat confirmed on the event page and on
// /account/events. Each member has a tab of their own (own cookies); every
// state a person sees is checked with axe, at 320 px and for console or CSP
// errors, and the database is asked what each tap stored.
func TestEventSignUpFlow(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	// An empty database: /events and /account/events hold only these events.
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ja := jaCatalog(t)
	h := passwordHash(t)
	alice := dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9100001", Handle: "あやかE2E", PasswordHash: h})
	bob := dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9100002", Handle: "ぶんたE2E", PasswordHash: h})

	now := time.Now().Truncate(time.Minute)
	// Another event, sooner and without a limit, so A has to pick the right
	// item from the list.
	newSignupEvent(t, env, "図書館のおはなし会", now.Add(48*time.Hour), nil, 0)
	one := 1
	ev := newSignupEvent(t, env, "区民センターの防災講座", now.Add(72*time.Hour), &one, 1)
	eventPath := "/events/" + itoa(ev.ID)
	eventURL := env.URL + eventPath
	signupButton := `#signup form[hx-post$="/signup"] button[type="submit"]`
	cancelLink := `#signup a[hx-get$="/cancel"]`
	cancelButton := `#signup .confirm-step form[hx-post$="/cancel"] button[type="submit"]`

	seatsLeft1 := ja("events.seats_left", map[string]any{"Count": 1})
	if seatsLeft1 != "残り1席" {
		t.Fatalf("the catalogue says %q for one seat left, want 残り1席", seatsLeft1)
	}

	aTab, bTab := NewTab(t, browser), NewTab(t, browser)
	signIn(t, aTab, env.URL, alice.LoginID, seed.Password, "/events", "/events")
	signIn(t, bTab, env.URL, bob.LoginID, seed.Password, eventPath, eventPath)

	t.Run("A finds the event on /events", func(t *testing.T) {
		CheckPage(t, aTab, env.URL+"/events")
		link := `main a.title[href="` + eventPath + `"]`
		item := strings.Join(strings.Fields(Eval[string](t, aTab, `((document.querySelector('`+link+`') || {closest: () => null}).closest('li') || {}).textContent || ''`)), " ")
		if !strings.Contains(item, ev.Title) || !strings.Contains(item, seatsLeft1) {
			t.Fatalf("/events lists the event as %q, want its title and %q", item, seatsLeft1)
		}
		ResetConsole(aTab)
		res, err := chromedp.RunResponse(aTab, chromedp.Tap(chromedp.CSS(link)))
		if err != nil {
			t.Fatalf("tap the event in the list: %v", err)
		}
		if p := Eval[string](t, aTab, `location.pathname`); p != eventPath || res.Status != http.StatusOK {
			t.Fatalf("tapping the event lands on %s with status %d, want %s with 200", p, res.Status, eventPath)
		}
		v := signupViewOf(t, aTab)
		if v.Seats != seatsLeft1 {
			t.Errorf("#seats says %q, want %q", v.Seats, seatsLeft1)
		}
		if strings.Join(v.Buttons, "|") != ja("signup.action.signup") || v.Status != "" || v.Message != "" {
			t.Errorf("the box before signing up: %+v, want just the %q button", v, ja("signup.action.signup"))
		}
		if d := Eval[string](t, aTab, `(document.querySelector('#signup form[hx-post$="/signup"]') || {getAttribute: () => ''}).getAttribute('hx-disabled-elt') || ''`); d == "" {
			t.Errorf("the sign-up form has no hx-disabled-elt: a double tap sends twice")
		}
		CheckConsole(t, aTab)
		// The event page before the sign-up, in full.
		CheckPage(t, aTab, eventURL)
	})

	t.Run("A signs up in place", func(t *testing.T) {
		submitInPlace(t, aTab, signupButton)
		checkSamePage(t, aTab, eventPath)
		v := signupViewOf(t, aTab)
		checkAnswer(t, v, ja("signup.result.confirmed"))
		if v.Status != db.SignupConfirmed || v.StatusText != ja("signup.status.confirmed") {
			t.Errorf("the box shows status %q %q, want %q %q", v.Status, v.StatusText, db.SignupConfirmed, ja("signup.status.confirmed"))
		}
		if len(v.Buttons) != 0 || Eval[string](t, aTab, `(document.querySelector('`+cancelLink+`') || {}).textContent || ''`) != ja("signup.cancel") {
			t.Errorf("the box offers %q, want no form but the %q link (the second step asks)", v.Buttons, ja("signup.cancel"))
		}
		if v.Seats != ja("events.waitlist_open") {
			t.Errorf("#seats says %q after the last seat went, want %q", v.Seats, ja("events.waitlist_open"))
		}
		Axe(t, aTab)
		CheckReflow(t, aTab, ReflowWidth)
		CheckConsole(t, aTab)

		if ss := signupRows(t, env, ev.ID, alice.ID); len(ss) != 1 || ss[0].Status != db.SignupConfirmed {
			t.Errorf("stored sign-ups of A: %+v, want one confirmed", ss)
		}
		// The event page after the sign-up, loaded afresh.
		CheckPage(t, aTab, eventURL)
		if v := signupViewOf(t, aTab); v.Status != db.SignupConfirmed || v.Message != "" || v.Seats != ja("events.waitlist_open") {
			t.Errorf("reloaded after signing up, the box is %+v, want confirmed, no message, seats %q", v, ja("events.waitlist_open"))
		}
	})
	if ss := signupRows(t, env, ev.ID, alice.ID); len(ss) != 1 || ss[0].Status != db.SignupConfirmed {
		t.Fatal("A holds no seat to give up")
	}

	t.Run("B double-taps and is waitlisted once", func(t *testing.T) {
		Navigate(t, bTab, eventURL)
		if v := signupViewOf(t, bTab); v.Seats != ja("events.waitlist_open") {
			t.Errorf("B sees #seats %q, want %q", v.Seats, ja("events.waitlist_open"))
		}
		// A phone network is slow: the sign-up request is held in the page
		// until released, so the second tap is sure to land while the first
		// is under way. Clicks on the button and on the box's heading are
		// counted, and every sign-up request the page tries to send.
		Eval[bool](t, bTab, holdSignupJS)
		type point struct {
			X float64 `json:"x"`
			Y float64 `json:"y"`
		}
		center := func(sel string) point {
			return Eval[point](t, bTab, `(() => { const r = document.querySelector('`+sel+`').getBoundingClientRect();
				return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()`)
		}
		Eval[bool](t, bTab, `(document.querySelector('`+signupButton+`').scrollIntoView({block: 'center'}), true)`)
		button, heading := center(signupButton), center("#signup-heading")
		markPage(t, bTab)
		ResetConsole(bTab)

		if err := chromedp.Do(bTab, chromedp.TapXY(button.X, button.Y)); err != nil {
			t.Fatalf("first tap: %v", err)
		}
		waitJS(t, bTab, "the sign-up request", `!!window.__e2eSignup.held`)
		if !Eval[bool](t, bTab, `document.querySelector('`+signupButton+`').disabled`) {
			t.Errorf("the sign-up button is not disabled while its request is under way (hx-disabled-elt)")
		}
		// The second tap on the same spot; then a tap on the heading, whose
		// click, once it arrives, means the second tap's click (if any) has
		// arrived too: taps are handled in order.
		if err := chromedp.Do(bTab, chromedp.TapXY(button.X, button.Y), chromedp.TapXY(heading.X, heading.Y)); err != nil {
			t.Fatalf("second tap: %v", err)
		}
		waitJS(t, bTab, "the tap on the heading", `window.__e2eSignup.headingClicks > 0`)
		if n := Eval[int](t, bTab, `window.__e2eSignup.buttonClicks`); n != 1 {
			t.Errorf("the double tap clicked the sign-up button %d times, want once (the second on a disabled button)", n)
		}
		Eval[bool](t, bTab, `(window.__e2eSignup.release(), true)`)
		waitJS(t, bTab, "the answer", `!!document.querySelector('#signup .flash[role="status"]')`)
		waitJS(t, bTab, "htmx to settle", `!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')`)
		checkSamePage(t, bTab, eventPath)
		if n := Eval[int](t, bTab, `window.__e2eSignup.sent`); n != 1 {
			t.Errorf("the double tap sent %d sign-up requests, want 1", n)
		}
		v := signupViewOf(t, bTab)
		// Not "already signed up": the second tap must not have been heard.
		checkAnswer(t, v, ja("signup.result.waitlisted"))
		if v.Status != db.SignupWaitlisted || v.StatusText != ja("signup.status.waitlisted") {
			t.Errorf("the box shows status %q %q, want %q %q", v.Status, v.StatusText, db.SignupWaitlisted, ja("signup.status.waitlisted"))
		}
		if v.Seats != ja("events.full") {
			t.Errorf("#seats says %q with the waitlist taken, want %q", v.Seats, ja("events.full"))
		}
		Axe(t, bTab)
		CheckReflow(t, bTab, ReflowWidth)
		CheckConsole(t, bTab)

		if ss := signupRows(t, env, ev.ID, bob.ID); len(ss) != 1 || ss[0].Status != db.SignupWaitlisted {
			t.Errorf("stored sign-ups of B after the double tap: %+v, want exactly one, waitlisted", ss)
		}
		if e := eventRow(t, env, ev.ID); e.Confirmed != 1 || e.Waitlisted != 1 {
			t.Errorf("event counters confirmed %d, waitlisted %d; want 1 and 1", e.Confirmed, e.Waitlisted)
		}
	})
	if ss := signupRows(t, env, ev.ID, bob.ID); len(ss) != 1 || ss[0].Status != db.SignupWaitlisted {
		t.Fatal("B is not on the waitlist")
	}

	t.Run("A cancels in place", func(t *testing.T) {
		// The first tap asks once more, in place, saying where the seat goes.
		submitInPlace(t, aTab, cancelLink)
		checkSamePage(t, aTab, eventPath)
		step := strings.Join(strings.Fields(Eval[string](t, aTab, `(document.querySelector('#signup .confirm-step') || {}).textContent || ''`)), " ")
		if !strings.Contains(step, ja("signup.cancel_confirm.seat_to_next")) {
			t.Errorf("the second step says %q, want %q", step, ja("signup.cancel_confirm.seat_to_next"))
		}
		if ss := signupRows(t, env, ev.ID, alice.ID); len(ss) != 1 || ss[0].Status != db.SignupConfirmed {
			t.Errorf("the first tap cancelled: %+v", ss)
		}
		Axe(t, aTab)
		CheckReflow(t, aTab, ReflowWidth)
		submitInPlace(t, aTab, cancelButton)
		checkSamePage(t, aTab, eventPath)
		v := signupViewOf(t, aTab)
		checkAnswer(t, v, ja("signup.result.cancelled"))
		if v.Status != "" {
			t.Errorf("after cancelling the box still shows status %q %q", v.Status, v.StatusText)
		}
		// B took the seat, so what A is offered is the waitlist.
		if strings.Join(v.Buttons, "|") != ja("signup.action.waitlist") {
			t.Errorf("after cancelling the box offers %q, want just %q", v.Buttons, ja("signup.action.waitlist"))
		}
		// B took the seat: the waitlist is open again.
		if v.Seats != ja("events.waitlist_open") {
			t.Errorf("#seats says %q after the cancellation, want %q", v.Seats, ja("events.waitlist_open"))
		}
		Axe(t, aTab)
		CheckReflow(t, aTab, ReflowWidth)
		CheckConsole(t, aTab)

		if ss := signupRows(t, env, ev.ID, alice.ID); len(ss) != 1 || ss[0].Status != db.SignupCancelled || ss[0].CancelledAt == nil {
			t.Errorf("stored sign-ups of A: %+v, want one, cancelled", ss)
		}
		if ss := signupRows(t, env, ev.ID, bob.ID); len(ss) != 1 || ss[0].Status != db.SignupConfirmed {
			t.Errorf("stored sign-ups of B: %+v, want one, promoted to confirmed", ss)
		}
		if e := eventRow(t, env, ev.ID); e.Confirmed != 1 || e.Waitlisted != 0 {
			t.Errorf("event counters confirmed %d, waitlisted %d; want 1 and 0", e.Confirmed, e.Waitlisted)
		}
	})

	t.Run("B finds the seat confirmed", func(t *testing.T) {
		CheckPage(t, bTab, eventURL)
		v := signupViewOf(t, bTab)
		if v.Status != db.SignupConfirmed || v.StatusText != ja("signup.status.confirmed") {
			t.Errorf("B's box shows status %q %q, want %q %q", v.Status, v.StatusText, db.SignupConfirmed, ja("signup.status.confirmed"))
		}
		if !strings.Contains(v.StatusText, "参加が確定しています") {
			t.Errorf("B's box says %q, want 参加が確定しています", v.StatusText)
		}
		if v.Seats != ja("events.waitlist_open") {
			t.Errorf("B sees #seats %q, want %q", v.Seats, ja("events.waitlist_open"))
		}

		p := CheckPage(t, bTab, env.URL+"/account/events")
		if p.H1 != ja("signup.mine") {
			t.Errorf("/account/events h1 %q, want %q", p.H1, ja("signup.mine"))
		}
		type mine struct {
			Href  string `json:"href"`
			Title string `json:"title"`
			Badge string `json:"badge"`
		}
		got := Eval[[]mine](t, bTab, `Array.from(document.querySelectorAll('main ul.list > li')).map(li => ({
			href: (li.querySelector('a.title') || {getAttribute: () => ''}).getAttribute('href') || '',
			title: ((li.querySelector('a.title') || {}).textContent || '').trim(),
			badge: ((li.querySelector('.badge') || {}).textContent || '').trim(),
		}))`)
		want := mine{Href: eventPath, Title: ev.Title, Badge: ja("signup.badge.confirmed")}
		if len(got) != 1 || got[0] != want {
			t.Errorf("B's /account/events lists %+v, want just %+v", got, want)
		}
	})

	t.Run("A's list is empty", func(t *testing.T) {
		CheckPage(t, aTab, env.URL+"/account/events")
		if got := strings.TrimSpace(Eval[string](t, aTab, `(document.querySelector('main .empty') || {}).textContent || ''`)); got != ja("signup.none") {
			t.Errorf("A's /account/events says %q, want %q", got, ja("signup.none"))
		}
		if n := Eval[int](t, aTab, `document.querySelectorAll('main ul.list > li').length`); n != 0 {
			t.Errorf("A's /account/events lists %d events after the cancellation", n)
		}
	})

	t.Run("mails", func(t *testing.T) {
		for _, m := range []struct {
			who  *db.Account
			want string
		}{
			{alice, "signup_confirmed signup_cancelled"},
			{bob, "signup_waitlisted signup_promoted"},
		} {
			var kinds []string
			if err := env.DB.Bun.NewSelect().Model((*db.Mail)(nil)).Column("kind").
				Where("account_id = ?", m.who.ID).OrderExpr("id").Scan(context.Background(), &kinds); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(kinds, " "); got != m.want {
				t.Errorf("mails to %s: %q, want %q", m.who.DisplayName, got, m.want)
			}
		}
	})
}

// holdSignupJS makes the page hold its next sign-up request (XHR, as htmx 2
// sends it) until window.__e2eSignup.release() and count what reaches it:
// every sign-up request the page sends, clicks on the sign-up button and on
// the box's heading. DevTools runs it, so the page's CSP does not apply.
const holdSignupJS = `(() => {
	const s = window.__e2eSignup = {sent: 0, held: null, released: false, buttonClicks: 0, headingClicks: 0};
	s.release = () => { s.released = true; if (s.held) s.held(); };
	window.addEventListener('click', e => {
		const el = e.target instanceof Element ? e.target : null;
		if (el && el.closest('#signup form[hx-post$="/signup"] button')) s.buttonClicks++;
		if (el && el.closest('#signup-heading')) s.headingClicks++;
	}, true);
	const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
	XMLHttpRequest.prototype.open = function (method, url, ...rest) {
		this.__e2eURL = String(url);
		return open.call(this, method, url, ...rest);
	};
	XMLHttpRequest.prototype.send = function (body) {
		if (/\/signup$/.test(new URL(this.__e2eURL || '', location.href).pathname)) {
			s.sent++;
			if (!s.released) {
				const xhr = this;
				s.held = () => send.call(xhr, body);
				return;
			}
		}
		return send.call(this, body);
	};
	return true;
})()`

// newSignupEvent creates a published event by the ward, two hours long,
// taking sign-ups until the day before; capacity nil means no limit.
func newSignupEvent(t *testing.T, env *Env, title string, starts time.Time, capacity *int, waitlist int) *db.Event {
	t.Helper()
	until := starts.Add(-24 * time.Hour)
	return dbtest.Event(t, env.DB, db.Event{Title: title, Description: title + "を開きます。どなたでも参加できます。",
		Category: "講座", Venue: "四谷区民センター 3階集会室", StartsAt: starts, Capacity: capacity, WaitlistSize: waitlist,
		ApplyUntil: &until, Contact: "区役所 地域振興課"})
}

// signupRows is every sign-up row, live or cancelled, of the account for the
// event.
func signupRows(t *testing.T, env *Env, eventID, accountID int64) []db.Signup {
	t.Helper()
	var ss []db.Signup
	if err := env.DB.Bun.NewSelect().Model(&ss).Where("event_id = ? AND account_id = ?", eventID, accountID).
		OrderExpr("id").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ss
}

func eventRow(t *testing.T, env *Env, id int64) db.Event {
	t.Helper()
	var e db.Event
	if err := env.DB.Bun.NewSelect().Model(&e).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatalf("event %d: %v", id, err)
	}
	return e
}

// signupView is what the event page shows of the sign-up: the box, the seat
// count and where the focus is.
type signupView struct {
	Boxes        int      `json:"boxes"`
	H1s          int      `json:"h1s"`
	Message      string   `json:"message"`
	MessageRole  string   `json:"messageRole"`
	MessageError bool     `json:"messageError"`
	Status       string   `json:"status"`
	StatusText   string   `json:"statusText"`
	Buttons      []string `json:"buttons"`
	Seats        string   `json:"seats"`
	SeatsCount   int      `json:"seatsCount"`
	SeatsInFacts bool     `json:"seatsInFacts"`
	Focus        *struct {
		Role     string `json:"role"`
		InBox    bool   `json:"inBox"`
		IsStatus bool   `json:"isStatus"`
		Text     string `json:"text"`
		InView   bool   `json:"inView"`
	} `json:"focus"`
}

func signupViewOf(t *testing.T, tab context.Context) signupView {
	t.Helper()
	return Eval[signupView](t, tab, `(() => {
		const box = document.getElementById('signup');
		const msg = box && box.querySelector('.flash');
		const st = box && box.querySelector('[data-signup-status]');
		const seats = document.querySelectorAll('#seats');
		const f = document.activeElement;
		let focus = null;
		if (f && f !== document.body && f !== document.documentElement) {
			const r = f.getBoundingClientRect();
			focus = {role: f.getAttribute('role') || '', inBox: !!box && box.contains(f), isStatus: !!msg && f === msg,
				text: (f.textContent || '').trim().slice(0, 80),
				inView: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight};
		}
		return {
			boxes: document.querySelectorAll('#signup').length,
			h1s: document.querySelectorAll('h1').length,
			message: msg ? msg.textContent.trim() : '',
			messageRole: msg ? msg.getAttribute('role') || '' : '',
			messageError: !!msg && msg.classList.contains('error'),
			status: st ? st.getAttribute('data-signup-status') : '',
			statusText: st ? st.textContent.trim() : '',
			buttons: box ? Array.from(box.querySelectorAll('form button')).map(b => b.textContent.trim()) : [],
			seats: seats.length === 1 ? seats[0].textContent.trim() : '',
			seatsCount: seats.length,
			seatsInFacts: seats.length === 1 && !!seats[0].closest('main dl.facts'),
			focus,
		};
	})()`)
}

// checkAnswer wants the box swapped in place once, saying message in a
// role=status paragraph that has the focus and is on screen, and the seat
// count replaced where it was (out of band), not added.
func checkAnswer(t *testing.T, v signupView, message string) {
	t.Helper()
	if v.Boxes != 1 || v.H1s != 1 {
		t.Errorf("after the answer the page has %d sign-up boxes and %d h1s, want 1 and 1 (a fragment, swapped once)", v.Boxes, v.H1s)
	}
	if v.Message != message || v.MessageRole != "status" || v.MessageError {
		t.Errorf("the box says %q (role=%q, error %v), want %q with role=status, not an error", v.Message, v.MessageRole, v.MessageError, message)
	}
	switch f := v.Focus; {
	case f == nil:
		t.Errorf("after the answer the focus is on the page body, want the status message %q", message)
	case !f.IsStatus:
		t.Errorf("after the answer the focus is on %+v, want the status message %q", *f, message)
	case !f.InView:
		t.Errorf("the focused status message %q is not on screen", message)
	}
	if v.SeatsCount != 1 || !v.SeatsInFacts {
		t.Errorf("after the answer the page has %d #seats (in the facts list: %v), want exactly one, in place", v.SeatsCount, v.SeatsInFacts)
	}
}
