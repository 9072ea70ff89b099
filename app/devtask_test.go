package app

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// `go tool task dev` runs `portal seed -if-empty`: its last line is what a
// newcomer reads, so it must say what the database now holds, and say so
// truthfully.
func TestSeedCommandSaysWhatItSeeded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewURL(t)
	env := databaseEnv(url)
	args := []string{"portal", "seed", "-if-empty", "-members", "9", "-groups", "2", "-events", "3", "-posts", "12",
		"-notices", "1", "-subsidies", "1", "-articles", "1"}
	var out, errOut bytes.Buffer
	if code := Main(ctx, args, env, &out, &errOut); code != 0 {
		t.Fatalf("seed: exit %d: %s", code, errOut.String())
	}
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	count := func(query string, args ...any) int {
		var n int
		if err := d.Pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	members := count(`SELECT count(*) FROM accounts WHERE kind = $1`, db.KindMember)
	groups := count(`SELECT count(*) FROM groups`)
	events := count(`SELECT count(*) FROM events`)
	posts := count(`SELECT count(*) FROM board_posts`)
	if members == 0 || groups == 0 || events == 0 || posts == 0 {
		t.Fatalf("seed left tables empty: %d members, %d groups, %d events, %d posts", members, groups, events, posts)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	want := fmt.Sprintf("seeded %d members, %d groups, %d events, %d board posts in ", members, groups, events, posts)
	if !strings.HasPrefix(last, want) || !strings.Contains(last, seed.Password) {
		t.Errorf("last line %q, want it to start %q and name the seeded accounts' password", last, want)
	}

	out.Reset()
	if code := Main(ctx, args, env, &out, &errOut); code != 0 {
		t.Fatalf("second seed: exit %d: %s", code, errOut.String())
	}
	if got := strings.TrimSpace(out.String()); got != "database already has data; not seeding" {
		t.Errorf("second seed -if-empty said %q", got)
	}
}

// The tasks say what happens in a line of their own; they do not echo the
// source of their scripts (the db task's was twenty lines of shell).
func TestDBTaskSaysReadyNotItsScript(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pg_isready"); err != nil {
		t.Skip("pg_isready (PostgreSQL's client tools) is not installed")
	}
	task := func(databaseURL string) (string, error) {
		cmd := exec.Command("go", "tool", "task", "db")
		cmd.Dir = ".." // the module root, where Taskfile.yml is
		cmd.Env = append(cmd.Environ(), "DATABASE_URL="+databaseURL)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := task(dbtest.NewURL(t))
	if err != nil {
		t.Fatalf("task db: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "PostgreSQL ready at ") {
		t.Errorf("task db printed %q, want one line `PostgreSQL ready at …`", out)
	}

	// Port 1 is never PostgreSQL: the task stops there, saying why, instead
	// of leaving a newcomer to read a connection error from migrate.
	out, err = task("postgres://postgres@127.0.0.1:1/portal?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(out, "does not answer") || strings.Contains(out, "pg_isready -d") {
		t.Errorf("task db with an unreachable DATABASE_URL: err %v, output %q", err, out)
	}
}
