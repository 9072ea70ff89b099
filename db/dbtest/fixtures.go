package dbtest

// Fixtures: the rows tests start from, each made by one builder. A builder
// writes its rows directly, not through the portal's own functions, so a
// test of those functions does not build on them; it fills in what the
// caller leaves zero with recognisable values, and fails the test, naming
// itself, when the database refuses them.
//
// Password hashing stays out: a caller that signs in passes a hash it made
// (cheaply, in tests); the default, NoPassword, matches no password.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/wardportal/portal/db"
)

// NoPassword is the password hash of accounts nobody signs in to: not an
// argon2id hash, so no password matches it.
const NoPassword = "x"

// MemberOptions describe a member. Only Login is required.
type MemberOptions struct {
	Login        string // login ID, e.g. "M2000001"
	Handle       string // the public display name; default "会員" + Login
	Email        string // default Login in lower case + "@example.jp"
	PasswordHash string // default NoPassword
}

// Member creates an active member past the first sign-in, as registration
// and both confirmations leave one, with a profile of personal data that a
// test can recognise in a page or an export: the name "区民 " + handle, the
// phone number 03-9999- and the login's last four characters.
func Member(t testing.TB, d *db.DB, o MemberOptions) *db.Account {
	t.Helper()
	acc := insertAccount(t, "dbtest.Member", d, "会員", &db.Account{Kind: db.KindMember, LoginID: o.Login,
		DisplayName: o.Handle, PasswordHash: o.PasswordHash})
	if o.Email == "" {
		o.Email = strings.ToLower(o.Login) + "@example.jp"
	}
	p := &db.MemberProfile{AccountID: acc.ID, Name: "区民 " + acc.DisplayName, NameKana: "クミン", PostalCode: "160-0004",
		Town: "四谷", Address: "四谷1-1-1", Phone: "03-9999-" + o.Login[max(0, len(o.Login)-4):], Email: o.Email,
		TermsVersion: "2026-04"}
	if _, err := d.Bun.NewInsert().Model(p).Exec(context.Background()); err != nil {
		t.Fatalf("dbtest.Member %s: profile: %v", o.Login, err)
	}
	return acc
}

// GroupOptions describe a community group. Only Login is required.
type GroupOptions struct {
	Login        string // login ID, e.g. "G00001"
	Name         string // the group's name, also its display name; default "団体" + Login
	Category     string // default "子育て"
	Town         string // default "四谷"
	Published    bool   // whether its profile is listed publicly
	PasswordHash string // default NoPassword
}

// Group creates an active group account past the first sign-in and the
// group it speaks for.
func Group(t testing.TB, d *db.DB, o GroupOptions) (*db.Account, *db.Group) {
	t.Helper()
	acc := insertAccount(t, "dbtest.Group", d, "団体", &db.Account{Kind: db.KindGroup, LoginID: o.Login,
		DisplayName: o.Name, PasswordHash: o.PasswordHash})
	if o.Category == "" {
		o.Category = "子育て"
	}
	if o.Town == "" {
		o.Town = "四谷"
	}
	g := &db.Group{AccountID: &acc.ID, Name: acc.DisplayName, Category: o.Category, Town: o.Town, Published: o.Published}
	if _, err := d.Bun.NewInsert().Model(g).Returning("*").Exec(context.Background()); err != nil {
		t.Fatalf("dbtest.Group %s: group: %v", o.Login, err)
	}
	if o.Published {
		// A public group is one whose profile was approved, which writes
		// the grams the directory and the site search find it by
		// (db/groups.go); the fixture writes them as approval does.
		if _, err := d.Bun.NewUpdate().Table("groups").Set("search_grams = ?", pgdialect.Array(db.GroupSearchGrams(g.Name, g.Content()))).
			Where("id = ?", g.ID).Exec(context.Background()); err != nil {
			t.Fatalf("dbtest.Group %s: search grams: %v", o.Login, err)
		}
	}
	return acc, g
}

// StaffOptions describe a staff account. Only Login is required.
type StaffOptions struct {
	Login        string   // login ID, e.g. "ward1"
	Name         string   // display name; default "職員 " + Login
	Roles        []string // db.Role…; none by default
	PasswordHash string   // default NoPassword
}

// Staff creates an active staff account with roles, past its first sign-in
// (no password change pending).
func Staff(t testing.TB, d *db.DB, o StaffOptions) *db.Account {
	t.Helper()
	return insertAccount(t, "dbtest.Staff", d, "職員 ", &db.Account{Kind: db.KindStaff, LoginID: o.Login,
		DisplayName: o.Name, Roles: o.Roles, PasswordHash: o.PasswordHash})
}

// insertAccount stores an active account that needs no password change,
// named namePrefix + its login ID unless it has a name.
func insertAccount(t testing.TB, builder string, d *db.DB, namePrefix string, acc *db.Account) *db.Account {
	t.Helper()
	if acc.LoginID == "" {
		t.Fatalf("%s: no login ID", builder)
	}
	if acc.DisplayName == "" {
		acc.DisplayName = namePrefix + acc.LoginID
	}
	acc.Status = db.StatusActive
	if acc.PasswordHash == "" {
		acc.PasswordHash = NoPassword
	}
	if _, err := d.Bun.NewInsert().Model(acc).Returning("*").Exec(context.Background()); err != nil {
		t.Fatalf("%s %s: %v", builder, acc.LoginID, err)
	}
	return acc
}

// Event stores e, filling in what it leaves zero: a published ward event
// "防災訓練" (disaster prevention) at 四谷区民センター, starting in three days
// and two hours long, without a capacity limit unless Capacity is set.
// With GroupID set the organiser is the group. Sign-up counters are stored
// as given; no sign-up rows are made.
func Event(t testing.TB, d *db.DB, e db.Event) *db.Event {
	t.Helper()
	if e.OrganiserKind == "" {
		e.OrganiserKind = db.OrganiserWard
		if e.GroupID != nil {
			e.OrganiserKind = db.OrganiserGroup
		}
	}
	if e.Title == "" {
		e.Title = "防災訓練"
	}
	if e.Category == "" {
		e.Category = "disaster"
	}
	if e.Town == "" {
		e.Town = "四谷"
	}
	if e.Venue == "" {
		e.Venue = "四谷区民センター"
	}
	if e.StartsAt.IsZero() {
		e.StartsAt = time.Now().Add(72 * time.Hour)
	}
	if e.EndsAt.IsZero() {
		e.EndsAt = e.StartsAt.Add(2 * time.Hour)
	}
	if e.Status == "" {
		e.Status = db.EventPublished
	}
	if _, err := d.Bun.NewInsert().Model(&e).Returning("*").Exec(context.Background()); err != nil {
		t.Fatalf("dbtest.Event %q: %v", e.Title, err)
	}
	return &e
}

// Post stores p, a board topic or (with TopicID) a reply, filling in what
// it leaves zero: published now, a title for a topic, a body, and the
// search grams the board computes. CategoryID and AuthorID are required.
// Only the row is written: no moderation item, no reply count on the topic.
func Post(t testing.TB, d *db.DB, p db.BoardPost) *db.BoardPost {
	t.Helper()
	if p.CategoryID == 0 || p.AuthorID == 0 {
		t.Fatalf("dbtest.Post: category %d, author %d: both are required", p.CategoryID, p.AuthorID)
	}
	if p.Title == "" && p.TopicID == nil {
		p.Title = "公園の清掃"
	}
	if p.Body == "" {
		p.Body = "日曜の朝に清掃します。"
	}
	if p.Status == "" {
		p.Status = db.PostPublished
	}
	if p.PublishedAt == nil && p.Status == db.PostPublished {
		now := time.Now()
		p.PublishedAt = &now
	}
	if p.SearchGrams == nil {
		p.SearchGrams = db.SearchGrams(p.Title, p.Body)
	}
	if _, err := d.Bun.NewInsert().Model(&p).Returning("*").Exec(context.Background()); err != nil {
		t.Fatalf("dbtest.Post %q: %v", p.Title+p.Body, err)
	}
	return &p
}
