package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// auditOf returns the audit entries of action about subject, oldest first.
func (e *testEnv) auditOf(action string, subject int64) []db.AuditEntry {
	e.t.Helper()
	var es []db.AuditEntry
	if err := e.db.Bun.NewSelect().Model(&es).Where("action = ? AND subject_id = ?", action, subject).OrderExpr("id").
		Scan(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return es
}

// historyOf returns the access-history lines of action on an account, oldest first.
func (e *testEnv) historyOf(action string, account int64) []db.AccessEvent {
	e.t.Helper()
	var evs []db.AccessEvent
	if err := e.db.Bun.NewSelect().Model(&evs).Where("action = ? AND account_id = ?", action, account).OrderExpr("id").
		Scan(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// signedInWard is a client signed in as a new ward staff account.
func (e *testEnv) signedInWard(login string) (*testEnv, *db.Account) {
	e.t.Helper()
	c := e.client()
	acc := c.staffAccount(login, db.RoleWardStaff)
	c.signIn(login, "staff-password-1").wantStatus(e.t, http.StatusSeeOther)
	return c, acc
}

func TestGroupAccountListIsPagedAndSearchable(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ward, _ := e.signedInWard("ward-gl")
	for i := range db.PageSize + 5 {
		e.groupAccount(dbtest.GroupOptions{Login: fmt.Sprintf("grp-%03d", i), Name: fmt.Sprintf("四谷さくら会%03d", i)})
	}
	e.groupAccount(dbtest.GroupOptions{Login: "kagura-club", Name: "神楽坂ボランティアの会"})

	first := ward.get("/staff/groups")
	first.wantStatus(t, http.StatusOK)
	items := first.Doc.Find(`main ul.list li a.title`)
	if items.Length() != db.PageSize || items.First().Text() != "神楽坂ボランティアの会" {
		t.Fatalf("first page: %d groups, first %q", items.Length(), items.First().Text())
	}
	next, ok := first.Doc.Find(`nav.pager a[rel="next"]`).Attr("href")
	if !ok {
		t.Fatal("no next page beyond the first")
	}
	second := ward.get(next)
	if n := second.Doc.Find(`main ul.list li a.title`).Length(); n != 6 || second.Doc.Find(`nav.pager a[rel="next"]`).Length() != 0 {
		t.Errorf("second page: %d groups", n)
	}
	// Part of a name (two characters of Japanese), part of a login ID, paged with the query kept.
	for q, want := range map[string]string{"神楽": "神楽坂ボランティアの会", "KAGURA": "神楽坂ボランティアの会", "ｋａｇｕｒａ－ｃ": "神楽坂ボランティアの会", "さくら会０２４": "四谷さくら会024", "さくら会024": "四谷さくら会024"} {
		res := ward.get("/staff/groups?q=" + url.QueryEscape(q))
		got := res.Doc.Find(`main ul.list li a.title`)
		if got.Length() != 1 || got.Text() != want {
			t.Errorf("search %q: %d results %q", q, got.Length(), got.Text())
		}
		if v := res.Doc.Find("#f-q").AttrOr("value", ""); v != q {
			t.Errorf("search %q: the box shows %q", q, v)
		}
	}
	paged := ward.get("/staff/groups?q=" + url.QueryEscape("さくら"))
	if href := paged.Doc.Find(`nav.pager a[rel="next"]`).AttrOr("href", ""); !strings.Contains(href, "q=") {
		t.Errorf("the next page of a search forgets the query: %q", href)
	}
	ward.get("/staff/groups?after=-1").wantStatus(t, http.StatusNotFound)
}

func TestWardReissuesAGroupPassword(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	ward, wardAcc := e.signedInWard("ward-pw")
	gacc, _ := e.groupAccount(dbtest.GroupOptions{Login: "grp-lost", Name: "パスワードをなくした会"})
	group := e.client()
	group.signIn("grp-lost", "group-password-1").wantStatus(t, http.StatusSeeOther)
	if !group.signedIn() {
		t.Fatal("the group is not signed in")
	}
	page := ward.get(fmt.Sprintf("/staff/groups/%d", gacc.ID))
	page.wantStatus(t, http.StatusOK)
	res := ward.post(fmt.Sprintf("/staff/groups/%d/password", gacc.ID), url.Values{"_csrf": {page.csrfToken(t)}})
	res.wantStatus(t, http.StatusOK)
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the password is cacheable: %q", cc)
	}
	codes := res.Doc.Find(".credentials code")
	if codes.Length() != 2 || codes.Eq(0).Text() != "grp-lost" || len(codes.Eq(1).Text()) < 12 {
		t.Fatalf("credentials shown: %q", codes.Text())
	}
	pw := codes.Eq(1).Text()
	// Shown once: the page opened again does not have it.
	if ward.get(fmt.Sprintf("/staff/groups/%d", gacc.ID)).Doc.Find(".credentials").Length() != 0 {
		t.Error("the password shows again")
	}
	if group.signedIn() {
		t.Error("the group's open session outlived the new password")
	}
	e.client().signIn("grp-lost", "group-password-1").wantStatus(t, http.StatusUnprocessableEntity)
	fresh := e.client()
	fresh.signIn("grp-lost", pw).wantStatus(t, http.StatusSeeOther)
	if loc := fresh.get("/account").Header.Get("Location"); loc != "/account/password" {
		t.Errorf("first sign-in with the new password goes to %q, not the password change", loc)
	}
	es := e.auditOf(db.AuditPasswordIssue, gacc.ID)
	if len(es) != 1 || es[0].ActorID != wardAcc.ID || es[0].ActorRole != db.RoleWardStaff || es[0].IP == "" {
		t.Errorf("audit entries: %+v", es)
	}
	if evs := e.historyOf(db.ActionPasswordIssue, gacc.ID); len(evs) != 1 || !strings.Contains(evs[0].Detail, db.RoleWardStaff) {
		t.Errorf("access history: %+v", evs)
	}
	// A member's id is not a group's.
	member := e.memberAccount("M6100001", "ひとり")
	ward.post(fmt.Sprintf("/staff/groups/%d/password", member.ID), url.Values{"_csrf": {page.csrfToken(t)}}).wantStatus(t, http.StatusNotFound)
	if got, _ := e.db.AccountByID(ctx, member.ID); got.MustChangePassword {
		t.Error("a member got a new password through the group route")
	}
}

func TestSuspendingAGroupEndsItsSessions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	ward, wardAcc := e.signedInWard("ward-gs")
	gacc, _ := e.groupAccount(dbtest.GroupOptions{Login: "grp-susp", Name: "停止される会"})
	group := e.client()
	group.signIn("grp-susp", "group-password-1").wantStatus(t, http.StatusSeeOther)
	status := fmt.Sprintf("/staff/groups/%d/status", gacc.ID)

	// No reason: refused beside the field, nothing changed.
	res := ward.post(status, url.Values{"_csrf": {ward.token()}, "change": {"suspend"}, "reason": {"　"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := res.Doc.Find(fmt.Sprintf("#status-reason-%d-error", gacc.ID)).Text(); !strings.Contains(msg, "理由") {
		t.Errorf("no-reason message: %q", msg)
	}
	if !group.signedIn() {
		t.Fatal("a refused suspension ended the group's session")
	}
	ward.post(status, url.Values{"_csrf": {ward.token()}, "change": {"suspend"}, "reason": {"会費の不正な徴収の疑い"}}).wantStatus(t, http.StatusSeeOther)
	if group.signedIn() {
		t.Error("the suspended group is still signed in")
	}
	if res := e.client().signIn("grp-susp", "group-password-1"); res.StatusCode == http.StatusSeeOther {
		t.Error("the suspended group signs in")
	}
	page := ward.get(fmt.Sprintf("/staff/groups/%d", gacc.ID))
	if txt := page.Doc.Find("dl.facts").Text(); !strings.Contains(txt, "停止中") || !strings.Contains(txt, "会費の不正な徴収の疑い") {
		t.Errorf("the group's page does not say it is suspended and why: %q", txt)
	}
	if !strings.Contains(ward.get("/staff/groups").Doc.Find("main ul.list").Text(), "停止中") {
		t.Error("the list does not mark the suspended group")
	}
	// Suspending twice changes nothing and says so.
	again := ward.post(status, url.Values{"_csrf": {ward.token()}, "change": {"suspend"}, "reason": {"二度目"}})
	again.wantStatus(t, http.StatusSeeOther)
	if n := len(e.auditOf(db.AuditSuspend, gacc.ID)); n != 1 {
		t.Errorf("%d suspension entries, want 1", n)
	}
	ward.post(status, url.Values{"_csrf": {ward.token()}, "change": {"reinstate"}, "reason": {"調査の結果、問題なし"}}).wantStatus(t, http.StatusSeeOther)
	group.signIn("grp-susp", "group-password-1").wantStatus(t, http.StatusSeeOther)

	sus, rein := e.auditOf(db.AuditSuspend, gacc.ID), e.auditOf(db.AuditReinstate, gacc.ID)
	if len(sus) != 1 || sus[0].ActorID != wardAcc.ID || sus[0].Detail != "status: active → suspended; reason: 会費の不正な徴収の疑い" {
		t.Errorf("suspension entry: %+v", sus)
	}
	if len(rein) != 1 || rein[0].Detail != "status: suspended → active; reason: 調査の結果、問題なし" {
		t.Errorf("reinstatement entry: %+v", rein)
	}
	if evs := e.historyOf(db.ActionSuspend, gacc.ID); len(evs) != 1 || !strings.HasPrefix(evs[0].Detail, "会費の不正な徴収の疑い") {
		t.Errorf("access history: %+v", evs)
	}
	if got, _ := e.db.AccountByID(ctx, gacc.ID); got.Status != db.StatusActive || got.StatusReason != "調査の結果、問題なし" {
		t.Errorf("after reinstatement: %s %q", got.Status, got.StatusReason)
	}
}

// The operator (a moderator) corrects a member's data: the form is the
// registration's, normalised the same way; the audit entry keeps each
// changed field before and after; the member's history shows the line.
func TestMemberCorrectionIsOnRecordBeforeAndAfter(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	member := e.client()
	macc := member.memberAccount("M6200001", "もとのなまえ")
	e.memberAccount("M6200002", "ほかのひと")
	member.signIn("M6200001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	mod := e.client()
	modAcc := mod.staffAccount("mod-fix", db.RoleModerator)
	mod.signIn("mod-fix", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	before, err := e.db.Profile(ctx, macc.ID)
	if err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("/staff/members/%d/edit", macc.ID)

	page := mod.get(edit)
	page.wantStatus(t, http.StatusOK)
	if v := page.Doc.Find("#f-name").AttrOr("value", ""); v != before.Name {
		t.Errorf("the form shows name %q, not %q", v, before.Name)
	}
	if views := e.auditOf(db.AuditView, macc.ID); len(views) != 1 || views[0].ActorID != modAcc.ID {
		t.Errorf("opening the form is not one audited view: %+v", views)
	}
	form := url.Values{"_csrf": {page.csrfToken(t)}}
	page.Doc.Find("form[method=post] input").Each(func(_ int, s *goquery.Selection) {
		if n, _ := s.Attr("name"); n != "_csrf" && n != "" {
			v, _ := s.Attr("value")
			form.Set(n, v)
		}
	})
	// Invalid: refused next to the field, what was typed kept.
	bad := withValues(form, "phone", "12345", "address", "東京都新宿区西新宿２－８－１")
	res := mod.post(edit, bad)
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-phone-error").Length() != 1 || res.Doc.Find("#f-address").AttrOr("value", "") != "東京都新宿区西新宿2-8-1" {
		t.Errorf("invalid correction: error %q, address %q", res.Doc.Find("#f-phone-error").Text(), res.Doc.Find("#f-address").AttrOr("value", ""))
	}
	// Another member's handle: refused beside it.
	mod.post(edit, withValues(form, "handle", "ほかのひと")).wantStatus(t, http.StatusUnprocessableEntity)
	// Full-width input is stored as registration stores it.
	good := withValues(form, "phone", "０３－５２７３－４１４１", "address", "東京都新宿区歌舞伎町１－４－１", "name_kana", "しんじゅく たろう")
	mod.post(edit, good).wantStatus(t, http.StatusSeeOther)
	after, err := e.db.Profile(ctx, macc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Phone != "03-5273-4141" || after.Address != "東京都新宿区歌舞伎町1-4-1" || after.NameKana != "シンジュク タロウ" || after.Town != "歌舞伎町" {
		t.Errorf("stored: %q %q %q %q", after.Phone, after.Address, after.NameKana, after.Town)
	}
	es := e.auditOf(db.AuditEdit, macc.ID)
	if len(es) != 1 {
		t.Fatalf("%d edit entries, want 1", len(es))
	}
	en := es[0]
	if en.ActorID != modAcc.ID || en.ActorRole != db.RoleModerator || strings.Join(en.Fields, ",") != "name_kana,address,phone" {
		t.Errorf("edit entry: %+v", en)
	}
	for _, want := range []string{
		fmt.Sprintf("phone: %q → %q", before.Phone, "03-5273-4141"),
		fmt.Sprintf("address: %q → %q", before.Address, "東京都新宿区歌舞伎町1-4-1"),
		fmt.Sprintf("name_kana: %q → %q", before.NameKana, "シンジュク タロウ"),
	} {
		if !strings.Contains(en.Detail, want) {
			t.Errorf("edit entry lacks %s: %q", want, en.Detail)
		}
	}
	if evs := e.historyOf(db.ActionProfileFix, macc.ID); len(evs) != 1 || evs[0].Detail != "name_kana, address, phone (moderator)" {
		t.Errorf("member's access history: %+v", evs)
	}
	// The member sees the line in their own history.
	if !strings.Contains(member.get("/account/history").Doc.Find("table").Text(), "登録内容の訂正（職員による）") {
		t.Error("the member's history page does not show the correction")
	}
	// The same values again change nothing and record nothing.
	mod.post(edit, good).wantStatus(t, http.StatusSeeOther)
	if n := len(e.auditOf(db.AuditEdit, macc.ID)); n != 1 {
		t.Errorf("%d edit entries after a correction that changed nothing", n)
	}
}

// Suspension takes effect on every open session of the member at once, and
// reinstatement does not bring a session back.
func TestMemberSuspensionEndsOpenSessions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	macc := e.memberAccount("M6300001", "とめられるひと")
	phone, pc := e.client(), e.client()
	phone.signIn("M6300001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	pc.signIn("M6300001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	mod := e.client()
	modAcc := mod.staffAccount("mod-susp", db.RoleModerator)
	mod.signIn("mod-susp", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	ward, _ := e.signedInWard("ward-ms")
	status := fmt.Sprintf("/staff/members/%d/status", macc.ID)

	page := mod.get(fmt.Sprintf("/staff/members/%d", macc.ID))
	if page.Doc.Find(fmt.Sprintf(`form[action="%s"] input[name=change][value=suspend]`, status)).Length() != 1 {
		t.Fatalf("no suspend form on the member's page")
	}
	// Too long a reason: refused beside the field, kept as typed.
	long := strings.Repeat("理", 201)
	res := mod.post(status, url.Values{"_csrf": {page.csrfToken(t)}, "change": {"suspend"}, "reason": {long}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find(fmt.Sprintf("#status-reason-%d", macc.ID)).AttrOr("value", "") != long ||
		res.Doc.Find(fmt.Sprintf("#status-reason-%d-error", macc.ID)).Length() != 1 {
		t.Error("the refused reason is not kept with its message")
	}
	if !phone.signedIn() {
		t.Fatal("the refused suspension ended a session")
	}
	mod.post(status, url.Values{"_csrf": {page.csrfToken(t)}, "change": {"suspend"}, "reason": {"迷惑行為の通報"}}).wantStatus(t, http.StatusSeeOther)
	if phone.signedIn() {
		t.Error("the phone's session outlived the suspension")
	}
	if res := e.client().signIn("M6300001", "member-password-1"); res.StatusCode == http.StatusSeeOther {
		t.Error("the suspended member signs in")
	}
	ward.post(status, url.Values{"_csrf": {ward.token()}, "change": {"reinstate"}, "reason": {"本人と面談済み"}}).wantStatus(t, http.StatusSeeOther)
	// The PC made no request while the member was suspended: its session
	// does not come back with the account.
	if pc.signedIn() {
		t.Error("a session from before the suspension came back with the reinstatement")
	}
	phone.signIn("M6300001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	if sus := e.auditOf(db.AuditSuspend, macc.ID); len(sus) != 1 || sus[0].ActorID != modAcc.ID || sus[0].ActorRole != db.RoleModerator ||
		!strings.Contains(sus[0].Detail, "active → suspended") {
		t.Errorf("suspension entry: %+v", sus)
	}
	if n := len(e.historyOf(db.ActionSuspend, macc.ID)) + len(e.historyOf(db.ActionReinstate, macc.ID)); n != 2 {
		t.Errorf("%d status lines in the member's history, want 2", n)
	}
	// A staff account cannot be suspended through the member route.
	mod.post(fmt.Sprintf("/staff/members/%d/status", modAcc.ID), url.Values{"_csrf": {page.csrfToken(t)}, "change": {"suspend"},
		"reason": {"x"}}).wantStatus(t, http.StatusNotFound)
}

func TestWardCreatesAndDisablesStaffAccounts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	ward, wardAcc := e.signedInWard("ward-sa")
	div := &db.Division{Code: "kids", Name: "子ども家庭課"}
	if err := e.db.CreateDivision(ctx, db.Actor{Account: wardAcc, Role: db.RoleWardStaff}, div); err != nil {
		t.Fatal(err)
	}
	page := ward.get("/staff/accounts")
	page.wantStatus(t, http.StatusOK)
	if page.Doc.Find(fmt.Sprintf(`form[action="/staff/accounts/%d/status"]`, wardAcc.ID)).Length() != 0 {
		t.Error("the page offers to disable one's own account")
	}
	tok := page.csrfToken(t)
	// No role: refused beside the roles, the rest kept.
	res := ward.post("/staff/accounts", url.Values{"_csrf": {tok}, "login_id": {"Editor-Kids"}, "name": {"編集 一郎"},
		"divisions": {fmt.Sprint(div.ID)}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-roles-error").Length() != 1 || res.Doc.Find("#f-name").AttrOr("value", "") != "編集 一郎" ||
		res.Doc.Find(fmt.Sprintf("#f-divisions-%d[checked]", div.ID)).Length() != 1 {
		t.Errorf("refused form: %q", res.Doc.Find(".error").Text())
	}
	res = ward.post("/staff/accounts", url.Values{"_csrf": {tok}, "login_id": {"Editor-Kids"}, "name": {"編集 一郎"},
		"roles": {db.RoleEditor, db.RoleApprover}, "divisions": {fmt.Sprint(div.ID)}})
	res.wantStatus(t, http.StatusOK)
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Error("the page with the initial password is cacheable")
	}
	codes := res.Doc.Find(".credentials code")
	if codes.Length() != 2 || codes.Eq(0).Text() != "editor-kids" {
		t.Fatalf("credentials: %q", codes.Text())
	}
	created, err := e.db.AccountByLogin(ctx, "editor-kids")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(created.Roles, ",") != "editor,approver" || !created.MustChangePassword || created.Kind != db.KindStaff {
		t.Errorf("created: %+v", created)
	}
	if ds, err := e.db.DivisionsOf(ctx, created.ID); err != nil || len(ds) != 1 || ds[0].ID != div.ID {
		t.Errorf("divisions of the new account: %+v %v", ds, err)
	}
	if es := e.auditOf(db.AuditStaffCreate, created.ID); len(es) != 1 || es[0].ActorID != wardAcc.ID ||
		es[0].Detail != "login editor-kids; roles: editor,approver; divisions: kids" {
		t.Errorf("creation entry: %+v", es)
	}
	editor := e.client()
	editor.signIn("editor-kids", codes.Eq(1).Text()).wantStatus(t, http.StatusSeeOther)
	// The same login ID again: refused.
	res = ward.post("/staff/accounts", url.Values{"_csrf": {tok}, "login_id": {"editor-kids"}, "name": {"編集 二郎"}, "roles": {db.RoleEditor}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-login_id-error").Length() != 1 {
		t.Error("a taken login ID is not said beside the field")
	}

	// Disabling: never one's own; another's ends its sessions at once.
	own := ward.post(fmt.Sprintf("/staff/accounts/%d/status", wardAcc.ID), url.Values{"_csrf": {tok}, "change": {"suspend"}, "reason": {"異動"}})
	own.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := own.Doc.Find(fmt.Sprintf("#status-reason-%d-error", wardAcc.ID)).Text(); !strings.Contains(msg, "自分") {
		t.Errorf("own account: %q", msg)
	}
	if me, _ := e.db.AccountByID(ctx, wardAcc.ID); me.Status != db.StatusActive {
		t.Error("ward staff disabled their own account")
	}
	ward.post(fmt.Sprintf("/staff/accounts/%d/status", created.ID), url.Values{"_csrf": {tok}, "change": {"suspend"}, "reason": {"異動のため"}}).
		wantStatus(t, http.StatusSeeOther)
	if editor.get("/staff").StatusCode != http.StatusSeeOther {
		t.Error("the disabled staff account still opens the back office")
	}
	if es := e.auditOf(db.AuditSuspend, created.ID); len(es) != 1 || es[0].Detail != "status: active → suspended; reason: 異動のため" {
		t.Errorf("disable entry: %+v", es)
	}
	// Only ward staff run staff accounts.
	mod := e.client()
	mod.staffAccount("mod-sa", db.RoleModerator)
	mod.signIn("mod-sa", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	mod.post("/staff/accounts", url.Values{"_csrf": {mod.token()}, "login_id": {"sneaky"}, "name": {"忍び"}, "roles": {db.RoleWardStaff}}).
		wantStatus(t, http.StatusForbidden)
}

// The staff home shows each role the work waiting for it, with counts and
// links, and nothing its roles may not open.
func TestStaffHomeShowsWorkWaiting(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	ctx := context.Background()
	b.register(withValues(validRegistration, "email", "wait@example.jp", "handle", "まつひと"))
	b.postTopic(b.alice, "一つ目の話題", "本文です。")
	b.postTopic(b.alice, "二つ目の話題", "本文です。")
	third := b.postTopic(b.bob, "三つ目の話題", "本文です。")
	id, v := b.item(b.mod1, third)
	b.decide(b.mod1, id, v, "action", "escalate", "note", "区と協議したいです。").wantStatus(t, http.StatusOK)
	div := &db.Division{Code: "civic", Name: "地域振興課"}
	if err := b.db.CreateDivision(ctx, db.Actor{Account: b.wAc, Role: db.RoleWardStaff}, div); err != nil {
		t.Fatal(err)
	}
	if err := b.db.SetStaffDivisions(ctx, db.Actor{Account: b.wAc, Role: db.RoleWardStaff}, b.wAc.ID, []int64{div.ID}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		inq := &db.Inquiry{DivisionID: div.ID, Subject: fmt.Sprintf("問い合わせ%d", i), Body: "本文", Name: "区民 太郎", Email: "taro@example.jp"}
		if err := b.db.CreateInquiry(ctx, inq, nil, db.InquiryLimit{IP: fmt.Sprintf("192.0.2.%d", i+1), Since: time.Now().Add(-time.Hour), Max: 5}); err != nil {
			t.Fatal(err)
		}
	}
	editor := b.client()
	editor.staffAccount("editor-home", db.RoleEditor)
	editor.signIn("editor-home", "staff-password-1").wantStatus(t, http.StatusSeeOther)

	work := func(c *testEnv) map[string]string {
		out := map[string]string{}
		c.get("/staff").Doc.Find("#work-waiting ~ ul li a").Each(func(_ int, s *goquery.Selection) {
			href, _ := s.Attr("href")
			out[href] += s.Text()
		})
		return out
	}
	got := work(b.mod1)
	want := map[string]string{"/staff/registrations?side=operator": "利用登録の確認待ち 1件", "/moderation": "投稿の審査待ち 2件"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("moderator's work: %v, want %v", got, want)
	}
	got = work(b.ward)
	want = map[string]string{"/staff/registrations?side=ward": "利用登録の確認待ち 1件", "/moderation": "区への報告（協議待ち） 1件",
		"/staff/inquiries": "担当所属のお問い合わせ（未対応・対応中） 3件"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ward staff's work: %v, want %v", got, want)
	}
	// An editor in no division: the inquiries of none; nothing of members or the queue.
	got = work(editor)
	want = map[string]string{"/staff/inquiries": "担当所属のお問い合わせ（未対応・対応中） 0件"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("editor's work: %v, want %v", got, want)
	}
	// A confirmation by the operator's side takes the registration off its count only.
	pending, err := b.db.PendingRegistrations(ctx, db.Actor{Account: b.mod1Acc, Role: db.RoleModerator}, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending: %d %v", len(pending), err)
	}
	b.mod1.post(fmt.Sprintf("/staff/registrations/%d", pending[0].Account.ID), url.Values{"_csrf": {b.mod1.token()}, "side": {"operator"},
		"decision": {"confirm"}}).wantStatus(t, http.StatusSeeOther)
	if got := work(b.mod1)["/staff/registrations?side=operator"]; got != "利用登録の確認待ち 0件" {
		t.Errorf("operator's count after confirming: %q", got)
	}
	if got := work(b.ward)["/staff/registrations?side=ward"]; got != "利用登録の確認待ち 1件" {
		t.Errorf("ward's count after the operator confirmed: %q", got)
	}
}
