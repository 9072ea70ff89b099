// Package seed fills a database with realistic, entirely made-up Japanese
// data: members with personal profiles, groups, facilities, events, board
// topics and replies, and the pages of the official site: notices, subsidies,
// articles, facility links and general pages, owned by divisions.
//
// The data is deterministic: the same Options (Seed, Now and sizes) give the
// same rows. Big tables are streamed with COPY, so 350,000 members and
// 1,000,000 board posts load in well under a minute.
//
// Run may be used on a database that already holds data: new rows get ids
// after the current maximum (or the identity sequence, whichever is higher),
// login ids continue after the highest M%07d / G%05d, a handle or group name
// already taken gets a suffix, existing board categories and facilities are
// reused instead of duplicated. Everything is written in one transaction, so a
// failed run leaves nothing behind. It is meant for development and benchmark
// databases, not a live site: do not run it while the application writes.
package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/db"
)

// Options sizes and steers a seed run.
type Options struct {
	Seed uint64    // deterministic: same Seed and Now => same data
	Now  time.Time // base for relative dates (events upcoming from Now, posts in the past year before Now)

	Members   int // member accounts; a few are pending, some withdrawn (without profile)
	Groups    int // group accounts and their groups rows
	Events    int
	Posts     int // board posts total: topics plus replies, about 1 topic : 4 replies
	Notices   int
	Subsidies int
	Articles  int

	// PasswordHash is stored for every seeded member and group account,
	// typically the argon2id hash of Password (required; hashing 350k
	// passwords one by one would take hours).
	PasswordHash string
}

// Defaults returns small, development-sized options with Seed 1 and Now set
// to the current minute. PasswordHash is left empty: the caller must set it.
func Defaults() Options {
	return Options{
		Seed:      1,
		Now:       time.Now().Truncate(time.Minute),
		Members:   2000,
		Groups:    60,
		Events:    300,
		Posts:     5000,
		Notices:   40,
		Subsidies: 15,
		Articles:  30,
	}
}

// Counts is what a run inserted.
type Counts struct {
	Members         int // member accounts
	MemberProfiles  int // profiles (withdrawn members have none)
	Groups          int // group accounts, one groups row each
	Facilities      int // 0 when the table already had facilities
	Events          int
	BoardCategories int // categories created (existing ones are reused)
	Topics          int
	Replies         int
	ModerationItems int // the queue items of seeded posts that are not public
	Notices         int // notice pages (a few scheduled, not yet live)
	Subsidies       int // subsidy pages
	Articles        int // article and column pages
	Divisions       int // divisions created (existing ones are reused by name)
	Pages           int // pages of every kind: the documents, facility links and general pages
}

// Posts is the number of board posts, topics plus replies.
func (c Counts) Posts() int { return c.Topics + c.Replies }

// Random streams: each table draws from its own PCG stream, so the members of
// a run do not change when, say, the number of events does.
const (
	streamMembers uint64 = 0x5eed_2026_0400_0000 + iota
	streamGroups
	streamEvents
	streamBoard
	streamNotices
	streamSubsidies
	streamArticles
	streamFacilities
	streamDivisions // the last: divisions draw from streamDivisions + n
)

// seedLockKey serialises concurrent seed runs on one database.
const seedLockKey = 7_204_113_003

// termsVersion is the terms of use every seeded member accepted.
const termsVersion = "2026-04"

var jst = time.FixedZone("JST", 9*60*60)

// IsEmpty reports whether the database has no accounts and no pages, the
// condition under which development start-up seeds it.
func IsEmpty(ctx context.Context, d *db.DB) (bool, error) {
	var empty bool
	err := d.Pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM accounts) AND NOT EXISTS (SELECT 1 FROM pages)`).Scan(&empty)
	return empty, err
}

func (o Options) validate() error {
	if o.PasswordHash == "" {
		return errors.New("seed: Options.PasswordHash is required")
	}
	if o.Now.IsZero() {
		return errors.New("seed: Options.Now is required")
	}
	for _, n := range []int{o.Members, o.Groups, o.Events, o.Posts, o.Notices, o.Subsidies, o.Articles} {
		if n < 0 {
			return errors.New("seed: sizes must not be negative")
		}
	}
	return nil
}

// Run fills the database and returns what it inserted. It writes one line per
// table to log (nil for none): the table, its row count and the time it took.
func Run(ctx context.Context, d *db.DB, o Options, log io.Writer) (Counts, error) {
	if err := o.validate(); err != nil {
		return Counts{}, err
	}
	if log == nil {
		log = io.Discard
	}
	began := time.Now()
	// Pages belong to the official site; the portal makes it when it first
	// starts, and so does a seed run before it.
	if err := d.EnsureOfficialSite(ctx); err != nil {
		return Counts{}, err
	}
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return Counts{}, err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return Counts{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	s := &seeder{o: o, tx: tx, log: log, now: o.Now}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"lock", s.lock},
		{"organisation", s.organisation},
		{"board categories", s.boardCategories},
		{"facilities", s.facilities},
		{"members", s.members},
		{"groups", s.groups},
		{"events", s.events},
		{"board posts", s.boardPosts},
		{"moderation queue", s.moderationItems},
		{"notices", s.notices},
		{"subsidies", s.subsidies},
		{"articles", s.articles},
		{"facility pages", s.facilityPages},
		{"general pages", s.generalPages},
		{"pages", s.writePages},
	}
	for _, st := range steps {
		if err := st.fn(ctx); err != nil {
			return Counts{}, fmt.Errorf("seed %s: %w", st.name, err)
		}
	}
	start := time.Now()
	if err := tx.Commit(ctx); err != nil {
		return Counts{}, fmt.Errorf("seed commit: %w", err)
	}
	s.done("(commit)", -1, start)
	// Fresh statistics, so the first queries after a big load get good plans.
	start = time.Now()
	if _, err := conn.Exec(ctx, `ANALYZE accounts, member_profiles, groups, facilities, events, board_categories, board_posts, divisions, pages, page_revisions, page_history`); err != nil {
		return s.c, fmt.Errorf("seed analyze: %w", err)
	}
	s.done("(analyze)", -1, start)
	fmt.Fprintf(log, "seed: %-20s %14s %9s\n", "total", "", time.Since(began).Round(time.Millisecond))
	return s.c, nil
}

// seeder carries one run's state from step to step.
type seeder struct {
	o   Options
	tx  pgx.Tx
	log io.Writer
	now time.Time
	c   Counts

	// taken holds the display names and group names that existed before the
	// run; nil when there were none.
	taken map[string]bool

	categoryIDs   []int64 // in boardCategories order
	facilityRows  []facilityRow
	newFacilities []db.Facility // the facilities this run created, for their pages

	siteID, siteDivision int64            // the official site and its division
	divisionIDs          map[string]int64 // by name
	pages                []seedPage       // written last, by writePages
	activeMembers        []int64
	withdrawn            []int64
	groupRows            []groupRow
	groupAuthors         []int64 // accounts of active groups
}

func (s *seeder) done(table string, n int, start time.Time) {
	count := ""
	if n >= 0 {
		count = fmt.Sprintf("%d rows", n)
	}
	fmt.Fprintf(s.log, "seed: %-20s %14s %9s\n", table, count, time.Since(start).Round(time.Millisecond))
}

func (s *seeder) lock(ctx context.Context) error {
	if _, err := s.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, seedLockKey); err != nil {
		return err
	}
	var existing bool
	if err := s.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts) OR EXISTS (SELECT 1 FROM groups)`).Scan(&existing); err != nil {
		return err
	}
	if !existing {
		return nil
	}
	rows, err := s.tx.Query(ctx, `SELECT display_name FROM accounts UNION SELECT name FROM groups`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	s.taken = make(map[string]bool, len(names))
	for _, n := range names {
		s.taken[n] = true
	}
	return nil
}

// reserveIDs sets table's identity sequence past n ids nobody has used yet
// and returns the first of them. Rows are then copied with explicit ids
// (COPY, unlike INSERT, writes given values into GENERATED ALWAYS columns),
// and the sequence already points after them.
func (s *seeder) reserveIDs(ctx context.Context, table string, n int) (int64, error) {
	var seq string
	if err := s.tx.QueryRow(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq); err != nil {
		return 0, err
	}
	var last, top int64
	var called bool
	if err := s.tx.QueryRow(ctx, `SELECT last_value, is_called FROM `+seq).Scan(&last, &called); err != nil {
		return 0, err
	}
	if err := s.tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&top); err != nil {
		return 0, err
	}
	used := last // the highest value the sequence has handed out
	if !called {
		used = last - 1
	}
	base := max(top, used)
	if n > 0 {
		if _, err := s.tx.Exec(ctx, `SELECT setval($1::regclass, $2)`, seq, base+int64(n)); err != nil {
			return 0, err
		}
	}
	return base + 1, nil
}

// maxLoginNumber returns the highest number among login ids of the form
// prefix followed by digits digits (case-insensitive, as the unique index is).
func (s *seeder) maxLoginNumber(ctx context.Context, prefix byte, digits int) (int, error) {
	pattern := fmt.Sprintf(`^[%c%c][0-9]{%d}$`, prefix, prefix+'a'-'A', digits)
	var n int
	err := s.tx.QueryRow(ctx, `SELECT coalesce(max(substr(login_id, 2)::int), 0) FROM accounts WHERE login_id ~ $1`, pattern).Scan(&n)
	return n, err
}

// copyRows streams rows from next into table. next returns nil at the end.
func (s *seeder) copyRows(ctx context.Context, table string, cols []string, next func() []any) (int, error) {
	n, err := s.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		return next(), nil
	}))
	return int(n), err
}

func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}
