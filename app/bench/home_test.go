package bench

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
	"github.com/wardportal/portal/db/seed"
)

// testHash stands in for an argon2id hash; nobody signs in here.
const testHash = "$argon2id$v=19$m=65536,t=1,p=2$YmVuY2gtdGVzdC1zYWx0$YmVuY2gtdGVzdC1oYXNoLW5vdC1yZWFsLWJlbmNo"

var figureLine = regexp.MustCompile(`^([a-z0-9_]+): (-?[0-9]+(?:\.[0-9]+)?)(?: ([a-z/]+))?(?:  \(goal [^)]*\))?$`)

// smallSeed returns a fresh database seeded small, every account's password
// hash set to hash.
func smallSeed(t *testing.T, hash string) *db.DB {
	t.Helper()
	d := dbtest.New(t)
	o := seed.Defaults()
	o.Members, o.Groups, o.Events, o.Posts = 200, 10, 40, 300
	o.Notices, o.Subsidies, o.Articles = 10, 3, 3
	o.PasswordHash = hash
	if _, err := seed.Run(context.Background(), d, o, nil); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHomeScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a server for a second")
	}
	ctx := context.Background()
	d := smallSeed(t, testHash)

	var log bytes.Buffer
	env, err := NewEnv(ctx, d, Settings{Concurrency: 4, Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond, Rounds: 2}, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	var out bytes.Buffer
	re := regexp.MustCompile("^home$")
	if err := RunScenarios(ctx, env, Select(Scenarios, re), &out); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	t.Logf("stdout:\n%slog:\n%s", out.String(), log.String())

	got := map[string]float64{}
	var names []string
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		m := figureLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %q is not `name: value unit`", line)
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		got[m[1]] = v
		names = append(names, m[1])
	}
	want := []string{"home_vs_bare", "home_rps", "home_p50", "home_p99", "bare_rps", "bare_p50", "bare_p99"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("figures %v, want %v", names, want)
	}
	for _, n := range want {
		if got[n] <= 0 {
			t.Errorf("%s = %v, want > 0", n, got[n])
		}
	}
	if r := got["home_rps"] / got["bare_rps"]; r-got["home_vs_bare"] > 0.01 || got["home_vs_bare"]-r > 0.01 {
		t.Errorf("home_vs_bare %v is not home_rps/bare_rps %v", got["home_vs_bare"], r)
	}
}

func TestLoadCountsErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") != "gzip" {
			http.Error(w, "no gzip asked for", http.StatusBadRequest)
			return
		}
		if n.Add(1)%5 == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	env := &Env{Concurrency: 2, Duration: 100 * time.Millisecond, Warmup: 20 * time.Millisecond, Rounds: 1, Log: &bytes.Buffer{}}

	r, err := env.Load(context.Background(), Target{Name: "flaky", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors == 0 || r.Err() == nil || !strings.Contains(r.FirstError, "status 500") {
		t.Errorf("Load = %+v; want errors with status 500 reported", r)
	}
	if r.Latency.N == 0 || r.Latency.N > r.Requests || r.RPS() <= 0 {
		t.Errorf("Load = %+v; want the successful requests measured", r)
	}
	if _, err := env.Compare(context.Background(), Target{Name: "flaky", URL: srv.URL}); err == nil {
		t.Error("Compare with failing requests succeeded; want an error")
	}
}
