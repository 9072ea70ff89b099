package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/migrations"
)

// The group profile kind: the queue loads and names a change by its group,
// an approval makes it the live profile (the group public, found by its
// words and its lists), and the live profile stays while a later change
// waits; a rejection leaves the live one as it was.
func TestGroupProfileKind(t *testing.T) {
	t.Parallel()
	f := newBoardFixture(t)
	ctx := context.Background()
	actor := db.Actor{Account: f.group, Role: db.KindGroup}
	first := db.ProfileContent{Summary: "食堂です", Description: "子どもに夕食を届けます。", Fields: []string{"children"},
		Areas: []string{"tsunohazu"}, Days: []string{"fri"}, Contact: "info@shokudo.example.org"}
	if _, err := f.d.SubmitGroupProfile(ctx, actor, first); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.PublicGroup(ctx, time.Now(), f.club.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("a group without an approved profile is public: %v", err)
	}
	q, err := f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10)
	if err != nil || len(q) != 1 || q[0].GroupProfile == nil || q[0].Label() != "新宿こども食堂" || len(q[0].Item.Flags) == 0 {
		t.Fatalf("queue %+v %v (the contact's address should be flagged)", q, err)
	}
	out, err := f.d.DecideItem(ctx, db.Decision{ItemID: q[0].Item.ID, Version: q[0].Item.Version, Action: db.ActApprove,
		Actor: db.Actor{Account: f.mod1}}, noMail)
	if err != nil || out.Kind.AuthorMail != "" || out.GroupProfile.Status != db.ProfileApproved {
		t.Fatalf("approve: %+v %v", out, err)
	}
	p, err := f.d.PublicGroup(ctx, time.Now(), f.club.ID)
	if err != nil || p.Group.Description != first.Description || p.Group.Contact != first.Contact || p.Group.PublishedAt == nil {
		t.Fatalf("public group %+v %v", p, err)
	}
	for _, filter := range []db.GroupFilter{{Query: "夕食"}, {Query: "食"}, {Field: "children", Area: "tsunohazu", Day: "fri"}} {
		gs, _, err := f.d.SearchGroups(ctx, filter, 0)
		if err != nil || len(gs) != 1 || gs[0].ID != f.club.ID {
			t.Errorf("search %+v: %+v %v", filter, gs, err)
		}
	}
	if gs, _, _ := f.d.SearchGroups(ctx, db.GroupFilter{Query: "夕食", Area: "yotsuya"}, 0); len(gs) != 0 {
		t.Errorf("the area filter does not narrow: %+v", gs)
	}

	later := first
	later.Description = "新しい紹介"
	if _, err := f.d.SubmitGroupProfile(ctx, actor, later); err != nil {
		t.Fatal(err)
	}
	q, _ = f.d.ModerationQueue(ctx, []string{db.ItemOpen}, 10)
	if _, err := f.d.DecideItem(ctx, db.Decision{ItemID: q[0].Item.ID, Version: q[0].Item.Version, Action: db.ActReject,
		Reason: "other", Message: "見直してください", Actor: db.Actor{Account: f.mod1}}, noMail); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.d.PublicGroup(ctx, time.Now(), f.club.ID); p.Group.Description != first.Description {
		t.Fatalf("a rejected change went live: %q", p.Group.Description)
	}
	st, err := f.d.GroupProfileState(ctx, f.group)
	if err != nil || st.Pending != nil || st.Latest.Status != db.ProfileRejected || st.Item.Message != "見直してください" {
		t.Fatalf("state after the rejection: %+v %v", st, err)
	}

	// Members' personal addresses and phones are recognised in any case or layout.
	for _, c := range []struct {
		emails, phones []string
		want           bool
	}{{[]string{"M1000001@Example.JP"}, nil, true}, {nil, []string{"03-9999-0001"}, true}, {nil, []string{"0399990001"}, true},
		{[]string{"info@shokudo.example.org"}, []string{"03-0000-0000"}, false}, {nil, nil, false}} {
		if got, err := f.d.ContactOfMember(ctx, c.emails, c.phones); err != nil || got != c.want {
			t.Errorf("ContactOfMember(%v, %v) = %v %v, want %v", c.emails, c.phones, got, err, c.want)
		}
	}
}

// A group published before the directory searched gets its grams at the
// next migrate, so the search finds it.
func TestMigrateBackfillsGroupGrams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	_, g := dbtest.Group(t, d, dbtest.GroupOptions{Login: "G0091", Name: "早稲田囲碁の会", Published: true})
	// Published before the directory searched: no grams yet (the fixture
	// writes them as approval does now).
	if _, err := d.Bun.NewUpdate().Table("groups").Set("search_grams = '{}'").Where("id = ?", g.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if gs, _, err := d.SearchGroups(ctx, db.GroupFilter{Query: "囲碁"}, 0); err != nil || len(gs) != 0 {
		t.Fatalf("before the backfill: %+v %v", gs, err)
	}
	ms, err := db.LoadMigrations(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if gs, _, err := d.SearchGroups(ctx, db.GroupFilter{Query: "囲碁"}, 0); err != nil || len(gs) != 1 || gs[0].ID != g.ID {
		t.Fatalf("after the backfill: %+v %v", gs, err)
	}
}
