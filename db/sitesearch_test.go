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
)

// TestBackfillSiteSearchGrams: events written without grams (before 0023,
// or by a COPY that left them out) are found once the backfill has run, and
// each kind's query runs on its own GIN index, never a sequential scan of
// its table. Groups' grams are 0020's (written when a profile is approved,
// backfilled by the migration), so here they are written as the
// application writes them and the site backfill leaves them alone.
func TestBackfillSiteSearchGrams(t *testing.T) {
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
	d := &db.DB{Pool: pool}
	start := time.Now().Add(72 * time.Hour)
	// Many rows without the word, a few with it; no event with grams yet.
	if _, err := pool.Exec(ctx, `INSERT INTO events (organiser_kind, title, description, category, town, venue, starts_at, ends_at, status)
		SELECT 'ward', CASE WHEN i % 500 = 0 THEN '盆踊り大会' ELSE '講座 ' || i END, '説明', '講座', '四谷', '区民センター', $1, $1::timestamptz + interval '2 hours', 'published'
		FROM generate_series(1, 3000) AS i`, start); err != nil {
		t.Fatal(err)
	}
	var names, grams []string
	for i := 1; i <= 3000; i++ {
		name := fmt.Sprintf("団体%d", i)
		if i%500 == 0 {
			name = fmt.Sprintf("盆踊り保存会%d", i)
		}
		g := make([]string, 0, 16)
		for _, v := range db.GroupSearchGrams(name, db.ProfileContent{}) {
			g = append(g, fmt.Sprint(v))
		}
		names, grams = append(names, name), append(grams, "{"+strings.Join(g, ",")+"}")
	}
	if _, err := pool.Exec(ctx, `INSERT INTO groups (name, category, town, summary, published, search_grams)
		SELECT v.name, '文化', '四谷', '', true, v.grams::int[] FROM unnest($1::text[], $2::text[]) AS v (name, grams)`, names, grams); err != nil {
		t.Fatal(err)
	}
	gs, err := d.SiteSearch(ctx, "盆踊", []string{db.SearchEvents, db.SearchGroups}, time.Now(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if gs[0].Count != 0 || gs[1].Count != 6 {
		t.Fatalf("before the backfill: events %d, groups %d; want 0 and 6", gs[0].Count, gs[1].Count)
	}
	n, err := d.BackfillSiteSearchGrams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 3000 {
		t.Errorf("backfilled %d rows, want at least the 3000 events written", n)
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
