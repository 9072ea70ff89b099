package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Target is what one load run hammers.
type Target struct {
	Name string // label for progress lines and errors, e.g. "bare", "portal"
	URL  string // fetched with GET unless NewRequest is set

	// NewRequest builds the n-th request of a worker, for scenarios that vary
	// what they ask for (search terms, pages) or POST. Optional.
	NewRequest func(ctx context.Context, worker, n int) (*http.Request, error)

	// Status is the status every response must have; 0 means 200.
	Status int

	// Profile asks for the CPU profile (-cpuprofile) to be taken during this
	// target's measured window. Only the first such window is profiled.
	Profile bool

	// Pool, when set, is the database pool serving the target: the run
	// reports how often requests had to wait for one of its connections.
	Pool *pgxpool.Pool
}

// Result is one measured run of a target.
type Result struct {
	Target     string
	Requests   int           // completed inside the measured window, errors included
	Errors     int           // failed requests over the whole run, warm-up included
	FirstError string        // the first failure, for the message
	Bytes      int64         // response bytes read in the measured window (as sent: gzip if the server compressed)
	Elapsed    time.Duration // the measured window
	Latency    Stats         // of the successful requests in the window

	// Of Target.Pool over the whole run, warm-up included.
	PoolAcquires      int64         // connections acquired
	PoolEmptyAcquires int64         // acquisitions that had to wait for a connection
	PoolWait          time.Duration // total time spent acquiring
}

// RPS is successful requests per second over the measured window.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Latency.N) / r.Elapsed.Seconds()
}

// Err is non-nil when any request failed: figures of a run with errors are
// not worth printing.
func (r Result) Err() error {
	if r.Errors == 0 {
		return nil
	}
	return fmt.Errorf("%s: %d of the requests failed (first: %s)", r.Target, r.Errors, r.FirstError)
}

// Load runs Concurrency workers against t for Warmup, then measures for
// Duration. Every worker loops over one request at a time, on keep-alive
// connections of one shared transport, asking for gzip (unless the request
// says otherwise) and reading each body to the end. A request counts in the
// window when it both started and finished inside it. Load returns an error only when it could not run (or ctx
// ended); failed requests are counted in Result.Errors.
func (e *Env) Load(ctx context.Context, t Target) (Result, error) {
	c := max(e.Concurrency, 1)
	client := loadClient(c)
	defer client.CloseIdleConnections()
	var pool0 *pgxpool.Stat
	if t.Pool != nil {
		pool0 = t.Pool.Stat()
	}
	start := time.Now()
	from := start.Add(e.Warmup)
	until := from.Add(e.Duration)
	tallies, err := e.hammer(ctx, t, client, c, from, until)
	if err != nil {
		return Result{}, err
	}
	return t.measure(tallies, from, until, pool0), nil
}

// loadClient is the workers' shared client for c of them at a time.
func loadClient(c int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        c,
		MaxIdleConnsPerHost: c,
		IdleConnTimeout:     90 * time.Second,
		// We ask for gzip ourselves and count the bytes as they travel;
		// inflating them would be client work neither server should pay for.
		DisableCompression: true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is a wrong answer here
		},
	}
}

// tally is what one worker saw.
type tally struct {
	lat      []time.Duration
	requests int
	errors   int
	firstErr string
	bytes    int64
}

// hammer runs c workers against t until until, each keeping its own tally;
// the CPU profile, when asked for, covers from..until.
func (e *Env) hammer(ctx context.Context, t Target, client *http.Client, c int, from, until time.Time) ([]tally, error) {
	want := t.Status
	if want == 0 {
		want = http.StatusOK
	}
	newReq := t.NewRequest
	if newReq == nil {
		newReq = func(ctx context.Context, _, _ int) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tallies := make([]tally, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Add(1)
		go pprof.Do(ctx, pprof.Labels("role", "client"), func(ctx context.Context) {
			defer wg.Done()
			tl := &tallies[w]
			fail := func(msg string) {
				tl.errors++
				if tl.firstErr == "" {
					tl.firstErr = msg
				}
			}
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				if !t0.Before(until) {
					return
				}
				req, err := newReq(ctx, w, n)
				if err != nil {
					fail(err.Error())
					cancel()
					return
				}
				if req.Header.Get("Accept-Encoding") == "" {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				req.Header.Set("User-Agent", "portal-bench")
				resp, err := client.Do(req)
				var nb int64
				if err == nil {
					nb, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				t1 := time.Now()
				if ctx.Err() != nil {
					return
				}
				ok := err == nil && resp.StatusCode == want
				switch {
				case err != nil:
					fail(err.Error())
				case !ok:
					fail(fmt.Sprintf("GET %s: status %d, want %d", req.URL.Path, resp.StatusCode, want))
				}
				if t0.Before(from) || t1.After(until) {
					continue
				}
				tl.requests++
				tl.bytes += nb
				if ok {
					tl.lat = append(tl.lat, t1.Sub(t0))
				}
			}
		})
	}

	err := sleepUntil(ctx, from)
	if err == nil && t.Profile {
		stop := e.startProfile(t.Name)
		err = sleepUntil(ctx, until)
		stop()
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		// Cancelled by a worker that could not build its request.
		for _, tl := range tallies {
			if tl.firstErr != "" {
				return nil, fmt.Errorf("%s: %s", t.Name, tl.firstErr)
			}
		}
		return nil, err
	}
	return tallies, nil
}

// measure sums the workers' tallies over the window from..until, and the
// pool's counters since pool0.
func (t Target) measure(tallies []tally, from, until time.Time, pool0 *pgxpool.Stat) Result {
	r := Result{Target: t.Name, Elapsed: until.Sub(from)}
	var lat []time.Duration
	for _, tl := range tallies {
		r.Requests += tl.requests
		r.Errors += tl.errors
		r.Bytes += tl.bytes
		if r.FirstError == "" {
			r.FirstError = tl.firstErr
		}
		lat = append(lat, tl.lat...)
	}
	r.Latency = Summarize(lat)
	if pool0 != nil {
		pool1 := t.Pool.Stat()
		r.PoolAcquires = pool1.AcquireCount() - pool0.AcquireCount()
		r.PoolEmptyAcquires = pool1.EmptyAcquireCount() - pool0.EmptyAcquireCount()
		r.PoolWait = pool1.AcquireDuration() - pool0.AcquireDuration()
	}
	return r
}

// oneAtATime calls fn with 0, 1, 2, … one call after the other, for a
// warm-up of Warmup and then for Duration, and returns how long each call
// of the measured part took. It stops at fn's first error.
func (e *Env) oneAtATime(fn func(i int) error) ([]time.Duration, error) {
	run := func(d time.Duration) ([]time.Duration, error) {
		var lat []time.Duration
		deadline := time.Now().Add(d)
		for i := 0; time.Now().Before(deadline); i++ {
			start := time.Now()
			if err := fn(i); err != nil {
				return nil, err
			}
			lat = append(lat, time.Since(start))
		}
		return lat, nil
	}
	if _, err := run(e.Warmup); err != nil {
		return nil, err
	}
	return run(e.Duration)
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// startProfile starts the CPU profile of -cpuprofile, once per process; the
// returned func stops it and writes the file.
func (e *Env) startProfile(target string) (stop func()) {
	if e.CPUProfile == "" || e.profiled {
		return func() {}
	}
	e.profiled = true
	f, err := os.Create(e.CPUProfile)
	if err != nil {
		e.Logf("cpuprofile: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		e.Logf("cpuprofile: %v", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			e.Logf("cpuprofile: %v", err)
			return
		}
		e.Logf("cpuprofile: measured window of %s written to %s; the portal's share: go tool pprof -tagfocus=role=portal %s",
			target, e.CPUProfile, e.CPUProfile)
	}
}

// Compare measures the targets in turn, round after round (a, b, a, b, …),
// and returns the best round of each by throughput, so that a noisy moment
// on a small machine does not decide a ratio. A round with any failed
// request fails the comparison.
func (e *Env) Compare(ctx context.Context, targets ...Target) ([]Result, error) {
	best := make([]Result, len(targets))
	rounds := max(e.Rounds, 1)
	for round := 1; round <= rounds; round++ {
		for i, t := range targets {
			r, err := e.Load(ctx, t)
			if err != nil {
				return nil, err
			}
			e.Logf("round %d/%d %-8s %s", round, rounds, t.Name, r)
			if err := r.Err(); err != nil {
				return nil, err
			}
			if round == 1 || r.RPS() > best[i].RPS() {
				best[i] = r
			}
		}
	}
	return best, nil
}

// searches runs get once per term in turn (cycling through terms) one at a
// time, logs the latencies under name and returns them summarised: the
// shape of every search scenario (board, site, groups).
func (e *Env) searches(name string, terms []string, get func(term string) error) (Stats, error) {
	lat, err := e.oneAtATime(func(i int) error { return get(terms[i%len(terms)]) })
	if err != nil {
		return Stats{}, err
	}
	st := Summarize(lat)
	e.Logf("%s: %d searches, p50 %s, p99 %s, max %s", name, st.N, st.P50, st.P99, st.Max)
	return st, nil
}
