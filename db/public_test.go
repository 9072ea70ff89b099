package db_test

import (
	"context"
	"errors"
	"io/fs"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/migrations"
)

// TestMigrationMovesContentIntoPages: a database with notices, subsidies,
// articles and facilities in the tables of 0001 is migrated up; every row
// is a live page of the official site with the same title, body, fields,
// division and date, found by its old id; the notice that was still
// scheduled waits for its time and is then published by the scheduler; the
// old tables are gone, and the down migration brings them back empty.
func TestMigrationMovesContentIntoPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	ms, err := db.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m db.Migration) bool { return m.Version == "0015_publishing" })
	if i < 0 {
		t.Fatal("no migration 0015_publishing")
	}
	if _, err := d.Pool.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, ms[:i]); err != nil {
		t.Fatal(err)
	}
	if v := ms[i-1].Version; v != "0014_drop_lockout" {
		t.Fatalf("migrated to %s", v)
	}
	jst := time.FixedZone("JST", 9*3600)
	now := time.Now()
	past, earlier, ahead := time.Date(2026, 4, 10, 9, 0, 0, 0, jst), time.Date(2026, 3, 2, 14, 30, 0, 0, jst), now.Add(5*24*time.Hour).Truncate(time.Second)
	// Old ids far from the page ids the migration hands out, so an old id
	// is no page of its kind and leads to its page.
	for _, sql := range []string{
		`INSERT INTO notices (id, title, body, department, published_at, created_at) OVERRIDING SYSTEM VALUE VALUES
			(101, '区民健康診査のご案内', E'今年度の健康診査を実施します。\n\n受診券をお送りします。', '健康づくり課', $1, $1),
			(102, '総合防災訓練を実施します', '四谷地区で実施します。', '防災課', $2, $2),
			(103, '年末年始の窓口業務について', 'まだ掲載されません。', '区政情報課', $3, $2)`,
		`INSERT INTO subsidies (id, title, body, department, amount, apply_until, published_at, created_at) OVERRIDING SYSTEM VALUE VALUES
			(201, '防災資器材購入費助成', '町会・自治会が対象です。', '防災課', '上限30万円', '2026-06-30', $1, $1),
			(202, '生け垣緑化助成', '通年で受け付けます。', 'みどり公園課', '', NULL, $2, $2)`,
		`INSERT INTO articles (id, kind, title, body, author_label, published_at, created_at) OVERRIDING SYSTEM VALUE VALUES
			(301, 'article', '子ども食堂の現場から', '毎月開かれています。', '編集部', $1, $1),
			(302, 'column', '地域の見守り', '私たちにできること。', '区民ライター 佐藤', $2, $2)`,
		`INSERT INTO facilities (id, name, category, town, address, phone, url, sort_order) OVERRIDING SYSTEM VALUE VALUES
			(401, '四谷地域センター', '地域センター', '四谷', '新宿区内藤町87', '03-3351-3314', 'https://www.example.jp/yotsuya', 10)`,
	} {
		args := []any{past, earlier, ahead}[:countParams(sql)]
		if _, err := d.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	done, err := d.Migrate(ctx, ms)
	if err != nil || !slices.Contains(done, "0015_publishing") || !slices.Contains(done, "0016_drop_old_content") {
		t.Fatalf("Migrate = %v, %v", done, err)
	}

	type want struct {
		kind     string
		old      int64
		title    string
		body     string
		division string
		fields   db.PageFields
		at       time.Time
	}
	for _, w := range []want{
		{db.PageNotice, 101, "区民健康診査のご案内", "今年度の健康診査を実施します。\n\n受診券をお送りします。", "健康づくり課", db.PageFields{}, past},
		{db.PageNotice, 102, "総合防災訓練を実施します", "四谷地区で実施します。", "防災課", db.PageFields{}, earlier},
		{db.PageSubsidy, 201, "防災資器材購入費助成", "町会・自治会が対象です。", "防災課", db.PageFields{Amount: "上限30万円", ApplyUntil: "2026-06-30"}, past},
		{db.PageSubsidy, 202, "生け垣緑化助成", "通年で受け付けます。", "みどり公園課", db.PageFields{}, earlier},
		{db.PageArticle, 301, "子ども食堂の現場から", "毎月開かれています。", "ポータル運営事務局", db.PageFields{ArticleKind: "article", AuthorLabel: "編集部"}, past},
		{db.PageArticle, 302, "地域の見守り", "私たちにできること。", "ポータル運営事務局", db.PageFields{ArticleKind: "column", AuthorLabel: "区民ライター 佐藤"}, earlier},
	} {
		id, err := d.LegacyPageID(ctx, w.kind, w.old)
		if err != nil {
			t.Errorf("%s %d: no page for the old id: %v", w.kind, w.old, err)
			continue
		}
		p, err := d.PublicPage(ctx, w.kind, id)
		if err != nil {
			t.Errorf("%s %d (page %d) is not public: %v", w.kind, w.old, id, err)
			continue
		}
		if p.Title != w.title || p.Body != w.body || p.Division != w.division || !reflect.DeepEqual(p.Fields, w.fields) || !p.PublishedAt.Equal(w.at) {
			t.Errorf("%s %d became %+v\nwant %+v", w.kind, w.old, *p, w)
		}
		// And it is listed.
		list, err := d.PublicPages(ctx, w.kind, db.Cursor{})
		if err != nil || !slices.ContainsFunc(list.Items, func(x db.PublicPage) bool { return x.ID == id }) {
			t.Errorf("%s %d is not in its list (%v)", w.kind, w.old, err)
		}
	}

	// The facility: a live page whose entry names the same facilities row.
	facs, err := d.ListFacilities(ctx)
	if err != nil || len(facs) != 1 {
		t.Fatalf("facilities %+v, %v", facs, err)
	}
	if f := facs[0]; f.ID != 401 || f.Name != "四谷地域センター" || f.Category != "地域センター" || f.Town != "四谷" ||
		f.Address != "新宿区内藤町87" || f.Phone != "03-3351-3314" || f.URL != "https://www.example.jp/yotsuya" || f.SortOrder != 10 {
		t.Errorf("facility %+v", f)
	}

	// The scheduled notice is not public until its time; then the scheduler publishes it.
	if _, err := d.LegacyPageID(ctx, db.PageNotice, 103); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the scheduled notice is public already: %v", err)
	}
	var pageID int64
	var status string
	if err := d.Pool.QueryRow(ctx, `SELECT p.id, r.status FROM pages p JOIN page_revisions r ON r.page_id = p.id
		WHERE p.kind = 'notice' AND p.legacy_id = 103`).Scan(&pageID, &status); err != nil || status != db.RevApproved {
		t.Fatalf("the scheduled notice's revision: %q, %v", status, err)
	}
	if n, _, err := d.RunSchedule(ctx, now, 10); err != nil || n != 0 {
		t.Errorf("the schedule published %d (%v) before the notice's time", n, err)
	}
	if n, _, err := d.RunSchedule(ctx, ahead, 10); err != nil || n != 1 {
		t.Errorf("the schedule published %d (%v) at the notice's time", n, err)
	}
	if p, err := d.PublicPage(ctx, db.PageNotice, pageID); err != nil || p.Title != "年末年始の窓口業務について" || !p.PublishedAt.Equal(ahead) {
		t.Errorf("the scheduled notice after its time: %+v, %v", p, err)
	}
	hist, err := d.PageHistory(ctx, pageID)
	if err != nil || len(hist) != 2 || hist[0].ToStatus != db.RevApproved || hist[1].Action != db.PageActPublish {
		t.Errorf("its history: %+v, %v", hist, err)
	}

	// The old tables are gone; the down migration brings them back empty.
	var gone bool
	if err := d.Pool.QueryRow(ctx, `SELECT to_regclass('notices') IS NULL AND to_regclass('subsidies') IS NULL AND to_regclass('articles') IS NULL`).
		Scan(&gone); err != nil || !gone {
		t.Errorf("old tables still there (%v)", err)
	}
	down, err := fs.ReadFile(migrations.FS, "0016_drop_old_content.down.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, string(down)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `INSERT INTO notices (title, body, department, published_at) VALUES ('t', 'b', 'd', now());
		INSERT INTO subsidies (title, body, department, amount, apply_until, published_at) VALUES ('t', 'b', 'd', '', NULL, now());
		INSERT INTO articles (kind, title, body, author_label, published_at) VALUES ('column', 't', 'b', 'a', now())`); err != nil {
		t.Errorf("the tables of 0001 after the down migration: %v", err)
	}
}

// countParams is the highest $n in sql.
func countParams(sql string) int {
	n := 0
	for i := 0; i+1 < len(sql); i++ {
		if sql[i] == '$' && sql[i+1] >= '1' && sql[i+1] <= '9' {
			n = max(n, int(sql[i+1]-'0'))
		}
	}
	return n
}
