package bench

import (
	"context"
	"fmt"
	"io"
	neturl "net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/seed"
	"github.com/wardportal/portal/migrations"
)

// Size is how much data the benchmark database holds. The rest of the seed
// options are seed.Defaults().
type Size struct {
	Members int
	Posts   int
	Events  int
	Groups  int
}

// FullSize is the product's size: what the figures are about.
var FullSize = Size{Members: 350_000, Posts: 1_000_000, Events: 50_000, Groups: 2_000}

// SmallSize is for a quick run (-small).
var SmallSize = Size{Members: 5_000, Posts: 20_000, Events: 1_000, Groups: 100}

// Options returns the seed options for s.
func (s Size) Options() seed.Options {
	o := seed.Defaults()
	o.Members, o.Posts, o.Events, o.Groups = s.Members, s.Posts, s.Events, s.Groups
	return o
}

// DatabaseURL is BENCH_DATABASE_URL, else database portal_bench (or
// portal_bench_small for -small, so a quick run does not throw the big one
// away) on the local server.
func DatabaseURL(getenv func(string) string, small bool) string {
	if u := getenv("BENCH_DATABASE_URL"); u != "" {
		return u
	}
	name := "portal_bench"
	if small {
		name += "_small"
	}
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}

// PrepareDatabase opens the benchmark database at url, creating and
// migrating it as needed, and makes sure it is seeded at size. A database
// already seeded at exactly that size is reused; one holding anything else is
// dropped and recreated, as is any with reseed. seeded is the time seeding
// took, 0 when it was reused.
func PrepareDatabase(ctx context.Context, url string, size Size, reseed bool, log io.Writer) (d *db.DB, seeded time.Duration, err error) {
	if reseed {
		fmt.Fprintf(log, "bench: -reseed: dropping %s\n", dbName(url))
		if err := DropDatabase(ctx, url); err != nil {
			return nil, 0, err
		}
	}
	d, err = openMigrated(ctx, url)
	if err != nil {
		return nil, 0, err
	}
	want := size.Options()
	have, err := countRows(ctx, d)
	if err != nil {
		d.Close()
		return nil, 0, err
	}
	if have == rowCounts(want) {
		fmt.Fprintf(log, "bench: reusing %s, seeded at %s\n", dbName(url), have)
		return d, 0, nil
	}
	if have != (counts{}) {
		fmt.Fprintf(log, "bench: %s holds %s, want %s: dropping it\n", dbName(url), have, rowCounts(want))
		d.Close()
		if err := DropDatabase(ctx, url); err != nil {
			return nil, 0, err
		}
		if d, err = openMigrated(ctx, url); err != nil {
			return nil, 0, err
		}
	}

	// Every seeded account shares one hash, as with `portal seed`.
	want.PasswordHash, err = auth.HashPassword(seed.Password)
	if err != nil {
		d.Close()
		return nil, 0, err
	}
	fmt.Fprintf(log, "bench: seeding %s with %s\n", dbName(url), rowCounts(want))
	start := time.Now()
	if _, err := seed.Run(ctx, d, want, prefixWriter{log}); err != nil {
		d.Close()
		return nil, 0, err
	}
	seeded = time.Since(start)
	if have, err = countRows(ctx, d); err == nil && have != rowCounts(want) {
		fmt.Fprintf(log, "bench: warning: after seeding %s holds %s, not %s; the next run will seed again\n", dbName(url), have, rowCounts(want))
	}
	return d, seeded, err
}

func openMigrated(ctx context.Context, url string) (*db.DB, error) {
	if err := db.EnsureDatabase(ctx, connURL(url)); err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	ms, err := db.LoadMigrations(migrations.FS)
	if err == nil {
		_, err = d.Migrate(ctx, ms) // under the migration advisory lock
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// DropDatabase drops the database url names, disconnecting whoever uses it.
func DropDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(connURL(url))
	if err != nil {
		return err
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return fmt.Errorf("refusing to drop database %q", name)
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// connURL drops pgxpool's own settings (pool_max_conns, …) from a URL, which
// a single pgx connection would send to the server as unknown parameters.
func connURL(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.Scheme == "" {
		return raw
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func dbName(url string) string {
	if cfg, err := pgx.ParseConfig(connURL(url)); err == nil {
		return cfg.Database
	}
	return "the database"
}

// counts are the row counts that tell a database's seed size.
type counts struct {
	Members, Posts, Events, Groups, Notices, Subsidies, Articles int
}

func rowCounts(o seed.Options) counts {
	return counts{o.Members, o.Posts, o.Events, o.Groups, o.Notices, o.Subsidies, o.Articles}
}

func (c counts) String() string {
	return fmt.Sprintf("%d members, %d posts, %d events, %d groups, %d notices, %d subsidies, %d articles",
		c.Members, c.Posts, c.Events, c.Groups, c.Notices, c.Subsidies, c.Articles)
}

func countRows(ctx context.Context, d *db.DB) (counts, error) {
	var c counts
	err := d.Pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM accounts WHERE kind = '`+db.KindMember+`'),
		(SELECT count(*) FROM board_posts),
		(SELECT count(*) FROM events),
		(SELECT count(*) FROM groups g WHERE EXISTS (SELECT 1 FROM group_profiles p WHERE p.group_id = g.id)), -- seeded with profiles
		(SELECT count(*) FROM pages WHERE kind = '`+db.PageNotice+`'),
		(SELECT count(*) FROM pages WHERE kind = '`+db.PageSubsidy+`'),
		(SELECT count(*) FROM pages WHERE kind = '`+db.PageArticle+`')`).
		Scan(&c.Members, &c.Posts, &c.Events, &c.Groups, &c.Notices, &c.Subsidies, &c.Articles)
	return c, err
}

// prefixWriter passes seed's progress lines on with the bench: prefix.
type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte("bench: "), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}
