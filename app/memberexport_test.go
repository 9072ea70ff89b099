package app

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot  %q\nwant %q", name, got, want)
	}
}

// exportEnv is a server with four members whose data tests each edge of an
// export, and a ward staff member signed in.
type exportEnv struct {
	*testEnv
	ward    *testEnv
	wardAcc *db.Account
	event   *db.Event
}

func newExportEnv(t *testing.T) *exportEnv {
	t.Helper()
	e := newTestEnv(t)
	ctx := context.Background()
	type person struct{ login, handle, name, phone, town, status string }
	people := []person{
		{"M5000001", "はなこ", "髙橋 花子", "03-1111-0001", "四谷", db.StatusActive},
		{"M5000002", "よしだ", "𠮷田 太郎", "03-1111-0002", "西新宿", db.StatusActive},                         // 𠮷 is not in CP932
		{"M5000003", "いたずら", `=HYPERLINK("http://x","y")`, "+81-3-1111-0003", "四谷", db.StatusActive}, // hostile
		{"M5000004", "まだ", "新宿 次郎", "03-1111-0004", "四谷", db.StatusPending},
	}
	for i, p := range people {
		acc := e.memberAccount(p.login, p.handle)
		_, err := e.db.Pool.Exec(ctx, `UPDATE accounts SET status = $2, created_at = $3 WHERE id = $1`,
			acc.ID, p.status, fmt.Sprintf("2026-04-0%d 10:00:00+09", i+1))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.db.Pool.Exec(ctx, `UPDATE member_profiles SET name = $2, phone = $3, town = $4,
			address = $4 || '1-2-3, "コーポ"' WHERE account_id = $1`,
			acc.ID, p.name, p.phone, p.town)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 { // subscribed to a newsletter list: the filter reads the real subscription
			if err := e.db.SetMemberSubscription(ctx, acc.ID, firstNewsletterList(t, e.db), true, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	x := &exportEnv{testEnv: e, event: e.publishedEvent(10, 0)}
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO event_signups (event_id, account_id, status)
		SELECT $1, id, 'confirmed' FROM accounts WHERE login_id = 'M5000002'`, x.event.ID); err != nil {
		t.Fatal(err)
	}
	x.wardAcc = e.staffAccount("ward1", db.RoleWardStaff)
	x.ward = e.client()
	x.ward.signIn("ward1", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	return x
}

// export posts the export form with the given fields.
func (x *exportEnv) export(c *testEnv, fields url.Values) *http.Response {
	x.t.Helper()
	v := url.Values{"_csrf": {c.token()}, "purpose": {"防災訓練の案内はがき"}, "token": {strings.Repeat("ab", 16)}}
	for k, vs := range fields {
		v[k] = vs
	}
	req, _ := http.NewRequest(http.MethodPost, x.srv.URL+"/staff/members/export", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.http.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	return res
}

func readAll(t *testing.T, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenColumns are in file order, which is also the order the audit entry names them.
var goldenColumns = []string{"login_id", "name", "address", "phone", "status", "registered_at", "newsletter"}

func TestMemberExportCSVForExcel(t *testing.T) {
	t.Parallel()
	x := newExportEnv(t)
	ctx := context.Background()

	res := x.export(x.ward, url.Values{"columns": goldenColumns, "format": {"csv_cp932"}})
	body := readAll(t, res)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=Shift_JIS" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="members-`) {
		t.Fatalf("CP932 export: %d %v\n%s", res.StatusCode, res.Header, body)
	}
	// Golden: CRLF, Japanese header, 𠮷 written as 〓, the hostile name
	// apostrophe-prefixed, the address quoted, status and newsletter as words.
	golden(t, "members_cp932.csv", body)

	// The staff member learns which cell CP932 could not hold.
	report := x.ward.get("/staff/members/exports/" + strings.Repeat("ab", 16))
	report.wantStatus(t, http.StatusOK)
	text := strings.Join(strings.Fields(report.Doc.Text()), " ")
	for _, want := range []string{"4件を書き出しました", "表せない文字を含む項目が1件", "氏名", "𠮷"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q: %s", want, text)
		}
	}
	if report.Doc.Find("[data-export-done]").Length() != 1 || report.Doc.Find("tbody td").First().Text() != "3" {
		t.Errorf("report: want done and Excel row 3 (header + 2nd member): %s", report.Body)
	}

	// One audit entry names the filter, the columns, the row count and the purpose.
	var es []db.AuditEntry
	if err := x.db.Bun.NewSelect().Model(&es).Where("action = ?", db.AuditExport).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("audit entries for the export: %d, want 1", len(es))
	}
	en := es[0]
	if en.ActorID != x.wardAcc.ID || en.ActorRole != db.RoleWardStaff || en.Purpose != "防災訓練の案内はがき" ||
		strings.Join(en.Fields, ",") != strings.Join(goldenColumns, ",") ||
		!strings.Contains(en.Detail, "4 rows") || !strings.Contains(en.Detail, "all members") || en.IP == "" {
		t.Errorf("audit entry: %+v", en)
	}

	res = x.export(x.ward, url.Values{"columns": goldenColumns, "format": {"csv_utf8"}, "token": {strings.Repeat("cd", 16)}})
	body = readAll(t, res)
	if res.Header.Get("Content-Type") != "text/csv; charset=UTF-8" || !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("UTF-8 export: %v %q", res.Header, body)
	}
	golden(t, "members_utf8.csv", body)
	report = x.ward.get("/staff/members/exports/" + strings.Repeat("cd", 16))
	if strings.Contains(report.Body, "表せない") {
		t.Error("a UTF-8 export reported characters it keeps")
	}
}

func TestMemberExportXLSX(t *testing.T) {
	t.Parallel()
	x := newExportEnv(t)
	res := x.export(x.ward, url.Values{"columns": goldenColumns, "format": {"xlsx"}})
	body := readAll(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("XLSX export: %d %v", res.StatusCode, res.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("会員名簿")
	if err != nil {
		t.Fatal(err)
	}
	var tsv strings.Builder
	for _, r := range rows {
		tsv.WriteString(strings.Join(r, "\t") + "\n")
	}
	// Golden: every character kept (𠮷 too), the hostile name as it was typed.
	golden(t, "members_xlsx.tsv", []byte(tsv.String()))

	// The hostile name is a text cell, never a formula.
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, _ := zf.Open()
		xml, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(xml, []byte("<f>")) || bytes.Contains(xml, []byte("<f ")) {
			t.Errorf("%s holds a formula: %s", zf.Name, xml)
		}
	}
	if v, _ := f.GetCellValue("会員名簿", "B4"); v != `=HYPERLINK("http://x","y")` {
		t.Errorf("hostile cell = %q", v)
	}
	if formula, _ := f.GetCellFormula("会員名簿", "B4"); formula != "" {
		t.Errorf("hostile cell became the formula %q", formula)
	}
}

func TestMemberExportFilters(t *testing.T) {
	t.Parallel()
	x := newExportEnv(t)
	ids := func(fields url.Values) string {
		t.Helper()
		fields.Set("columns", "login_id")
		fields.Set("format", "csv_utf8")
		fields.Set("token", "")
		res := x.export(x.ward, fields)
		body := strings.TrimPrefix(string(readAll(t, res)), "\uFEFF")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%v: %d %s", fields, res.StatusCode, body)
		}
		lines := strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n")
		return strings.Join(lines[1:], " ")
	}
	for _, c := range []struct {
		fields url.Values
		want   string
	}{
		{url.Values{}, "M5000001 M5000002 M5000003 M5000004"},
		{url.Values{"status": {"pending"}}, "M5000004"},
		{url.Values{"town": {"西新宿"}}, "M5000002"},
		{url.Values{"newsletter": {"yes"}}, "M5000001 M5000003"},
		{url.Values{"newsletter": {"no"}, "status": {"active"}}, "M5000002"},
		{url.Values{"joined": {"yes"}}, "M5000002"},
		{url.Values{"joined": {"no"}, "town": {"四谷"}}, "M5000001 M5000003 M5000004"},
		{url.Values{"event": {fmt.Sprint(x.event.ID)}}, "M5000002"},
		{url.Values{"from": {"2026-04-02"}, "to": {"２０２６－０４－０３"}}, "M5000002 M5000003"},
		{url.Values{"town": {"練馬"}}, ""},
	} {
		if got := ids(c.fields); got != c.want {
			t.Errorf("%v: got %q, want %q", c.fields, got, c.want)
		}
	}
}

func TestMemberExportFormErrorsKeepWhatWasTyped(t *testing.T) {
	t.Parallel()
	x := newExportEnv(t)
	page := x.ward.get("/staff/members/export")
	page.wantStatus(t, http.StatusOK)
	if page.Doc.Find(`form[data-export-report] input[name="_csrf"]`).Length() != 1 {
		t.Error("the export form carries no CSRF token")
	}
	var towns []string
	page.Doc.Find(`#towns option`).Each(func(_ int, o *goquery.Selection) { towns = append(towns, o.AttrOr("value", "")) })
	if list, _ := page.Doc.Find("#f-town").Attr("list"); list != "towns" || strings.Join(towns, " ") != "四谷 西新宿" {
		t.Errorf("town suggestions: list=%q %v", list, towns)
	}
	res := x.ward.post("/staff/members/export", url.Values{"_csrf": {x.ward.token()}, "town": {"四谷"}, "from": {"4月1日"},
		"event": {"abc"}, "purpose": {""}, "format": {"xlsx"}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	for field, want := range map[string]string{"from": "年-月-日", "event": "番号は数字", "purpose": "利用目的を入力"} {
		if got := res.Doc.Find("#f-" + field + "-error").Text(); !strings.Contains(got, want) {
			t.Errorf("error next to %s: %q, want %q", field, got, want)
		}
	}
	if got := res.Doc.Find("#f-columns-error").Text(); !strings.Contains(got, "1つ以上") {
		t.Errorf("columns error: %q", got)
	}
	if v, _ := res.Doc.Find("#f-town").Attr("value"); v != "四谷" {
		t.Errorf("town not kept: %q", v)
	}
	if _, ok := res.Doc.Find(`input[name=format][value=xlsx]`).Attr("checked"); !ok {
		t.Error("format not kept")
	}
	var n int
	if err := x.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM member_exports`).Scan(&n); err != nil || n != 0 {
		t.Errorf("a refused export was recorded: %d %v", n, err)
	}
}

func TestMemberExportNeedsPermission(t *testing.T) {
	t.Parallel()
	x := newExportEnv(t)
	ctx := context.Background()
	editor := x.client()
	x.staffAccount("editor1", db.RoleEditor)
	editor.signIn("editor1", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	member := x.client()
	member.signIn("M5000001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	for name, c := range map[string]*testEnv{"editor": editor, "member": member} {
		res := x.export(c, url.Values{"columns": goldenColumns})
		body := readAll(t, res)
		if res.StatusCode != http.StatusForbidden || strings.Contains(res.Header.Get("Content-Type"), "csv") ||
			res.Header.Get("Content-Disposition") != "" || bytes.Contains(body, []byte("M5000001")) {
			t.Errorf("%s: export not refused: %d %v", name, res.StatusCode, res.Header)
		}
	}
	var exports, audits int
	if err := x.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM member_exports), (SELECT count(*) FROM audit_log WHERE action = 'export')`).
		Scan(&exports, &audits); err != nil || exports != 0 || audits != 0 {
		t.Errorf("refused exports left records: %d exports, %d audit entries, %v", exports, audits, err)
	}
}

// TestEventParticipantsFollowOneRule: whoever may not open an event's
// participant list may not get the same people through the member-list
// export filtered by that event either; the organiser gets both.
func TestEventParticipantsFollowOneRule(t *testing.T) {
	t.Parallel()
	x := newExportEnv(t) // x.event is the ward's, with M5000002 signed up
	ctx := context.Background()
	_, group := x.groupAccount(dbtest.GroupOptions{Login: "G70001", Name: "四谷こども食堂"})
	event := func(kind string, groupID *int64) *db.Event {
		ev := dbtest.Event(t, x.db, db.Event{OrganiserKind: kind, GroupID: groupID, Capacity: new(10)})
		if _, err := x.db.Pool.Exec(ctx, `INSERT INTO event_signups (event_id, account_id, status)
			SELECT $1, id, 'confirmed' FROM accounts WHERE login_id = 'M5000001'`, ev.ID); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	groupEvent, operatorEvent := event(db.OrganiserGroup, &group.ID), event(db.OrganiserOperator, nil)
	mod := x.client()
	modAcc := x.staffAccount("mod7", db.RoleModerator)
	mod.signIn("mod7", "staff-password-1").wantStatus(t, http.StatusSeeOther)
	g := x.client()
	g.signIn("G70001", "group-password-1").wantStatus(t, http.StatusSeeOther)

	count := func() (exports, audits int) {
		t.Helper()
		if err := x.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM member_exports),
			(SELECT count(*) FROM audit_log WHERE action IN ('view', 'export'))`).Scan(&exports, &audits); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, c := range []struct {
		who    string
		client *testEnv
		ev     *db.Event
		allow  bool
	}{
		{"moderator, group's event", mod, groupEvent, false},
		{"moderator, ward's event", mod, x.event, false},
		{"ward staff, group's event", x.ward, groupEvent, false},
		{"moderator, operator's event", mod, operatorEvent, true},
		{"ward staff, ward's event", x.ward, x.event, true},
	} {
		exports, audits := count()
		page := c.client.get(fmt.Sprintf("/events/%d/participants", c.ev.ID))
		csv := c.client.get(fmt.Sprintf("/events/%d/participants.csv?enc=utf8", c.ev.ID))
		res := x.export(c.client, url.Values{"event": {fmt.Sprint(c.ev.ID)}, "columns": {"login_id", "name", "phone"}, "format": {"csv_utf8"}, "token": {""}})
		body := string(readAll(t, res))
		if !c.allow {
			if page.StatusCode != http.StatusForbidden || csv.StatusCode != http.StatusForbidden {
				t.Errorf("%s: participant page %d, CSV %d, want 403", c.who, page.StatusCode, csv.StatusCode)
			}
			doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#f-event-error").Text(), "主催者だけ") ||
				strings.Contains(body, "03-1111-000") || res.Header.Get("Content-Disposition") != "" {
				t.Errorf("%s: export by event %d %q: %s", c.who, res.StatusCode, res.Header.Get("Content-Disposition"), doc.Find("#f-event-error").Text())
			}
			if doc.Find("#f-event").AttrOr("value", "") != fmt.Sprint(c.ev.ID) {
				t.Errorf("%s: the refused form lost the event number", c.who)
			}
			if e2, a2 := count(); e2 != exports || a2 != audits {
				t.Errorf("%s: a refused look left records: exports %d→%d, audit %d→%d", c.who, exports, e2, audits, a2)
			}
			continue
		}
		if page.StatusCode != http.StatusOK || csv.StatusCode != http.StatusOK || res.StatusCode != http.StatusOK ||
			!strings.Contains(body, "03-1111-000") {
			t.Errorf("%s: the organiser is refused: page %d, CSV %d, export %d", c.who, page.StatusCode, csv.StatusCode, res.StatusCode)
		}
	}
	// The group sees its own event's list; the export is staff's only.
	g.get(fmt.Sprintf("/events/%d/participants", groupEvent.ID)).wantStatus(t, http.StatusOK)
	// The rule lives in the data layer: a caller that skips the handler's check is refused too.
	f := db.ExportFilter{EventID: groupEvent.ID}
	if snap, err := x.db.OpenMemberExport(ctx, f, db.ExportColumnsFor([]string{"login_id"}), modAcc); !errors.Is(err, db.ErrNotOrganiser) {
		if snap != nil {
			snap.Close()
		}
		t.Errorf("OpenMemberExport by a moderator for a group's event: %v", err)
	}
	if _, err := x.db.Participants(ctx, groupEvent.ID, modAcc, db.AuditView, "127.0.0.1"); !errors.Is(err, db.ErrNotOrganiser) {
		t.Errorf("Participants by a moderator for a group's event: %v", err)
	}
	// An unknown event is said next to the field.
	res := x.export(x.ward, url.Values{"event": {"99999999"}, "columns": {"login_id"}})
	doc, _ := goquery.NewDocumentFromReader(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#f-event-error").Text(), "イベントはありません") {
		t.Errorf("unknown event: %d %q", res.StatusCode, doc.Find("#f-event-error").Text())
	}
}
