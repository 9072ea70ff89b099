package seed_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// testHash stands in for a real argon2id hash; nobody signs in during these tests.
const testHash = "$argon2id$v=19$m=65536,t=1,p=2$c2VlZC10ZXN0LXNhbHQ$c2VlZC10ZXN0LWhhc2gtbm90LXJlYWwtc2VlZA"

var testNow = time.Date(2026, 5, 15, 12, 0, 0, 0, time.FixedZone("JST", 9*3600))

func smallOptions(s uint64) seed.Options {
	return seed.Options{
		Seed: s, Now: testNow,
		Members: 600, Groups: 15, Events: 60, Posts: 1200,
		Notices: 12, Subsidies: 6, Articles: 8,
		PasswordHash: testHash,
	}
}

func count(t *testing.T, d *db.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)

	empty, err := seed.IsEmpty(ctx, d)
	if err != nil || !empty {
		t.Fatalf("IsEmpty before = %v, %v; want true", empty, err)
	}
	o := smallOptions(42)
	var log bytes.Buffer
	c, err := seed.Run(ctx, d, o, &log)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", log.String())
	empty, err = seed.IsEmpty(ctx, d)
	if err != nil || empty {
		t.Fatalf("IsEmpty after = %v, %v; want false", empty, err)
	}

	// What Run reports, and what is in the tables.
	want := seed.Counts{
		Members: o.Members, Groups: o.Groups, Facilities: 25, Events: o.Events, BoardCategories: 7,
		Topics: (o.Posts + 4) / 5, Replies: o.Posts - (o.Posts+4)/5,
		Notices: o.Notices, Subsidies: o.Subsidies, Articles: o.Articles,
		// The divisions the templates name plus the operator's; the pages
		// of the documents, the 25 facilities and the 2 general pages.
		Divisions: c.Divisions, Pages: o.Notices + o.Subsidies + o.Articles + 25 + 2,
	}
	if c.Divisions < 5 {
		t.Errorf("%d divisions created", c.Divisions)
	}
	want.MemberProfiles = c.MemberProfiles
	want.ModerationItems = c.ModerationItems
	if c.ModerationItems == 0 {
		t.Error("no seeded post waits in the moderation queue")
	}
	if c != want {
		t.Errorf("counts = %+v\nwant     %+v", c, want)
	}
	for sql, n := range map[string]int{
		`SELECT count(*) FROM accounts WHERE kind = 'member'`:      o.Members,
		`SELECT count(*) FROM accounts WHERE kind = 'group'`:       o.Groups,
		`SELECT count(*) FROM groups WHERE account_id IS NOT NULL`: o.Groups,
		// Every group has a revision; every public one an approved, live
		// profile with fields, areas, days and its search grams.
		`SELECT count(*) FROM group_profiles`: o.Groups,
		`SELECT count(*) FROM groups g WHERE published AND (profile_id IS NULL OR cardinality(fields) = 0 OR cardinality(areas) = 0
			OR cardinality(days) = 0 OR search_grams = '{}' OR description = '' OR NOT EXISTS (SELECT 1 FROM group_profiles p WHERE p.id = g.profile_id AND p.status = 'approved'))`: 0,
		`SELECT count(*) FROM groups WHERE contact <> '' AND contact !~ '^g[0-9]{5}@groups\.example\.jp$'`: 0,
		`SELECT count(*) FROM facilities`:                                               25,
		`SELECT count(*) FROM events`:                                                   o.Events,
		`SELECT count(*) FROM board_categories`:                                         7,
		`SELECT count(*) FROM board_posts`:                                              o.Posts,
		`SELECT count(*) FROM board_posts WHERE topic_id IS NULL`:                       c.Topics,
		`SELECT count(*) FROM pages WHERE kind = 'notice'`:                              o.Notices,
		`SELECT count(*) FROM pages WHERE kind = 'subsidy'`:                             o.Subsidies,
		`SELECT count(*) FROM pages WHERE kind = 'article'`:                             o.Articles,
		`SELECT count(*) FROM pages WHERE kind = 'facility'`:                            25,
		`SELECT count(*) FROM pages WHERE kind = 'page'`:                                2,
		`SELECT count(*) FROM divisions`:                                                c.Divisions + 1, // and the official site's
		`SELECT count(*) FROM member_profiles`:                                          c.MemberProfiles,
		`SELECT count(*) FROM accounts WHERE kind = 'member' AND status <> 'withdrawn'`: c.MemberProfiles,
		// Withdrawn members have no profile.
		`SELECT count(*) FROM accounts a JOIN member_profiles p ON p.account_id = a.id WHERE a.status = 'withdrawn'`: 0,
		// Reserved mail domains only.
		`SELECT count(*) FROM member_profiles WHERE email !~ '^[a-z0-9._]+@example\.(jp|com)$'`:                                                          0,
		`SELECT count(*) FROM accounts WHERE kind = 'member' AND login_id !~ '^M[0-9]{7}$'`:                                                              0,
		`SELECT count(*) FROM accounts WHERE kind = 'group' AND login_id !~ '^G[0-9]{5}$'`:                                                               0,
		`SELECT count(*) FROM accounts WHERE must_change_password OR password_hash <> $1`:                                                                0,
		`SELECT count(*) FROM member_profiles WHERE terms_version <> '2026-04' OR postal_code !~ '^1[6-9][0-9]-[0-9]{4}$' OR address NOT LIKE '東京都新宿区%'`: 0,
		`SELECT count(*) FROM member_profiles WHERE phone !~ '^0[0-9]0?-[0-9]{4}-[0-9]{4}$' OR (fax <> '' AND fax !~ '^03-')`:                            0,
		// Board: reply counts, order and sizes.
		`SELECT count(*) FROM board_posts t WHERE t.topic_id IS NULL AND t.reply_count <>
			(SELECT count(*) FROM board_posts r WHERE r.topic_id = t.id AND r.status = 'published')`: 0,
		`SELECT count(*) FROM board_posts r JOIN board_posts t ON t.id = r.topic_id
			WHERE r.created_at < t.created_at OR r.category_id <> t.category_id OR t.topic_id IS NOT NULL OR r.title <> ''`: 0,
		`SELECT count(*) FROM board_posts WHERE char_length(body) NOT BETWEEN 40 AND 400`:                                                   0,
		`SELECT count(*) FROM board_posts WHERE created_at > $2 OR published_at > $2 OR created_at < $2::timestamptz - interval '366 days'`: 0,
		`SELECT count(*) FROM board_posts WHERE published_at < created_at`:                                                                  0,
		// Every post that is not public is in the moderation queue, open or decided.
		`SELECT count(*) FROM board_posts WHERE status IN ('pending', 'rejected')`: c.ModerationItems,
		`SELECT count(*) FROM board_posts p WHERE NOT EXISTS (SELECT 1 FROM moderation_items i WHERE i.subject_id = p.id AND
			i.status = CASE p.status WHEN 'pending' THEN 'open' ELSE 'rejected' END) AND p.status IN ('pending', 'rejected')`: 0,
		`SELECT count(*) FROM board_posts p JOIN accounts a ON a.id = p.author_id WHERE a.status NOT IN ('active', 'withdrawn')`: 0,
		// Events: time window, Japanese start times, application deadline.
		`SELECT count(*) FROM events WHERE starts_at < $2::timestamptz - interval '31 days' OR starts_at > $2::timestamptz + interval '181 days'`:   0,
		`SELECT count(*) FROM events WHERE to_char(starts_at AT TIME ZONE 'Asia/Tokyo', 'HH24:MI') NOT IN ('10:00', '13:30', '18:00')`:              0,
		`SELECT count(*) FROM events WHERE ends_at < starts_at + interval '1 hour' OR ends_at > starts_at + interval '3 hours'`:                     0,
		`SELECT count(*) FROM events WHERE capacity IS NOT NULL AND (apply_until IS NULL OR apply_until >= starts_at OR apply_from >= apply_until)`: 0,
		`SELECT count(*) FROM events WHERE organiser_kind = 'group' AND group_id IS NULL`:                                                           0,
		`SELECT count(*) FROM events WHERE created_at > $2`:                                                                                         0,
		`SELECT count(*) FROM facilities WHERE url !~ '^https://www\.example\.jp/facilities/[0-9]+$'`:                                               0,
		`SELECT count(*) FROM pages p JOIN page_revisions r ON r.page_id = p.id
			WHERE p.kind IN ('notice', 'article') AND r.body NOT LIKE '%' || chr(10) || chr(10) || '%'`: 0,
		`SELECT count(*) FROM pages WHERE kind = 'article' AND published_at > $2`: 0,
		// Every page of the official site, with one revision and its history line;
		// live ones published before now, scheduled ones approved and not live.
		`SELECT count(*) FROM pages WHERE site_id <> (SELECT id FROM sites WHERE official)`: 0,
		`SELECT count(*) FROM page_revisions`:                                               o.Notices + o.Subsidies + o.Articles + 27,
		`SELECT count(*) FROM page_history h JOIN page_revisions r ON r.id = h.revision_id AND r.page_id = h.page_id
			AND h.to_status = r.status`: o.Notices + o.Subsidies + o.Articles + 27,
		`SELECT count(*) FROM pages p JOIN page_revisions r ON r.id = p.live_revision_id
			WHERE r.status = 'published' AND r.published_at <= $2 AND p.published_at = r.published_at`: o.Notices - 1 + o.Subsidies + o.Articles + 27,
		`SELECT count(*) FROM pages p JOIN page_revisions r ON r.page_id = p.id
			WHERE p.live_revision_id IS NULL AND p.published_at IS NULL AND r.status = 'approved' AND r.publish_at > $2`: 1,
		`SELECT count(*) FROM pages p JOIN facilities f ON f.id = p.facility_id JOIN page_revisions r ON r.id = p.live_revision_id
			WHERE r.title = f.name AND r.fields->>'phone' = f.phone AND r.fields->>'url' = f.url`: 25,
	} {
		q := strings.NewReplacer("$1", "'"+testHash+"'", "$2", "'"+testNow.Format(time.RFC3339)+"'::timestamptz").Replace(sql)
		if got := count(t, d, q); got != n {
			t.Errorf("%s\n= %d, want %d", sql, got, n)
		}
	}

	// Proportions.
	pending := count(t, d, `SELECT count(*) FROM accounts WHERE kind = 'member' AND status = 'pending'`)
	withdrawn := count(t, d, `SELECT count(*) FROM accounts WHERE kind = 'member' AND status = 'withdrawn'`)
	if pending == 0 || pending > o.Members/50 || withdrawn == 0 || withdrawn > o.Members/20 {
		t.Errorf("pending %d, withdrawn %d of %d members", pending, withdrawn, o.Members)
	}
	published := count(t, d, `SELECT count(*) FROM board_posts WHERE status = 'published'`)
	if published < o.Posts*93/100 || published == o.Posts {
		t.Errorf("%d of %d posts published", published, o.Posts)
	}
	for _, q := range []string{"祭", "清掃", "防災訓練", "子ども食堂"} {
		if n := count(t, d, `SELECT count(*) FROM board_posts WHERE body LIKE '%' || $1 || '%'`, q); n < 5 {
			t.Errorf("only %d posts mention %s", n, q)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM page_revisions r JOIN pages p ON p.id = r.page_id
		WHERE p.kind = 'subsidy' AND (r.fields->>'apply_until')::date >= $1::date`, testNow); n == 0 || n == o.Subsidies {
		t.Errorf("%d of %d subsidies open", n, o.Subsidies)
	}
	// Topic pages have something to gather: tags shared by pages of several divisions and kinds.
	if n := count(t, d, `SELECT max(n) FROM (SELECT count(DISTINCT p.division_id) + count(DISTINCT p.kind) AS n
		FROM pages p JOIN page_revisions r ON r.id = p.live_revision_id, unnest(r.tags) AS tag GROUP BY tag) AS x`); n < 4 {
		t.Errorf("no tag spans divisions and kinds (%d)", n)
	}
	if n := count(t, d, `SELECT count(*) FROM page_revisions WHERE fields ? 'group_ids' OR fields ? 'facility_ids'`); n == 0 {
		t.Error("no article links a group or a facility")
	}
	if n := count(t, d, `SELECT count(DISTINCT organiser_kind) FROM events`); n != 3 {
		t.Errorf("%d organiser kinds", n)
	}

	// Names: katakana readings, unique handles.
	rows, _ := d.Pool.Query(ctx, `SELECT name, name_kana FROM member_profiles`)
	pairs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Kana string }])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		if !isKatakana(p.Kana) || !strings.Contains(p.Name, " ") {
			t.Errorf("name %q / %q", p.Name, p.Kana)
			break
		}
	}
	if n := count(t, d, `SELECT count(DISTINCT display_name) FROM accounts`); n != o.Members+o.Groups {
		t.Errorf("%d distinct display names", n)
	}

	// Identity sequences continue after the seeded ids.
	for _, table := range []string{"accounts", "groups", "facilities", "board_posts", "events", "pages", "page_revisions", "page_history"} {
		var maxID, next int64
		if err := d.Pool.QueryRow(ctx, `SELECT max(id), nextval(pg_get_serial_sequence($1, 'id')) FROM `+table, table).Scan(&maxID, &next); err != nil {
			t.Fatal(err)
		}
		if next != maxID+1 {
			t.Errorf("%s: next id %d after max %d", table, next, maxID)
		}
	}
	dbtest.Staff(t, d, dbtest.StaffOptions{Login: "admin", Name: "管理者"}) // its id collides with no seeded one

	for _, table := range []string{"board_categories", "facilities", "accounts (members)", "member_profiles", "groups", "events", "board_posts", "pages"} {
		if !strings.Contains(log.String(), "seed: "+table) {
			t.Errorf("log has no line for %s", table)
		}
	}
}

func isKatakana(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Katakana, r) && r != 'ー' && r != ' ' {
			return false
		}
	}
	return s != ""
}

// digest summarises the seeded rows that must not change between runs.
func digest(t *testing.T, d *db.DB) string {
	t.Helper()
	var out strings.Builder
	for _, sql := range []string{
		`SELECT md5(string_agg(concat_ws('|', a.id, a.login_id, a.display_name, a.status, a.created_at, p.name, p.name_kana, p.address, p.phone, p.email), ',' ORDER BY a.id))
			FROM accounts a LEFT JOIN member_profiles p ON p.account_id = a.id`,
		`SELECT md5(string_agg(concat_ws('|', id, name, summary, description), ',' ORDER BY id)) FROM groups`,
		`SELECT md5(string_agg(concat_ws('|', id, title, starts_at, capacity, confirmed, status), ',' ORDER BY id)) FROM events`,
		`SELECT md5(string_agg(concat_ws('|', id, topic_id, author_id, title, body, status, reply_count, created_at, published_at), ',' ORDER BY id)) FROM board_posts`,
		`SELECT md5(string_agg(concat_ws('|', id, kind, division_id, live_revision_id, published_at, facility_id), ',' ORDER BY id)) FROM pages`,
		`SELECT md5(string_agg(concat_ws('|', id, page_id, status, title, body, fields, tags, publish_at), ',' ORDER BY id)) FROM page_revisions`,
		`SELECT md5(string_agg(concat_ws('|', id, code, name, contact), ',' ORDER BY id)) FROM divisions`,
	} {
		var s string
		if err := d.Pool.QueryRow(context.Background(), sql).Scan(&s); err != nil {
			t.Fatal(err)
		}
		out.WriteString(s + "\n")
	}
	return out.String()
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var digests []string
	for _, s := range []uint64{7, 7, 8} {
		d := dbtest.New(t)
		o := smallOptions(s)
		o.Members, o.Posts = 300, 500
		if _, err := seed.Run(ctx, d, o, nil); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, digest(t, d))
	}
	if digests[0] != digests[1] {
		t.Errorf("same seed, different data:\n%s\n%s", digests[0], digests[1])
	}
	if digests[0] == digests[2] {
		t.Error("different seeds, same data")
	}
}

// A second run adds to the first: new ids and login ids, no duplicate
// categories or facilities, no clashing handles.
func TestRunTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	o := smallOptions(3)
	o.Members, o.Posts = 200, 300
	dbtest.Staff(t, d, dbtest.StaffOptions{Login: "admin", Name: "管理者"})
	if _, err := seed.Run(ctx, d, o, nil); err != nil {
		t.Fatal(err)
	}
	c, err := seed.Run(ctx, d, o, nil) // same seed: every handle and group name clashes
	if err != nil {
		t.Fatal(err)
	}
	if c.Facilities != 0 || c.BoardCategories != 0 || c.Members != o.Members {
		t.Errorf("second run counts %+v", c)
	}
	for sql, n := range map[string]int{
		`SELECT count(*) FROM accounts`:                                                                       1 + 2*(o.Members+o.Groups),
		`SELECT count(*) FROM board_posts`:                                                                    2 * o.Posts,
		`SELECT count(*) FROM board_categories`:                                                               7,
		`SELECT count(*) FROM facilities`:                                                                     25,
		`SELECT count(*) FROM accounts WHERE login_id = 'M0000400'`:                                           1,
		`SELECT count(*) FROM accounts WHERE login_id = 'G00030'`:                                             1,
		`SELECT count(DISTINCT display_name) FROM accounts`:                                                   1 + 2*(o.Members+o.Groups),
		`SELECT count(*) FROM groups g JOIN accounts a ON a.id = g.account_id WHERE a.display_name <> g.name`: 0,
	} {
		if got := count(t, d, sql); got != n {
			t.Errorf("%s = %d, want %d", sql, got, n)
		}
	}
}

func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	o := seed.Defaults()
	if o.Members != 2000 || o.Posts != 5000 || o.Now.IsZero() {
		t.Errorf("Defaults() = %+v", o)
	}
	// No hash: refused before touching the database.
	if _, err := seed.Run(context.Background(), nil, o, nil); err == nil || !strings.Contains(err.Error(), "PasswordHash") {
		t.Errorf("Run without PasswordHash: %v", err)
	}
}

// TestBig seeds benchmark volumes: PORTAL_SEED_BIG=1 go test -run TestBig -v ./db/seed/
func TestBig(t *testing.T) {
	if os.Getenv("PORTAL_SEED_BIG") != "1" {
		t.Skip("set PORTAL_SEED_BIG=1 to seed 350,000 members and 1,000,000 board posts")
	}
	ctx := context.Background()
	d := dbtest.New(t)
	o := seed.Defaults()
	o.Now, o.PasswordHash = testNow, testHash
	o.Members, o.Groups, o.Events, o.Posts = 350_000, 2_000, 20_000, 1_000_000
	o.Notices, o.Subsidies, o.Articles = 400, 60, 300
	var log bytes.Buffer
	start := time.Now()
	c, err := seed.Run(ctx, d, o, &log)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	t.Logf("\n%s", log.String())
	t.Logf("seeded %d members, %d posts in %s", c.Members, c.Posts(), elapsed.Round(time.Millisecond))
	if c.Members != o.Members || c.Posts() != o.Posts {
		t.Errorf("counts %+v", c)
	}
	if elapsed > 3*time.Minute {
		t.Errorf("took %s, want < 3 minutes", elapsed)
	}
}
