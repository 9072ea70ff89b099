package db_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/migrations"
)

// TestBackfillSiteSearchGrams: events and groups written without grams
// (before 0023, or by a COPY that left them out) are found once the
// backfills have run (BackfillSiteSearchGrams for pages and events, 0020's
// at migrate for groups), and each kind's query runs on its own GIN index, never
// a sequential scan of its table.
func TestBackfillSiteSearchGrams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	cfg, err := pgxpool.ParseConfig(url)
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
	d := &db.DB{Pool: pool}
	start := time.Now().Add(72 * time.Hour)
	// Many rows without the word, a few with it; none with grams yet.
	if _, err := pool.Exec(ctx, `INSERT INTO events (organiser_kind, title, description, category, town, venue, starts_at, ends_at, status)
		SELECT 'ward', CASE WHEN i % 500 = 0 THEN '盆踊り大会' ELSE '講座 ' || i END, '説明', '講座', '四谷', '区民センター', $1, $1::timestamptz + interval '2 hours', 'published'
		FROM generate_series(1, 3000) AS i`, start); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO groups (name, category, town, summary, published)
		SELECT CASE WHEN i % 500 = 0 THEN '盆踊り保存会' || i ELSE '団体' || i END, '文化', '四谷', '', true
		FROM generate_series(1, 3000) AS i`); err != nil {
		t.Fatal(err)
	}
	gs, err := d.SiteSearch(ctx, "盆踊", []string{db.SearchEvents, db.SearchGroups}, time.Now(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if gs[0].Count != 0 || gs[1].Count != 0 {
		t.Fatalf("found before the backfill: %+v", gs)
	}
	n, err := d.BackfillSiteSearchGrams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 3000 {
		t.Errorf("backfilled %d rows, want at least the 3000 events written", n)
	}
	// Groups get their grams from 0020's backfill (and when a profile is
	// approved), not from the site search's: migrate fills them.
	ms, err := db.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	md, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(md.Close)
	if _, err := md.Migrate(ctx, ms); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"events", "groups"} {
		if _, err := pool.Exec(ctx, `VACUUM ANALYZE `+table); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	plans = nil
	mu.Unlock()
	gs, err = d.SiteSearch(ctx, "盆踊", []string{db.SearchEvents, db.SearchGroups}, time.Now(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if gs[0].Count != 6 || gs[1].Count != 6 || len(gs[0].Hits) != 5 || gs[0].More {
		t.Errorf("after the backfill: events %d (%d shown), groups %d; want 6 (5 shown) and 6", gs[0].Count, len(gs[0].Hits), gs[1].Count)
	}
	mu.Lock()
	plan := strings.Join(plans, "\n")
	mu.Unlock()
	for _, index := range []string{"events_search_idx", "groups_grams_idx"} {
		if !strings.Contains(plan, index) {
			t.Errorf("no use of %s in\n%s", index, plan)
		}
	}
	for _, table := range []string{"events", "groups"} {
		if strings.Contains(plan, fmt.Sprintf("Seq Scan on %s", table)) {
			t.Errorf("a sequential scan of %s in\n%s", table, plan)
		}
	}
	// Nothing is left to fill: a second run updates nothing.
	if n, err := d.BackfillSiteSearchGrams(ctx); err != nil || n != 0 {
		t.Errorf("second backfill: %d rows, %v", n, err)
	}
}
