package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// Staff suspending one account at once: the row lock lets one through,
// the others find it suspended already; one audit entry, one history line.
func TestConcurrentSuspensionsCountOnce(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	member := dbtest.Member(t, d, dbtest.MemberOptions{Login: "M4400001"})
	var actors []db.Actor
	for _, login := range []string{"ward-a", "ward-b", "mod-a", "mod-b"} {
		actors = append(actors, db.Actor{Account: dbtest.Staff(t, d, dbtest.StaffOptions{Login: login, Roles: []string{db.RoleWardStaff}}),
			Role: db.RoleWardStaff, IP: "192.0.2.1"})
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, conflicts int
	for _, a := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := d.ChangeStatus(ctx, db.StatusChange{AccountID: member.ID, Kind: db.KindMember, Change: db.StatusSuspend, Reason: "通報", Actor: a})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, db.ErrConflict):
				conflicts++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || conflicts != len(actors)-1 {
		t.Errorf("%d suspensions went through, %d conflicts", ok, conflicts)
	}
	var entries, lines int
	if err := d.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_log WHERE action = $1 AND subject_id = $2),
		(SELECT count(*) FROM access_history WHERE action = $3 AND account_id = $2)`, db.AuditSuspend, member.ID, db.ActionSuspend).
		Scan(&entries, &lines); err != nil || entries != 1 || lines != 1 {
		t.Errorf("%d audit entries, %d history lines (%v), want 1 and 1", entries, lines, err)
	}
	got, err := d.AccountByID(ctx, member.ID)
	if err != nil || got.Status != db.StatusSuspended || got.SessionGeneration != member.SessionGeneration+1 {
		t.Errorf("after: %+v %v", got, err)
	}
}

// A staff account with a division that does not exist is not created at
// all: the account, its divisions and its record go together.
func TestStaffAccountWithAnUnknownDivisionIsNotCreated(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	ward := db.Actor{Account: dbtest.Staff(t, d, dbtest.StaffOptions{Login: "ward-c", Roles: []string{db.RoleWardStaff}}), Role: db.RoleWardStaff}
	_, err := d.CreateStaffAccount(ctx, ward, db.NewStaff{LoginID: "ghost", Name: "幽霊", Roles: []string{db.RoleEditor}, DivisionIDs: []int64{999999}, Hash: "x"})
	if !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown division: %v", err)
	}
	if _, err := d.AccountByLogin(ctx, "ghost"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the account was created anyway: %v", err)
	}
	if _, err := d.CreateStaffAccount(ctx, ward, db.NewStaff{LoginID: "ghost", Name: "幽霊", Hash: "x"}); !errors.Is(err, db.ErrNoRoles) {
		t.Errorf("no roles: %v", err)
	}
}
