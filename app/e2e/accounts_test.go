package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestAccounts walks a resident's registration and their account's life up
// to the first sign-in on a phone, with both staff confirmations between:
// register, sign in too early (pending), the moderator confirms, ward staff
// confirm (the account opens), the member signs in and changes the initial
// password. Each actor has a tab of their own (own cookies). Checks that do
// not depend on the others (kept values, a wrong password) run alongside;
// every state a person sees is checked with axe.
func TestAccounts(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	// An empty database: the queue holds only this test's registration.
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ja := func(id string) string { return catalog.T("ja", id) }

	// Two staff accounts, one per side of the confirmation, past their own
	// first sign-in. Both use seed.Password (hashed once per test binary).
	h := passwordHash(t)
	moderator := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-moderator", Name: "運営モデレーター", Roles: []string{db.RoleModerator}, PasswordHash: h})
	ward := dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-ward", Name: "区職員テスト", Roles: []string{db.RoleWardStaff}, PasswordHash: h})

	t.Run("registration keeps what was typed", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		Navigate(t, tab, env.URL+"/register")
		fill(t, tab, map[string]string{
			"name":      "区民 太郎",
			"name_kana": "くみん たろう",
			"address":   "新宿区四谷二丁目2番2号",
			"email":     "taro@example", // wrong: no dot in the domain
		})
		submitInPlace(t, tab, `#register button[type="submit"]`)
		checkSamePage(t, tab, "/register")
		if !Eval[bool](t, tab, `!!document.querySelector('#register #error-summary')`) {
			t.Fatal("no error summary after submitting half the form")
		}
		want := map[string]string{
			"name":      "区民 太郎",
			"name_kana": "クミン タロウ", // normalised to katakana, not lost
			"address":   "新宿区四谷二丁目2番2号",
			"email":     "taro@example",
		}
		for field, v := range want {
			if got := Eval[string](t, tab, `document.getElementById('f-`+field+`').value`); got != v {
				t.Errorf("after the failed submit #f-%s holds %q, want %q", field, got, v)
			}
		}
		for _, field := range []string{"name", "name_kana", "address", "fax"} {
			checkFieldOK(t, tab, field)
		}
		checkFieldError(t, tab, "email", ja("form.err.email"))
		checkFieldError(t, tab, "postal_code", ja("form.err.postal"))
		checkFieldError(t, tab, "phone", ja("form.err.phone"))
		checkFieldError(t, tab, "handle", ja("form.err.handle_length"))
		checkFieldError(t, tab, "agree", ja("form.err.agree"))
		Axe(t, tab)
		checkConsoleAllowing(t, tab, http.StatusUnprocessableEntity)
	})

	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		tab := NewTab(t, browser)
		CheckPage(t, tab, env.URL+"/login", WantLang("ja"))
		fill(t, tab, map[string]string{"login_id": moderator.LoginID, "password": "not-the-password"})
		submitInPlace(t, tab, `#login-form button[type="submit"]`)
		checkSamePage(t, tab, "/login")
		if msg := loginMessage(t, tab); msg != ja("login.err.bad") {
			t.Errorf("sign-in error %q, want %q", msg, ja("login.err.bad"))
		}
		if v := Eval[string](t, tab, `document.getElementById('f-login_id').value`); v != moderator.LoginID {
			t.Errorf("the user ID field holds %q after the failed sign-in, want %q", v, moderator.LoginID)
		}
		if v := Eval[string](t, tab, `document.getElementById('f-password').value`); v != "" {
			t.Errorf("the password field holds %q after the failed sign-in, want it empty", v)
		}
		Axe(t, tab)
		CheckReflow(t, tab, ReflowWidth)
		checkConsoleAllowing(t, tab, http.StatusUnprocessableEntity)
	})

	// The steps depend on each other: they run in order, and a step whose
	// outcome is missing stops the ones that need it.
	t.Run("registration to first sign-in", func(t *testing.T) {
		t.Parallel()
		var member struct {
			loginID, password string
			id                int64
		}

		t.Run("register", func(t *testing.T) {
			tab := NewTab(t, browser)
			CheckPage(t, tab, env.URL+"/register", WantLang("ja"))

			// Empty: a real tap; htmx swaps the form in place.
			submitInPlace(t, tab, `#register button[type="submit"]`)
			checkSamePage(t, tab, "/register")
			type summary struct {
				Role    string   `json:"role"`
				Heading string   `json:"heading"`
				Links   []string `json:"links"`
			}
			s := Eval[*summary](t, tab, `(() => { const s = document.querySelector('#register #error-summary'); return s && {
				role: s.getAttribute('role') || '',
				heading: (s.querySelector('h2') || {}).textContent || '',
				links: Array.from(s.querySelectorAll('a')).map(a => a.getAttribute('href')),
			}; })()`)
			if s == nil {
				t.Fatal("no error summary after submitting the empty form")
			}
			if s.Role != "alert" {
				t.Errorf("error summary role=%q, want alert", s.Role)
			}
			if strings.TrimSpace(s.Heading) != ja("form.error_summary") {
				t.Errorf("error summary heading %q, want %q", s.Heading, ja("form.error_summary"))
			}
			wantLinks := []string{"#f-name", "#f-name_kana", "#f-postal_code", "#f-address", "#f-phone", "#f-email", "#f-handle", "#f-agree"}
			if strings.Join(s.Links, " ") != strings.Join(wantLinks, " ") {
				t.Errorf("error summary links %q, want %q (every required field in form order, not the optional fax)", s.Links, wantLinks)
			}
			for field, msg := range map[string]string{
				"name":        "form.err.name_required",
				"name_kana":   "form.err.kana_required",
				"postal_code": "form.err.postal",
				"address":     "form.err.address_required",
				"phone":       "form.err.phone",
				"email":       "form.err.email",
				"handle":      "form.err.handle_length",
				"agree":       "form.err.agree",
			} {
				checkFieldError(t, tab, field, ja(msg))
			}
			checkFieldOK(t, tab, "fax")
			Axe(t, tab)
			CheckReflow(t, tab, ReflowWidth)
			checkConsoleAllowing(t, tab, http.StatusUnprocessableEntity)

			// Everything, the way people type on a Japanese phone keyboard:
			// full-width digits, a long-vowel mark or a full-width minus for
			// the hyphen, furigana in hiragana.
			fill(t, tab, map[string]string{
				"name":        "区民 花子",
				"name_kana":   "くみん はなこ",
				"postal_code": "１６０ー０００４",
				"address":     "新宿区四谷一丁目1番1号",
				"phone":       "０３ー１２３４ー５６７８",
				"fax":         "０３－１２３４－５６７９",
				"email":       "hanako.e2e@example.jp",
				"handle":      "はなこE2E",
			})
			tap(t, tab, `#f-agree`)
			if !Eval[bool](t, tab, `document.getElementById('f-agree').checked`) {
				t.Fatal("tapping the terms checkbox did not tick it")
			}
			submitInPlace(t, tab, `#register button[type="submit"]`)
			checkSamePage(t, tab, "/register")
			creds := Eval[[]string](t, tab, `Array.from(document.querySelectorAll('#register dl.credentials dd code')).map(c => c.textContent.trim())`)
			if len(creds) != 2 {
				t.Fatalf("the done page shows %d credentials %q, want the user ID and the initial password", len(creds), creds)
			}
			if !regexp.MustCompile(`^M\d{7}$`).MatchString(creds[0]) {
				t.Errorf("user ID %q, want M and seven digits", creds[0])
			}
			if len(creds[1]) < 10 {
				t.Errorf("initial password %q is too short", creds[1])
			}
			if n := Eval[int](t, tab, `document.querySelectorAll('#error-summary, [aria-invalid="true"]').length`); n != 0 {
				t.Errorf("the done page still shows %d error elements", n)
			}
			Axe(t, tab)
			CheckReflow(t, tab, ReflowWidth)
			CheckConsole(t, tab)

			// What was stored is the normalised form.
			acc, err := env.DB.AccountByLogin(context.Background(), creds[0])
			if err != nil {
				t.Fatalf("the new account %s: %v", creds[0], err)
			}
			if acc.Status != db.StatusPending || !acc.MustChangePassword || acc.DisplayName != "はなこE2E" {
				t.Errorf("new account: status %q, must change password %v, handle %q; want pending, true, はなこE2E",
					acc.Status, acc.MustChangePassword, acc.DisplayName)
			}
			p, err := env.DB.Profile(context.Background(), acc.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{p.Name, p.NameKana, p.PostalCode, p.Phone, p.Fax, p.Email}
			want := []string{"区民 花子", "クミン ハナコ", "160-0004", "03-1234-5678", "03-1234-5679", "hanako.e2e@example.jp"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("stored profile %q, want %q", got, want)
			}
			member.loginID, member.password, member.id = creds[0], creds[1], acc.ID
		})
		if member.loginID == "" {
			return // no account to go on with
		}

		// The resident's phone: used again for the first sign-in.
		memberTab := NewTab(t, browser)

		t.Run("sign-in before confirmation", func(t *testing.T) {
			Navigate(t, memberTab, env.URL+"/login")
			fill(t, memberTab, map[string]string{"login_id": member.loginID, "password": member.password})
			submitInPlace(t, memberTab, `#login-form button[type="submit"]`)
			checkSamePage(t, memberTab, "/login")
			// The same words as a wrong password, which mention the confirmation:
			// a stranger must not tell a registration from made-up credentials.
			if msg := loginMessage(t, memberTab); msg != ja("login.err.bad") {
				t.Errorf("sign-in before confirmation shows %q, want %q", msg, ja("login.err.bad"))
			}
			Axe(t, memberTab)
			checkConsoleAllowing(t, memberTab, http.StatusUnprocessableEntity)
		})

		// A step that shows something wrong still lets the next one run
		// when what it had to do was done: gate on the database.
		confirmations := func() int {
			n, err := env.DB.Bun.NewSelect().Model((*db.RegistrationDecision)(nil)).
				Where("account_id = ? AND decision = 'confirm'", member.id).Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}

		t.Run("moderator confirms", func(t *testing.T) {
			tab := NewTab(t, browser)
			signIn(t, tab, env.URL, moderator.LoginID, seed.Password, "/staff/registrations", "/staff/registrations")
			CheckPage(t, tab, env.URL+"/staff/registrations")
			lead := Eval[string](t, tab, `(document.querySelector('main h1 + p') || {}).textContent || ''`)
			if !strings.Contains(lead, ja("side.operator")) {
				t.Errorf("the moderator's queue says %q, want the operator side %q", lead, ja("side.operator"))
			}
			confirmInline(t, tab, member.id, ja("registrations.confirm"), ja("registrations.confirmed"), moderator.DisplayName, 1)
			if acc, err := env.DB.AccountByID(context.Background(), member.id); err != nil || acc.Status != db.StatusPending {
				t.Errorf("after one confirmation the account is %+v (%v), want still pending", acc, err)
			}
		})
		if confirmations() != 1 {
			t.Fatal("the moderator's confirmation was not recorded")
		}

		t.Run("ward staff confirms", func(t *testing.T) {
			tab := NewTab(t, browser)
			signIn(t, tab, env.URL, ward.LoginID, seed.Password, "/staff/registrations", "/staff/registrations")
			CheckPage(t, tab, env.URL+"/staff/registrations")
			lead := Eval[string](t, tab, `(document.querySelector('main h1 + p') || {}).textContent || ''`)
			if !strings.Contains(lead, ja("side.ward")) {
				t.Errorf("the ward staff's queue says %q, want the ward side %q", lead, ja("side.ward"))
			}
			confirmInline(t, tab, member.id, ja("registrations.confirm"), ja("registrations.activated"), ward.DisplayName, 2)
			if acc, err := env.DB.AccountByID(context.Background(), member.id); err != nil || acc.Status != db.StatusActive {
				t.Errorf("after both confirmations the account is %+v (%v), want active", acc, err)
			}
		})
		if acc, err := env.DB.AccountByID(context.Background(), member.id); err != nil || acc.Status != db.StatusActive {
			t.Fatal("the account was not opened by the two confirmations")
		}

		t.Run("first sign-in", func(t *testing.T) {
			tab := memberTab
			// Straight to the password page, which does not ask for the
			// initial password again.
			signIn(t, tab, env.URL, member.loginID, member.password, "", "/account/password")
			if n := Eval[int](t, tab, `document.querySelectorAll('#f-current').length`); n != 0 {
				t.Errorf("the first password change asks for the current password again")
			}
			if !strings.Contains(Eval[string](t, tab, `document.querySelector('main').textContent`), ja("password.first_time")) {
				t.Errorf("the password page does not say %q", ja("password.first_time"))
			}
			Axe(t, tab)
			CheckConsole(t, tab)
			CheckPage(t, tab, env.URL+"/account/password")
			// Every other page waits until the password is changed.
			Navigate(t, tab, env.URL+"/account")
			if p := Eval[string](t, tab, `location.pathname`); p != "/account/password" {
				t.Errorf("/account before the password change shows %s, want /account/password", p)
			}

			const newPassword = "Yotsuya-e2e-2026"
			fill(t, tab, map[string]string{"password": newPassword, "confirm": newPassword})
			ResetConsole(tab)
			res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`#password-form button[type="submit"]`)))
			if err != nil {
				t.Fatalf("tap the password button: %v", err)
			}
			if res.Status != http.StatusOK {
				t.Errorf("after the password change: status %d", res.Status)
			}
			if p := Eval[string](t, tab, `location.pathname`); p != "/account" {
				t.Fatalf("the password change lands on %s, want /account", p)
			}
			if msg := flashText(t, tab); msg != ja("password.changed") {
				t.Errorf("flash %q, want %q", msg, ja("password.changed"))
			}
			if id := Eval[string](t, tab, `(document.querySelector('main dl.facts dd code') || {}).textContent || ''`); id != member.loginID {
				t.Errorf("/account shows user ID %q, want %q", id, member.loginID)
			}
			Axe(t, tab)
			CheckConsole(t, tab)
			CheckPage(t, tab, env.URL+"/account")

			acc, err := env.DB.AccountByID(context.Background(), member.id)
			if err != nil {
				t.Fatal(err)
			}
			if acc.MustChangePassword {
				t.Errorf("must_change_password is still true after the change")
			}
			if ok, _ := auth.CheckPassword(newPassword, acc.PasswordHash); !ok {
				t.Errorf("the stored hash does not match the new password")
			}
		})
	})
}

// confirmInline taps 確認する (confirmLabel) on registration id in the staff
// queue and checks the item was replaced in place (no page load) with
// message, showing decisions decisions, the last by actor.
func confirmInline(t *testing.T, tab context.Context, id int64, confirmLabel, message, actor string, decisions int) {
	t.Helper()
	item := "#reg-" + strconv.FormatInt(id, 10)
	if n := Eval[int](t, tab, `document.querySelectorAll('`+item+`').length`); n != 1 {
		t.Fatalf("the queue has %d items %s, want 1", n, item)
	}
	button := item + ` button[name="decision"][value="confirm"]`
	if label := strings.TrimSpace(Eval[string](t, tab, `(document.querySelector('`+button+`') || {}).textContent || ''`)); label != confirmLabel {
		t.Errorf("%s: the confirm button says %q, want %q", item, label, confirmLabel)
	}
	path := Eval[string](t, tab, `location.pathname + location.search`)
	submitInPlace(t, tab, button)
	checkSamePage(t, tab, path)
	if got := strings.TrimSpace(Eval[string](t, tab, `(document.querySelector('`+item+` [role="status"]') || {}).textContent || ''`)); got != message {
		t.Errorf("%s: status message %q, want %q", item, got, message)
	}
	if n := Eval[int](t, tab, `document.querySelectorAll('`+item+` form').length`); n != 0 {
		t.Errorf("%s: the decision form is still shown after confirming", item)
	}
	// Each decision says who took it and when: a <time> per decision besides
	// the registration's own, and no template source on the page.
	type decided struct {
		Text  string `json:"text"`
		Times int    `json:"times"`
	}
	d := Eval[decided](t, tab, `(() => { const li = document.querySelector('`+item+`');
		return {text: li.textContent, times: li.querySelectorAll('time[datetime]').length}; })()`)
	if !strings.Contains(d.Text, actor) {
		t.Errorf("%s: the decision does not name %q", item, actor)
	}
	if leak := regexp.MustCompile(`@\w+\(`).FindString(d.Text); leak != "" {
		t.Errorf("%s: template source %q shows on the page: %q", item, leak, strings.Join(strings.Fields(d.Text), " "))
	}
	if d.Times != 1+decisions {
		t.Errorf("%s: %d <time> elements, want %d (registered at, and one per decision)", item, d.Times, 1+decisions)
	}
	Axe(t, tab)
	CheckReflow(t, tab, ReflowWidth)
	CheckConsole(t, tab)
}

// signIn opens /login?next=next (no next when empty), types the user ID and
// password, taps the button and wants to land on want: htmx answers a
// successful sign-in with HX-Redirect, and the browser loads that page.
func signIn(t *testing.T, tab context.Context, base, loginID, password, next, want string) {
	t.Helper()
	u := base + "/login"
	if next != "" {
		u += "?next=" + url.QueryEscape(next)
	}
	Navigate(t, tab, u)
	fill(t, tab, map[string]string{"login_id": loginID, "password": password})
	ResetConsole(tab)
	res, err := chromedp.RunResponse(tab, chromedp.Tap(chromedp.CSS(`#login-form button[type="submit"]`)))
	if err != nil {
		t.Fatalf("sign in as %s: %v", loginID, err)
	}
	if p := Eval[string](t, tab, `location.pathname`); p != want || res.Status != http.StatusOK {
		t.Fatalf("sign in as %s: landed on %s with status %d, want %s with 200", loginID, p, res.Status, want)
	}
}

// submitInPlace taps a submit button of an htmx form and waits until the
// request is answered and the swap (if any) has settled; the page must not
// be reloaded (see checkSamePage).
func submitInPlace(t *testing.T, tab context.Context, button string) {
	t.Helper()
	Eval[bool](t, tab, `(() => {
		window.__e2eMark = true;
		window.__e2eRequests = 0;
		if (!window.__e2eListening) {
			window.__e2eListening = true;
			document.addEventListener('htmx:afterRequest', () => { window.__e2eRequests++; });
		}
		return true;
	})()`)
	ResetConsole(tab)
	tap(t, tab, button)
	waitJS(t, tab, "the htmx request", `window.__e2eRequests > 0`)
	waitJS(t, tab, "htmx to settle", `!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')`)
}

// fill types each value into the input #f-<name>, key by key.
func fill(t *testing.T, tab context.Context, values map[string]string) {
	t.Helper()
	for name, v := range values {
		sel := "#f-" + name
		if err := chromedp.Do(tab, chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), v)); err != nil {
			t.Fatalf("type into %s: %v", sel, err)
		}
		if got := Eval[string](t, tab, `document.querySelector('`+sel+`').value`); got != v {
			t.Fatalf("%s holds %q after typing %q", sel, got, v)
		}
	}
}

// tap sends a real touch tap to the element.
func tap(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	// A missing element fails in seconds, not at the tab's deadline.
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Tap(chromedp.CSS(sel))); err != nil {
		t.Fatalf("tap %s: %v", sel, err)
	}
}

// stepTimeout is how long one step waits for its element.
const stepTimeout = 15 * time.Second

// waitJS polls the boolean expression until it holds.
func waitJS(t *testing.T, tab context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(tab, chromedp.Location())
			t.Fatalf("%s: timed out waiting for %s (%s); last error %v", loc, what, expr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkSamePage fails if the page was reloaded since submitInPlace or the
// address is not path.
func checkSamePage(t *testing.T, tab context.Context, path string) {
	t.Helper()
	type state struct {
		Path   string `json:"path"`
		Marked bool   `json:"marked"`
	}
	s := Eval[state](t, tab, `({path: location.pathname + location.search, marked: window.__e2eMark === true})`)
	if s.Path != path {
		t.Errorf("the address changed to %s, want %s (an in-place update)", s.Path, path)
	}
	if !s.Marked {
		t.Errorf("%s: the page was reloaded, want an in-place htmx update", s.Path)
	}
}

// checkFieldError wants #f-<name> marked invalid and described by its error,
// whose text is msg.
func checkFieldError(t *testing.T, tab context.Context, name, msg string) {
	t.Helper()
	type field struct {
		Invalid     string `json:"invalid"`
		DescribedBy string `json:"describedBy"`
		Error       string `json:"error"`
	}
	f := Eval[field](t, tab, `(() => { const i = document.getElementById('f-`+name+`'), e = document.getElementById('f-`+name+`-error');
		return {invalid: i.getAttribute('aria-invalid') || '', describedBy: i.getAttribute('aria-describedby') || '', error: e ? e.textContent.trim() : ''}; })()`)
	if f.Invalid != "true" {
		t.Errorf("#f-%s: aria-invalid=%q, want true", name, f.Invalid)
	}
	if !strings.Contains(" "+f.DescribedBy+" ", " f-"+name+"-error ") {
		t.Errorf("#f-%s: aria-describedby=%q does not name its error f-%s-error", name, f.DescribedBy, name)
	}
	if f.Error != msg {
		t.Errorf("#f-%s: error %q, want %q", name, f.Error, msg)
	}
}

// checkFieldOK wants #f-<name> neither marked invalid nor showing an error.
func checkFieldOK(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if bad := Eval[bool](t, tab, `document.getElementById('f-`+name+`').hasAttribute('aria-invalid') || !!document.getElementById('f-`+name+`-error')`); bad {
		t.Errorf("#f-%s is marked invalid, want it accepted", name)
	}
}

func loginMessage(t *testing.T, tab context.Context) string {
	t.Helper()
	return strings.TrimSpace(Eval[string](t, tab, `(document.querySelector('#login-form .error-summary') || {}).textContent || ''`))
}

func flashText(t *testing.T, tab context.Context) string {
	t.Helper()
	return strings.TrimSpace(Eval[string](t, tab, `(document.querySelector('main .flash[role="status"]') || {}).textContent || ''`))
}

// checkConsoleAllowing is CheckConsole that lets pass the browser's own
// report of an htmx request answered with one of statuses (a 422 with the
// form and its errors is the expected answer, not a fault).
func checkConsoleAllowing(t *testing.T, tab context.Context, statuses ...int) {
	t.Helper()
	allowed := func(m ConsoleMessage) bool {
		for _, st := range statuses {
			if m.Kind == "log" && m.Source == "network" && strings.Contains(m.Text, "status of "+strconv.Itoa(st)+" ") {
				return true
			}
		}
		return false
	}
	for _, m := range Console(tab) {
		if allowed(m) {
			continue
		}
		switch {
		case IsCSPViolation(m):
			t.Errorf("CSP violation: %s", m)
		case consoleProblem(m, ""):
			t.Errorf("console problem: %s", m)
		}
	}
}
