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

	"github.com/alexedwards/argon2id"
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

// cheap are argon2id parameters that keep sign-in tests quick; the limits
// and answers do not depend on them.
var cheap = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

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

// account creates an active account of kind with rightPassword (cheaply
// hashed); a member gets a profile with e-mail address email.
func (e *testEnv) account(kind, login, email string) *db.Account {
	e.t.Helper()
	ctx := context.Background()
	hash, err := argon2id.CreateHash(rightPassword, cheap)
	if err != nil {
		e.t.Fatal(err)
	}
	acc := &db.Account{Kind: kind, LoginID: login, DisplayName: "表示 " + login, PasswordHash: hash, Status: db.StatusActive}
	if kind == db.KindStaff {
		acc.Roles = []string{db.RoleModerator}
	}
	if _, err := e.db.Bun.NewInsert().Model(acc).Returning("id, created_at, updated_at").Exec(ctx); err != nil {
		e.t.Fatal(err)
	}
	if kind == db.KindMember {
		if _, err := e.db.Bun.NewInsert().Model(&db.MemberProfile{AccountID: acc.ID, Name: "試験 " + login, NameKana: "シケン",
			PostalCode: "160-0004", Town: "四谷", Address: "四谷1-1", Phone: "03-0000-0000", Email: email, TermsVersion: "2026-04"}).Exec(ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	return acc
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

	// A moderator sees the failures; only ward staff may clear them.
	mod := e.client()
	mod.account(db.KindStaff, "mod-signin", "")
	mod.signInFrom("10.0.0.1", "mod-signin", rightPassword).wantStatus(t, http.StatusSeeOther)
	page := mod.get(fmt.Sprintf("/staff/members/%d", owner.ID), from("10.0.0.1")...)
	page.wantStatus(t, http.StatusOK)
	if !strings.Contains(page.Doc.Find("#signin-failures").Parent().Text(), "20回") || page.Doc.Find(`form[action$="/unlock"]`).Length() != 0 {
		t.Errorf("moderator's view of the failures:\n%s", page.Doc.Find("#signin-failures").Parent().Text())
	}
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
