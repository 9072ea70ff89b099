package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
	"github.com/wardportal/portal/migrations"
)

// board is a database with one author and two categories to post in.
type board struct {
	d              *db.DB
	author         int64
	general, event int64
}

// newBoard adds the author and the categories in SQL through the pool, not
// with the dbtest builders: it also serves a database with no bun handle
// (TestSearchPostsUsesTheIndexes) and the schema before migration 0003
// (TestMigrateBackfillsSearchGrams).
func newBoard(t *testing.T, d *db.DB) *board {
	t.Helper()
	ctx := context.Background()
	b := &board{d: d}
	if err := d.Pool.QueryRow(ctx, `INSERT INTO accounts (kind, login_id, password_hash, display_name, status)
		VALUES ('member', 'M0000001', 'x', 'まちの住人', 'active') RETURNING id`).Scan(&b.author); err != nil {
		t.Fatal(err)
	}
	if err := d.Pool.QueryRow(ctx, `INSERT INTO board_categories (slug, name_ja, name_en)
		VALUES ('general', '一般', 'General') RETURNING id`).Scan(&b.general); err != nil {
		t.Fatal(err)
	}
	if err := d.Pool.QueryRow(ctx, `INSERT INTO board_categories (slug, name_ja, name_en)
		VALUES ('events', 'イベント', 'Events') RETURNING id`).Scan(&b.event); err != nil {
		t.Fatal(err)
	}
	return b
}

// post writes a topic (topic 0) or reply with its search grams, the way the
// board does. Every post gets a publication time, so only its status keeps
// an unpublished one out of the results.
func (b *board) post(t *testing.T, category, topic int64, title, body, status string, at time.Time) int64 {
	t.Helper()
	p := db.BoardPost{CategoryID: category, AuthorID: b.author, Title: title, Body: body, Status: status, PublishedAt: &at}
	if topic != 0 {
		p.TopicID = &topic
	}
	return dbtest.Post(t, b.d, p).ID
}

// copyPosts copies n posts, one a minute, every tenth one pending; every
// thousandth mentions 温泉.
func (b *board) copyPosts(t *testing.T, n int) {
	t.Helper()
	sentences := []string{"公園の清掃をしました。", "夏祭りの準備が始まりました。", "防災訓練に参加します。",
		"子ども食堂のスタッフを募集しています。", "ごみの分別にご協力ください。"}
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	_, err := b.d.Pool.CopyFrom(context.Background(), pgx.Identifier{"board_posts"},
		[]string{"category_id", "author_id", "title", "body", "status", "published_at", "search_grams"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			title := fmt.Sprintf("お知らせ%d", i)
			body := sentences[i%len(sentences)]
			if i%1000 == 7 {
				body += "温泉に行きました。"
			}
			status := "published"
			if i%10 == 1 {
				status = "pending"
			}
			return []any{b.general, b.author, title, body, status, at.Add(time.Duration(i) * time.Minute), db.SearchGrams(title, body)}, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
}

func postIDs(ps []db.BoardPost) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func TestSearchPosts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBoard(t, dbtest.New(t))
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	hour := func(n int) time.Time { return at.Add(time.Duration(n) * time.Hour) }

	cleanup := b.post(t, b.general, 0, "西新宿清掃ボランティア募集", "毎月第2土曜日に駅前を清掃します。", "published", hour(1))
	helper := b.post(t, b.general, cleanup, "", "祭りの準備も手伝います。", "published", hour(2))
	festival := b.post(t, b.event, 0, "夏祭りのお知らせ", "ﾏﾂﾘの屋台が出ます。ＡＢＣ広場にて。", "published", hour(3))
	// Never found: not published, or under a topic that is not.
	b.post(t, b.general, 0, "清掃の予定", "祭の後に清掃します。", "pending", hour(4))
	b.post(t, b.general, 0, "清掃と祭", "祭の後に清掃します。", "rejected", hour(5))
	b.post(t, b.general, 0, "清掃と祭", "祭の後に清掃します。", "withdrawn", hour(6))
	b.post(t, b.general, cleanup, "", "清掃と祭に参加します。", "pending", hour(7))
	removed := b.post(t, b.general, 0, "清掃と祭", "祭の後に清掃します。", "rejected", hour(8))
	b.post(t, b.general, removed, "", "清掃と祭に参加します。", "published", hour(9))

	for _, tc := range []struct {
		q        string
		category int64
		want     []int64
	}{
		{"清掃", 0, []int64{cleanup}},
		{"祭", 0, []int64{festival, helper}},
		{"祭", b.event, []int64{festival}},
		{"祭", b.general, []int64{helper}},
		{"まつり", 0, []int64{festival}},
		{"マツリ", 0, []int64{festival}},
		{"abc", 0, []int64{festival}},
		{"ＡＢＣ広場", 0, []int64{festival}},
		{"駅前 清掃", 0, []int64{cleanup}},
		{"清掃 祭", 0, nil},
		{"温泉", 0, nil},
		{"、。", 0, nil},
		{"", 0, nil},
	} {
		p, err := b.d.SearchPosts(ctx, tc.q, tc.category, db.Cursor{})
		if err != nil {
			t.Fatalf("SearchPosts(%q, %d): %v", tc.q, tc.category, err)
		}
		if got := postIDs(p.Items); !slices.Equal(got, tc.want) || !p.Next.IsZero() {
			t.Errorf("SearchPosts(%q, %d) = %v (next %v), want %v", tc.q, tc.category, got, p.Next, tc.want)
		}
	}

	// A reply carries its topic's title and only public author fields.
	p, err := b.d.SearchPosts(ctx, "準備", 0, db.Cursor{})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("SearchPosts(準備) = %v, %v", postIDs(p.Items), err)
	}
	r := p.Items[0]
	if r.ID != helper || r.TopicID == nil || *r.TopicID != cleanup || r.Title != "" || r.TopicTitle != "西新宿清掃ボランティア募集" ||
		r.Body != "祭りの準備も手伝います。" || r.Status != "published" || r.PublishedAt == nil || !r.PublishedAt.Equal(hour(2)) ||
		r.CategoryID != b.general || r.CategoryNameJa != "一般" || r.CategoryNameEn != "General" ||
		r.AuthorName != "まちの住人" || r.AuthorKind != "member" || r.AuthorStatus != "active" ||
		r.AuthorID != 0 || !r.CreatedAt.IsZero() {
		t.Errorf("reply: %+v", r)
	}
}

// A query with nothing to search for returns at once: this DB has no pool.
func TestSearchPostsNothingToSearch(t *testing.T) {
	t.Parallel()
	var d db.DB
	for _, q := range []string{"", "　", "！？・"} {
		if p, err := d.SearchPosts(context.Background(), q, 0, db.Cursor{}); err != nil || len(p.Items) != 0 || !p.Next.IsZero() {
			t.Errorf("SearchPosts(%q) = %+v, %v", q, p, err)
		}
	}
}

func TestSearchPostsPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBoard(t, dbtest.New(t))
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	long := strings.Repeat("公園の清掃活動に参加しました。", 20)
	var want []int64 // newest first
	for i := range 2*db.PageSize + 5 {
		// Pairs share a publication time: the id breaks the tie.
		ts := at.Add(time.Duration(i/2) * time.Minute)
		want = append(want, b.post(t, b.general, 0, fmt.Sprintf("清掃 %d", i), long, "published", ts))
		b.post(t, b.general, 0, "お知らせ", "防災訓練のお知らせ", "published", ts)
	}
	slices.Reverse(want)

	var got []int64
	var after db.Cursor
	for page := 1; ; page++ {
		p, err := b.d.SearchPosts(ctx, "清掃", 0, after)
		if err != nil {
			t.Fatal(err)
		}
		if page < 3 && len(p.Items) != db.PageSize || page == 3 && len(p.Items) != 5 || page > 3 {
			t.Fatalf("page %d has %d posts", page, len(p.Items))
		}
		for _, x := range p.Items {
			if n := utf8.RuneCountInString(x.Body); n != 200 {
				t.Fatalf("excerpt of %d characters, want 200", n)
			}
		}
		got = append(got, postIDs(p.Items)...)
		if p.Next.IsZero() {
			break
		}
		after = p.Next
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v\nwant    %v", got, want)
	}
}

// SearchPosts reads the newest 5,000 posts first and turns to the GIN index
// when they hold less than a page: either way, the same posts come back.
func TestSearchPostsBeyondTheRecentPosts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBoard(t, dbtest.New(t))
	b.copyPosts(t, 8000)
	for _, q := range []string{"温泉", "清掃"} {
		rows, _ := b.d.Pool.Query(ctx, `SELECT id FROM board_posts
			WHERE status = 'published' AND strpos(title || ' ' || body, $1) > 0
			ORDER BY published_at DESC, id DESC LIMIT 60`, q)
		want, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		var after db.Cursor
		for len(got) < len(want) {
			p, err := b.d.SearchPosts(ctx, q, 0, after)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, postIDs(p.Items)...)
			if p.Next.IsZero() {
				break
			}
			after = p.Next
		}
		if !slices.Equal(got[:min(len(got), len(want))], want) {
			t.Errorf("SearchPosts(%q) = %v\nwant %v", q, got, want)
		}
	}
}

// TestSearchPostsUsesTheIndexes checks the plans PostgreSQL chose for the
// very statements SearchPosts sent, with their parameters, as auto_explain
// reports them: the newest-first btree for the window of recent posts, and
// the GIN index for a word the window does not hold enough of. On a few
// thousand rows a sequential scan is the better plan, so the test turns them
// off: what it proves is that the indexes are usable by the queries as
// written (the grams are int4[] like the column, the WHERE clauses imply the
// indexes' status = 'published', the window's ORDER BY is the btree's), so
// at a million posts PostgreSQL has them to use. The benchmark
// (board_search) shows what they cost there.
func TestSearchPostsUsesTheIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(dbtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		plans []string
	)
	for k, v := range map[string]string{
		"session_preload_libraries":     "auto_explain",
		"auto_explain.log_min_duration": "0",
		"auto_explain.log_level":        "notice",
		"enable_seqscan":                "off",
	} {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	cfg.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		plans = append(plans, n.Message)
		mu.Unlock()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(ctx); err != nil {
		t.Skipf("auto_explain needs a superuser: %v", err)
	}
	b := newBoard(t, &db.DB{Pool: pool})

	b.copyPosts(t, 4000)
	// VACUUM moves the rows just copied from the GIN index's pending list
	// into the index proper, as autovacuum does; until then the planner
	// rightly finds the index dear.
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE board_posts`); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		q       string
		indexes []string
	}{
		{"清掃", []string{"board_posts_published_idx"}},
		{"温泉", []string{"board_posts_published_idx", "board_posts_search_idx"}},
	} {
		mu.Lock()
		plans = nil
		mu.Unlock()
		p, err := b.d.SearchPosts(ctx, tc.q, 0, db.Cursor{})
		if err != nil || len(p.Items) == 0 {
			t.Fatalf("SearchPosts(%q) = %d posts, %v", tc.q, len(p.Items), err)
		}
		mu.Lock()
		plan := strings.Join(plans, "\n")
		mu.Unlock()
		if !strings.Contains(plan, "search_grams @>") {
			t.Fatalf("%q: no plan of the search reported:\n%s", tc.q, plan)
		}
		for _, index := range tc.indexes {
			if !strings.Contains(plan, index) {
				t.Errorf("%q: no use of %s in\n%s", tc.q, index, plan)
			}
		}
		if strings.Contains(plan, "Seq Scan on board_posts") {
			t.Errorf("%q: a sequential scan of board_posts in\n%s", tc.q, plan)
		}
	}
}

// Posts written before migration 0003 get their grams when it is applied.
func TestMigrateBackfillsSearchGrams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	ms, err := db.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m db.Migration) bool { return m.Version == "0003_board" })
	if _, err := d.Pool.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, ms[:i]); err != nil {
		t.Fatal(err)
	}
	b := newBoard(t, d)
	// Ids far apart, so the backfill crosses empty batches.
	for _, id := range []int64{1, 2, 12_345} {
		if _, err := d.Pool.Exec(ctx, `INSERT INTO board_posts (id, category_id, author_id, title, body, status, published_at)
			OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, '公園の清掃をしました。', 'published', now())`,
			id, b.general, b.author, fmt.Sprintf("清掃報告%d", id)); err != nil {
			t.Fatal(err)
		}
	}
	done, err := d.Migrate(ctx, ms)
	if err != nil || len(done) == 0 || done[0] != "0003_board" {
		t.Fatalf("Migrate = %v, %v", done, err)
	}
	p, err := d.SearchPosts(ctx, "清掃", 0, db.Cursor{})
	if err != nil || !slices.Equal(postIDs(p.Items), []int64{12_345, 2, 1}) {
		t.Errorf("after the migration SearchPosts(清掃) = %v, %v", postIDs(p.Items), err)
	}
	var grams []int32
	if err := d.Pool.QueryRow(ctx, `SELECT search_grams FROM board_posts WHERE id = 2`).Scan(&grams); err != nil {
		t.Fatal(err)
	}
	if want := db.SearchGrams("清掃報告2", "公園の清掃をしました。"); !slices.Equal(grams, want) {
		t.Errorf("grams = %v, want %v", grams, want)
	}
	if n, err := d.BackfillSearchGrams(ctx); n != 0 || err != nil {
		t.Errorf("second backfill = %d, %v; want nothing left to do", n, err)
	}
}

// The seeder writes every post's grams and leaves the search index as the
// migration defined it.
func TestSeededPostsHaveSearchGrams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	indexDef := func() string {
		var def string
		if err := d.Pool.QueryRow(ctx, `SELECT pg_get_indexdef('board_posts_search_idx'::regclass)`).Scan(&def); err != nil {
			t.Fatal(err)
		}
		return def
	}
	before := indexDef()
	o := seed.Defaults()
	o.Posts, o.Members, o.PasswordHash = 3000, 300, "unusable"
	if _, err := seed.Run(ctx, d, o, nil); err != nil {
		t.Fatal(err)
	}
	if after := indexDef(); after != before {
		t.Errorf("search index after seeding:\n%s\nwant\n%s", after, before)
	}
	for _, q := range []string{"清掃", "祭り", "食堂"} {
		grams, _ := db.QueryGrams(q)
		var byGrams, byText int
		if err := d.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE search_grams @> $1::int[]),
			count(*) FILTER (WHERE strpos(title || ' ' || body, $2) > 0)
			FROM board_posts`, grams, q).Scan(&byGrams, &byText); err != nil {
			t.Fatal(err)
		}
		if byGrams != byText || byText == 0 {
			t.Errorf("%s: %d posts by grams, %d by text", q, byGrams, byText)
		}
	}
}
