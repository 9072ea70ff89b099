package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wardportal/portal/app/apptest"
	"github.com/wardportal/portal/db"
)

// client returns a second browser-like client on the same server: another person.
func (e *testEnv) client() *testEnv {
	c := *e
	c.http = apptest.Client()
	return &c
}

func (e *testEnv) signIn(login, password string) *response {
	e.t.Helper()
	tok := e.get("/login").csrfToken(e.t)
	return e.post("/login", url.Values{"login_id": {login}, "password": {password}, "_csrf": {tok}})
}

// token returns the client's CSRF token from a page with a form: the home
// page of a signed-in user, else (a visitor's home page comes from the page
// cache, without a token) the inquiry form.
func (e *testEnv) token() string {
	e.t.Helper()
	if tok, ok := e.get("/").Doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && tok != "" {
		return tok
	}
	return e.get("/inquiry").csrfToken(e.t)
}

var validRegistration = url.Values{
	"name": {"新宿 花子"}, "name_kana": {"しんじゅく はなこ"}, "postal_code": {"１６０－０００４"},
	"address": {"東京都新宿区四谷１丁目２番３号"}, "phone": {"０３ー１２３４ー５６７８"}, "fax": {""},
	"email": {"hanako@example.jp"}, "handle": {"よつやのはなこ"}, "agree": {"yes"},
}

func withValues(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

var credRe = regexp.MustCompile(`(M\d{7})`)

// register submits the registration form and returns the issued user ID and password.
func (e *testEnv) register(v url.Values) (string, string) {
	e.t.Helper()
	v = withValues(v, "_csrf", e.token())
	res := e.post("/register", v)
	res.wantStatus(e.t, http.StatusOK)
	codes := res.Doc.Find(".credentials code")
	if codes.Length() != 2 {
		e.t.Fatalf("registration done page lacks credentials:\n%s", res.Body)
	}
	return codes.Eq(0).Text(), codes.Eq(1).Text()
}

func TestRegistrationValidationKeepsInput(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, hx := range []bool{false, true} {
		v := withValues(validRegistration, "_csrf", e.token(), "name_kana", "山田", "phone", "1234", "agree", "")
		var headers []string
		if hx {
			headers = []string{"HX-Request", "true"}
		}
		res := e.post("/register", v, headers...)
		res.wantStatus(t, http.StatusUnprocessableEntity)
		if strings.Contains(res.Body, "<html") == hx {
			t.Errorf("hx=%v: full page = %v", hx, !hx)
		}
		for field, msg := range map[string]string{
			"name_kana": "フリガナはカタカナで入力してください",
			"phone":     "電話番号を0から始まる10桁または11桁",
			"agree":     "利用規約に同意してください",
		} {
			got := res.Doc.Find("#f-" + field + "-error").Text()
			if !strings.Contains(got, msg) {
				t.Errorf("hx=%v %s: error %q", hx, field, got)
			}
		}
		if inv, _ := res.Doc.Find("#f-phone").Attr("aria-invalid"); inv != "true" {
			t.Errorf("hx=%v: phone not aria-invalid", hx)
		}
		// What was typed is still there, normalised where valid.
		for field, want := range map[string]string{"name": "新宿 花子", "email": "hanako@example.jp", "postal_code": "160-0004", "phone": "1234", "name_kana": "山田"} {
			if got := res.Doc.Find("#f-"+field).AttrOr("value", ""); got != want {
				t.Errorf("hx=%v %s kept as %q, want %q", hx, field, got, want)
			}
		}
	}
	n, _ := e.db.Bun.NewSelect().Model((*db.Account)(nil)).Count(context.Background())
	if n != 0 {
		t.Errorf("%d accounts after invalid registrations", n)
	}
}

func TestRegistrationConfirmationAndFirstSignIn(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	login, password := e.register(validRegistration)
	if !credRe.MatchString(login) || len(password) < 10 {
		t.Fatalf("issued %q / %q", login, password)
	}
	acc, err := e.db.AccountByLogin(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := e.db.Profile(ctx, acc.ID)
	if p.NameKana != "シンジュク ハナコ" || p.Phone != "03-1234-5678" || p.PostalCode != "160-0004" || p.Town != "四谷" || p.TermsVersion == "" {
		t.Errorf("stored profile %+v", p)
	}
	// The user ID is mailed; the password never is.
	var mails []db.Mail
	if err := e.db.Bun.NewSelect().Model(&mails).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != "hanako@example.jp" || !strings.Contains(mails[0].Body, login) || strings.Contains(mails[0].Body, password) {
		t.Fatalf("registration mail %+v", mails)
	}
	// Handle names are unique (and public: the form says so); e-mail is
	// unique among live accounts, which the form does not tell a stranger
	// (TestRegisterDoesNotRevealAddresses).
	res := e.post("/register", withValues(validRegistration, "_csrf", e.token(), "email", "other@example.jp"))
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Doc.Find("#f-handle-error").Text(), "すでに使われています") {
		t.Errorf("duplicate handle: %q", res.Doc.Find("#f-handle-error").Text())
	}

	member := e.client()
	// Pending: no sign-in, and the same answer as a wrong password (a
	// stranger must not learn that a registration exists).
	res = member.signIn(login, password)
	res.wantStatus(t, http.StatusUnprocessableEntity)
	wrong := member.signIn(login, "not-the-password")
	if got, want := res.Doc.Find(".error-summary").Text(), wrong.Doc.Find(".error-summary").Text(); got != want || !strings.Contains(got, "確認がまだ済んでいない") {
		t.Errorf("pending sign-in says %q, a wrong password %q", got, want)
	}

	mod := e.client()
	mod.staffAccount("mod1", db.RoleModerator)
	mod.signIn("mod1", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	list := mod.get("/staff/registrations")
	list.wantStatus(t, http.StatusOK)
	if !strings.Contains(list.Body, "新宿 花子") {
		t.Fatal("pending registration not listed")
	}
	// Inline decision through htmx: a fragment comes back.
	tok := list.csrfToken(t)
	frag := mod.post(fmt.Sprintf("/staff/registrations/%d", acc.ID), url.Values{"decision": {"confirm"}, "_csrf": {tok}}, "HX-Request", "true")
	frag.wantStatus(t, http.StatusOK)
	if strings.Contains(frag.Body, "<html") || !strings.Contains(frag.Body, "もう一方の確認を待っています") {
		t.Fatalf("moderator confirm fragment:\n%s", frag.Body)
	}
	// Half-confirmed: still no sign-in.
	member.signIn(login, password).wantStatus(t, http.StatusUnprocessableEntity)

	ward := e.client()
	ward.staffAccount("ward1", db.RoleWardStaff)
	ward.signIn("ward1", "staff-password-1")
	// Without JavaScript: a plain POST and a redirect with a flash.
	tok = ward.get("/staff/registrations").csrfToken(t)
	res = ward.post(fmt.Sprintf("/staff/registrations/%d", acc.ID), url.Values{"decision": {"confirm"}, "_csrf": {tok}})
	res.wantStatus(t, http.StatusSeeOther)
	if !strings.Contains(ward.get(res.Header.Get("Location")).Doc.Find(".flash").Text(), "利用できるようになりました") {
		t.Error("no activation flash")
	}
	outbox := ward.get("/staff/mail")
	outbox.wantStatus(t, http.StatusOK)
	if !strings.Contains(outbox.Body, "利用登録を受け付けました") {
		t.Error("the registration mail is not readable at /staff/mail")
	}
	var decisions []db.RegistrationDecision
	_ = e.db.Bun.NewSelect().Model(&decisions).Where("account_id = ?", acc.ID).Scan(ctx)
	if len(decisions) != 2 {
		t.Errorf("%d decisions recorded", len(decisions))
	}
	if err := e.db.Bun.NewSelect().Model(&mails).Where("kind = 'confirmed'").Scan(ctx); err != nil || len(mails) != 1 {
		t.Errorf("confirmation mail: %v %v", mails, err)
	}

	// First sign-in: the password must be changed before anything else.
	res = member.signIn(login, password)
	res.wantStatus(t, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/account/password" {
		t.Fatalf("first sign-in went to %q", loc)
	}
	if loc := member.get("/account").Header.Get("Location"); loc != "/account/password" {
		t.Errorf("before changing the password /account redirects to %q", loc)
	}
	pw := member.get("/account/password")
	if pw.Doc.Find("#f-current").Length() != 0 {
		t.Error("first change asks for the current password again")
	}
	res = member.post("/account/password", url.Values{"password": {"short"}, "confirm": {"short"}, "_csrf": {pw.csrfToken(t)}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	res = member.post("/account/password", url.Values{"password": {"あたらしいパスワード123"}, "confirm": {"あたらしいパスワード123"}, "_csrf": {pw.csrfToken(t)}})
	res.wantStatus(t, http.StatusSeeOther)
	home := member.get("/account")
	home.wantStatus(t, http.StatusOK)
	if !strings.Contains(home.Body, "新宿 花子") {
		t.Error("/account does not show the member's own data")
	}
	hist := member.get("/account/history")
	for _, want := range []string{"ログイン", "パスワード変更", "利用登録"} {
		if !strings.Contains(hist.Body, want) {
			t.Errorf("access history lacks %s", want)
		}
	}
	if !strings.Contains(hist.Body, "失敗") {
		t.Error("access history does not show the refused sign-ins")
	}
}

func TestRejectionAndSameActor(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	login, password := e.register(validRegistration)
	acc, _ := e.db.AccountByLogin(ctx, login)
	both := e.client()
	both.staffAccount("both1", db.RoleModerator, db.RoleWardStaff)
	both.signIn("both1", "staff-password-1")
	tok := both.get("/staff/registrations?side=operator").csrfToken(t)
	both.post(fmt.Sprintf("/staff/registrations/%d", acc.ID), url.Values{"decision": {"confirm"}, "side": {"operator"}, "_csrf": {tok}}).wantStatus(t, http.StatusSeeOther)
	// The same person cannot give the second confirmation.
	res := both.post(fmt.Sprintf("/staff/registrations/%d", acc.ID), url.Values{"decision": {"confirm"}, "side": {"ward"}, "_csrf": {tok}}, "HX-Request", "true")
	if !strings.Contains(res.Body, "別の職員が確認してください") {
		t.Errorf("same actor confirmed both sides:\n%s", res.Body)
	}
	// A rejection needs a reason, and the reason is mailed.
	res = both.post(fmt.Sprintf("/staff/registrations/%d", acc.ID), url.Values{"decision": {"reject"}, "side": {"ward"}, "_csrf": {tok}}, "HX-Request", "true")
	if !strings.Contains(res.Body, "理由を入力してください") {
		t.Errorf("reject without reason accepted:\n%s", res.Body)
	}
	both.post(fmt.Sprintf("/staff/registrations/%d", acc.ID), url.Values{"decision": {"reject"}, "side": {"ward"}, "reason": {"住所が区外のため"}, "_csrf": {tok}}).wantStatus(t, http.StatusSeeOther)
	var m db.Mail
	if err := e.db.Bun.NewSelect().Model(&m).Where("kind = 'rejected'").Scan(ctx); err != nil || !strings.Contains(m.Body, "住所が区外のため") {
		t.Errorf("rejection mail %+v %v", m, err)
	}
	res = e.client().signIn(login, password)
	res.wantStatus(t, http.StatusForbidden)
}

func TestConcurrentDecisionsOneWins(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	login, _ := e.register(validRegistration)
	acc, _ := e.db.AccountByLogin(ctx, login)
	a1 := e.staffAccount("wardA", db.RoleWardStaff)
	a2 := e.staffAccount("wardB", db.RoleWardStaff)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, actor := range []*db.Account{a1, a2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.db.DecideRegistration(ctx, db.RegistrationInput{AccountID: acc.ID, Side: db.SideWard,
				Decision: db.RegistrationConfirm, Actor: db.Actor{Account: actor, Role: db.RoleWardStaff, IP: "127.0.0.1"}}, nil)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 2 concurrent decisions succeeded: %v", ok, errs)
	}
}

func TestSessionRotatesAtSignIn(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.staffAccount("rot1", db.RoleModerator)
	e.flash(t)
	before := e.sessionCookie()
	e.signIn("rot1", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	after := e.sessionCookie()
	if after == "" || after == before {
		t.Errorf("session id not rotated at sign-in: %q -> %q", before, after)
	}
	// Sign out ends the session.
	tok := e.get("/account").csrfToken(t)
	e.post("/logout", url.Values{"_csrf": {tok}}).wantStatus(t, http.StatusSeeOther)
	if loc := e.get("/account").Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
		t.Errorf("after sign-out /account goes to %q", loc)
	}
}

// flash makes the visitor's session exist before sign-in (the language
// switch stores a flash), so rotation is observable.
func (e *testEnv) flash(t *testing.T) {
	e.post("/lang", url.Values{"lang": {"ja"}, "_csrf": {e.token()}}).wantStatus(t, http.StatusSeeOther)
}

func (e *testEnv) sessionCookie() string {
	u, _ := url.Parse(e.srv.URL)
	for _, c := range e.http.Jar.Cookies(u) {
		if c.Name == "portal_session" {
			return c.Value
		}
	}
	return ""
}

func TestViewingAMemberWritesOneAuditEntry(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	login, _ := e.register(validRegistration)
	acc, _ := e.db.AccountByLogin(ctx, login)
	staff := e.client()
	actor := staff.staffAccount("aud1", db.RoleWardStaff)
	staff.signIn("aud1", "staff-password-1")
	count := func() int {
		n, err := e.db.Bun.NewSelect().Model((*db.AuditEntry)(nil)).Where("subject_id = ?", acc.ID).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int(n)
	}
	before := count()
	res := staff.get(fmt.Sprintf("/staff/members/%d", acc.ID), "X-Forwarded-For", "203.0.113.9")
	res.wantStatus(t, http.StatusOK)
	if !strings.Contains(res.Body, "hanako@example.jp") {
		t.Fatal("member page does not show the data")
	}
	if got := count() - before; got != 1 {
		t.Fatalf("viewing a member wrote %d audit entries, want 1", got)
	}
	var entry db.AuditEntry
	if err := e.db.Bun.NewSelect().Model(&entry).Where("subject_id = ?", acc.ID).OrderExpr("id DESC").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if entry.ActorID != actor.ID || entry.ActorRole != db.RoleWardStaff || entry.Action != db.AuditView ||
		len(entry.Fields) != len(db.MemberDetailFields) || entry.IP != "127.0.0.1" {
		t.Errorf("audit entry %+v", entry)
	}
	// Searching shows names, and each member shown is on record too.
	before = count()
	res = staff.get("/staff/members?name=" + url.QueryEscape("新宿"))
	if !strings.Contains(res.Body, login) {
		t.Fatal("search by name prefix does not find the member")
	}
	if count()-before != 1 {
		t.Errorf("search wrote %d entries for this member", count()-before)
	}
	for _, q := range []string{"login_id=" + strings.ToLower(login), "kana=" + url.QueryEscape("しんじゅく"), "email=HANAKO%40", "phone=0312345"} {
		if !strings.Contains(staff.get("/staff/members?"+q).Body, login) {
			t.Errorf("search %s does not find the member", q)
		}
	}
}

func TestWithdrawalErasesPersonalData(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	login, password := e.register(validRegistration)
	acc, _ := e.db.AccountByLogin(ctx, login)
	for _, side := range []string{db.SideOperator, db.SideWard} {
		actor := e.staffAccount("w-"+side, db.RoleModerator, db.RoleWardStaff)
		if _, err := e.db.DecideRegistration(ctx, db.RegistrationInput{AccountID: acc.ID, Side: side,
			Decision: db.RegistrationConfirm, Actor: db.Actor{Account: actor, Role: db.RoleWardStaff}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	m := e.client()
	m.signIn(login, password)
	tok := m.get("/account/password").csrfToken(t)
	m.post("/account/password", url.Values{"password": {"new-password-123"}, "confirm": {"new-password-123"}, "_csrf": {tok}}).wantStatus(t, http.StatusSeeOther)
	page := m.get("/account/withdraw")
	m.post("/account/withdraw", url.Values{"current": {"wrong"}, "_csrf": {page.csrfToken(t)}}).wantStatus(t, http.StatusUnprocessableEntity)
	m.post("/account/withdraw", url.Values{"current": {"new-password-123"}, "_csrf": {page.csrfToken(t)}}).wantStatus(t, http.StatusSeeOther)
	if _, err := e.db.Profile(ctx, acc.ID); err == nil {
		t.Error("profile still stored after withdrawal")
	}
	after, _ := e.db.AccountByID(ctx, acc.ID)
	if after.Status != db.StatusWithdrawn || after.DisplayName == "よつやのはなこ" {
		t.Errorf("account after withdrawal %+v", after)
	}
	var n int
	_ = e.db.Bun.NewSelect().Model((*db.AccessEvent)(nil)).ColumnExpr("count(*)").Where("account_id = ? AND action = 'withdraw'", acc.ID).Scan(ctx, &n)
	if n != 1 {
		t.Errorf("withdrawal recorded %d times", n)
	}
	m.signIn(login, "new-password-123").wantStatus(t, http.StatusUnprocessableEntity)
	// The e-mail address is free again.
	e.register(withValues(validRegistration, "handle", "あたらしいはなこ"))
}

func TestPasswordResetIsSingleUse(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	login, _ := e.register(validRegistration)
	acc, _ := e.db.AccountByLogin(ctx, login)
	if _, err := e.db.Bun.NewUpdate().Model(acc).Set("status = 'active'").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	tok := e.get("/password/forgot").csrfToken(t)
	wrong := e.post("/password/forgot", url.Values{"login_id": {login}, "email": {"someone@example.jp"}, "_csrf": {tok}})
	right := e.post("/password/forgot", url.Values{"login_id": {login}, "email": {"hanako@example.jp"}, "_csrf": {tok}})
	if wrong.Doc.Find("main").Text() != right.Doc.Find("main").Text() {
		t.Error("forgot-password answers differ, revealing who is registered")
	}
	links := resetLinks(t, e.deliverOutbox(), "hanako@example.jp")
	if len(links) != 1 {
		t.Fatalf("reset links mailed: %q", links)
	}
	link := links[0]
	form := e.get(link)
	form.wantStatus(t, http.StatusOK)
	e.post(link, url.Values{"password": {"reset-password-1"}, "confirm": {"reset-password-1"}, "_csrf": {form.csrfToken(t)}}).wantStatus(t, http.StatusSeeOther)
	e.signIn(login, "reset-password-1").wantStatus(t, http.StatusSeeOther)
	// Spent: a second use is a 404.
	e.client().get(link).wantStatus(t, http.StatusNotFound)
	e.get("/password/reset/not-a-token").wantStatus(t, http.StatusNotFound)
}

func TestGroupAccountsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.staffAccount("grp1", db.RoleWardStaff)
	e.signIn("grp1", "staff-password-1")
	page := e.get("/staff/groups")
	res := e.post("/staff/groups", url.Values{"name": {"四谷　清掃ボランティア"}, "login_id": {"ＹＯＴＳＵＹＡ－ＣＬＥＡＮ"}, "_csrf": {page.csrfToken(t)}})
	res.wantStatus(t, http.StatusOK)
	codes := res.Doc.Find(".credentials code")
	if codes.Length() != 2 || codes.Eq(0).Text() != "yotsuya-clean" {
		t.Fatalf("created credentials: %q", codes.Text())
	}
	res = e.post("/staff/groups", url.Values{"name": {"四谷 清掃ボランティア"}, "login_id": {"other-login"}, "_csrf": {page.csrfToken(t)}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	g := e.client()
	g.signIn("yotsuya-clean", codes.Eq(1).Text()).wantStatus(t, http.StatusSeeOther)
	var n int
	_ = e.db.Bun.NewSelect().Model((*db.MemberProfile)(nil)).ColumnExpr("count(*)").Scan(context.Background(), &n)
	if n != 0 {
		t.Errorf("group creation stored %d profiles", n)
	}
}

func TestRegistrationDoneSaysWhatHappensNext(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, c := range []struct{ lang, email, handle, waits, when, mail string }{
		{"ja", "next-ja@example.jp", "つぎのひと", "確認するまでは、ログインできません", "3開庁日", "メールアドレスにお知らせします"},
		{"en", "next-en@example.jp", "next-person", "cannot sign in until both the operator and the ward", "three working days", "e-mail you"},
	} {
		r := e.client()
		r.get("/?lang=" + c.lang)
		res := r.post("/register", withValues(validRegistration, "_csrf", r.token(), "email", c.email, "handle", c.handle))
		res.wantStatus(t, http.StatusOK)
		page := strings.Join(strings.Fields(res.Doc.Find("#register").Text()), " ")
		for _, want := range []string{c.waits, c.when, c.mail} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the done page does not say %q: %s", c.lang, want, page)
			}
		}
		// Nothing on it promises a sign-in that the next step refuses.
		for _, wrong := range []string{"でログインできます", "You will sign in with the user ID"} {
			if strings.Contains(page, wrong) {
				t.Errorf("%s: the done page says %q: %s", c.lang, wrong, page)
			}
		}
		codes := res.Doc.Find(".credentials code")
		// Refused like a wrong password until both confirmations (see the
		// README's security section: a pending registration is not told apart).
		r.signIn(codes.Eq(0).Text(), codes.Eq(1).Text()).wantStatus(t, http.StatusUnprocessableEntity)
	}
}
