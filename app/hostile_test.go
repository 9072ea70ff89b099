package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// hostileValues are what a careless or hostile client may send in any
// field: a NUL and broken UTF-8 (PostgreSQL refuses both in text), dates in
// the years 0 and 1 (before PostgreSQL's calendar once in Japan time),
// numbers beyond int32 and int64 and below zero, a keyset cursor from
// before the calendar, and a very long string.
var hostileValues = []string{
	"a\x00b",
	"\xff\xfe",
	"0000-01-01",
	"0000-01",
	"0001-01-01",
	"3000000000",
	"-3000000000",
	"99999999999999999999999",
	"-zzzzzzzzzzzz.1",
	hostileLong,
}

// hostileLong is a very long string: 20,000 characters, 60 KB in UTF-8.
var hostileLong = strings.Repeat("あい", 10000)

// hostileSecrets are the values sent to password fields, which only ever
// reach argon2id: text it must take whatever it is (each try costs a hash).
var hostileSecrets = []string{"a\x00b", "\xff\xfe", hostileLong}

// knownQueryParams are the query parameters each page reads beyond the
// fields of the GET forms it renders (those are found on the page itself).
// Every page also reads lang.
var knownQueryParams = map[string][]string{
	"/":                            nil,
	"/events":                      {"after", "month", "category", "town", "q", "from", "to", "seats"},
	"/notices":                     {"after"},
	"/subsidies":                   {"after"},
	"/articles":                    {"after"},
	"/topics/:tag":                 {"after"},
	"/groups":                      {"after"},
	"/board":                       {"after", "category", "q"},
	"/board/new":                   {"category"},
	"/board/live":                  {"after", "topic", "category"},
	"/events/:id/live":             {"after"},
	"/moderation/live":             {"after"},
	"/account/history":             {"after"},
	"/account/posts":               {"after"},
	"/staff/audit":                 {"before", "actor", "role", "member", "action", "from", "to", "month"},
	"/staff/members":               {"login_id", "name", "kana", "email", "phone", "status", "after"},
	"/staff/groups":                {"q", "after"},
	"/staff/registrations":         {"side"},
	"/staff/mail":                  {"after"},
	"/staff/disaster":              {"mode"},
	"/login":                       {"next"},
	"/leave":                       {"to"},
	"/events/:id/participants.csv": {"enc"},
	"/calendar/:token":             {"lang"},
	"/staff/pages":                 {"after", "status", "kind"},
	"/staff/consents":              {"filter", "page"},
	"/staff/consents/export":       {"filter", "page"},
	"/staff/pages/new":             {"kind"},
	"/staff/pages/:id/diff":        {"from", "to"},
	"/s/:site":                     {"after"},
}

// validSamples fill the empty fields of a form so that a hostile value in
// one field reaches as far as it can: with the others valid, the handler
// gets past validation to the database. Passwords stay empty, so no
// account is changed or withdrawn by the walk.
var validSamples = map[string]string{
	"title": "防災訓練", "body": "公園に集まります。", "description": "みんなで参加しましょう。", "category": "防災",
	"town": "四谷", "venue": "四谷区民センター", "start": "10:00", "end": "12:00",
	"capacity": "20", "waitlist": "2", "fee": "無料", "contact": "区役所", "purpose": "案内の送付",
	"name": "新宿 花子", "name_kana": "しんじゅく はなこ", "postal_code": "160-0004", "address": "東京都新宿区四谷1-2-3",
	"phone": "03-1234-5678", "email": "hostile@example.jp", "handle": "てすとのひと", "agree": "yes",
	"reason": "その他", "message": "理由の説明です。", "note": "区と協議したいです。", "slug": "hostile", "name_ja": "試験",
	"name_en": "Test", "word": "試験語", "login_id": "hostile-group", "sort_order": "1",
	"override": "緊急のお知らせのため", "comment": "日付を直してください。",
	"code": "hostile-div", "lead_days": "2", "work_email": "walker@city.example.jp",
	"site_name": "観光協会", "url": "https://www.example.jp/", "administrator": "会長 一郎", "start_date": "2026-12-01",
	"content": "区内の観光案内",
}

// formSpec is one rendered form: who saw it, where it posts, its fields
// with the values the page gave them.
type formSpec struct {
	client  string
	method  string
	action  string
	fields  []string
	secrets map[string]bool // password fields
	values  url.Values
}

// routePattern turns an echo route path into a regexp matching its addresses.
func routePattern(path string) *regexp.Regexp {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"), p == "*":
			parts[i] = `[^/]*`
		default:
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile("^" + strings.Join(parts, "/") + "$")
}

// readForms lists the forms of a page with their fields and values as a
// browser would send them: the checked boxes, the selected (or first)
// option, the first submit button's name.
func readForms(doc *goquery.Document, page, client string) []formSpec {
	var out []formSpec
	doc.Find("form").Each(func(_ int, f *goquery.Selection) {
		fs := formSpec{client: client, method: strings.ToUpper(f.AttrOr("method", "GET")), values: url.Values{}, secrets: map[string]bool{}}
		action := f.AttrOr("action", "")
		if action == "" {
			action = page
		}
		u, err := url.Parse(action)
		if err != nil {
			return
		}
		fs.action = u.Path
		add := func(name, value string) {
			if name == "" {
				return
			}
			if !slices.Contains(fs.fields, name) {
				fs.fields = append(fs.fields, name)
			}
			if value != "" || fs.values[name] == nil {
				fs.values.Add(name, value)
			}
		}
		button := false
		f.Find("input, select, textarea, button").Each(func(_ int, in *goquery.Selection) {
			name := in.AttrOr("name", "")
			switch goquery.NodeName(in) {
			case "textarea":
				add(name, in.Text())
			case "select":
				opt := in.Find("option[selected]").First()
				if opt.Length() == 0 {
					opt = in.Find("option").FilterFunction(func(_ int, o *goquery.Selection) bool { return o.AttrOr("value", "") != "" }).First()
				}
				add(name, opt.AttrOr("value", ""))
			case "button":
				if !button && name != "" {
					add(name, in.AttrOr("value", ""))
					button = true
				}
			default:
				switch in.AttrOr("type", "text") {
				case "checkbox", "radio":
					_, checked := in.Attr("checked")
					if checked {
						add(name, in.AttrOr("value", "on"))
					} else if !slices.Contains(fs.fields, name) {
						fs.fields = append(fs.fields, name)
					}
				case "password":
					fs.secrets[name] = true
					add(name, "")
				case "submit":
					if !button && name != "" {
						add(name, in.AttrOr("value", ""))
						button = true
					}
				default:
					add(name, in.AttrOr("value", ""))
				}
			}
		})
		for _, name := range fs.fields {
			if fs.values.Get(name) == "" && validSamples[name] != "" {
				fs.values.Set(name, validSamples[name])
			}
		}
		out = append(out, fs)
		// A control inside the form that htmx posts elsewhere (a live
		// preview) sends the whole form there: another form to walk.
		f.Find("[hx-post]").Each(func(_ int, el *goquery.Selection) {
			u, err := url.Parse(el.AttrOr("hx-post", ""))
			if err != nil || u.Path == fs.action {
				return
			}
			hx := fs
			hx.action, hx.values = u.Path, url.Values{}
			for k, vs := range fs.values {
				hx.values[k] = append([]string(nil), vs...)
			}
			out = append(out, hx)
		})
	})
	return out
}

// TestHostileInputNeverGets5xx walks the route table, signed in as someone
// who may use each route, and sends every hostile value to every query
// parameter the page reads (the known ones and the fields of its GET
// forms), to every field of every form found on the pages, and in place of
// every path parameter. Bad input is the client's fault: it must get a
// message or a 404, never a 5xx.
func TestHostileInputNeverGets5xx(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()

	// People: a visitor, a member, a group, ward staff and a moderator,
	// and a staff account whose roles the ward may change.
	clients := map[string]*testEnv{"visitor": e.client()}
	order := []string{"member", "group", "ward", "mod", "approver", "manager", "site", "visitor"}
	memberAcc := e.memberAccount("M8000001", "あるくひと")
	e.memberAccount("M8000002", "ほかのひと")
	_, group := e.groupAccount(dbtest.GroupOptions{Login: "G80001", Name: "四谷あるく会", Category: "健康", Published: true})
	wardAcc := e.staffAccount("ward-h", db.RoleWardStaff)
	modAcc := e.staffAccount("mod-h", db.RoleModerator)
	editorAcc := e.staffAccount("editor-h", db.RoleEditor)
	approverAcc := e.staffAccount("approver-h", db.RoleApprover, db.RoleSiteManager)
	editor := editorAcc
	// A manager of the official site who also writes and approves, in a
	// division with a sub-site of its own (with a published page) and an
	// application waiting.
	siteMgr := e.staffAccount("site-h", db.RoleSiteManager, db.RoleEditor, db.RoleApprover)
	sub, subPage := e.subSiteFixture(siteMgr, "hostile-sub", "hostile-app")
	signIn := func(name, login, password string) {
		c := e.client()
		c.signIn(login, password).wantStatus(t, http.StatusSeeOther)
		clients[name] = c
	}
	signIn("member", "M8000001", "member-password-1")
	signIn("group", "G80001", "group-password-1")
	signIn("ward", "ward-h", "staff-password-1")
	signIn("mod", "mod-h", "staff-password-1")
	signIn("approver", "approver-h", "staff-password-1")
	// A site manager of the official site, who may switch disaster mode.
	manager := e.staffAccount("manager-h", db.RoleSiteManager)
	official, err := e.db.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddSiteStaff(ctx, db.Actor{Account: manager, Role: db.RoleSiteManager}, official.ID, manager.ID); err != nil {
		t.Fatal(err)
	}
	signIn("manager", "manager-h", "staff-password-1")
	signIn("site", "site-h", "staff-password-1")
	member, ward, mod := clients["member"], clients["ward"], clients["mod"]
	// A failed sign-in on the member's account puts the unlock button on
	// the member's staff page, so the walk reaches that form too.
	e.client().signIn("M8000001", "not-the-password").wantStatus(t, http.StatusUnprocessableEntity)
	// A group and a staff account for the administration forms to suspend
	// and reissue passwords of (the first staff account listed): not the
	// walkers' own. A failed sign-in on the group puts the ward's unlock
	// form on its page.
	adminGroup, _ := e.groupAccount(dbtest.GroupOptions{Login: "G80002", Name: "管理される会"})
	e.staffAccount("a-target-h", db.RoleEditor)
	e.client().signIn("G80002", "not-the-password").wantStatus(t, http.StatusUnprocessableEntity)

	// Things for the pages to show: a pending registration (and its mail),
	// a published topic and a pending one, events to sign up for, cancel
	// and manage, a dictionary word, a calendar feed, a reset link.
	clients["visitor"].register(withValues(validRegistration, "email", "walker@example.jp", "handle", "あたらしいひと"))
	cat := &db.BoardCategory{Slug: "town", NameJa: "まちの話題", NameEn: "Town"}
	if err := e.db.SaveBoardCategory(ctx, cat); err != nil {
		t.Fatal(err)
	}
	b := &boardEnv{testEnv: e, cat: cat.ID}
	published := b.postTopic(clients["group"], "公開の話題", "公開される本文")
	itemID, version := b.item(mod, published)
	b.decide(mod, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)
	pending := b.postTopic(member, "審査中の話題", "審査を待つ本文")
	open := e.publishedEvent(10, 2)
	mine := e.publishedEvent(10, 2)
	if _, err := e.db.SignUp(ctx, mine.ID, memberAcc, time.Now(), db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}
	operator := dbtest.Event(t, e.db, db.Event{OrganiserKind: db.OrganiserOperator, Capacity: new(10), WaitlistSize: 2})
	ward.post("/staff/board/words", url.Values{"_csrf": {ward.token()}, "word": {"ねずみ講"}}).wantStatus(t, http.StatusSeeOther)
	member.post("/account/calendar", url.Values{"_csrf": {member.token()}}).wantStatus(t, http.StatusOK)
	const resetToken = "hostile-walk-reset-token"
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')`,
		tokenHash(resetToken), memberAcc.ID); err != nil {
		t.Fatal(err)
	}
	// For the approver's queue: a submission inside the lead time (the
	// override form), one outside it (the approve form) and a live page
	// (the end form).
	official, err = e.db.OfficialSite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	act := db.Actor{Account: approverAcc, Role: db.RoleApprover}
	div := &db.Division{Code: "hostile", Name: "試験課"}
	if err := e.db.CreateDivision(ctx, act, div); err != nil {
		t.Fatal(err)
	}
	for _, acc := range []*db.Account{editorAcc, approverAcc} {
		if err := e.db.SetStaffDivisions(ctx, act, acc.ID, []int64{div.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.AddSiteStaff(ctx, act, official.ID, editorAcc.ID, approverAcc.ID); err != nil {
		t.Fatal(err)
	}
	var consentID int64
	for i, in := range []time.Duration{time.Hour, 72 * time.Hour, 0} {
		now := time.Now()
		p, _, err := e.db.CreatePage(ctx, db.Actor{Account: editorAcc}, db.NewPage{SiteID: official.ID, DivisionID: div.ID, Kind: db.PageNotice,
			PageContent: db.PageContent{Title: fmt.Sprintf("試験のお知らせ %d", i), Body: "本文", PublishAt: now.Add(in)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.SubmitPage(ctx, db.Transition{PageID: p.ID, Actor: db.Actor{Account: editorAcc}, Now: now}, nil); err != nil {
			t.Fatal(err)
		}
		if consentID == 0 { // a consent record (第14条) for the editor's list and detail
			rec, err := e.db.CreateConsent(ctx, db.Actor{Account: editorAcc, Role: db.RoleEditor}, db.NewConsent{PageID: p.ID,
				SubjectName: "試験 花子", Purpose: "試験", Content: "氏名", StartDate: time.Now(), EndDate: time.Now().AddDate(0, 1, 0), Method: db.ConsentWritten})
			if err != nil {
				t.Fatal(err)
			}
			consentID = rec.ID
		}
		if in == 0 {
			if err := e.db.ApprovePage(ctx, db.Transition{PageID: p.ID, Actor: act, Now: now, Override: "試験"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A waiting link request, so the site manager's page has its decision form.
	if err := e.db.RequestLink(ctx, db.Actor{Account: editorAcc, Role: db.RoleEditor}, &db.LinkRequest{SiteName: "試験", URL: "https://hostile.example/",
		Content: "試験", Administrator: "試験", Reason: "試験", StartDate: time.Now(), Contact: "試験",
		NoneAdult: true, NoneCrime: true, NoneDefame: true, NonePolitical: true, NoneElection: true, NoneMalware: true}); err != nil {
		t.Fatal(err)
	}
	// A resident's inquiry to the division, for its inbox and its forms.
	inq := &db.Inquiry{DivisionID: div.ID, Subject: "試験の問い合わせ", Body: "本文", Name: "試験 太郎", Email: "taro@example.jp"}
	if err := e.db.CreateInquiry(ctx, inq, nil, db.InquiryLimit{IP: "192.0.2.1", Since: time.Now().Add(-time.Hour), Max: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddInquiryTemplate(ctx, act, &db.InquiryTemplate{DivisionID: div.ID, Title: "定型", Body: "回答"}); err != nil {
		t.Fatal(err)
	}
	// A resident's inquiry to the group, for the group's inbox, and an
	// image of the group's profile.
	groupInq := &db.Inquiry{GroupID: &group.ID, Subject: "見学の問い合わせ", Body: "本文", Name: "試験 次郎", Email: "jiro@example.jp"}
	if err := e.db.CreateInquiry(ctx, groupInq, nil, db.InquiryLimit{IP: "192.0.2.2", Since: time.Now().Add(-time.Hour), Max: 1}); err != nil {
		t.Fatal(err)
	}
	groupAcc, err := e.db.AccountByID(ctx, *group.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	groupImg := groupImage(t, e, groupAcc, "活動の様子")
	// The newsletter: a visitor waiting to confirm, a subscriber's
	// unsubscribe link, a draft issue of the ward's (its test, send and edit
	// forms) and one of the editor's awaiting the approver.
	nl := newsletterFixture(t, e, wardAcc, editorAcc, div.ID)
	filesPage, image := authorWithImage(t, e, modAcc)
	var mailID int64
	if err := e.db.Pool.QueryRow(ctx, `SELECT max(id) FROM mail_outbox`).Scan(&mailID); err != nil {
		t.Fatal(err)
	}

	// The moderator writes the operator's articles: a division, the
	// official site, and a draft article with its editor and withdraw forms.
	opDiv := &db.Division{Code: "operator-h", Name: "運営事務局"}
	wardActor := db.Actor{Account: modAcc, Role: db.RoleModerator}
	if err := e.db.CreateDivision(ctx, wardActor, opDiv); err != nil {
		t.Fatal(err)
	}
	// Keep the divisions the attachments fixture gave the moderator.
	modDivs, err := e.db.DivisionsOf(ctx, modAcc.ID)
	if err != nil {
		t.Fatal(err)
	}
	divIDs := []int64{opDiv.ID}
	for _, d := range modDivs {
		divIDs = append(divIDs, d.ID)
	}
	if err := e.db.SetStaffDivisions(ctx, wardActor, modAcc.ID, divIDs); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddSiteStaff(ctx, wardActor, official.ID, modAcc.ID); err != nil {
		t.Fatal(err)
	}
	article, _, err := e.db.CreatePage(ctx, wardActor, db.NewPage{SiteID: official.ID, DivisionID: opDiv.ID, Kind: db.PageArticle,
		PageContent: db.PageContent{Title: "取材記事", Body: "本文", PublishAt: time.Now().Add(72 * time.Hour),
			Fields: db.PageFields{ArticleKind: "article"}}})
	if err != nil {
		t.Fatal(err)
	}

	// The address each route with parameters is opened at, and more pages
	// whose forms the walk needs.
	paths := map[string]string{
		"/notices/:id":                   "/notices/1",
		"/subsidies/:id":                 "/subsidies/1",
		"/articles/:id":                  "/articles/1",
		"/pages/:id":                     "/pages/1",
		"/topics/:tag":                   "/topics/" + url.PathEscape("防災"),
		"/groups/:id":                    fmt.Sprintf("/groups/%d", group.ID),
		"/events/:id":                    fmt.Sprintf("/events/%d", open.ID),
		"/events/:id/edit":               fmt.Sprintf("/events/%d/edit", open.ID),
		"/events/:id/live":               fmt.Sprintf("/events/%d/live", open.ID),
		"/events/:id/participants":       fmt.Sprintf("/events/%d/participants", open.ID),
		"/events/:id/participants.csv":   fmt.Sprintf("/events/%d/participants.csv", open.ID),
		"/board/:id":                     fmt.Sprintf("/board/%d", published),
		"/board/posts/:id/edit":          fmt.Sprintf("/board/posts/%d/edit", pending),
		"/board/posts/:id/report":        fmt.Sprintf("/board/posts/%d/report", published),
		"/calendar/:token":               "/calendar/unknown.ics",
		"/password/reset/:token":         "/password/reset/" + resetToken,
		"/staff/members/:id":             fmt.Sprintf("/staff/members/%d", memberAcc.ID),
		"/staff/members/:id/edit":        fmt.Sprintf("/staff/members/%d/edit", memberAcc.ID),
		"/staff/groups/:id":              fmt.Sprintf("/staff/groups/%d", adminGroup.ID),
		"/staff/members/exports/:token":  "/staff/members/exports/" + strings.Repeat("ab", 16),
		"/staff/mail/:id":                fmt.Sprintf("/staff/mail/%d", mailID),
		"/static/*":                      "/static/css/site.css",
		"/files/:id/:name":               image.Path(),
		"/staff/pages/:id/files":         fmt.Sprintf("/staff/pages/%d/files", filesPage.ID),
		"/staff/pages/:id":               fmt.Sprintf("/staff/pages/%d", article.ID),
		"/staff/pages/:id/diff":          fmt.Sprintf("/staff/pages/%d/diff", article.ID),
		"/s/:site":                       "/s/" + sub.Slug,
		"/s/:site/pages/:id":             fmt.Sprintf("/s/%s/pages/%d", sub.Slug, subPage),
		"/staff/sites/:id":               fmt.Sprintf("/staff/sites/%d", sub.ID),
		"/staff/divisions/accounts/:id":  fmt.Sprintf("/staff/divisions/accounts/%d", editor.ID),
		"/staff/inquiries/:id":           fmt.Sprintf("/staff/inquiries/%d", inq.ID),
		"/staff/consents/:id":            fmt.Sprintf("/staff/consents/%d", consentID),
		"/newsletter/confirm/:token":     nl.confirm,
		"/newsletter/unsubscribe/:token": nl.unsubscribe,
		"/staff/newsletter/lists/:id":    fmt.Sprintf("/staff/newsletter/lists/%d", nl.list),
		"/staff/newsletter/:id":          fmt.Sprintf("/staff/newsletter/%d", nl.draft),
		"/moderation/events/:id/correct": fmt.Sprintf("/moderation/events/%d/correct", open.ID),
		"/group/inquiries/:id":           fmt.Sprintf("/group/inquiries/%d", groupInq.ID),
		"/groups/:id/images/:image":      groupImg.Path(),
	}
	extraPages := []string{fmt.Sprintf("/events/%d", mine.ID), fmt.Sprintf("/events/%d/participants", operator.ID),
		"/staff/disaster?mode=on", // the switch's confirmation step
		"/staff/pages/new?kind=article",
		fmt.Sprintf("/staff/newsletter/%d", nl.waiting)}

	type route struct{ method, path string }
	var routes []route
	for _, r := range e.app.echo.Routes() {
		if strings.Contains(r.Method, "route_not_found") || r.Path == "" || strings.HasSuffix(r.Path, "/*") && r.Path != "/static/*" {
			continue
		}
		routes = append(routes, route{r.Method, r.Path})
	}
	slices.SortFunc(routes, func(a, b route) int { return strings.Compare(a.method+a.path, b.method+b.path) })
	at := func(r route) (string, bool) {
		if !strings.ContainsAny(r.path, ":*") {
			return r.path, true
		}
		p, ok := paths[r.path]
		return p, ok
	}
	isStream := func(path string) bool { return strings.HasSuffix(path, "/live") }

	var failures []string
	check := func(what string, status int) {
		if status >= 500 {
			failures = append(failures, fmt.Sprintf("%s: %d", what, status))
		}
	}
	show := func(v string) string {
		if len(v) > 24 {
			return fmt.Sprintf("%q…(%d bytes)", v[:12], len(v))
		}
		return fmt.Sprintf("%q", v)
	}
	// send makes one request and reads the whole answer; a connection cut
	// mid-answer (a download that failed after its headers) counts as a 5xx.
	send := func(c *testEnv, method, target string, form url.Values) int {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequestWithContext(ctx, method, e.srv.URL+target, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := c.http.Do(req)
		if err != nil {
			return 599
		}
		defer res.Body.Close()
		if isStream(strings.SplitN(target, "?", 2)[0]) && res.StatusCode == http.StatusOK {
			return res.StatusCode // an event stream does not end
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			return 599
		}
		return res.StatusCode
	}

	// Open every page as everyone: who may open it, and its forms.
	reach := map[string][]string{} // address -> clients let in, in order
	var forms []formSpec
	var pages []string
	for _, r := range routes {
		if r.method != http.MethodGet || isStream(r.path) || strings.HasSuffix(r.path, ".csv") || strings.Contains(r.path, ".ics") ||
			strings.HasPrefix(r.path, "/static") || r.path == "/calendar/:token" {
			continue
		}
		if p, ok := at(r); ok {
			pages = append(pages, p)
		} else {
			t.Errorf("GET %s: no address to open it at; add one to paths", r.path)
		}
	}
	pages = append(pages, extraPages...)
	for _, p := range pages {
		for _, name := range order {
			res := clients[name].get(p)
			check("GET "+p+" as "+name, res.StatusCode)
			if res.StatusCode == http.StatusForbidden || strings.HasPrefix(res.Header.Get("Location"), "/login") {
				continue
			}
			reach[p] = append(reach[p], name)
			if res.StatusCode == http.StatusOK && strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				forms = append(forms, readForms(res.Doc, p, name)...)
			}
		}
	}
	// Files and streams are not crawled for forms; these need someone signed in.
	reach[paths["/events/:id/participants.csv"]] = []string{"ward"}
	reach["/moderation/live"] = []string{"mod"}

	for _, r := range routes {
		pattern := routePattern(r.path)
		switch r.method {
		case http.MethodGet, http.MethodHead:
			p, ok := at(r)
			if !ok {
				t.Errorf("%s %s: no address to open it at; add one to paths", r.method, r.path)
				continue
			}
			who := "visitor"
			if len(reach[p]) > 0 {
				who = reach[p][0]
			}
			c := clients[who]
			params := append([]string{"lang"}, knownQueryParams[r.path]...)
			for _, f := range forms {
				if f.method == http.MethodGet && f.action == p {
					for _, name := range f.fields {
						if !slices.Contains(params, name) {
							params = append(params, name)
						}
					}
				}
			}
			for _, name := range params {
				for _, v := range hostileValues {
					target := p + "?" + url.Values{name: {v}}.Encode()
					check(fmt.Sprintf("%s %s ?%s=%s as %s", r.method, r.path, name, show(v), who), send(c, r.method, target, nil))
				}
			}
			if strings.ContainsAny(r.path, ":*") {
				for _, v := range hostileValues {
					target := pathWith(r.path, p, url.PathEscape(v))
					check(fmt.Sprintf("%s %s with %s in the address as %s", r.method, r.path, show(v), who), send(c, r.method, target, nil))
				}
			}
		case http.MethodPost:
			var found []formSpec
			seen := map[string]bool{}
			for _, f := range forms {
				if f.method != http.MethodPost || !pattern.MatchString(f.action) {
					continue
				}
				key := strings.Join(f.fields, ",") + " " + f.values.Get("action") // one form of each kind per route
				if seen[key] {
					continue
				}
				seen[key] = true
				found = append(found, f)
			}
			if len(found) == 0 {
				t.Errorf("POST %s: no page shows a form for it; add a fixture so the walk reaches it", r.path)
				continue
			}
			for _, f := range found {
				c := clients[f.client]
				for _, name := range f.fields {
					values := hostileValues
					if f.secrets[name] {
						values = hostileSecrets
					}
					for _, v := range values {
						vals := url.Values{}
						for k, vs := range f.values {
							vals[k] = append([]string(nil), vs...)
						}
						vals.Set(name, v)
						check(fmt.Sprintf("POST %s %s=%s as %s", r.path, name, show(v), f.client), send(c, http.MethodPost, f.action, vals))
					}
				}
				if strings.Contains(r.path, ":") {
					for _, v := range hostileValues {
						check(fmt.Sprintf("POST %s with %s in the address as %s", r.path, show(v), f.client),
							send(c, http.MethodPost, pathWith(r.path, f.action, url.PathEscape(v)), f.values))
					}
				}
			}
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
}

// pathWith puts value in place of the first parameter of route in the
// address p that matches it.
func pathWith(route, p, value string) string {
	rs, ps := strings.Split(route, "/"), strings.Split(p, "/")
	for i := range rs {
		if i < len(ps) && (strings.HasPrefix(rs[i], ":") || rs[i] == "*") {
			// a parameter with a suffix (/calendar/{token}.ics) keeps it
			ps[i] = value
			break
		}
	}
	return strings.Join(ps, "/")
}

// TestBadInputGetsAMessage checks the answers to the bad input the review
// found: a message next to the field (the value kept), a page saying what
// was wrong, or a 404 for an address that does not exist; and a negative
// capacity is refused, not saved as its digits.
func TestBadInputGetsAMessage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	ward := e.client()
	e.staffAccount("ward-b", db.RoleWardStaff)
	ward.signIn("ward-b", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	ev := e.publishedEvent(10, 2)

	for _, c := range []struct {
		path   string
		status int
		field  string // the field whose message is shown, or "" for a page
		text   string // in the message, or in the page's heading
	}{
		{"/events?category=%00", http.StatusBadRequest, "", "読み取れない文字"},
		{"/events?town=a%00b", http.StatusBadRequest, "", "読み取れない文字"},
		{"/events?q=%FF%FE", http.StatusBadRequest, "", "読み取れない文字"},
		{"/events?month=0000-01", http.StatusNotFound, "", "ページが見つかりません"},
		{"/events?to=0000-01-01", http.StatusOK, "to", "年-月-日"},
		{"/events?from=0001-01-01", http.StatusOK, "from", "年-月-日"},
		{"/events?after=-zzzzzzzzzzzz.1", http.StatusNotFound, "", "ページが見つかりません"},
		{"/staff/audit?from=0000-01-01", http.StatusOK, "from", "年-月-日"},
		{"/staff/audit?month=0000-01", http.StatusOK, "month", "年-月"},
		{"/staff/members/exports/%FF%00", http.StatusNotFound, "", "ページが見つかりません"},
		{"/staff/members/exports/not-a-token", http.StatusNotFound, "", "ページが見つかりません"},
	} {
		res := ward.get(c.path)
		if res.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.path, res.StatusCode, c.status)
			continue
		}
		if c.field == "" {
			if h := res.Doc.Find("h1").Text(); !strings.Contains(h, c.text) || res.Doc.Find(".meta code").Text() == "" {
				t.Errorf("%s: page %q with request id %q, want %q", c.path, h, res.Doc.Find(".meta code").Text(), c.text)
			}
			continue
		}
		if msg := res.Doc.Find("#f-" + c.field + "-error").Text(); !strings.Contains(msg, c.text) {
			t.Errorf("%s: message next to %s: %q, want %q", c.path, c.field, msg, c.text)
		}
		u, _ := url.Parse(c.path)
		if v := res.Doc.Find("#f-"+c.field).AttrOr("value", ""); v != u.Query().Get(c.field) {
			t.Errorf("%s: the field shows %q, not what was typed", c.path, v)
		}
	}

	// Numbers on the event forms: within range, said next to the field, kept.
	day := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	event := url.Values{"title": {"防災講座"}, "description": {"説明"}, "category": {"防災"}, "town": {"四谷"},
		"venue": {"四谷区民センター"}, "date": {day}, "start": {"10:00"}, "end": {"12:00"}, "waitlist": {"0"}}
	manage := fmt.Sprintf("/events/%d/manage", ev.ID)
	for _, c := range []struct{ field, value, path, want string }{
		{"capacity", "3000000000", "/events/new", "1〜99,999"},
		{"capacity", "-5", "/events/new", "1〜99,999"},
		{"waitlist", "-3000000000", "/events/new", "0〜9,999"},
		{"date", "0000-01-01", "/events/new", "年-月-日"},
		{"apply_until", "0000-01-01", "/events/new", "年-月-日"},
		{"capacity", "3000000000", manage, "1〜99,999"},
		{"capacity", "-5", manage, "1〜99,999"},
		{"waitlist", "3000000000", manage, "0〜9,999"},
	} {
		v := withValues(event, "_csrf", ward.token(), "action", "capacity", "capacity", "10", "waitlist", "2", c.field, c.value)
		res := ward.post(c.path, v)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s %s=%s: status %d, want 422", c.path, c.field, c.value, res.StatusCode)
			continue
		}
		if msg := res.Doc.Find("#f-" + c.field + "-error").Text(); !strings.Contains(msg, c.want) {
			t.Errorf("%s %s=%s: message %q, want %q", c.path, c.field, c.value, msg, c.want)
		}
		if got := res.Doc.Find("#f-"+c.field).AttrOr("value", ""); got != c.value {
			t.Errorf("%s %s=%s: the field shows %q", c.path, c.field, c.value, got)
		}
	}
	var n int
	if err := e.db.Pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE title = '防災講座' OR capacity = 5 OR capacity <> 10`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d events were saved or changed by refused forms (%v)", n, err)
	}
	// Typed in full width, a number is still read.
	ward.post(manage, url.Values{"_csrf": {ward.token()}, "action": {"capacity"}, "capacity": {"１２"}, "waitlist": {"３"}}).
		wantStatus(t, http.StatusSeeOther)
	var got db.Event
	if err := e.db.Bun.NewSelect().Model(&got).Where("id = ?", ev.ID).Scan(ctx); err != nil || *got.Capacity != 12 || got.WaitlistSize != 3 {
		t.Errorf("full-width capacity: %v %v", got.Capacity, err)
	}

	// A category's order is a number in range too.
	res := ward.post("/staff/board/categories", url.Values{"_csrf": {ward.token()}, "slug": {"town"}, "name_ja": {"まち"},
		"name_en": {"Town"}, "sort_order": {"3000000000"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := res.Doc.Find("#cat-0-sort_order-error").Text(); !strings.Contains(msg, "0〜9,999") ||
		res.Doc.Find("#cat-0-sort_order").AttrOr("value", "") != "3000000000" || res.Doc.Find("#cat-0-slug").AttrOr("value", "") != "town" {
		t.Errorf("sort order: %q", msg)
	}
}
