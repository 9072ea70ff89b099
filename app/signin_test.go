package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// proxiedEnv is a portal behind "our own proxy", so a test chooses each
// request's client address with X-Forwarded-For.
func proxiedEnv(t *testing.T) *testEnv {
	t.Helper()
	cfg := testConfig()
	cfg.TrustProxy = true
	return newTestEnvConfig(t, dbtest.New(t), cfg)
}

// from returns the header pair that makes a request come from ip.
func from(ip string) []string { return []string{"X-Forwarded-For", ip} }

func (e *testEnv) signInFrom(ip, login, password string, headers ...string) *response {
	e.t.Helper()
	tok := e.get("/login", from(ip)...).csrfToken(e.t)
	return e.post("/login", url.Values{"login_id": {login}, "password": {password}, "_csrf": {tok}}, append(from(ip), headers...)...)
}

// TestSignInBeyondTheHashingBudgetIs503: six sign-ins at once against a
// budget of one argon2id run and no queue: the runs never overlap, and the
// ones that find no place are told to come back (503, Retry-After, the
// translated page with its request id) instead of waiting or taking memory.
func TestSignInBeyondTheHashingBudgetIs503(t *testing.T) {
	t.Parallel()
	e := proxiedEnv(t)
	if got := e.app.hasher.Slots(); got != DefaultHashMemoryMiB()/64 {
		t.Errorf("default budget holds %d runs, want one per core (%d)", got, DefaultHashMemoryMiB()/64)
	}
	h, err := auth.NewHasher(auth.HasherConfig{BudgetKiB: int64(auth.Params.Memory), Wait: 0, Queue: 0})
	if err != nil {
		t.Fatal(err)
	}
	e.app.hasher = h
	refused, checked := 0, 0
	for round := 0; round < 10 && refused == 0; round++ {
		var wg sync.WaitGroup
		res := make([]*response, 6)
		for i := range res {
			c := e.client()
			ip := fmt.Sprintf("198.51.100.%d", 10*round+i+1)
			tok := c.get("/login", from(ip)...).csrfToken(t)
			wg.Go(func() {
				res[i] = c.post("/login", url.Values{"login_id": {fmt.Sprintf("nobody-%d-%d", round, i)}, "password": {"wrong"}, "_csrf": {tok}}, from(ip)...)
			})
		}
		wg.Wait()
		for _, r := range res {
			switch r.StatusCode {
			case http.StatusUnprocessableEntity:
				checked++
			case http.StatusServiceUnavailable:
				refused++
				if got := r.Header.Get("Retry-After"); got != "5" {
					t.Errorf("503 with Retry-After %q", got)
				}
				if h1 := r.Doc.Find("h1").Text(); h1 != "ただいま利用できません" || !strings.Contains(r.Body, "<code>") {
					t.Errorf("503 page: h1 %q\n%s", h1, r.Doc.Find("main").Text())
				}
			default:
				r.wantStatus(t, http.StatusUnprocessableEntity)
			}
		}
	}
	if refused == 0 || checked == 0 {
		t.Fatalf("%d checked, %d refused: want both", checked, refused)
	}
	if n, peak := h.Load(); peak != 1 || n != 0 {
		t.Errorf("argon2id runs at once: peak %d, now %d; budget allows 1", peak, n)
	}
}

func TestHashMemoryConfig(t *testing.T) {
	t.Parallel()
	load := func(v string) (Config, error) {
		return LoadConfig(func(k string) string {
			if k == "PORTAL_HASH_MEMORY_MB" {
				return v
			}
			return ""
		})
	}
	if c, err := load("256"); err != nil || c.HashMemoryMiB != 256 {
		t.Errorf("256: %d, %v", c.HashMemoryMiB, err)
	}
	if c, err := load(""); err != nil || c.HashMemoryMiB != DefaultHashMemoryMiB() || c.HashMemoryMiB < 64 {
		t.Errorf("default: %d, %v", c.HashMemoryMiB, err)
	}
	for _, v := range []string{"63", "0", "-64", "lots", "1e3"} {
		if _, err := load(v); err == nil || !strings.HasPrefix(err.Error(), "PORTAL_HASH_MEMORY_MB: ") {
			t.Errorf("PORTAL_HASH_MEMORY_MB=%s: error %v", v, err)
		}
	}
}

const rightPassword = "right-password-1"

// cheapHasher gives the portal hashes of cheap parameters: its dummy (for
// unknown IDs) then costs what the accounts' hashes cost.
func (e *testEnv) cheapHasher() *auth.Hasher {
	h, err := auth.NewHasher(auth.HasherConfig{Params: cheap, BudgetKiB: 4 * int64(cheap.Memory), Wait: time.Minute, Queue: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	e.app.hasher = h
	return h
}

// attempt is what one sign-in showed: the status, the message and the
// argon2id runs it cost.
type attempt struct {
	Status  int
	Message string
	Runs    int64
}

func (e *testEnv) attemptFrom(h *auth.Hasher, ip, login, password string) attempt {
	e.t.Helper()
	before := h.Runs()
	res := e.signInFrom(ip, login, password)
	return attempt{res.StatusCode, strings.TrimSpace(res.Doc.Find(".error-summary").Text()), h.Runs() - before}
}

// TestUnknownAndKnownIDsAnswerAlike: wrong passwords for an existing (staff)
// account and for an ID nobody has get the same answers, at the same
// points, after the same work; and the owner is not locked out elsewhere.
func TestUnknownAndKnownIDsAnswerAlike(t *testing.T) {
	t.Parallel()
	e := proxiedEnv(t)
	h := e.cheapHasher()
	known := e.account(db.KindStaff, "known-staff", "")
	bad := e.app.catalog.T("ja", "login.err.bad")
	limited := e.app.catalog.T("ja", "login.err.too_many")
	want := []attempt{
		{422, bad, 1}, {422, bad, 1}, {422, bad, 1}, {422, bad, 1},
		{429, limited, 1},                    // the fifth failure from one address: refused from now on
		{429, limited, 0}, {429, limited, 0}, // refused before any check
	}
	for i, login := range []string{"known-staff", "nobody-at-all"} {
		ip := fmt.Sprintf("198.51.100.%d", i+1)
		c := e.client()
		for j, w := range want {
			if got := c.attemptFrom(h, ip, login, "wrong-password"); got != w {
				t.Errorf("%s, attempt %d: %+v, want %+v", login, j+1, got, w)
			}
		}
	}
	// From that address even the right password waits …
	if got := e.client().attemptFrom(h, "198.51.100.1", "known-staff", rightPassword); got != (attempt{429, limited, 0}) {
		t.Errorf("right password from the throttled address: %+v", got)
	}
	// … but the owner, elsewhere, is not locked out.
	e.client().signInFrom("203.0.113.5", "known-staff", rightPassword).wantStatus(t, http.StatusSeeOther)

	// The ward sees a staff account's failures on the staff list, with the
	// button that clears them.
	ward := e.client()
	wacc := ward.account(db.KindStaff, "ward-list", "")
	if _, err := e.db.Bun.NewUpdate().Model(wacc).Set("roles = ?", pgdialect.Array([]string{db.RoleWardStaff})).WherePK().Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	ward.signInFrom("10.0.0.3", "ward-list", rightPassword).wantStatus(t, http.StatusSeeOther)
	list := ward.get("/staff/accounts", from("10.0.0.3")...)
	item := list.Doc.Find(fmt.Sprintf("#staff-%d", known.ID)).Parent()
	if !strings.Contains(item.Text(), "5回") || item.Find(fmt.Sprintf(`form[action="/staff/accounts/%d/unlock"]`, known.ID)).Length() != 1 {
		t.Errorf("staff list entry of the throttled account:\n%s", item.Text())
	}
}

// TestStrangersCannotLockOutTheOwner: failures from many addresses close
// the account to new devices, never to the owner's own; the owner is told
// by mail once; ward staff clear the failures on record.
func TestStrangersCannotLockOutTheOwner(t *testing.T) {
	t.Parallel()
	e := proxiedEnv(t)
	ctx := context.Background()
	h := e.cheapHasher()
	owner := e.account(db.KindMember, "M7000001", "owner@example.jp")
	home := "203.0.113.1"
	phone := e.client()
	phone.signInFrom(home, owner.LoginID, rightPassword).wantStatus(t, http.StatusSeeOther)
	phone.post("/logout", url.Values{"_csrf": {phone.get("/account", from(home)...).csrfToken(t)}}, from(home)...).wantStatus(t, http.StatusSeeOther)

	// Strangers, one wrong password each from 24 addresses: the 20th
	// failure closes the account to new devices, and the refused ones after
	// it are not counted (a flood costs no argon2id and no rows).
	for i := range 24 {
		got := e.client().attemptFrom(h, fmt.Sprintf("198.51.100.%d", i+1), owner.LoginID, "guess")
		want := http.StatusUnprocessableEntity
		if i+1 >= maxAccountFailures {
			want = http.StatusTooManyRequests
		}
		if got.Status != want {
			t.Errorf("stranger %d: status %d, want %d", i+1, got.Status, want)
		}
	}
	// A device the account never used is refused, even at the owner's address …
	e.client().signInFrom(home, owner.LoginID, rightPassword).wantStatus(t, http.StatusTooManyRequests)
	// … the owner's phone is not, from home or from a new network.
	phone.signInFrom("192.0.2.200", owner.LoginID, rightPassword).wantStatus(t, http.StatusSeeOther)

	// The owner heard of it once, however many failures followed.
	var mails []db.Mail
	if err := e.db.Bun.NewSelect().Model(&mails).Where("kind = 'signin_attack'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != "owner@example.jp" || !strings.Contains(mails[0].Body, owner.LoginID) || *mails[0].AccountID != owner.ID {
		t.Fatalf("warning mails: %+v", mails)
	}

	// A moderator (the operator, who keeps members' data) sees the
	// failures and why sign-in is refused, and may clear a member's through
	// the member's own route (issue 15); the ward's route for every kind of
	// account stays the ward's.
	mod := e.client()
	mod.account(db.KindStaff, "mod-signin", "")
	mod.signInFrom("10.0.0.1", "mod-signin", rightPassword).wantStatus(t, http.StatusSeeOther)
	page := mod.get(fmt.Sprintf("/staff/members/%d", owner.ID), from("10.0.0.1")...)
	page.wantStatus(t, http.StatusOK)
	why := page.Doc.Find("#signin-failures").Parent().Text()
	if !strings.Contains(why, "20回") || !strings.Contains(why, "20か所") || !strings.Contains(why, "最多は1回") ||
		!strings.Contains(why, e.app.catalog.T("ja", "unlock.limited")) || strings.Contains(why, e.app.catalog.T("ja", "unlock.pair_limited")) ||
		!strings.Contains(why, "遅くとも") {
		t.Errorf("moderator's view of the failures:\n%s", why)
	}
	if page.Doc.Find(fmt.Sprintf(`form[action="/staff/members/%d/unlock"]`, owner.ID)).Length() != 1 {
		t.Errorf("the moderator gets no unlock button for the member")
	}
	mod.post(fmt.Sprintf("/staff/accounts/%d/unlock", owner.ID), url.Values{"_csrf": {page.csrfToken(t)}}, from("10.0.0.1")...).
		wantStatus(t, http.StatusForbidden)
	ward := e.client()
	wacc := ward.account(db.KindStaff, "ward-signin", "")
	if _, err := e.db.Bun.NewUpdate().Model(wacc).Set("roles = ?", pgdialect.Array([]string{db.RoleWardStaff})).WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	ward.signInFrom("10.0.0.2", "ward-signin", rightPassword).wantStatus(t, http.StatusSeeOther)
	page = ward.get(fmt.Sprintf("/staff/members/%d", owner.ID), from("10.0.0.2")...)
	action, ok := page.Doc.Find(`#signin-failures ~ form`).Attr("action")
	if !ok {
		t.Fatalf("ward staff get no unlock button:\n%s", page.Doc.Find("main").Text())
	}
	res := ward.post(action, url.Values{"_csrf": {page.csrfToken(t)}}, from("10.0.0.2")...)
	res.wantStatus(t, http.StatusSeeOther)
	after := ward.get(res.Header.Get("Location"), from("10.0.0.2")...)
	if !strings.Contains(after.Doc.Find(".flash").Text(), "制限を解除しました") || !strings.Contains(after.Body, e.app.catalog.T("ja", "unlock.none")) {
		t.Errorf("after unlocking: flash %q", after.Doc.Find(".flash").Text())
	}
	var audit db.AuditEntry
	if err := e.db.Bun.NewSelect().Model(&audit).Where("action = ?", db.AuditSignInUnlock).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if audit.ActorID != wacc.ID || audit.ActorRole != db.RoleWardStaff || *audit.SubjectID != owner.ID || audit.IP != "10.0.0.2" || !strings.HasPrefix(audit.Detail, "20 ") {
		t.Errorf("audit entry %+v", audit)
	}
	n, err := e.db.Bun.NewSelect().Model((*db.AccessEvent)(nil)).Where("account_id = ? AND action = ?", owner.ID, db.ActionSignInUnlock).Count(ctx)
	if err != nil || n != 1 {
		t.Errorf("%d unlock lines in the owner's history (%v)", n, err)
	}
	// The new device gets in now.
	e.client().signInFrom(home, owner.LoginID, rightPassword).wantStatus(t, http.StatusSeeOther)
}

// registerFrom submits the registration form from ip.
func (e *testEnv) registerFrom(ip string, v url.Values) *response {
	e.t.Helper()
	tok := e.get("/register", from(ip)...).csrfToken(e.t)
	return e.post("/register", withValues(v, "_csrf", tok), from(ip)...)
}

// withoutCredentials is a done page's text with the issued ID and password
// taken out: what must read the same for every visitor.
func withoutCredentials(r *response) string {
	r.Doc.Find(".credentials code").Remove()
	return strings.Join(strings.Fields(r.Doc.Find("main").Text()), " ")
}

// TestRegisterDoesNotRevealAddresses: registering with an address that is
// already registered looks to the visitor exactly like a new registration;
// the owner is the one who hears of it.
func TestRegisterDoesNotRevealAddresses(t *testing.T) {
	t.Parallel()
	e := proxiedEnv(t)
	ctx := context.Background()
	e.cheapHasher()
	res := e.registerFrom("192.0.2.1", validRegistration)
	res.wantStatus(t, http.StatusOK)
	owner, err := e.db.AccountByLogin(ctx, res.Doc.Find(".credentials code").First().Text())
	if err != nil {
		t.Fatal(err)
	}

	stranger := e.client().registerFrom("198.51.100.1", withValues(validRegistration, "handle", "なりすまし", "email", "HANAKO@EXAMPLE.JP"))
	fresh := e.client().registerFrom("198.51.100.2", withValues(validRegistration, "handle", "あたらしいひと", "email", "new@example.jp"))
	stranger.wantStatus(t, http.StatusOK)
	fresh.wantStatus(t, http.StatusOK)
	creds := func(r *response) (string, string) {
		codes := r.Doc.Find(".credentials code")
		if codes.Length() != 2 {
			t.Fatalf("done page without credentials:\n%s", r.Body)
		}
		return codes.Eq(0).Text(), codes.Eq(1).Text()
	}
	sLogin, sPassword := creds(stranger)
	fLogin, fPassword := creds(fresh)
	if !credRe.MatchString(sLogin) || len(sPassword) != len(fPassword) || sLogin == owner.LoginID {
		t.Errorf("credentials shown for a registered address: %q / %q", sLogin, sPassword)
	}
	if stranger.Header.Get("Cache-Control") != fresh.Header.Get("Cache-Control") {
		t.Error("the two answers differ in caching")
	}
	if a, b := withoutCredentials(stranger), withoutCredentials(fresh); a != b {
		t.Errorf("a registered address is answered\n%s\nand a new one\n%s", a, b)
	}
	// Nothing was stored for the stranger, and the made-up credentials
	// answer at sign-in like a real registration still waiting.
	if _, err := e.db.AccountByLogin(ctx, sLogin); !isNotFound(err) {
		t.Errorf("the stranger's ID %s is an account (%v)", sLogin, err)
	}
	if n, _ := e.db.Bun.NewSelect().Model((*db.Account)(nil)).Count(ctx); n != 2 {
		t.Errorf("%d accounts, want the owner's and the new one", n)
	}
	a := e.client().signInFrom("198.51.100.3", sLogin, sPassword)
	b := e.client().signInFrom("198.51.100.4", fLogin, fPassword)
	if a.StatusCode != b.StatusCode || a.Doc.Find(".error-summary").Text() != b.Doc.Find(".error-summary").Text() {
		t.Errorf("sign-in with the made-up credentials: %d %q; with a waiting registration's: %d %q",
			a.StatusCode, a.Doc.Find(".error-summary").Text(), b.StatusCode, b.Doc.Find(".error-summary").Text())
	}

	// The owner is told, with their user ID, and sees it in their history.
	var mails []db.Mail
	if err := e.db.Bun.NewSelect().Model(&mails).Where("kind = 'register_attempt'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != "hanako@example.jp" || !strings.Contains(mails[0].Body, owner.LoginID) || *mails[0].AccountID != owner.ID {
		t.Fatalf("mails to the owner: %+v", mails)
	}
	var ev db.AccessEvent
	if err := e.db.Bun.NewSelect().Model(&ev).Where("account_id = ? AND action = ?", owner.ID, db.ActionRegisterAttempt).Scan(ctx); err != nil {
		t.Fatalf("no line in the owner's history: %v", err)
	}
	if ev.IP != "198.51.100.1" || ev.Success {
		t.Errorf("history line %+v", ev)
	}

	// A taken handle is told the same way, whether the address is registered or not.
	h1 := e.client().registerFrom("198.51.100.5", withValues(validRegistration, "email", "hanako@example.jp"))
	h2 := e.client().registerFrom("198.51.100.6", withValues(validRegistration, "email", "someone-else@example.jp"))
	h1.wantStatus(t, http.StatusUnprocessableEntity)
	h2.wantStatus(t, http.StatusUnprocessableEntity)
	if x, y := h1.Doc.Find(".error-summary").Text(), h2.Doc.Find(".error-summary").Text(); x != y || !strings.Contains(x, "すでに使われています") {
		t.Errorf("taken handle with a registered address: %q; with a new one: %q", x, y)
	}
}

// TestRegistrationIsRateLimited: per e-mail address (registered or not)
// and per client address, with a clear message and the form kept.
func TestRegistrationIsRateLimited(t *testing.T) {
	t.Parallel()
	e := proxiedEnv(t)
	e.cheapHasher()
	// One address, four tries from four places: the first registers, the
	// next two are answered as registrations (the owner is mailed), the
	// fourth is refused.
	for i := range 4 {
		v := withValues(validRegistration, "handle", fmt.Sprintf("ためし%d", i), "email", "limit@example.jp")
		res := e.client().registerFrom(fmt.Sprintf("198.51.100.%d", i+1), v)
		if i < 3 {
			res.wantStatus(t, http.StatusOK)
			continue
		}
		res.wantStatus(t, http.StatusTooManyRequests)
		if msg := res.Doc.Find("#f-email-error").Text(); !strings.Contains(msg, "しばらく受け付けられません") {
			t.Errorf("limit message %q", msg)
		}
		if got := res.Doc.Find("#f-name").AttrOr("value", ""); got != "新宿 花子" {
			t.Errorf("the form lost what was typed: name %q", got)
		}
	}
	if n, _ := e.db.Bun.NewSelect().Model((*db.Mail)(nil)).Where("kind = 'register_attempt'").Count(context.Background()); n != 2 {
		t.Errorf("%d mails to the address's owner, want 2", n)
	}
	// One place, eleven residents: the eleventh waits.
	for i := range 11 {
		v := withValues(validRegistration, "handle", fmt.Sprintf("まどぐち%d", i), "email", fmt.Sprintf("desk%d@example.jp", i))
		res := e.client().registerFrom("203.0.113.9", v)
		if i < 10 {
			res.wantStatus(t, http.StatusOK)
		} else {
			res.wantStatus(t, http.StatusTooManyRequests)
		}
	}
}

// TestForgotPasswordDoesNotRevealAccounts: the reset form answers alike for
// a match, a wrong address and an unknown ID, and limits requests per
// login ID (known or not) and per client address.
func TestForgotPasswordDoesNotRevealAccounts(t *testing.T) {
	t.Parallel()
	e := proxiedEnv(t)
	ctx := context.Background()
	e.account(db.KindMember, "M7200001", "reset-me@example.jp")
	ask := func(ip, login, email string) *response {
		c := e.client()
		tok := c.get("/password/forgot", from(ip)...).csrfToken(t)
		return c.post("/password/forgot", url.Values{"login_id": {login}, "email": {email}, "_csrf": {tok}}, from(ip)...)
	}
	var answers []string
	for i, q := range [][2]string{{"M7200001", "reset-me@example.jp"}, {"M7200001", "wrong@example.jp"}, {"M7999999", "reset-me@example.jp"}} {
		res := ask(fmt.Sprintf("198.51.100.%d", i+1), q[0], q[1])
		res.wantStatus(t, http.StatusOK)
		answers = append(answers, strings.Join(strings.Fields(res.Doc.Find("main").Text()), " "))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Errorf("answers differ:\n%s", strings.Join(answers, "\n"))
	}
	if n, _ := e.db.Bun.NewSelect().Model((*db.Mail)(nil)).Where("kind = 'reset'").Count(ctx); n != 1 {
		t.Errorf("%d reset mails, want the one that matched", n)
	}
	// Per login ID, whether it exists or not: five a day, from anywhere.
	e.account(db.KindMember, "M7200002", "second@example.jp")
	limited := e.app.catalog.T("ja", "forgot.err.too_many")
	for k, login := range []string{"M7200002", "M7999998"} {
		var got []int
		var res *response
		for i := range 6 {
			res = ask(fmt.Sprintf("203.0.113.%d", 10*k+i+1), login, "typed@example.jp")
			got = append(got, res.StatusCode)
		}
		if want := []int{200, 200, 200, 200, 200, 429}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: statuses %v, want %v", login, got, want)
		}
		if msg := strings.TrimSpace(res.Doc.Find(".error-summary").Text()); msg != limited {
			t.Errorf("%s: limit message %q", login, msg)
		}
		if got := res.Doc.Find("#f-email").AttrOr("value", ""); got != "typed@example.jp" {
			t.Errorf("the form lost the address typed: %q", got)
		}
	}
	// Per client address: ten an hour, whatever the IDs.
	for i := range 11 {
		res := ask("192.0.2.50", fmt.Sprintf("M73000%02d", i), "x@example.jp")
		if want := map[bool]int{true: 200, false: 429}[i < 10]; res.StatusCode != want {
			t.Errorf("request %d from one address: %d, want %d", i+1, res.StatusCode, want)
		}
	}
}
