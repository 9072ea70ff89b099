package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
)

func TestRetentionDaysConfig(t *testing.T) {
	t.Parallel()
	load := func(v string) (Config, error) {
		return LoadConfig(func(k string) string {
			if k == "PORTAL_RETENTION_DAYS" {
				return v
			}
			return ""
		})
	}
	if c, err := load(""); err != nil || c.RetentionDays != 1826 {
		t.Errorf("default: %d %v, want 1826 (five years)", c.RetentionDays, err)
	}
	if c, err := load("365"); err != nil || c.RetentionDays != 365 {
		t.Errorf("365: %d %v", c.RetentionDays, err)
	}
	for _, v := range []string{"abc", "10", "-5", "2.5", "99999999"} {
		if _, err := load(v); err == nil || !strings.HasPrefix(err.Error(), "PORTAL_RETENTION_DAYS: ") {
			t.Errorf("PORTAL_RETENTION_DAYS=%s: error %v", v, err)
		}
	}
}

// The job removes what is past the period and says how much.
func TestRetentionJobPurges(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	acc := e.memberAccount("M7000001", "ながいき")
	now := time.Now()
	for _, age := range []int{2000, 1000, 1} {
		if err := db.RecordAccess(ctx, e.db.Bun, db.AccessEvent{AccountID: &acc.ID, Action: db.ActionLogin, Success: true,
			At: now.AddDate(0, 0, -age)}); err != nil {
			t.Fatal(err)
		}
	}
	e.app.purgeExpired(ctx)
	n, err := e.db.Bun.NewSelect().Model((*db.AccessEvent)(nil)).Count(ctx)
	if err != nil || n != 2 {
		t.Errorf("%d history rows left (%v), want 2", n, err)
	}
	if !strings.Contains(e.logs.String(), "msg=retention") || !strings.Contains(e.logs.String(), "access_history=1") {
		t.Errorf("no retention log line:\n%s", e.logs.String())
	}
}
