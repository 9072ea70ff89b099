package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

// A member's data file holds their profile, sign-ups, posts in every state,
// access history, calendar feed and the audit entries about them — and
// nobody else's data, no staff member's identity, no secret.
func TestMemberDownloadsTheirData(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	ctx := context.Background()

	ev := b.publishedEvent(10, 0)
	b.alice.post(fmt.Sprintf("/events/%d/signup", ev.ID), url.Values{"_csrf": {b.alice.token()}}, hx, "true").
		wantStatus(t, http.StatusOK)
	rejected := b.postTopic(b.alice, "ありすの話題", "<b>電話</b> & 住所")
	itemID, version := b.item(b.mod1, rejected)
	b.decide(b.mod1, itemID, version, "action", "reject", "reason", "privacy", "message", "電話番号は載せないでください").
		wantStatus(t, http.StatusOK)
	pending := b.postTopic(b.alice, "審査待ちの話題", "まだ審査中です")
	bobs := b.postTopic(b.bob, "ぼぶの話題", "ぼぶの本文")
	bobItem, bobVersion := b.item(b.mod1, bobs)
	b.decide(b.mod1, bobItem, bobVersion, "action", "approve").wantStatus(t, http.StatusOK)
	b.alice.post(fmt.Sprintf("/board/posts/%d/report", bobs), url.Values{"_csrf": {b.alice.token()}, "reason": {"個人が特定できます"}}).
		wantStatus(t, http.StatusSeeOther)
	b.bob.get("/account/history").wantStatus(t, http.StatusOK)
	made := b.alice.post("/account/calendar", url.Values{"_csrf": {b.alice.token()}})
	made.wantStatus(t, http.StatusOK)
	feedURL, _ := made.Doc.Find("#calendar-url").Attr("value")
	feedToken := strings.TrimSuffix(feedURL[strings.LastIndex(feedURL, "/")+1:], ".ics")
	if len(feedToken) < 20 {
		t.Fatalf("calendar address %q", feedURL)
	}
	b.ward.get(fmt.Sprintf("/staff/members/%d", b.aliceAcc.ID)).wantStatus(t, http.StatusOK)

	// The account page offers the file to members only.
	if b.alice.get("/account").Doc.Find(`#my-data ~ p a[href="/account/data"][download]`).Length() != 1 {
		t.Error("/account has no data download link")
	}
	if b.ward.get("/account").Doc.Find("#my-data").Length() != 0 {
		t.Error("a staff member is offered a data download")
	}

	// A password-reset mail: its link must not leave in the file.
	if err := db.EnqueueMail(ctx, b.db.Bun, &db.Mail{To: "m2000001@example.jp", Subject: "パスワードの再設定",
		Body: "https://portal.example/reset/SECRET-RESET-TOKEN", Kind: "reset", AccountID: &b.aliceAcc.ID}); err != nil {
		t.Fatal(err)
	}
	res := b.alice.get("/account/data")
	res.wantStatus(t, http.StatusOK)
	wantName := fmt.Sprintf(`attachment; filename="portal-data-M2000001-%s.json"`, time.Now().In(i18n.JST).Format("20060102"))
	if got := res.Header.Get("Content-Disposition"); got != wantName {
		t.Errorf("Content-Disposition %q, want %q", got, wantName)
	}
	if res.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("headers %v", res.Header)
	}
	// Pretty-printed UTF-8, readable as it is.
	if !strings.HasPrefix(res.Body, "{\n  \"generated_at\": ") || !strings.Contains(res.Body, "<b>電話</b> & 住所") {
		t.Errorf("not pretty-printed UTF-8:\n%.300s", res.Body)
	}
	if !regexp.MustCompile(`"registered_at": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00"`).MatchString(res.Body) {
		t.Errorf("times are not RFC 3339 in Japan time:\n%.600s", res.Body)
	}

	var data db.MemberData
	if err := json.Unmarshal([]byte(res.Body), &data); err != nil {
		t.Fatal(err)
	}
	if a := data.Account; a.LoginID != "M2000001" || a.HandleName != "ありす" || a.Status != db.StatusActive ||
		a.RegisteredAt.IsZero() || a.LastLoginAt == nil {
		t.Errorf("account %+v", a)
	}
	if p := data.Profile; p == nil || p.Name != "区民 ありす" || p.Email != "m2000001@example.jp" || p.TermsVersion != "2026-04" {
		t.Errorf("profile %+v", p)
	}
	if s := data.Signups; len(s) != 1 || s[0].EventTitle != "防災訓練" || s[0].Status != db.SignupConfirmed ||
		!s[0].EventStarts.Equal(ev.StartsAt.Truncate(time.Second)) || s[0].CancelledAt != nil {
		t.Errorf("sign-ups %+v", s)
	}
	posts := map[int64]db.DataPost{}
	for _, p := range data.Posts {
		posts[p.ID] = p
	}
	if p := posts[rejected]; len(posts) != 2 || p.Status != db.PostRejected || p.ModerationStatus != db.ItemRejected ||
		p.ModerationReason != "privacy" || p.ModerationMessage != "電話番号は載せないでください" || p.ModeratedAt == nil {
		t.Errorf("posts %+v", data.Posts)
	}
	if p := posts[pending]; p.Status != db.PostPending || p.ModerationStatus != db.ItemOpen || p.Category != "まちの話題" {
		t.Errorf("pending post %+v", p)
	}
	if r := data.Reports; len(r) != 1 || r[0].PostID != bobs || r[0].Reason != "個人が特定できます" {
		t.Errorf("reports %+v", r)
	}
	actions := map[string]bool{}
	for _, h := range data.AccessHistory {
		actions[h.Action] = true
	}
	for _, a := range []string{db.ActionLogin, db.ActionSignUp, db.ActionPostSubmit, db.ActionCalendarFeedCreate, db.ActionDataDownload} {
		if !actions[a] {
			t.Errorf("access history lacks %s: %+v", a, data.AccessHistory)
		}
	}
	if c := data.CalendarFeed; !c.Active || c.CreatedAt == nil {
		t.Errorf("calendar feed %+v", c)
	}
	mails := map[string]db.DataMail{}
	for _, m := range data.Mails {
		mails[m.Kind] = m
	}
	if m, ok := mails["post_rejected"]; !ok || !strings.Contains(m.Body, "電話番号は載せないでください") || m.To != "m2000001@example.jp" {
		t.Errorf("mails %+v", data.Mails)
	}
	if m, ok := mails["reset"]; !ok || m.Body != "" || m.Subject != "パスワードの再設定" {
		t.Errorf("reset mail %+v", m)
	}
	if au := data.Audit; len(au) != 1 || au[0].Role != db.RoleWardStaff || au[0].Action != db.AuditView || len(au[0].Fields) == 0 {
		t.Errorf("audit entries %+v", au)
	}

	// Nobody else's data, no staff identity, no secret.
	for _, s := range []string{"SECRET-RESET-TOKEN", "M2000002", "ぼぶ", "m2000002@example.jp", "ward1", "職員", "mod1", feedToken, tokenHash(feedToken),
		b.aliceAcc.PasswordHash} {
		if strings.Contains(res.Body, s) {
			t.Errorf("the file contains %q", s)
		}
	}

	// The download is on the member's access history.
	n, err := b.db.Bun.NewSelect().Model((*db.AccessEvent)(nil)).
		Where("account_id = ? AND action = ?", b.aliceAcc.ID, db.ActionDataDownload).Count(ctx)
	if err != nil || n != 1 {
		t.Errorf("%d data_download entries (%v), want 1", n, err)
	}
	if !strings.Contains(b.alice.get("/account/history").Body, "登録情報のダウンロード") {
		t.Error("the history page does not name the download")
	}

	// Members only: a visitor is sent to sign in, staff are refused.
	visitor := b.client().get("/account/data")
	if visitor.StatusCode != http.StatusSeeOther || visitor.Header.Get("Location") != "/login?next=%2Faccount%2Fdata" {
		t.Errorf("visitor: %d %s", visitor.StatusCode, visitor.Header.Get("Location"))
	}
	b.ward.get("/account/data").wantStatus(t, http.StatusForbidden)
	b.mod1.get("/account/data").wantStatus(t, http.StatusForbidden)
}
