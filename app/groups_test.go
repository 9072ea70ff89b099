package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/app/upload"
	"github.com/wardportal/portal/app/upload/uploadtest"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// profileValues is a valid profile form as a browser without JavaScript
// sends it.
func profileValues(tok string) url.Values {
	return url.Values{"_csrf": {tok}, "summary": {"子ども食堂を開いています"},
		"description": {"地域の子どもたちに温かい食事を届ける子ども食堂です。"},
		"fields":      {"children", "welfare"}, "areas": {"yotsuya"}, "days": {"sat"},
		"activity": {"毎月第2土曜日 11時から"}, "places": {"四谷地域センター"}, "how_to_join": {"見学はいつでも歓迎です。"},
		"fees": {"無料"}, "contact": {"yotsuya-shokudo@example.org"}, "contact_own": {"yes"},
		"links": {"https://shokudo.example.org/"}}
}

// approveProfile submits content as the group acc and approves it as a
// moderator, through the db: the fixture of a public group with a profile.
func approveProfile(t *testing.T, e *testEnv, acc *db.Account, mod *db.Account, c db.ProfileContent) {
	t.Helper()
	ctx := context.Background()
	rev, err := e.db.SubmitGroupProfile(ctx, db.Actor{Account: acc, Role: db.KindGroup}, c)
	if err != nil {
		t.Fatal(err)
	}
	var it db.ModerationItem
	if err := e.db.Bun.NewSelect().Model(&it).Where("kind = ? AND subject_id = ? AND status = ?", db.ItemGroupProfile, rev.ID, db.ItemOpen).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.DecideItem(ctx, db.Decision{ItemID: it.ID, Version: it.Version, Action: db.ActApprove,
		Actor: db.Actor{Account: mod, Role: db.RoleModerator}}, func(db.Outcome) *db.Mail { return nil }); err != nil {
		t.Fatal(err)
	}
}

// profileItem is the open queue item of the group's profile change, as the
// moderator's queue page shows it: its id and version.
func profileItem(t *testing.T, e *testEnv, mod *testEnv, groupID int64) (int64, string) {
	t.Helper()
	var it db.ModerationItem
	err := e.db.Bun.NewSelect().Model(&it).
		Where("kind = ? AND status = ? AND subject_id IN (SELECT id FROM group_profiles WHERE group_id = ?)", db.ItemGroupProfile, db.ItemOpen, groupID).
		Scan(context.Background())
	if err != nil {
		t.Fatalf("no open profile item: %v", err)
	}
	v, ok := mod.get("/moderation").Doc.Find(fmt.Sprintf("#item-%d input[name=version]", it.ID)).Attr("value")
	if !ok {
		t.Fatalf("item %d is not on the queue page", it.ID)
	}
	return it.ID, v
}

// TestGroupProfileModeration: a new group is not public and its event does
// not link to it; its profile goes to the queue (bad input kept with its
// messages), a resubmission before the decision replaces the waiting text,
// a rejection tells the group why and the public still sees nothing, and an
// inline approval publishes it. Later changes wait while the live profile
// stays.
func TestGroupProfileModeration(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	gacc, g := e.groupAccount(dbtest.GroupOptions{Login: "G7100001", Name: "四谷こども食堂"})
	e.memberAccount("M7100001", "しょくどう")
	e.staffAccount("mod-g", db.RoleModerator)
	grp, mod, visitor := e.client(), e.client(), e.client()
	grp.signIn(gacc.LoginID, "group-password-1").wantStatus(t, http.StatusSeeOther)
	mod.signIn("mod-g", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	groupPath := "/groups/" + strconv.FormatInt(g.ID, 10)

	// Not public before its first approval; its published event names it
	// without a link to a page that does not exist.
	ev := dbtest.Event(t, e.db, db.Event{GroupID: &g.ID, Title: "夏休みこども食堂"})
	if res := visitor.get(groupPath); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unapproved group page: %d, want 404", res.StatusCode)
	}
	if strings.Contains(visitor.get("/groups").Body, "四谷こども食堂") {
		t.Fatal("unapproved group listed")
	}
	evPage := visitor.get("/events/" + strconv.FormatInt(ev.ID, 10))
	evPage.wantStatus(t, http.StatusOK)
	if evPage.Doc.Find(`a[href="`+groupPath+`"]`).Length() != 0 || !strings.Contains(evPage.Body, "四谷こども食堂") {
		t.Fatal("the event links to the unapproved group, or does not name it")
	}

	page := grp.get("/group/profile")
	page.wantStatus(t, http.StatusOK)
	if page.Doc.Find("#profile-status").Length() != 1 || page.Doc.Find(`form[action="/group/profile"] textarea[name="description"]`).Length() != 1 {
		t.Fatal("profile page without status or form")
	}
	tok := page.csrfToken(t)

	// Bad input: errors next to the fields, everything typed kept.
	bad := profileValues(tok)
	bad.Del("fields")
	bad.Set("description", "")
	bad.Set("links", "javascript:alert(1)")
	bad.Del("contact_own")
	res := grp.post("/group/profile", bad)
	res.wantStatus(t, http.StatusUnprocessableEntity)
	for _, f := range []string{"description", "fields", "links", "contact_own"} {
		if fieldError(res, f) == "" {
			t.Errorf("no error next to %s", f)
		}
	}
	if res.Doc.Find(`input[name="summary"]`).AttrOr("value", "") != "子ども食堂を開いています" ||
		res.Doc.Find(`input[name="areas"][value="yotsuya"]`).AttrOr("checked", "no") == "no" {
		t.Fatal("typed values lost")
	}
	// A member's personal address is refused as the group's contact.
	personal := profileValues(tok)
	personal.Set("contact", "連絡は m7100001@example.jp まで")
	res = grp.post("/group/profile", personal)
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if fieldError(res, "contact") == "" {
		t.Fatal("a member's e-mail address accepted as the group's contact")
	}
	phone := profileValues(tok)
	phone.Set("contact", "０３－９９９９－０００１")
	if res := grp.post("/group/profile", phone); res.StatusCode != http.StatusUnprocessableEntity || fieldError(res, "contact") == "" {
		t.Fatalf("a member's phone accepted as the group's contact: %d", res.StatusCode)
	}
	if n := countRows(t, e, `SELECT count(*) FROM group_profiles`); n != 0 {
		t.Fatalf("refused input stored %d revisions", n)
	}

	grp.post("/group/profile", profileValues(tok)).wantStatus(t, http.StatusSeeOther)
	pending := grp.get("/group/profile")
	if !strings.Contains(pending.Doc.Find("#profile-status").Text(), "確認待ち") {
		t.Fatalf("the group does not see its change pending: %q", pending.Doc.Find("#profile-status").Text())
	}
	if visitor.get(groupPath).StatusCode != http.StatusNotFound {
		t.Fatal("the group is public before approval")
	}
	itemID, version := profileItem(t, e, mod, g.ID)
	// Resubmitting before the decision replaces the text and moves the version on.
	again := profileValues(tok)
	again.Set("description", "子ども食堂です。学習支援も始めました。")
	grp.post("/group/profile", again).wantStatus(t, http.StatusSeeOther)
	if n := countRows(t, e, `SELECT count(*) FROM group_profiles`); n != 1 {
		t.Fatalf("revisions after a resubmission: %d, want 1", n)
	}
	if stale := mod.post(fmt.Sprintf("/moderation/items/%d", itemID), url.Values{"_csrf": {mod.token()}, "version": {version}, "action": {"approve"}}, hx, "true"); stale.StatusCode != http.StatusOK ||
		visitor.get(groupPath).StatusCode != http.StatusNotFound {
		t.Fatal("a decision on the text before the resubmission took effect")
	}
	itemID, version = profileItem(t, e, mod, g.ID)
	queue := mod.get("/moderation")
	if !strings.Contains(queue.Doc.Find(fmt.Sprintf("#item-%d", itemID)).Text(), "学習支援") {
		t.Fatal("the queue does not show the resubmitted text")
	}

	// Rejected with a reason: the group sees why; nothing is public.
	rej := mod.post(fmt.Sprintf("/moderation/items/%d", itemID), url.Values{"_csrf": {mod.token()}, "version": {version},
		"action": {"reject"}, "reason": {"privacy"}, "message": {"活動場所の書き方を見直してください。"}}, hx, "true")
	rej.wantStatus(t, http.StatusOK)
	back := grp.get("/group/profile")
	if st := back.Doc.Find("#profile-status").Text(); !strings.Contains(st, "差し戻し") || !strings.Contains(st, "活動場所の書き方を見直してください") {
		t.Fatalf("rejection not shown to the group: %q", st)
	}
	if back.Doc.Find(`textarea[name="description"]`).Text() != "子ども食堂です。学習支援も始めました。" {
		t.Fatal("the form does not go on from the rejected text")
	}
	if visitor.get(groupPath).StatusCode != http.StatusNotFound {
		t.Fatal("public after a rejection")
	}

	// Resubmitted and approved inline: public, listed, linked from its event.
	grp.post("/group/profile", again).wantStatus(t, http.StatusSeeOther)
	itemID, version = profileItem(t, e, mod, g.ID)
	ok := mod.post(fmt.Sprintf("/moderation/items/%d", itemID), url.Values{"_csrf": {mod.token()}, "version": {version}, "action": {"approve"}}, hx, "true")
	ok.wantStatus(t, http.StatusOK)
	if !strings.Contains(ok.Doc.Find("#item-"+strconv.FormatInt(itemID, 10)+"-done").Text(), "承認しました") {
		t.Fatalf("inline approval did not answer the item: %s", ok.Body)
	}
	live := visitor.get(groupPath)
	live.wantStatus(t, http.StatusOK)
	if !strings.Contains(live.Doc.Find("main").Text(), "学習支援も始めました") || !strings.Contains(live.Doc.Find("main").Text(), "yotsuya-shokudo@example.org") {
		t.Fatal("the approved profile is not shown")
	}
	link := live.Doc.Find("#group-links a")
	if href, _ := link.Attr("href"); !strings.HasPrefix(href, "/leave?") || !strings.Contains(href, "sig=") {
		t.Fatalf("the group's link does not go through the signed /leave: %q", href)
	}
	if live.Doc.Find(`a[href="/inquiry?group=`+strconv.FormatInt(g.ID, 10)+`"]`).Length() != 1 {
		t.Fatal("no inquiry link on the group page")
	}
	if !strings.Contains(live.Doc.Find("#group-events").Parent().Text(), "夏休みこども食堂") {
		t.Fatal("the group page does not list its event")
	}
	if !strings.Contains(visitor.get("/groups").Body, "四谷こども食堂") {
		t.Fatal("approved group not listed")
	}
	if visitor.get("/events/"+strconv.FormatInt(ev.ID, 10)).Doc.Find(`a[href="`+groupPath+`"]`).Length() != 1 {
		t.Fatal("the event does not link to its now public group")
	}

	// A later change waits; the live profile stays until it is approved.
	later := profileValues(tok)
	later.Set("description", "新しい紹介文です。")
	grp.post("/group/profile", later).wantStatus(t, http.StatusSeeOther)
	still := visitor.get(groupPath)
	if !strings.Contains(still.Body, "学習支援も始めました") || strings.Contains(still.Body, "新しい紹介文です") {
		t.Fatal("the live profile changed before approval")
	}
	var actions int
	if err := e.db.Bun.NewRaw(`SELECT count(*) FROM access_history WHERE account_id = ? AND action = ?`, gacc.ID, db.ActionGroupProfile).Scan(ctx, &actions); err != nil {
		t.Fatal(err)
	}
	if actions != 4 {
		t.Fatalf("access history of profile submissions: %d, want 4", actions)
	}
}

// TestGroupProfileEscalated: a change the moderator referred to the ward
// cannot be changed under the ward's eyes; the group is told so.
func TestGroupProfileEscalated(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	gacc, g := e.groupAccount(dbtest.GroupOptions{Login: "G7200001", Name: "戸塚の会"})
	e.staffAccount("mod-x", db.RoleModerator)
	grp, mod := e.client(), e.client()
	grp.signIn(gacc.LoginID, "group-password-1").wantStatus(t, http.StatusSeeOther)
	mod.signIn("mod-x", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	tok := grp.token()
	grp.post("/group/profile", profileValues(tok)).wantStatus(t, http.StatusSeeOther)
	itemID, version := profileItem(t, e, mod, g.ID)
	mod.post(fmt.Sprintf("/moderation/items/%d", itemID), url.Values{"_csrf": {mod.token()}, "version": {version},
		"action": {"escalate"}, "note": {"区に確認します"}}, hx, "true").wantStatus(t, http.StatusOK)
	res := grp.post("/group/profile", profileValues(tok))
	res.wantStatus(t, http.StatusConflict)
	if fieldError(res, "description") == "" || res.Doc.Find(`input[name="summary"]`).AttrOr("value", "") == "" {
		t.Fatal("the group is not told, or its text is lost")
	}
}

// TestGroupDirectorySearch: the directory finds groups by one- and
// two-character Japanese words (the board's grams), filters by field, area
// and day, and pages by name keeping the filter.
func TestGroupDirectorySearch(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	mod := e.staffAccount("mod-s", db.RoleModerator)
	mk := func(i int, name, desc string, fields, areas, days []string) {
		acc, _ := e.groupAccount(dbtest.GroupOptions{Login: fmt.Sprintf("G73%05d", i), Name: name})
		approveProfile(t, e, acc, mod, db.ProfileContent{Description: desc, Fields: fields, Areas: areas, Days: days})
	}
	mk(1, "落合茶道の会", "茶道を楽しむ会です。", []string{"culture"}, []string{"ochiai1"}, []string{"wed"})
	mk(2, "戸塚子ども将棋クラブ", "子どもたちが将棋で遊びます。", []string{"children"}, []string{"totsuka"}, []string{"sat", "sun"})
	mk(3, "大久保防災ネット", "まちの防災訓練を続けています。", []string{"safety"}, []string{"okubo"}, []string{"sun"})
	for i := 10; i < 10+db.GroupPageSize; i++ {
		mk(i, fmt.Sprintf("清掃ボランティア%02d", i), "公園の清掃をします。", []string{"environment"}, []string{"all"}, []string{"sat"})
	}
	c := e.client()
	names := func(res *response) []string {
		var out []string
		res.Doc.Find("#groups li a.title").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"q=" + url.QueryEscape("茶"), []string{"落合茶道の会"}},                    // one character
		{"q=" + url.QueryEscape("将棋"), []string{"戸塚子ども将棋クラブ"}},               // two characters
		{"q=" + url.QueryEscape("こども"), nil},                                 // hiragana こども is not 子ども
		{"q=" + url.QueryEscape("ｼｮｳｷﾞ"), nil},                               // half-width katakana folds, but matches nothing here
		{"q=" + url.QueryEscape("防災") + "&area=okubo", []string{"大久保防災ネット"}}, // words and area
		{"field=children", []string{"戸塚子ども将棋クラブ"}},
		{"day=sun", []string{"大久保防災ネット", "戸塚子ども将棋クラブ"}},
		{"day=wed&field=culture&area=ochiai1", []string{"落合茶道の会"}},
		{"area=ochiai2", nil},
	} {
		res := c.get("/groups?" + tc.query)
		res.wantStatus(t, http.StatusOK)
		if got := names(res); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("/groups?%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	// Paged by name, the filter kept in the next page's link.
	first := c.get("/groups?day=sat")
	if n := len(names(first)); n != db.GroupPageSize {
		t.Fatalf("first page: %d groups, want %d", n, db.GroupPageSize)
	}
	next, ok := first.Doc.Find(`a[rel="next"]`).Attr("href")
	if !ok || !strings.Contains(next, "day=sat") {
		t.Fatalf("next page link %q does not keep the filter", next)
	}
	second := c.get(next)
	if got := names(second); len(got) != 1 {
		t.Fatalf("second page: %v, want the last one", got)
	}
	// A choice not on the ward's lists is ignored, not an error.
	if res := c.get("/groups?field=nonsense"); res.StatusCode != http.StatusOK || len(names(res)) != db.GroupPageSize {
		t.Fatalf("unknown field: %d", res.StatusCode)
	}
}

// TestGroupInquiryInbox: a resident asks a public group from its page; the
// group answers from the portal and the answer reaches the resident through
// SMTP, and neither side ever sees the other's address. Another group
// cannot open it, divisions' staff do not list it, every view is audited.
func TestGroupInquiryInbox(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	mod := e.staffAccount("mod-i", db.RoleModerator)
	gacc, g := e.groupAccount(dbtest.GroupOptions{Login: "G7400001", Name: "柏木ウォーキングの会"})
	approveProfile(t, e, gacc, mod, db.ProfileContent{Description: "歩く会です。", Fields: []string{"health"}, Areas: []string{"kashiwagi"},
		Contact: "walk@kashiwagi.example.org"})
	other, _ := e.groupAccount(dbtest.GroupOptions{Login: "G7400002", Name: "ほかの会"})
	_, hidden := e.groupAccount(dbtest.GroupOptions{Login: "G7400003", Name: "未公開の会"})
	_, _, staffA, _ := inquiryDivisions(t, e)

	resident := e.client()
	if res := resident.get("/inquiry?group=" + strconv.FormatInt(hidden.ID, 10)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("inquiry to an unpublished group: %d, want 404", res.StatusCode)
	}
	path := "/inquiry?group=" + strconv.FormatInt(g.ID, 10)
	form := resident.get(path)
	form.wantStatus(t, http.StatusOK)
	if !strings.Contains(form.Doc.Find("main").Text(), "柏木ウォーキングの会") || form.Doc.Find(`input[name="phone"]`).Length() != 0 ||
		form.Doc.Find(`select[name="division"]`).Length() != 0 {
		t.Fatal("the form does not name the group, or asks for a phone or a division")
	}
	v := inquiryValues(resident, form)
	v.Set("subject", "見学したい")
	v.Set("body", "次回の活動を見学できますか。")
	resident.post(path, v).wantStatus(t, http.StatusOK)
	if n := countRows(t, e, `SELECT count(*) FROM inquiries WHERE group_id = ? AND division_id IS NULL AND phone = ''`, g.ID); n != 1 {
		t.Fatalf("inquiries in the group's inbox: %d", n)
	}
	var id int64
	if err := e.db.Bun.NewRaw(`SELECT id FROM inquiries`).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	detail := "/group/inquiries/" + strconv.FormatInt(id, 10)

	grp, otherGrp := e.client(), e.client()
	grp.signIn(gacc.LoginID, "group-password-1").wantStatus(t, http.StatusSeeOther)
	otherGrp.signIn(other.LoginID, "group-password-1").wantStatus(t, http.StatusSeeOther)
	inbox := grp.get("/group/inquiries")
	inbox.wantStatus(t, http.StatusOK)
	if inbox.Doc.Find(`#inquiries a[href="`+detail+`"]`).Length() != 1 || strings.Contains(inbox.Body, "中野 花子") {
		t.Fatal("inbox: inquiry missing, or the resident's name listed")
	}
	if otherGrp.get("/group/inquiries").Doc.Find("#inquiries li").Length() != 0 {
		t.Fatal("another group's inbox lists it")
	}
	if res := otherGrp.get(detail); res.StatusCode != http.StatusForbidden {
		t.Fatalf("another group opens it: %d", res.StatusCode)
	}
	if res := otherGrp.post(detail+"/answer", url.Values{"_csrf": {otherGrp.token()}, "text": {"横取り"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("another group answers it: %d", res.StatusCode)
	}
	if staffA.get("/staff/inquiries").Doc.Find("#inquiries li").Length() != 0 {
		t.Fatal("a division's inbox lists the group's inquiry")
	}
	if res := staffA.get("/staff/inquiries/" + strconv.FormatInt(id, 10)); res.StatusCode != http.StatusForbidden {
		t.Fatalf("division staff open the group's inquiry: %d", res.StatusCode)
	}
	view := grp.get(detail)
	view.wantStatus(t, http.StatusOK)
	if !strings.Contains(view.Doc.Find("#inquirer").Text(), "中野 花子") || strings.Contains(view.Body, "hanako@example.jp") {
		t.Fatal("the group does not see the name, or sees the address")
	}
	if n := countRows(t, e, `SELECT count(*) FROM audit_log WHERE action = 'view' AND actor_id = ? AND actor_role = 'group' AND detail = ?`,
		gacc.ID, "inquiry "+strconv.FormatInt(id, 10)); n != 1 {
		t.Fatalf("audit entries of the group's view: %d", n)
	}
	tok := grp.token()
	grp.post(detail+"/note", url.Values{"_csrf": {tok}, "text": {"代表に確認"}}).wantStatus(t, http.StatusSeeOther)
	empty := grp.post(detail+"/answer", url.Values{"_csrf": {tok}, "text": {""}})
	empty.wantStatus(t, http.StatusUnprocessableEntity)
	grp.post(detail+"/answer", url.Values{"_csrf": {tok}, "text": {"毎週日曜日に見学できます。"}}).wantStatus(t, http.StatusSeeOther)

	mails := e.deliverOutbox()
	if len(mails) != 2 {
		t.Fatalf("delivered %d mails, want the receipt and the answer", len(mails))
	}
	for _, m := range mails {
		if m.To != "hanako@example.jp" {
			t.Fatalf("mail to %q", m.To)
		}
		if strings.Contains(m.Body, gacc.LoginID) || strings.Contains(m.Body, "代表に確認") {
			t.Fatalf("mail leaks the group's account or its note:\n%s", m.Body)
		}
	}
	if !strings.Contains(mails[0].Body, "柏木ウォーキングの会") {
		t.Fatalf("receipt does not name the group:\n%s", mails[0].Body)
	}
	if b := mails[1].Body; !strings.Contains(b, "毎週日曜日に見学できます") || !strings.Contains(b, "walk@kashiwagi.example.org") || !strings.Contains(b, "柏木ウォーキングの会") {
		t.Fatalf("answer as delivered:\n%s", b)
	}
	grp.post(detail+"/close", url.Values{"_csrf": {tok}}).wantStatus(t, http.StatusSeeOther)
	final := grp.get(detail)
	if hist := final.Doc.Find("#inquiry-history li"); hist.Length() != 4 || !strings.Contains(hist.Eq(2).Text(), "柏木ウォーキングの会") {
		t.Fatalf("history lines: %d, want received, note, answer, closed, the group naming its own:\n%s", hist.Length(), hist.Text())
	}
	if grp.get("/group/inquiries?status=closed").Doc.Find("#inquiries li").Length() != 1 {
		t.Fatal("status filter: the closed inquiry is missing")
	}
}

// groupImage stores a small PNG with its alternative text for the group acc.
func groupImage(t *testing.T, e *testEnv, acc *db.Account, alt string) *db.GroupImage {
	t.Helper()
	f, err := upload.Inspect("活動.png", uploadtest.PNG(20, 20))
	if err != nil {
		t.Fatal(err)
	}
	img := &db.GroupImage{Filename: f.Name, ContentType: f.ContentType, Size: int64(len(f.Data)), SHA256: f.SHA256,
		Data: f.Data, Width: f.Width, Height: f.Height, Alt: alt, DataSmall: f.Small, SmallType: f.SmallType}
	if err := e.db.AddGroupImage(context.Background(), db.Actor{Account: acc, Role: db.KindGroup}, img); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestGroupImages: a group uploads a photo with its required alternative
// text (a missing text or a file that is no image is refused beside its
// field); the photo is the group's and the moderators' until a live
// profile shows it, then everyone's, shown with its text.
func TestGroupImages(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	gacc, g := e.groupAccount(dbtest.GroupOptions{Login: "G7500001", Name: "落合写真クラブ"})
	e.staffAccount("mod-p", db.RoleModerator)
	grp, mod, visitor := e.client(), e.client(), e.client()
	grp.signIn(gacc.LoginID, "group-password-1").wantStatus(t, http.StatusSeeOther)
	mod.signIn("mod-p", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	png := uploadtest.PNG(40, 30)

	noAlt := grp.upload("/group/profile/images", "", "photo.png", "image/png", png)
	noAlt.wantStatus(t, http.StatusUnprocessableEntity)
	if fieldError(noAlt, "alt") == "" {
		t.Fatal("a photo without alternative text accepted")
	}
	text := grp.upload("/group/profile/images", "説明", "notes.txt", "text/plain", []byte("ただの文章です。\n"))
	text.wantStatus(t, http.StatusUnprocessableEntity)
	if fieldError(text, "file") == "" {
		t.Fatal("a text file accepted as a photo")
	}
	grp.upload("/group/profile/images", "川辺で撮影する会員たち", "photo.png", "image/png", png).wantStatus(t, http.StatusSeeOther)
	var imgID int64
	if err := e.db.Bun.NewRaw(`SELECT id FROM group_images WHERE group_id = ?`, g.ID).Scan(context.Background(), &imgID); err != nil {
		t.Fatal(err)
	}
	imgPath := fmt.Sprintf("/groups/%d/images/%d", g.ID, imgID)
	if res := visitor.get(imgPath); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a visitor opens the unpublished photo: %d", res.StatusCode)
	}
	if res := grp.get(imgPath); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" ||
		!strings.Contains(res.Header.Get("Cache-Control"), "private") {
		t.Fatalf("the group's own photo: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	page := grp.get("/group/profile")
	if page.Doc.Find(fmt.Sprintf(`#group-images img[src="%s"][alt="川辺で撮影する会員たち"]`, imgPath)).Length() != 1 {
		t.Fatal("the profile page does not show the photo with its text")
	}
	v := profileValues(page.csrfToken(t))
	v.Set("images", strconv.FormatInt(imgID, 10))
	grp.post("/group/profile", v).wantStatus(t, http.StatusSeeOther)
	itemID, version := profileItem(t, e, mod, g.ID)
	queue := mod.get("/moderation")
	if queue.Doc.Find(fmt.Sprintf(`#item-%d img[alt="川辺で撮影する会員たち"]`, itemID)).Length() != 1 {
		t.Fatal("the moderator does not see the photo and its text")
	}
	if res := mod.get(imgPath); res.StatusCode != http.StatusOK {
		t.Fatalf("the moderator cannot open the photo under review: %d", res.StatusCode)
	}
	mod.post(fmt.Sprintf("/moderation/items/%d", itemID), url.Values{"_csrf": {mod.token()}, "version": {version}, "action": {"approve"}}, hx, "true").wantStatus(t, http.StatusOK)
	res := visitor.get(imgPath)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("the live photo: %d %s", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if visitor.get(fmt.Sprintf("/groups/%d", g.ID)).Doc.Find(fmt.Sprintf(`img[src="%s"][alt="川辺で撮影する会員たち"]`, imgPath)).Length() != 1 {
		t.Fatal("the group page does not show the photo with its text")
	}
	// Another group's photo id under this group's address is not found.
	other, _ := e.groupAccount(dbtest.GroupOptions{Login: "G7500002", Name: "ほかの会"})
	otherImg := groupImage(t, e, other, "ほかの写真")
	if res := grp.get(fmt.Sprintf("/groups/%d/images/%d", g.ID, otherImg.ID)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another group's photo under this group: %d", res.StatusCode)
	}
}
