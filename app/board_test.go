package app

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
)

// boardEnv is a server with a category, two members, two moderators and ward staff, each signed in.
type boardEnv struct {
	*testEnv
	cat                            int64
	alice, bob, mod1, mod2, ward   *testEnv
	aliceAcc, bobAcc, mod1Acc, wAc *db.Account
}

func newBoardEnv(t *testing.T) *boardEnv {
	t.Helper()
	e := newTestEnv(t)
	return boardEnvOn(t, e)
}

func boardEnvOn(t *testing.T, e *testEnv) *boardEnv {
	t.Helper()
	b := &boardEnv{testEnv: e}
	cat := &db.BoardCategory{Slug: "town", NameJa: "まちの話題", NameEn: "Town"}
	if err := e.db.SaveBoardCategory(context.Background(), cat); err != nil {
		t.Fatal(err)
	}
	b.cat = cat.ID
	b.aliceAcc = e.memberAccount("M2000001", "ありす")
	b.bobAcc = e.memberAccount("M2000002", "ぼぶ")
	b.alice, b.bob = e.client(), e.client()
	b.alice.signIn("M2000001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	b.bob.signIn("M2000002", "member-password-1").wantStatus(t, http.StatusSeeOther)
	b.mod1Acc = e.staffAccount("mod1", db.RoleModerator)
	e.staffAccount("mod2", db.RoleModerator)
	b.wAc = e.staffAccount("ward1", db.RoleWardStaff)
	b.mod1, b.mod2, b.ward = e.client(), e.client(), e.client()
	b.mod1.signIn("mod1", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	b.mod2.signIn("mod2", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	b.ward.signIn("ward1", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	return b
}

const hx = "HX-Request"

// postTopic posts a topic inline from the board page and returns its id.
func (b *boardEnv) postTopic(c *testEnv, title, body string) int64 {
	b.t.Helper()
	res := c.post("/board", url.Values{"_csrf": {c.token()}, "inline": {"1"}, "category": {strconv.FormatInt(b.cat, 10)},
		"title": {title}, "body": {body}}, hx, "true")
	res.wantStatus(b.t, http.StatusOK)
	id, ok := res.Doc.Find("[hx-swap-oob] li[id^='topic-']").Attr("id")
	if !ok {
		b.t.Fatalf("no pending topic in the answer: %s", res.Body)
	}
	n, _ := strconv.ParseInt(strings.TrimPrefix(id, "topic-"), 10, 64)
	return n
}

// item finds the open queue item of a post as a moderator sees it: its id and version.
func (b *boardEnv) item(c *testEnv, postID int64) (id int64, version string) {
	b.t.Helper()
	q, err := b.db.ModerationQueue(context.Background(), []string{db.ItemOpen, db.ItemEscalated}, 100)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, e := range q {
		if e.Post != nil && e.Post.ID == postID {
			res := c.get("/moderation")
			v, ok := res.Doc.Find(fmt.Sprintf("#item-%d input[name=version]", e.Item.ID)).Attr("value")
			if !ok {
				b.t.Fatalf("item %d is not on the queue page", e.Item.ID)
			}
			return e.Item.ID, v
		}
	}
	b.t.Fatalf("post %d is not in the queue", postID)
	return 0, ""
}

func (b *boardEnv) decide(c *testEnv, itemID int64, version string, kv ...string) *response {
	b.t.Helper()
	v := url.Values{"_csrf": {c.token()}, "version": {version}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return c.post(fmt.Sprintf("/moderation/items/%d", itemID), v, hx, "true")
}

func TestPostingIsPreModerated(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	visitor := b.client()

	// Visitors are sent to sign in; staff are told only members and groups post.
	if res := visitor.get("/board/new"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("visitor on /board/new: %d", res.StatusCode)
	}
	if res := visitor.get("/board"); !strings.Contains(res.Body, "/login?next=") {
		t.Error("the board does not invite a visitor to sign in to post")
	}

	// Bad input: the error sits next to the field and what was typed stays.
	res := b.alice.post("/board", url.Values{"_csrf": {b.alice.token()}, "category": {strconv.FormatInt(b.cat, 10)},
		"title": {"　"}, "body": {"日曜に清掃します。\n集合は公園"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-title[aria-invalid=true]").Length() != 1 || res.Doc.Find("#f-title-error").Length() != 1 ||
		res.Doc.Find("#f-body").Text() != "日曜に清掃します。\n集合は公園" || res.Doc.Find("#f-category option[selected]").Length() != 1 {
		t.Errorf("invalid post lost input or error: %s", res.Doc.Find("form#topic-form").Text())
	}
	res = b.alice.post("/board", url.Values{"_csrf": {b.alice.token()}, "inline": {"1"}, "title": {"題"}, "body": {""}}, hx, "true")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if strings.Contains(res.Body, "<html") || res.Doc.Find("#f-category-error").Length() != 1 || res.Doc.Find("#f-body-error").Length() != 1 {
		t.Errorf("inline invalid post: %s", res.Body)
	}

	// A valid post waits: only its author sees it, marked, in place.
	id := b.postTopic(b.alice, "公園の清掃", "日曜に清掃します。連絡は03-1234-5678へ")
	page := b.alice.get("/board")
	if page.Doc.Find(fmt.Sprintf("#topic-%d .badge.pending", id)).Length() != 1 {
		t.Error("the author does not see the pending topic marked on the board")
	}
	if strings.Contains(visitor.get("/board").Body, "公園の清掃") || strings.Contains(b.bob.get("/board").Body, "公園の清掃") {
		t.Error("a pending topic is listed to others")
	}
	visitor.get(fmt.Sprintf("/board/%d", id)).wantStatus(t, http.StatusNotFound)
	b.bob.get(fmt.Sprintf("/board/%d", id)).wantStatus(t, http.StatusNotFound)
	b.alice.get(fmt.Sprintf("/board/%d", id)).wantStatus(t, http.StatusOK)

	// The moderator sees it with the pre-check's flag and approves inline.
	q := b.mod1.get("/moderation")
	itemSel := q.Doc.Find(".queue-item").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), "公園の清掃")
	})
	if itemSel.Length() != 1 || !strings.Contains(itemSel.Find(".flags").Text(), "03-1234-5678") {
		t.Fatalf("the queue does not show the item with its flag: %s", q.Doc.Find("main").Text())
	}
	if strings.Contains(q.Body, "M2000001") || strings.Contains(q.Body, "区民 ありす") {
		t.Error("the queue shows the author's personal data")
	}
	itemID, version := b.item(b.mod1, id)
	res = b.decide(b.mod1, itemID, version, "action", "approve")
	res.wantStatus(t, http.StatusOK)
	// Both significant actions are in the access histories.
	if !strings.Contains(b.alice.get("/account/history").Body, "掲示板への投稿") {
		t.Error("the author's access history lacks the post")
	}
	if !strings.Contains(b.mod1.get("/account/history").Body, "投稿の審査") {
		t.Error("the moderator's access history lacks the decision")
	}
	if res.Doc.Find(fmt.Sprintf("#item-%d-done[role=status]", itemID)).Length() != 1 {
		t.Errorf("inline approval answer: %s", res.Body)
	}

	// Public now, with the handle name only; the author is mailed.
	pub := visitor.get(fmt.Sprintf("/board/%d", id))
	pub.wantStatus(t, http.StatusOK)
	if !strings.Contains(pub.Body, "ありす") || strings.Contains(pub.Body, "M2000001") || strings.Contains(pub.Body, "区民 ありす") {
		t.Error("a published topic shows more than the handle name")
	}
	if !strings.Contains(visitor.get("/board").Body, "公園の清掃") {
		t.Error("the approved topic is not on the board")
	}
	mails, err := b.db.ListMail(context.Background(), db.Cursor{}, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails.Items) == 0 || mails.Items[0].To != "m2000001@example.jp" || mails.Items[0].Kind != "post_published" {
		t.Errorf("no publication mail to the author: %+v", mails.Items)
	}

	// A reply waits too and shows in place, marked, for its author only.
	res = b.bob.post(fmt.Sprintf("/board/%d/replies", id), url.Values{"_csrf": {b.bob.token()}, "body": {"手伝います"}}, hx, "true")
	res.wantStatus(t, http.StatusOK)
	if res.Doc.Find("[hx-swap-oob='beforeend:#reply-list'] li .badge.pending").Length() != 1 || res.Doc.Find("#reply-form .flash").Length() != 1 {
		t.Errorf("inline reply answer: %s", res.Body)
	}
	if strings.Contains(visitor.get(fmt.Sprintf("/board/%d", id)).Body, "手伝います") {
		t.Error("a pending reply is public")
	}
	if !strings.Contains(b.bob.get(fmt.Sprintf("/board/%d", id)).Body, "手伝います") {
		t.Error("the author does not see their pending reply in place")
	}
}

func TestTwoModeratorsOneItemHTTP(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	id := b.postTopic(b.alice, "題", "本文")
	itemID, version := b.item(b.mod1, id)
	b.decide(b.mod1, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)
	res := b.decide(b.mod2, itemID, version, "action", "reject", "reason", "other", "message", "重複")
	res.wantStatus(t, http.StatusOK)
	if !strings.Contains(res.Body, "職員 mod1さんがすでに承認しました") {
		t.Errorf("the second moderator is not told who handled it: %s", res.Body)
	}
	if p, err := b.db.PublishedPost(context.Background(), id); err != nil || p.Status != db.PostPublished {
		t.Errorf("the post is not published after the first decision: %v", err)
	}
}

func TestRejectionReasonReachesTheAuthor(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	id := b.postTopic(b.alice, "選挙のお願い", "○○候補に一票を")
	itemID, version := b.item(b.mod1, id)

	// No reason: the error is next to the field and the message typed stays.
	res := b.decide(b.mod1, itemID, version, "action", "reject", "message", "選挙運動は掲載できません")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find(fmt.Sprintf("#item-%d-reason-error", itemID)).Length() != 1 ||
		res.Doc.Find(fmt.Sprintf("#item-%d-message", itemID)).Text() != "選挙運動は掲載できません" ||
		res.Doc.Find("details[open]").Length() != 1 {
		t.Errorf("rejection without a reason: %s", res.Body)
	}
	b.decide(b.mod1, itemID, version, "action", "reject", "reason", "political_religious", "message", "選挙運動は掲載できません").
		wantStatus(t, http.StatusOK)

	own := b.alice.get("/account/posts")
	if !strings.Contains(own.Body, "政治・宗教活動") || !strings.Contains(own.Body, "選挙運動は掲載できません") || own.Doc.Find(".badge.rejected").Length() != 1 {
		t.Errorf("the author does not see why: %s", own.Doc.Find("main").Text())
	}
	if home := b.alice.get("/account"); home.Doc.Find("#recent-posts").Length() != 1 || !strings.Contains(home.Body, "政治・宗教活動") {
		t.Error("/account does not tell the author the outcome")
	}
	mails, _ := b.db.ListMail(context.Background(), db.Cursor{}, 5)
	if len(mails.Items) == 0 || mails.Items[0].Kind != "post_rejected" {
		t.Fatalf("no rejection mail: %+v", mails.Items)
	}
	if m, err := b.db.GetMail(context.Background(), mails.Items[0].ID); err != nil || !strings.Contains(m.Body, "選挙運動は掲載できません") || !strings.Contains(m.Body, "政治・宗教活動") {
		t.Errorf("the rejection mail lacks the reason: %v", err)
	}

	// Edit and resubmit: back in the queue as a new item.
	edit := b.alice.get(fmt.Sprintf("/board/posts/%d/edit", id))
	edit.wantStatus(t, http.StatusOK)
	ver, _ := edit.Doc.Find("input[name=version]").Attr("value")
	res = b.alice.post(fmt.Sprintf("/board/posts/%d", id), url.Values{"_csrf": {b.alice.token()}, "version": {ver},
		"title": {"地域の集い"}, "body": {"みんなで集まりましょう"}})
	res.wantStatus(t, http.StatusSeeOther)
	again, _ := b.item(b.mod2, id)
	if again == itemID {
		t.Error("the resubmission did not make a new item")
	}
	// Nothing is silently deleted: the history keeps both rounds.
	hist, err := b.db.SubjectHistory(context.Background(), db.ItemBoardPost, id)
	if err != nil || len(hist) != 3 {
		t.Errorf("history %+v %v", hist, err)
	}
}

func TestEscalationAndReports(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	id := b.postTopic(b.alice, "グレーな話題", "判断が難しい内容")
	itemID, version := b.item(b.mod1, id)
	res := b.decide(b.mod1, itemID, version, "action", "escalate", "note", "")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	b.decide(b.mod1, itemID, version, "action", "escalate", "note", "名誉毀損か判断をお願いします").wantStatus(t, http.StatusOK)
	if b.mod2.get("/moderation").Doc.Find(fmt.Sprintf("#item-%d", itemID)).Length() != 0 {
		t.Error("an escalated item is still in the moderators' queue")
	}
	w := b.ward.get("/moderation")
	if w.Doc.Find(fmt.Sprintf("#queue-escalated #item-%d", itemID)).Length() != 1 || !strings.Contains(w.Body, "名誉毀損か判断をお願いします") {
		t.Fatalf("ward staff do not see the escalation with the note: %s", w.Doc.Find("main").Text())
	}
	_, version = b.item(b.ward, id)
	b.decide(b.ward, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)

	// A member reports the published post: it comes back to the queue.
	rep := b.bob.get(fmt.Sprintf("/board/posts/%d/report", id))
	rep.wantStatus(t, http.StatusOK)
	b.bob.post(fmt.Sprintf("/board/posts/%d/report", id), url.Values{"_csrf": {b.bob.token()}, "reason": {""}}).
		wantStatus(t, http.StatusUnprocessableEntity)
	b.bob.post(fmt.Sprintf("/board/posts/%d/report", id), url.Values{"_csrf": {b.bob.token()}, "reason": {"個人を中傷しています"}}).
		wantStatus(t, http.StatusSeeOther)
	res = b.bob.post(fmt.Sprintf("/board/posts/%d/report", id), url.Values{"_csrf": {b.bob.token()}, "reason": {"再度"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, "すでに報告済み") {
		t.Error("a second report by the same member is not refused clearly")
	}
	q := b.mod1.get("/moderation")
	if !strings.Contains(q.Body, "個人を中傷しています") || !strings.Contains(q.Body, "掲示板の投稿への報告") {
		t.Errorf("the report is not in the queue: %s", q.Doc.Find("main").Text())
	}
	if strings.Contains(q.Body, "ぼぶ") {
		t.Error("the queue names the reporter")
	}
}

// Each board form refuses bad input next to the field it concerns (the
// error tied to it for screen readers) and keeps what was typed.
func TestBoardFormErrorsStayByTheirFields(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	errorOf := func(res *response, field string) string {
		t.Helper()
		in := res.Doc.Find("#" + field)
		if v, _ := in.Attr("aria-invalid"); v != "true" {
			t.Errorf("#%s is not marked invalid: %s", field, res.Doc.Find("main").Text())
		}
		if d, _ := in.Attr("aria-describedby"); !strings.Contains(" "+d+" ", " "+field+"-error ") {
			t.Errorf("#%s is not described by its error: %q", field, d)
		}
		return strings.TrimSpace(res.Doc.Find("#" + field + "-error").Text())
	}

	// A category that is not the board's (a stale page, a crafted form).
	res := b.alice.post("/board", url.Values{"_csrf": {b.alice.token()}, "category": {strconv.FormatInt(b.cat+100, 10)},
		"title": {"公園の清掃"}, "body": {"日曜に集まります"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := errorOf(res, "f-category"); got != "カテゴリを選んでください。" {
		t.Errorf("category error %q", got)
	}
	if v, _ := res.Doc.Find("#f-title").Attr("value"); v != "公園の清掃" || res.Doc.Find("#f-body").Text() != "日曜に集まります" {
		t.Errorf("the typed topic is lost: %q %q", v, res.Doc.Find("#f-body").Text())
	}

	// Reporting one's own post.
	id := b.postTopic(b.alice, "自分の話題", "本文")
	itemID, version := b.item(b.mod1, id)
	b.decide(b.mod1, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)
	res = b.alice.post(fmt.Sprintf("/board/posts/%d/report", id), url.Values{"_csrf": {b.alice.token()}, "reason": {"消したい"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if got := errorOf(res, "f-reason"); got != "自分の投稿は報告できません。編集・取り下げをご利用ください。" || res.Doc.Find("#f-reason").Text() != "消したい" {
		t.Errorf("own report: error %q, text %q", got, res.Doc.Find("#f-reason").Text())
	}

	// An escalation note over the limit, without JavaScript.
	id = b.postTopic(b.alice, "グレーな話題", "本文")
	itemID, version = b.item(b.mod1, id)
	long := strings.Repeat("あ", form.MessageMax+1)
	res = b.mod1.post(fmt.Sprintf("/moderation/items/%d", itemID), url.Values{"_csrf": {b.mod1.token()}, "version": {version},
		"action": {"escalate"}, "note": {long}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	note := fmt.Sprintf("item-%d-note", itemID)
	if got := errorOf(res, note); got != "1,000文字以内で入力してください。" || res.Doc.Find("#"+note).Text() != long {
		t.Errorf("long note: error %q, text kept %v", got, res.Doc.Find("#"+note).Text() == long)
	}
	if res.Doc.Find(fmt.Sprintf("#item-%d-message", itemID)).Text() != "" {
		t.Error("the note also fills the rejection message")
	}
}

func TestWithdrawAPendingPost(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	id := b.postTopic(b.alice, "取り下げる話題", "本文")
	b.bob.post(fmt.Sprintf("/board/posts/%d/withdraw", id), url.Values{"_csrf": {b.bob.token()}}).wantStatus(t, http.StatusNotFound)
	b.alice.post(fmt.Sprintf("/board/posts/%d/withdraw", id), url.Values{"_csrf": {b.alice.token()}}).wantStatus(t, http.StatusSeeOther)
	if strings.Contains(b.mod1.get("/moderation").Body, "取り下げる話題") {
		t.Error("a withdrawn post is still in the queue")
	}
	b.alice.get(fmt.Sprintf("/board/posts/%d/edit", id)).wantStatus(t, http.StatusNotFound)
}

// sseEvent is one event read from a stream.
type sseEvent struct{ id, name, data string }

// openStream reads an event stream in the background until ctx ends.
func openStream(t *testing.T, ctx context.Context, rawURL, lastID string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream %s: %d %s", rawURL, res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 64)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[6:]
			}
		}
	}()
	return out
}

func nextEvent(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// TestLiveAcrossInstances runs two app instances on one database: an
// approval on one reaches a reader of the other, and a reader that
// reconnects gets what it missed, each post exactly once.
func TestLiveAcrossInstances(t *testing.T) {
	t.Parallel()
	one := newBoardEnv(t)
	testLiveAcrossInstances(t, one, newTestEnvDB(t, one.db))
}

// testLiveAcrossInstances is TestLiveAcrossInstances on the instances given
// (TestBehindPgBouncer runs it through PgBouncer).
func testLiveAcrossInstances(t *testing.T, one *boardEnv, two *testEnv) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	approve := func(title string) int64 {
		id := one.postTopic(one.alice, title, "本文")
		itemID, version := one.item(one.mod1, id)
		one.decide(one.mod1, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)
		return id
	}
	// The reader on instance two starts from what its board page says.
	page := two.get("/board")
	src, ok := page.Doc.Find("[sse-connect]").Attr("sse-connect")
	if !ok {
		t.Fatal("the board page has no live stream")
	}
	events := openStream(t, ctx, two.srv.URL+src, "")
	first := approve("一つ目")
	ev := nextEvent(t, events)
	if ev.name != "topic" || !strings.Contains(ev.data, fmt.Sprintf(`id="topic-%d"`, first)) || !strings.Contains(ev.data, "一つ目") {
		t.Fatalf("first event %+v", ev)
	}

	// Disconnect; three more are approved meanwhile; reconnect with the last id.
	cancel()
	var missed []int64
	for _, title := range []string{"二つ目", "三つ目", "四つ目"} {
		missed = append(missed, approve(title))
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	again := openStream(t, ctx2, two.srv.URL+"/board/live", ev.id)
	for _, id := range missed {
		ev := nextEvent(t, again)
		if ev.name != "topic" || !strings.Contains(ev.data, fmt.Sprintf(`id="topic-%d"`, id)) {
			t.Fatalf("replay: want topic %d, got %+v", id, ev)
		}
	}
	last := approve("五つ目")
	if ev := nextEvent(t, again); !strings.Contains(ev.data, fmt.Sprintf(`id="topic-%d"`, last)) {
		t.Fatalf("after the replay: want topic %d once, got %+v", last, ev)
	}
}

// TestQueueIsLive checks a moderator's stream: a new submission arrives as
// an item with its form, and an item handled by someone else is removed.
func TestQueueIsLive(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	page := b.mod2.get("/moderation")
	src, _ := page.Doc.Find("[sse-connect]").Attr("sse-connect")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+src, nil)
	res, err := b.mod2.http.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("moderation stream: %v %v", res, err)
	}
	events := make(chan sseEvent, 16)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && ev.name != "":
				events <- ev
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data += line[6:]
			}
		}
	}()
	id := b.postTopic(b.alice, "ライブの審査", "本文")
	ev := nextEvent(t, events)
	itemID, version := b.item(b.mod1, id)
	if ev.name != "item" || !strings.Contains(ev.data, fmt.Sprintf(`id="item-%d"`, itemID)) || !strings.Contains(ev.data, `name="action"`) {
		t.Fatalf("new item event %+v", ev)
	}
	b.decide(b.mod1, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)
	ev = nextEvent(t, events)
	if !strings.Contains(ev.data, fmt.Sprintf(`id="item-%d"`, itemID)) || !strings.Contains(ev.data, "data-gone") {
		t.Fatalf("handled item event %+v", ev)
	}
	// A visitor cannot open the queue's stream.
	if r := b.client().peek("/moderation/live"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("visitor on the queue stream: %d", r.StatusCode)
	}
}

func TestBoardSettings(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	tok := b.ward.token()
	// A bad slug keeps what was typed and says what is wrong next to the field.
	res := b.ward.post("/staff/board/categories", url.Values{"_csrf": {tok}, "slug": {"お祭り"}, "name_ja": {"お祭り"}, "name_en": {"Festivals"}, "sort_order": {"5"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#cat-0-slug-error").Length() != 1 || res.Doc.Find("#cat-0-name_ja").AttrOr("value", "") != "お祭り" {
		t.Errorf("bad slug: %s", res.Doc.Find("main").Text())
	}
	b.ward.post("/staff/board/categories", url.Values{"_csrf": {tok}, "slug": {"festival"}, "name_ja": {"お祭り"}, "name_en": {"Festivals"}, "sort_order": {"5"}}).
		wantStatus(t, http.StatusSeeOther)
	res = b.ward.post("/staff/board/categories", url.Values{"_csrf": {tok}, "slug": {"festival"}, "name_ja": {"重複"}, "name_en": {"Dup"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Doc.Find("#cat-0-slug-error").Text(), "すでに使われています") {
		t.Error("a taken slug is not refused clearly")
	}
	if !strings.Contains(b.client().get("/board?category=festival").Body, "お祭り") {
		t.Error("the new category is not on the board")
	}

	// A dictionary word flags new posts for the moderator.
	b.mod1.post("/staff/board/words", url.Values{"_csrf": {b.mod1.token()}, "word": {"ネズミ講"}}).wantStatus(t, http.StatusSeeOther)
	res = b.mod1.post("/staff/board/words", url.Values{"_csrf": {b.mod1.token()}, "word": {"ネズミ講"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if res.Doc.Find("#f-word").AttrOr("value", "") != "ネズミ講" || res.Doc.Find("#f-word-error").Length() != 1 {
		t.Error("a duplicate word loses the input or the error")
	}
	id := b.postTopic(b.alice, "副業のご案内", "これは、ねずみ講ではありません")
	itemID, _ := b.item(b.mod1, id)
	if !strings.Contains(b.mod1.get("/moderation").Doc.Find(fmt.Sprintf("#item-%d .flags", itemID)).Text(), "ネズミ講") {
		t.Error("the dictionary word is not flagged in hiragana")
	}
	b.mod1.post("/staff/board/words/1/delete", url.Values{"_csrf": {b.mod1.token()}}).wantStatus(t, http.StatusSeeOther)
	id = b.postTopic(b.alice, "副業のご案内", "これはネズミ講です")
	itemID, _ = b.item(b.mod1, id)
	if e, err := b.db.QueueItem(context.Background(), itemID); err != nil || len(e.Item.Flags) != 0 {
		t.Errorf("a deleted word still flags: %+v %v", e, err)
	}
	// Visitors and members cannot change the settings.
	b.alice.post("/staff/board/words", url.Values{"_csrf": {b.alice.token()}, "word": {"x"}}).wantStatus(t, http.StatusForbidden)
}

// TestResidentsTextIsStoredAsTyped posts a topic and an event with
// full-width punctuation and letters: they are stored and shown as typed,
// and search still finds them by their half-width spelling.
func TestResidentsTextIsStoredAsTyped(t *testing.T) {
	t.Parallel()
	b := newBoardEnv(t)
	ctx := context.Background()
	const title, body = "夏祭り！（雨天決行）：ＡＢＣ体操", "\u3000集合：９時（公園）\n持ち物？　タオル！"
	id := b.postTopic(b.alice, " "+title+" ", body+"\u3000\r\n")
	var post db.BoardPost
	if err := b.db.Bun.NewSelect().Model(&post).Where("id = ?", id).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if post.Title != title || post.Body != body {
		t.Errorf("stored topic: %q / %q, want %q / %q", post.Title, post.Body, title, body)
	}
	if got := b.alice.get("/account/posts"); !strings.Contains(got.Body, title) {
		t.Error("the author's own list does not show the title as typed")
	}
	day := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	res := b.ward.post("/events/new", url.Values{"_csrf": {b.ward.token()}, "title": {title}, "description": {body},
		"category": {"防災（地域）"}, "town": {"四谷"}, "venue": {"区民センター（２階）"}, "date": {day}, "start": {"１０：００"},
		"end": {"12:00"}, "capacity": {"３０"}, "waitlist": {"0"}, "fee": {"５００円"}})
	res.wantStatus(t, http.StatusSeeOther)
	var ev db.Event
	if err := b.db.Bun.NewSelect().Model(&ev).Where("title = ?", title).Scan(ctx); err != nil {
		t.Fatalf("the event is not stored with its title as typed: %v", err)
	}
	if ev.Description != body || ev.Venue != "区民センター（２階）" || ev.Category != "防災（地域）" || ev.Fee != "５００円" || *ev.Capacity != 30 {
		t.Errorf("stored event: %+v", ev)
	}
	for _, q := range []string{"ＡＢＣ体操", "abc体操", "(雨天決行)", "（雨天決行）"} {
		list := b.client().get("/events?q=" + url.QueryEscape(q))
		if list.Doc.Find("main .list a.title").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == title }).Length() != 1 {
			t.Errorf("/events?q=%s does not find the event", q)
		}
	}
}
