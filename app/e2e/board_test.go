package e2e

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// TestBoardModerationFlow follows a topic from the inline form to the live
// board on phones: the author posts (an error first, then a valid topic) and
// sees it marked pending; two moderators watch the queue fill live; one
// approves inline, and without a reload the visitor's board shows the topic,
// the author's pending entry turns published in place and the other
// moderator's queue drops the item. A second topic is sent back with a reason
// the author then reads on /account/posts and the edit page; a reply goes the
// same way on the topic page. Every state a person sees is checked with axe.
func TestBoardModerationFlow(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	// An empty database: the queue and the board hold only this test's posts.
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ja := jaCatalog(t)
	c := newBoardCast(t, env)

	author, visitor, mod1, mod2 := NewTab(t, browser), NewTab(t, browser), NewTab(t, browser), NewTab(t, browser)
	for _, tab := range []context.Context{author, visitor, mod1, mod2} {
		trackEventSources(t, tab)
	}
	signIn(t, author, env.URL, c.alice.LoginID, seed.Password, "/board", "/board")
	signIn(t, mod1, env.URL, c.mod1.LoginID, seed.Password, "/moderation", "/moderation")
	signIn(t, mod2, env.URL, c.mod2.LoginID, seed.Password, "/moderation", "/moderation")

	// Both moderators have the (empty) queue open before anything is posted,
	// and the visitor the board: whatever reaches them later comes live.
	// TestBoardPages checks every page in full; here only the states that
	// live updates and inline answers make get axe, reflow and the console.
	CheckPage(t, mod1, env.URL+"/moderation")
	Navigate(t, mod2, env.URL+"/moderation")
	for _, tab := range []context.Context{mod1, mod2} {
		if n := Eval[int](t, tab, `document.querySelectorAll('#queue-open .queue-item').length`); n != 0 {
			t.Fatalf("the queue of an empty board has %d items", n)
		}
		waitStream(t, tab, "/moderation/live")
		markPage(t, tab)
	}
	CheckPage(t, visitor, env.URL+"/board")
	if n := Eval[int](t, visitor, `document.querySelectorAll('#f-title').length`); n != 0 {
		t.Errorf("a visitor is shown the new-topic form")
	}
	if n := Eval[int](t, visitor, `document.querySelectorAll('#topic-form a[href^="/login?next="]').length`); n != 1 {
		t.Errorf("a visitor is not asked to sign in to post")
	}
	waitStream(t, visitor, "/board/live")
	markPage(t, visitor)

	const (
		title = "公園の清掃活動に参加しませんか"
		body  = "来週土曜の朝9時から、公園で清掃活動をします。軍手はこちらで用意します。問い合わせは03-1234-5678まで。"
	)
	var topic int64

	t.Run("author posts a topic inline", func(t *testing.T) {
		Navigate(t, author, env.URL+"/board")
		// No title: the error is next to the field and nothing typed is lost.
		selectOption(t, author, "#f-category", strconv.FormatInt(c.town.ID, 10))
		fillIn(t, author, map[string]string{"body": body})
		submitInPlace(t, author, `#topic-form button[type="submit"]`)
		checkSamePage(t, author, "/board")
		checkFieldError(t, author, "title", ja("form.err.title_required"))
		checkFieldOK(t, author, "body")
		checkFieldOK(t, author, "category")
		if v := Eval[string](t, author, `document.getElementById('f-body').value`); v != body {
			t.Errorf("after the failed submit the body holds %q, want what was typed, %q", v, body)
		}
		if v := Eval[string](t, author, `document.getElementById('f-category').value`); v != strconv.FormatInt(c.town.ID, 10) {
			t.Errorf("after the failed submit the category is %q, want %d", v, c.town.ID)
		}
		links := Eval[[]string](t, author, `Array.from(document.querySelectorAll('#topic-form #error-summary a')).map(a => a.getAttribute('href'))`)
		if strings.Join(links, " ") != "#f-title" {
			t.Errorf("error summary links %q, want just #f-title", links)
		}
		if n := Eval[int](t, author, `document.querySelectorAll('#topics > li').length`); n != 0 {
			t.Errorf("the invalid topic put %d items in the list", n)
		}
		Axe(t, author)
		CheckReflow(t, author, ReflowWidth)
		checkConsoleAllowing(t, author, http.StatusUnprocessableEntity)

		fillIn(t, author, map[string]string{"title": title})
		submitInPlace(t, author, `#topic-form button[type="submit"]`)
		checkSamePage(t, author, "/board")
		if got := strings.TrimSpace(Eval[string](t, author, `(document.querySelector('#topic-form [role="status"]') || {}).textContent || ''`)); got != ja("board.sent") {
			t.Errorf("after posting the form says %q, want %q", got, ja("board.sent"))
		}
		if v := Eval[string](t, author, `document.getElementById('f-title').value + document.getElementById('f-body').value`); v != "" {
			t.Errorf("the form still holds %q after the topic was accepted", v)
		}
		if n := Eval[int](t, author, `document.querySelectorAll('#topic-form [aria-invalid="true"], #topic-form #error-summary').length`); n != 0 {
			t.Errorf("the fresh form still shows %d error elements", n)
		}
		first := topItem(t, author)
		id, err := strconv.ParseInt(strings.TrimPrefix(first.ID, "topic-"), 10, 64)
		if err != nil || first.Title != title {
			t.Fatalf("the top of the list is %+v, want the new topic %q", first, title)
		}
		if first.Badge != ja("board.status.pending") || !first.Pending {
			t.Errorf("the new topic is marked %q (class pending %v), want %q", first.Badge, first.Pending, ja("board.status.pending"))
		}
		// The first topic of the board: "nothing here yet" must go.
		if n := Eval[int](t, author, `document.querySelectorAll('[data-empty-for="topics"]').length`); n != 0 {
			t.Errorf("the board still says %q next to the author's new topic", ja("list.empty"))
		}
		p := c.post(t, id)
		if p.Status != db.PostPending || p.AuthorID != c.alice.ID || p.Title != title {
			t.Errorf("stored topic %d: status %s, author %d, title %q; want pending by %d", id, p.Status, p.AuthorID, p.Title, c.alice.ID)
		}
		topic = id
		Axe(t, author)
		CheckReflow(t, author, ReflowWidth)
		CheckConsole(t, author)
	})
	if topic == 0 {
		t.Fatal("no topic to moderate")
	}
	item := c.openItem(t, topic)

	t.Run("the queues fill live", func(t *testing.T) {
		for _, tab := range []context.Context{mod1, mod2} {
			waitJS(t, tab, "the new item", `!!document.querySelector('#queue-open > #item-`+itoa(item.ID)+`')`)
			checkSamePage(t, tab, "/moderation")
			q := queueItem(t, tab, item.ID)
			if !strings.Contains(q.Text, title) || !strings.Contains(q.Text, c.alice.DisplayName) {
				t.Errorf("item %d shows %q, want the title and the author's handle", item.ID, q.Text)
			}
			if !strings.Contains(q.Flags, ja("moderation.flag.phone")) || strings.Join(q.Marks, " ") != "03-1234-5678" {
				t.Errorf("item %d flags %q (marked %q), want the phone number 03-1234-5678", item.ID, q.Flags, q.Marks)
			}
			if n := Eval[int](t, tab, `document.querySelectorAll('[data-empty-for="queue-open"]').length`); n != 0 {
				t.Errorf("the queue still says %q with an item in it", ja("moderation.none"))
			}
			waitText(t, tab, "#queue-live", ja("moderation.live_added"))
		}
		Axe(t, mod2)
		CheckReflow(t, mod2, ReflowWidth)
		CheckConsole(t, mod2)
		if n := Eval[int](t, visitor, `document.querySelectorAll('#topic-`+itoa(topic)+`').length`); n != 0 {
			t.Errorf("the visitor sees the pending topic")
		}
	})

	t.Run("moderator approves inline", func(t *testing.T) {
		label := strings.TrimSpace(Eval[string](t, mod1, `document.querySelector('#item-`+itoa(item.ID)+` button[name="action"][value="approve"]').textContent`))
		if label != ja("moderation.approve") {
			t.Errorf("the approve button says %q, want %q", label, ja("moderation.approve"))
		}
		want := ja("moderation.done.approved", map[string]any{"Title": title})
		if got := decideInline(t, mod1, item.ID, db.ActApprove); got != want {
			t.Errorf("after approving the item says %q, want %q", got, want)
		}
		Axe(t, mod1)
		CheckReflow(t, mod1, ReflowWidth)
		CheckConsole(t, mod1)
	})
	if p := c.post(t, topic); p.Status != db.PostPublished {
		t.Fatalf("after the approval topic %d is %s, want published", topic, p.Status)
	}

	t.Run("the visitor's board shows it without reload", func(t *testing.T) {
		waitJS(t, visitor, "the topic to arrive", `!!document.querySelector('#topics > #topic-`+itoa(topic)+`')`)
		checkSamePage(t, visitor, "/board")
		first := topItem(t, visitor)
		if first.ID != "topic-"+itoa(topic) || first.Title != title || first.Badge != "" {
			t.Errorf("the top of the visitor's list is %+v, want topic %d published, unmarked", first, topic)
		}
		if n := Eval[int](t, visitor, `document.querySelectorAll('[data-empty-for="topics"]').length`); n != 0 {
			t.Errorf("the board still says %q next to the new topic", ja("list.empty"))
		}
		waitText(t, visitor, "#board-live", ja("board.live_added"))
		Axe(t, visitor)
		CheckReflow(t, visitor, ReflowWidth)
		CheckConsole(t, visitor)
	})

	t.Run("the author's entry turns published in place", func(t *testing.T) {
		waitJS(t, author, "the pending mark to go", `(() => { const li = document.getElementById('topic-`+itoa(topic)+`');
			return !!li && !li.querySelector('.badge'); })()`)
		checkSamePage(t, author, "/board")
		if n := Eval[int](t, author, `document.querySelectorAll('[id="topic-`+itoa(topic)+`"]').length`); n != 1 {
			t.Errorf("the author's board shows topic %d %d times, want once", topic, n)
		}
		if first := topItem(t, author); first.ID != "topic-"+itoa(topic) {
			t.Errorf("the top of the author's list is %+v, want topic %d", first, topic)
		}
		CheckConsole(t, author)
	})

	t.Run("the other moderator's queue drops it", func(t *testing.T) {
		waitJS(t, mod2, "the item to go", `!document.getElementById('item-`+itoa(item.ID)+`')`)
		checkSamePage(t, mod2, "/moderation")
		if n := Eval[int](t, mod2, `document.querySelectorAll('#item-`+itoa(item.ID)+`-gone, #queue-open .queue-item').length`); n != 0 {
			t.Errorf("the other moderator's queue still shows %d items or notices", n)
		}
		waitText(t, mod2, "#queue-live", ja("moderation.live_removed"))
		Axe(t, mod2)
		CheckConsole(t, mod2)
	})

	const (
		title2   = "区役所前で署名を集めています"
		body2    = "〇〇さんの家は四谷一丁目2番3号です。みんなで抗議に行きましょう。"
		message2 = "個人の住所が書かれているため掲載できません。住所を消して再投稿してください。"
	)
	var rejected int64

	t.Run("a topic is sent back with a reason", func(t *testing.T) {
		selectOption(t, author, "#f-category", strconv.FormatInt(c.town.ID, 10))
		fillIn(t, author, map[string]string{"title": title2, "body": body2})
		submitInPlace(t, author, `#topic-form button[type="submit"]`)
		first := topItem(t, author)
		id, err := strconv.ParseInt(strings.TrimPrefix(first.ID, "topic-"), 10, 64)
		if err != nil || first.Title != title2 || !first.Pending {
			t.Fatalf("the top of the author's list is %+v, want %q pending", first, title2)
		}
		it := c.openItem(t, id)
		sel := "#item-" + itoa(it.ID)
		for _, tab := range []context.Context{mod1, mod2} {
			waitJS(t, tab, "the second item", `!!document.querySelector('`+sel+`')`)
		}
		if q := queueItem(t, mod1, it.ID); !strings.Contains(q.Flags, ja("moderation.flag.address")) {
			t.Errorf("item %d flags %q, want the street address", it.ID, q.Flags)
		}

		// The second moderator starts on the same item: when the first
		// decides, they are told in place rather than losing what they were
		// working on without a word.
		tap(t, mod2, sel+` details summary`)

		// A message without a reason: the error is next to the reason and
		// the message stays.
		tap(t, mod1, sel+` details summary`)
		if !Eval[bool](t, mod1, `document.querySelector('`+sel+` details').open`) {
			t.Fatal("tapping 差し戻す did not open the rejection form")
		}
		typeInto(t, mod1, sel+"-message", message2)
		submitInPlace(t, mod1, sel+` button[name="action"][value="reject"]`)
		checkSamePage(t, mod1, "/moderation")
		checkError(t, mod1, sel+"-reason", ja("form.err.reason_required"))
		if v := Eval[string](t, mod1, `document.querySelector('`+sel+`-message').value`); v != message2 {
			t.Errorf("after the failed rejection the message holds %q, want %q", v, message2)
		}
		if !Eval[bool](t, mod1, `document.querySelector('`+sel+` details').open`) {
			t.Errorf("after the failed rejection its form is closed, hiding the error")
		}
		Axe(t, mod1)
		checkConsoleAllowing(t, mod1, http.StatusUnprocessableEntity)

		selectOption(t, mod1, sel+"-reason", "privacy")
		want := ja("moderation.done.rejected", map[string]any{"Title": title2})
		if got := decideInline(t, mod1, it.ID, db.ActReject); got != want {
			t.Errorf("after rejecting the item says %q, want %q", got, want)
		}
		CheckConsole(t, mod1)
		waitJS(t, mod2, "the rejected item to go", `!document.querySelector('`+sel+`')`)
		checkSamePage(t, mod2, "/moderation")
		if got := strings.TrimSpace(Eval[string](t, mod2, `((document.querySelector('`+sel+`-gone') || {}).textContent || '')`)); got != ja("moderation.live_gone") {
			t.Errorf("the moderator working on the item someone else rejected is told %q, want %q", got, ja("moderation.live_gone"))
		}
		Axe(t, mod2)
		CheckConsole(t, mod2)

		p := c.post(t, id)
		got := c.item(t, it.ID)
		if p.Status != db.PostRejected || got.Reason != "privacy" || got.Message != message2 {
			t.Errorf("stored: post %s, item reason %q message %q; want rejected, privacy, %q", p.Status, got.Reason, got.Message, message2)
		}
		if n := Eval[int](t, visitor, `document.querySelectorAll('#topic-`+itoa(id)+`').length`); n != 0 {
			t.Errorf("the visitor sees the rejected topic")
		}
		rejected = id
	})

	if rejected != 0 {
		t.Run("the author reads the reason", func(t *testing.T) {
			Navigate(t, author, env.URL+"/account/posts")
			type own struct {
				Badge string `json:"badge"`
				Text  string `json:"text"`
				Edit  string `json:"edit"`
			}
			get := func(id int64) own {
				return Eval[own](t, author, `(() => { const li = document.getElementById('own-`+itoa(id)+`');
					if (!li) return {badge: '', text: '', edit: ''};
					const a = li.querySelector('.actions a');
					return {badge: (li.querySelector('.badge') || {}).textContent || '', text: li.textContent, edit: a ? a.getAttribute('href') : ''}; })()`)
			}
			r := get(rejected)
			if strings.TrimSpace(r.Badge) != ja("board.status.rejected") {
				t.Errorf("/account/posts marks the rejected topic %q, want %q", r.Badge, ja("board.status.rejected"))
			}
			for _, want := range []string{ja("moderation.reason.privacy"), message2} {
				if !strings.Contains(r.Text, want) {
					t.Errorf("/account/posts does not tell the author %q", want)
				}
			}
			if r.Edit != "/board/posts/"+itoa(rejected)+"/edit" {
				t.Errorf("the rejected topic links to %q, want its edit page", r.Edit)
			}
			if p := get(topic); strings.TrimSpace(p.Badge) != ja("board.status.published") {
				t.Errorf("/account/posts marks the approved topic %q, want %q", p.Badge, ja("board.status.published"))
			}

			Navigate(t, author, env.URL+r.Edit)
			text := Eval[string](t, author, `document.querySelector('main').textContent`)
			for _, want := range []string{ja("board.rejected_heading"), ja("moderation.reason.privacy"), message2} {
				if !strings.Contains(text, want) {
					t.Errorf("the edit page of the rejected topic does not show %q", want)
				}
			}
			if v := Eval[string](t, author, `document.getElementById('f-body').value`); v != body2 {
				t.Errorf("the edit page's body holds %q, want the topic's %q", v, body2)
			}
		})
	}

	t.Run("a reply waits in place, then arrives live", func(t *testing.T) {
		topicPath := "/board/" + itoa(topic)
		Navigate(t, visitor, env.URL+topicPath)
		waitStream(t, visitor, "/board/live?topic="+itoa(topic))
		markPage(t, visitor)
		Navigate(t, author, env.URL+topicPath)

		// Empty first: the error, in place.
		submitInPlace(t, author, `#reply-form button[type="submit"]`)
		checkSamePage(t, author, topicPath)
		checkFieldError(t, author, "reply", ja("form.err.body_required"))
		Axe(t, author)
		checkConsoleAllowing(t, author, http.StatusUnprocessableEntity)

		const reply = "私も参加します。ゴミ袋を持っていきます。"
		fillIn(t, author, map[string]string{"reply": reply})
		submitInPlace(t, author, `#reply-form button[type="submit"]`)
		checkSamePage(t, author, topicPath)
		if got := strings.TrimSpace(Eval[string](t, author, `(document.querySelector('#reply-form [role="status"]') || {}).textContent || ''`)); got != ja("board.sent") {
			t.Errorf("after replying the form says %q, want %q", got, ja("board.sent"))
		}
		if v := Eval[string](t, author, `document.getElementById('f-reply').value`); v != "" {
			t.Errorf("the reply form still holds %q", v)
		}
		last := lastReply(t, author)
		id, err := strconv.ParseInt(strings.TrimPrefix(last.ID, "post-"), 10, 64)
		if err != nil || !strings.Contains(last.Text, reply) {
			t.Fatalf("the last reply is %+v, want the new reply", last)
		}
		if last.Badge != ja("board.status.pending") || !last.Pending {
			t.Errorf("the new reply is marked %q, want %q", last.Badge, ja("board.status.pending"))
		}
		if n := Eval[int](t, author, `document.querySelectorAll('[data-empty-for="reply-list"]').length`); n != 0 {
			t.Errorf("the topic still says %q above the author's reply", ja("board.no_replies"))
		}
		Axe(t, author)
		CheckReflow(t, author, ReflowWidth)
		CheckConsole(t, author)
		if n := Eval[int](t, visitor, `document.querySelectorAll('#post-`+itoa(id)+`').length`); n != 0 {
			t.Errorf("the visitor sees the pending reply")
		}

		it := c.openItem(t, id)
		sel := "#item-" + itoa(it.ID)
		waitJS(t, mod1, "the reply's item", `!!document.querySelector('`+sel+`')`)
		want := ja("moderation.done.approved", map[string]any{"Title": reply}) // 20 characters: not shortened
		if got := decideInline(t, mod1, it.ID, db.ActApprove); got != want {
			t.Errorf("after approving the reply the item says %q, want %q", got, want)
		}

		waitJS(t, visitor, "the reply to arrive", `!!document.querySelector('#reply-list > #post-`+itoa(id)+`')`)
		checkSamePage(t, visitor, topicPath)
		if got := lastReply(t, visitor); got.ID != "post-"+itoa(id) || got.Badge != "" || !strings.Contains(got.Text, reply) {
			t.Errorf("the visitor's last reply is %+v, want reply %d published", got, id)
		}
		if n := Eval[int](t, visitor, `document.querySelectorAll('[data-empty-for="reply-list"]').length`); n != 0 {
			t.Errorf("the topic still says %q above the new reply", ja("board.no_replies"))
		}
		waitText(t, visitor, "#topic-live", ja("board.live_reply"))
		Axe(t, visitor)
		CheckConsole(t, visitor)

		waitJS(t, author, "the reply's mark to go", `(() => { const li = document.getElementById('post-`+itoa(id)+`');
			return !!li && !li.querySelector('.badge'); })()`)
		checkSamePage(t, author, topicPath)
		if n := Eval[int](t, author, `document.querySelectorAll('[id="post-`+itoa(id)+`"]').length`); n != 1 {
			t.Errorf("the author's page shows reply %d %d times, want once", id, n)
		}
		CheckConsole(t, author)
	})
}

// TestBoardPages opens every board and moderation page as the people who
// use it would see it, each with content in every state: published topics
// with replies (one by a group), a pending topic and reply, a rejected
// topic, a reported topic, an escalated topic, flagged ones and a
// dictionary word.
func TestBoardPages(t *testing.T) {
	browser := NewBrowser(t) // first: PORTAL_SKIP_BROWSER=1 skips before the database is made
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	ja := jaCatalog(t)
	c := newBoardCast(t, env)
	ctx := context.Background()
	if err := env.DB.AddModerationWord(ctx, "宣伝", c.mod1); err != nil {
		t.Fatal(err)
	}

	// Alice's published topic, with replies from Bob and the group, and her
	// own reply still waiting.
	t1 := c.submit(t, c.alice, c.town, 0, "駅前の清掃ボランティア", "毎月第一日曜に駅前を掃除しています。どなたでも参加できます。")
	c.decide(t, c.mod1, t1.ID, db.ActApprove, "", "")
	r1 := c.submit(t, c.bob, nil, t1.ID, "", "いつも駅前がきれいで助かっています。")
	c.decide(t, c.mod1, r1.ID, db.ActApprove, "", "")
	r2 := c.submit(t, c.group, nil, t1.ID, "", "町会としても協力します。集合場所は駅の北口です。")
	c.decide(t, c.mod1, r2.ID, db.ActApprove, "", "")
	r3 := c.submit(t, c.alice, nil, t1.ID, "", "次回は3月2日です。")
	// A topic of Alice's sent back, others waiting with flags, Bob's topic
	// referred to the ward, and Alice's first topic reported by Bob.
	t2 := c.submit(t, c.alice, c.events, 0, "お店の宣伝", "新しく開いた店です。https://shop.example.jp/ までどうぞ。")
	c.decide(t, c.mod1, t2.ID, db.ActReject, "other", "お店の宣伝は掲載できません。地域の催しとしてご紹介ください。")
	// The same text again, waiting: the dictionary word and the link flagged.
	t5 := c.submit(t, c.alice, c.events, 0, t2.Title+"（再）", t2.Body)
	t3 := c.submit(t, c.alice, c.town, 0, "落とし物を預かっています", "四谷一丁目2番3号の前で財布を拾いました。03-1234-5678 までご連絡ください。")
	t4 := c.submit(t, c.bob, c.town, 0, "選挙の応援のお願い", "今度の区議会議員選挙で〇〇候補を応援してください。")
	c.decide(t, c.mod1, t4.ID, db.ActEscalate, "", "政治活動にあたるか判断に迷います。区のご意見をください。")
	const reportReason = "北口は工事中で集合できないはずです。誤った案内だと思います。"
	if err := env.DB.ReportPost(ctx, c.bob, t1.ID, reportReason, db.AccessEvent{}); err != nil {
		t.Fatal(err)
	}

	topic := "/board/" + itoa(t1.ID)
	type check struct {
		name, path string
		check      func(t *testing.T, tab context.Context)
	}
	contains := func(sel string, want ...string) func(t *testing.T, tab context.Context) {
		return func(t *testing.T, tab context.Context) {
			t.Helper()
			text := Eval[string](t, tab, `Array.from(document.querySelectorAll('`+sel+`')).map(e => e.textContent).join('\n')`)
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s does not show %q", sel, w)
				}
			}
		}
	}
	visitorPages := []check{
		{"board", "/board", contains("#topics", t1.Title)},
		{"board search", "/board?q=" + url.QueryEscape("清掃"), contains("main ul.list", t1.Title)},
		{"topic", topic, contains("#reply-list", r1.Body, r2.Body, c.group.DisplayName)},
	}
	memberPages := []check{
		{"board with the form", "/board", func(t *testing.T, tab context.Context) {
			contains("main", t3.Title, ja("board.status.pending"))(t, tab)
			if n := Eval[int](t, tab, `document.querySelectorAll('#topic-form #f-title').length`); n != 1 {
				t.Errorf("a member's board has no new-topic form")
			}
		}},
		{"new topic", "/board/new", nil},
		{"topic with replies and the form", topic, func(t *testing.T, tab context.Context) {
			contains("#post-"+itoa(r3.ID), r3.Body, ja("board.status.pending"))(t, tab)
			if n := Eval[int](t, tab, `document.querySelectorAll('#reply-form #f-reply, #post-`+itoa(r1.ID)+` a[href$="/report"]').length`); n != 2 {
				t.Errorf("the topic page lacks the reply form or a report link on another member's reply")
			}
		}},
		{"edit a rejected topic", "/board/posts/" + itoa(t2.ID) + "/edit", contains("main", ja("board.rejected_heading"), ja("moderation.reason.other"), "地域の催しとしてご紹介ください")},
		{"report", "/board/posts/" + itoa(r1.ID) + "/report", contains("main blockquote", r1.Body)},
		{"own posts", "/account/posts", contains("main", t1.Title, t2.Title, t3.Title, ja("moderation.reason.other"))},
	}
	moderatorPages := []check{
		{"queue", "/moderation", func(t *testing.T, tab context.Context) {
			contains("#item-"+itoa(c.openItem(t, t3.ID).ID)+" .flags", ja("moderation.flag.phone"), "03-1234-5678", ja("moderation.flag.address"))(t, tab)
			contains("#item-"+itoa(c.openItem(t, t5.ID).ID)+" .flags", ja("moderation.flag.word"), "宣伝", ja("moderation.flag.link"))(t, tab)
			contains("#item-"+itoa(c.openItem(t, t1.ID).ID)+" .flags", reportReason)(t, tab)
		}},
		{"board settings", "/staff/board", contains("main", c.town.NameJa, c.events.NameJa, "宣伝")},
	}
	wardPages := []check{
		{"escalated queue", "/moderation", contains("#queue-escalated", t4.Title, "区のご意見をください", c.mod1.DisplayName)},
	}

	run := func(who string, login *db.Account, next string, pages []check) {
		t.Run(who, func(t *testing.T) {
			t.Parallel()
			tab := NewTab(t, browser)
			if login != nil {
				signIn(t, tab, env.URL, login.LoginID, seed.Password, next, next)
			}
			for _, pg := range pages {
				t.Run(pg.name, func(t *testing.T) {
					p := CheckPage(t, tab, env.URL+pg.path)
					if p.H1 == "" {
						t.Errorf("%s: empty h1", pg.path)
					}
					if pg.check != nil {
						pg.check(t, tab)
					}
				})
			}
		})
	}
	run("visitor", nil, "", visitorPages)
	run("member", c.alice, "/board", memberPages)
	run("moderator", c.mod1, "/moderation", moderatorPages)
	run("ward staff", c.ward, "/moderation", wardPages)
}

// TestBoardSearchShortWords: one- and two-character Japanese queries find
// what they should (no bigram-only index that needs two characters).
func TestBoardSearchShortWords(t *testing.T) {
	env := StartWith(t, func(o *seed.Options) { *o = seed.Options{} })
	c := newBoardCast(t, env)
	p := c.submit(t, c.alice, c.town, 0, "駅前の清掃ボランティア", "毎月第一日曜に駅前を掃除しています。")
	c.decide(t, c.mod1, p.ID, db.ActApprove, "", "")
	c.submit(t, c.bob, c.town, 0, "清掃の話（審査中）", "まだ掲載されていません。")
	for _, q := range []string{"清掃", "掃", "ボランティア"} {
		doc := env.Get(t, "/board?q="+q, http.StatusOK)
		var hrefs []string
		doc.Find("main ul.list a.title").Each(func(_ int, s *goquery.Selection) {
			h, _ := s.Attr("href")
			hrefs = append(hrefs, h)
		})
		if strings.Join(hrefs, " ") != "/board/"+itoa(p.ID) {
			t.Errorf("/board?q=%s finds %q, want just the published topic /board/%d", q, hrefs, p.ID)
		}
	}
}

// ---------------------------------------------------------------------------
// The people and content of a board test

// boardCast is who takes part in a board test: two categories, two members
// and a group who post, two moderators and a ward staff member.
type boardCast struct {
	env          *Env
	town, events *db.BoardCategory
	alice, bob   *db.Account
	group        *db.Account
	mod1, mod2   *db.Account
	ward         *db.Account
}

func newBoardCast(t *testing.T, env *Env) *boardCast {
	t.Helper()
	ctx := context.Background()
	h := passwordHash(t)
	c := &boardCast{env: env,
		town:   &db.BoardCategory{Slug: "town", NameJa: "まちの話題", NameEn: "Around town", SortOrder: 1},
		events: &db.BoardCategory{Slug: "events", NameJa: "催し・募集", NameEn: "Events", SortOrder: 2},
	}
	for _, cat := range []*db.BoardCategory{c.town, c.events} {
		if err := env.DB.SaveBoardCategory(ctx, cat); err != nil {
			t.Fatalf("category %s: %v", cat.Slug, err)
		}
	}
	c.alice = dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9000001", Handle: "ありさE2E", PasswordHash: h})
	c.bob = dbtest.Member(t, env.DB, dbtest.MemberOptions{Login: "M9000002", Handle: "ぼぶE2E", PasswordHash: h})
	c.mod1 = dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-mod1", Name: "審査担当一", Roles: []string{db.RoleModerator}, PasswordHash: h})
	c.mod2 = dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-mod2", Name: "審査担当二", Roles: []string{db.RoleModerator}, PasswordHash: h})
	c.ward = dbtest.Staff(t, env.DB, dbtest.StaffOptions{Login: "e2e-ward", Name: "区職員テスト", Roles: []string{db.RoleWardStaff}, PasswordHash: h})
	var err error
	if c.group, err = env.DB.CreateGroup(ctx, "四谷町会E2E", "G9000001", h, c.ward, "127.0.0.1"); err != nil {
		t.Fatalf("group: %v", err)
	}
	return c
}

// submit posts as author without a browser: a topic in cat, or a reply to
// topic when it is not 0.
func (c *boardCast) submit(t *testing.T, author *db.Account, cat *db.BoardCategory, topic int64, title, body string) *db.BoardPost {
	t.Helper()
	in := db.PostInput{Title: title, Body: body}
	if cat != nil {
		in.CategoryID = cat.ID
	}
	if topic != 0 {
		in.TopicID = &topic
	}
	p, err := c.env.DB.SubmitPost(context.Background(), author, in, db.AccessEvent{})
	if err != nil {
		t.Fatalf("submit %q: %v", title+body, err)
	}
	return p
}

// decide takes a decision on the waiting item of post without a browser.
func (c *boardCast) decide(t *testing.T, actor *db.Account, post int64, action, reason, message string) {
	t.Helper()
	it := c.openItem(t, post)
	_, err := c.env.DB.DecideItem(context.Background(), db.Decision{ItemID: it.ID, Version: it.Version, Action: action,
		Reason: reason, Message: message, Actor: db.Actor{Account: actor}}, func(db.Outcome) *db.Mail { return nil })
	if err != nil {
		t.Fatalf("%s post %d: %v", action, post, err)
	}
}

// openItem is the newest waiting moderation item of a post.
func (c *boardCast) openItem(t *testing.T, post int64) db.ModerationItem {
	t.Helper()
	var it db.ModerationItem
	err := c.env.DB.Bun.NewSelect().Model(&it).
		Where("kind = ? AND subject_id = ? AND status IN (?, ?)", db.ItemBoardPost, post, db.ItemOpen, db.ItemEscalated).
		OrderExpr("id DESC").Limit(1).Scan(context.Background())
	if err == sql.ErrNoRows {
		t.Fatalf("post %d has no waiting moderation item", post)
	}
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (c *boardCast) item(t *testing.T, id int64) db.ModerationItem {
	t.Helper()
	var it db.ModerationItem
	if err := c.env.DB.Bun.NewSelect().Model(&it).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatalf("moderation item %d: %v", id, err)
	}
	return it
}

func (c *boardCast) post(t *testing.T, id int64) db.BoardPost {
	t.Helper()
	var p db.BoardPost
	if err := c.env.DB.Bun.NewSelect().Model(&p).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatalf("post %d: %v", id, err)
	}
	return p
}

// ---------------------------------------------------------------------------
// What a tab shows

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// jaCatalog returns the Japanese text of a message id, with its data.
func jaCatalog(t *testing.T) func(id string, data ...map[string]any) string {
	t.Helper()
	catalog, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return func(id string, data ...map[string]any) string { return catalog.T("ja", id, data...) }
}

// listItem is a topic or reply as a list shows it.
type listItem struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Badge   string `json:"badge"`
	Pending bool   `json:"pending"`
	Text    string `json:"text"`
}

const listItemJS = `(li => li ? {
	id: li.id,
	title: ((li.querySelector('a.title') || {}).textContent || '').trim(),
	badge: ((li.querySelector('.badge') || {}).textContent || '').trim(),
	pending: !!li.querySelector('.badge.pending'),
	text: li.textContent,
} : {id: '', title: '', badge: '', pending: false, text: ''})`

// topItem is the first topic of the board's list.
func topItem(t *testing.T, tab context.Context) listItem {
	t.Helper()
	return Eval[listItem](t, tab, listItemJS+`(document.querySelector('#topics > li'))`)
}

// lastReply is the last reply of a topic page.
func lastReply(t *testing.T, tab context.Context) listItem {
	t.Helper()
	return Eval[listItem](t, tab, listItemJS+`(document.querySelector('#reply-list > li:last-child'))`)
}

type queueEntry struct {
	Text  string   `json:"text"`
	Flags string   `json:"flags"`
	Marks []string `json:"marks"`
}

func queueItem(t *testing.T, tab context.Context, id int64) queueEntry {
	t.Helper()
	return Eval[queueEntry](t, tab, `(() => { const li = document.getElementById('item-`+itoa(id)+`');
		if (!li) return {text: '', flags: '', marks: []};
		return {text: li.textContent, flags: Array.from(li.querySelectorAll('.flags')).map(f => f.textContent).join('\n'),
			marks: Array.from(li.querySelectorAll('.flags mark')).map(m => m.textContent.trim())}; })()`)
}

// decideInline taps the button of action on queue item id, waits for the
// answer in place and returns the status it shows. The decider's own
// decision also reaches their queue through the live stream; whichever comes
// first, they must be told what they did, not that someone else handled it.
func decideInline(t *testing.T, tab context.Context, id int64, action string) string {
	t.Helper()
	item := "#item-" + itoa(id)
	markPage(t, tab)
	ResetConsole(tab)
	tap(t, tab, item+` button[name="action"][value="`+action+`"]`)
	waitJS(t, tab, "the answer to the decision", `!!document.querySelector('`+item+`-done, `+item+`-gone')`)
	waitJS(t, tab, "htmx to settle", `!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')`)
	checkSamePage(t, tab, "/moderation")
	if gone := Eval[string](t, tab, `((document.querySelector('`+item+`-gone') || {}).textContent || '').trim()`); gone != "" {
		t.Errorf("%s: the decider's own %s was announced as %q: the live stream's removal of the item "+
			"reached the page before the htmx answer, whose target was then gone", item, action, gone)
	}
	if n := Eval[int](t, tab, `document.querySelectorAll('`+item+`').length`); n != 0 {
		t.Errorf("%s is still in the queue after the decision", item)
	}
	return strings.TrimSpace(Eval[string](t, tab, `(document.querySelector('`+item+`-done[role="status"]') || {}).textContent || ''`))
}

// selectOption chooses value in a select, as a tap on the option would.
func selectOption(t *testing.T, tab context.Context, sel, value string) {
	t.Helper()
	ok := Eval[bool](t, tab, `(() => { const s = document.querySelector('`+sel+`');
		if (!s || !Array.from(s.options).some(o => o.value === '`+value+`')) return false;
		s.value = '`+value+`'; s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true}));
		return true; })()`)
	if !ok {
		t.Fatalf("%s has no option %q", sel, value)
	}
}

// fillIn types each value into the field #f-<name>, key by key; unlike
// fill it also takes text areas (chromedp.Clear needs a text node in one).
func fillIn(t *testing.T, tab context.Context, values map[string]string) {
	t.Helper()
	for name, v := range values {
		typeInto(t, tab, "#f-"+name, v)
	}
}

// typeInto empties the field sel and types v into it, key by key.
func typeInto(t *testing.T, tab context.Context, sel, v string) {
	t.Helper()
	if !Eval[bool](t, tab, `(() => { const f = document.querySelector('`+sel+`'); if (!f) return false; f.value = ''; return true; })()`) {
		t.Fatalf("no field %s", sel)
	}
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(sel), v)); err != nil {
		t.Fatalf("type into %s: %v", sel, err)
	}
	if got := Eval[string](t, tab, `document.querySelector('`+sel+`').value`); got != v {
		t.Fatalf("%s holds %q after typing %q", sel, got, v)
	}
}

// checkError wants the field sel marked invalid and described by its error
// sel-error, whose text is msg.
func checkError(t *testing.T, tab context.Context, sel, msg string) {
	t.Helper()
	id := strings.TrimPrefix(sel, "#")
	type field struct {
		Invalid     string `json:"invalid"`
		DescribedBy string `json:"describedBy"`
		Error       string `json:"error"`
	}
	f := Eval[field](t, tab, `(() => { const i = document.getElementById('`+id+`'), e = document.getElementById('`+id+`-error');
		return {invalid: i ? i.getAttribute('aria-invalid') || '' : '', describedBy: i ? i.getAttribute('aria-describedby') || '' : '', error: e ? e.textContent.trim() : ''}; })()`)
	if f.Invalid != "true" || !strings.Contains(" "+f.DescribedBy+" ", " "+id+"-error ") || f.Error != msg {
		t.Errorf("%s: aria-invalid=%q aria-describedby=%q error %q; want true, naming %s-error, %q", sel, f.Invalid, f.DescribedBy, f.Error, id, msg)
	}
}

// waitText waits until the element sel says text (a live region is filled a
// moment after the change it announces).
func waitText(t *testing.T, tab context.Context, sel, text string) {
	t.Helper()
	waitJS(t, tab, sel+" to say "+text, `((document.querySelector('`+sel+`') || {}).textContent || '').trim() === '`+text+`'`)
}

// markPage marks the document, so checkSamePage can tell a reload.
func markPage(t *testing.T, tab context.Context) {
	t.Helper()
	Eval[bool](t, tab, `(window.__e2eMark = true)`)
}

// trackEventSources makes every page the tab opens keep its EventSources in
// window.__e2eSources, so a test can wait until a live list is connected.
// DevTools adds the script, so the page's CSP does not apply to it.
func trackEventSources(t *testing.T, tab context.Context) {
	t.Helper()
	const src = `(() => {
  const ES = window.EventSource;
  if (!ES || window.__e2eSources) return;
  window.__e2eSources = [];
  const Tracked = function (url, init) { const s = new ES(url, init); window.__e2eSources.push(s); return s; };
  Tracked.prototype = ES.prototype;
  Tracked.CONNECTING = 0; Tracked.OPEN = 1; Tracked.CLOSED = 2;
  window.EventSource = Tracked;
})();`
	err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
	if err != nil {
		t.Fatalf("e2e: track EventSources: %v", err)
	}
}

// waitStream waits until the page has an open EventSource whose address
// contains part.
func waitStream(t *testing.T, tab context.Context, part string) {
	t.Helper()
	waitJS(t, tab, "the live stream "+part, `(window.__e2eSources || []).some(s => s.readyState === 1 && s.url.includes('`+part+`'))`)
}
