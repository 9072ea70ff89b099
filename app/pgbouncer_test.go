package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// pgbouncerPath is where Debian's pgbouncer package puts the binary.
const pgbouncerPath = "/usr/sbin/pgbouncer"

// startPgBouncer runs a PgBouncer of its own in transaction mode in front of
// the server of direct, on a free port, until the test ends, and returns
// direct's address through it. It skips the test when pgbouncer is not
// installed.
func startPgBouncer(t *testing.T, direct string) string {
	t.Helper()
	bin, err := exec.LookPath(pgbouncerPath)
	if err != nil {
		t.Skipf("pgbouncer is not installed (%s): apt-get install pgbouncer to run this test", pgbouncerPath)
	}
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	// Not t.TempDir: its parent is closed to other users.
	dir, err := os.MkdirTemp("", "portal-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// PgBouncer will not run as root: as root, it is told to become nobody,
	// who must read its files and write its log.
	var args []string
	if os.Geteuid() == 0 {
		args = append(args, "-u", "nobody")
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	user := u.User.Username()
	host, pgPort := u.Hostname(), u.Port()
	if pgPort == "" {
		pgPort = "5432"
	}
	if err := os.WriteFile(filepath.Join(dir, "users.txt"), fmt.Appendf(nil, "%q \"\"\n", user), 0o644); err != nil {
		t.Fatal(err)
	}
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = %s
pidfile = %s
`, host, pgPort, port, filepath.Join(dir, "users.txt"), filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	cfgPath := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(cfgPath, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(args, cfgPath)...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pgbouncer output:\n%s", stderr.String())
			if log, err := os.ReadFile(filepath.Join(dir, "pgbouncer.log")); err == nil {
				t.Logf("pgbouncer log:\n%s", log)
			}
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer does not listen on %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	u.Host = fmt.Sprintf("127.0.0.1:%d", port)
	return u.String()
}

// TestBehindPgBouncer runs two instances whose pools go through PgBouncer in
// transaction mode, each with the direct connection of configuration for
// LISTEN and session advisory locks, as a deployment of several instances
// does: the suite's live-update and scheduler tests pass on them, the page
// caches follow each other's changes, the retention job still runs on one
// instance at a time, and a rush of sign-ups through the pooler counts
// right.
func TestBehindPgBouncer(t *testing.T) {
	t.Parallel()
	bouncer := startPgBouncer(t, dbtest.AdminURL())
	// Each part has a database of its own, reached through the one PgBouncer
	// (it pools every database) and directly.
	type portal struct {
		cfg  Config
		open func() *db.DB
	}
	newPortal := func(t *testing.T) portal {
		direct := dbtest.NewURL(t)
		du, _ := url.Parse(direct)
		bu, _ := url.Parse(bouncer)
		du.Host = bu.Host
		cfg := testConfig()
		cfg.DatabaseURL, cfg.DirectDatabaseURL = du.String(), direct
		return portal{cfg: cfg, open: func() *db.DB {
			d, err := openDB(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(d.Close)
			return d
		}}
	}
	instances := func(t *testing.T) (one, two *testEnv, p portal) {
		p = newPortal(t)
		return newTestEnvConfig(t, p.open(), p.cfg), newTestEnvConfig(t, p.open(), p.cfg), p
	}

	t.Run("live updates", func(t *testing.T) {
		t.Parallel()
		one, two, _ := instances(t)
		testLiveAcrossInstances(t, boardEnvOn(t, one), two)
	})
	t.Run("schedulers", func(t *testing.T) {
		t.Parallel()
		one, two, _ := instances(t)
		testTwoSchedulers(t, newApprovalEnvOn(t, one), two)
	})
	t.Run("page caches", func(t *testing.T) {
		t.Parallel()
		one, two, _ := instances(t)
		b := boardEnvOn(t, one)
		visitor := two.client()
		if strings.Contains(visitor.get("/board").Body, "管理組合") {
			t.Fatal("the topic shows before it is posted")
		}
		id := b.postTopic(b.alice, "管理組合のお知らせ", "本文")
		itemID, version := b.item(b.mod1, id)
		b.decide(b.mod1, itemID, version, "action", "approve").wantStatus(t, http.StatusOK)
		waitFor(t, "the other instance's kept board shows the approved topic", func() bool {
			return strings.Contains(visitor.get("/board").Body, "管理組合")
		})
	})
	t.Run("one retention job at a time", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		one, two := p.open(), p.open()
		ctx := context.Background()
		var inner bool
		ran, err := one.TryExclusive(ctx, db.RetentionLockKey, func(ctx context.Context) error {
			var err error
			inner, err = two.TryExclusive(ctx, db.RetentionLockKey, func(context.Context) error { return nil })
			return err
		})
		if err != nil || !ran {
			t.Fatalf("the first instance's job: ran %v, %v", ran, err)
		}
		if inner {
			t.Error("both instances held the job's lock at once through PgBouncer")
		}
		if ran, err := two.TryExclusive(ctx, db.RetentionLockKey, func(context.Context) error { return nil }); err != nil || !ran {
			t.Errorf("the lock was not let go: ran %v, %v", ran, err)
		}
	})
	t.Run("sign-ups", func(t *testing.T) {
		t.Parallel()
		one, two, _ := instances(t)
		ev := one.publishedEvent(5, 2)
		page := fmt.Sprintf("/events/%d", ev.ID)
		var members []*testEnv
		for i := range 12 {
			login := fmt.Sprintf("M91000%02d", i)
			one.memberAccount(login, fmt.Sprintf("ぷーる%02d", i))
			c := []*testEnv{one, two}[i%2].client()
			c.signIn(login, "member-password-1").wantStatus(t, http.StatusSeeOther)
			members = append(members, c)
		}
		tokens := make([]string, len(members))
		for i, c := range members {
			tokens[i] = c.token()
		}
		var wg sync.WaitGroup
		statuses := make([]int, len(members))
		for i, c := range members {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, c.srv.URL+page+"/signup", strings.NewReader(url.Values{"_csrf": {tokens[i]}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := c.http.Do(req)
				if err == nil {
					statuses[i] = res.StatusCode
					res.Body.Close()
				}
			})
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusSeeOther {
				t.Errorf("member %d: status %d", i, s)
			}
		}
		var counts []struct {
			Status string
			N      int
		}
		if err := one.db.Bun.NewSelect().Table("event_signups").ColumnExpr("status, count(*) AS n").
			Where("event_id = ?", ev.ID).Group("status").Scan(context.Background(), &counts); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range counts {
			got[c.Status] = c.N
		}
		if got[db.SignupConfirmed] != 5 || got[db.SignupWaitlisted] != 2 || len(got) != 2 {
			t.Errorf("sign-ups through PgBouncer: %v, want 5 confirmed and 2 waiting", got)
		}
	})
}
