package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db/dbtest"
)

// TestSoakScenario runs the soak briefly on an empty portal: its figures
// come out and nothing it held stays behind. (The real run is five minutes
// in `go tool task bench -- -run '^soak$'`.) Not parallel: it counts the
// goroutines of the whole test process.
func TestSoakScenario(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	var log bytes.Buffer
	env, err := NewEnv(ctx, d, Settings{Concurrency: 4, Duration: time.Second, Warmup: 100 * time.Millisecond, Rounds: 1, Soak: 2 * time.Second}, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	figs, err := runSoak(ctx, env)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	want := "soak_rps soak_p99 soak_streams soak_goroutines_delta soak_fds_delta soak_heap_delta soak_db_conns_delta"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("figures %s, want %s", got, want)
	}
	if figs[0].Value <= 0 || figs[2].Value < 1 {
		t.Errorf("the soak did nothing: %v", figs)
	}
	if env.Duration != time.Second {
		t.Errorf("the soak left -d at %s", env.Duration)
	}
}

// TestSoakNoticesALeak: a resource that stays above its baseline fails the
// check, one that came back passes it.
func TestSoakNoticesALeak(t *testing.T) {
	base := processState{goroutines: 40, fds: 30, heap: 10 << 20, dbConns: 5}
	if !(processState{goroutines: 45, fds: 35, heap: 20 << 20, dbConns: 17}).within(base) {
		t.Error("a settled process counts as a leak")
	}
	for _, leak := range []processState{
		{goroutines: 400, fds: 30, heap: 10 << 20, dbConns: 5},
		{goroutines: 40, fds: 300, heap: 10 << 20, dbConns: 5},
		{goroutines: 40, fds: 30, heap: 500 << 20, dbConns: 5},
		{goroutines: 40, fds: 30, heap: 10 << 20, dbConns: 100},
	} {
		if leak.within(base) {
			t.Errorf("%s is not noticed against %s", leak, base)
		}
	}
}
