package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"
)

// soakPaths are what the soak's readers ask for, in turn, as pages and as
// htmx fragments.
var soakPaths = []string{"/", "/board", "/events", "/notices", "/groups", "/articles", "/facilities", "/board?q=%E9%98%B2%E7%81%BD"}

// soakSlack is how far above its baseline a resource may stay once the load
// is over and the portal has had time to settle: what a few idle timers and
// the pool's idle connections hold, not what a leak of one per request would.
const (
	soakSlackGoroutines = 20
	soakSlackFDs        = 24
	soakSlackHeap       = 64 << 20
	soakSettle          = 20 * time.Second
)

// runSoak keeps a mixed load on the portal for -soak (five minutes by
// default): readers loading pages and htmx fragments (every one of which
// stores a fresh session), and live-stream readers that connect, listen
// a second and leave. Before and after it measures the process's
// goroutines, open file descriptors (sockets included), heap after a
// collection and the database's connections, and fails when any has not
// come back near its baseline within soakSettle of the load's end.
func runSoak(ctx context.Context, env *Env) ([]Figure, error) {
	base := measureProcess(ctx, env)
	env.Logf("soak: baseline %s; load for %s", base, env.Soak)

	lctx, stop := context.WithTimeout(ctx, env.Soak)
	defer stop()
	var streams sync.WaitGroup
	var opened, streamErrs countAtomic
	for range max(env.Concurrency/4, 1) {
		streams.Go(func() {
			client := &http.Client{}
			for lctx.Err() == nil {
				sctx, cancel := context.WithTimeout(lctx, time.Second)
				req, _ := http.NewRequestWithContext(sctx, http.MethodGet, env.PortalURL+"/board/live", nil)
				res, err := client.Do(req)
				if err == nil {
					opened.add(1)
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				} else if lctx.Err() == nil && sctx.Err() == nil {
					streamErrs.add(1)
				}
				cancel()
			}
			client.CloseIdleConnections()
		})
	}
	saved := env.Duration
	env.Duration = env.Soak
	res, err := env.Load(ctx, Target{Name: "soak", Pool: env.DB.Pool,
		NewRequest: func(ctx context.Context, worker, n int) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.PortalURL+soakPaths[(worker+n)%len(soakPaths)], nil)
			if err == nil && n%3 == 1 {
				req.Header.Set("HX-Request", "true")
			}
			return req, err
		},
	})
	env.Duration = saved
	stop()
	streams.Wait()
	if err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if streamErrs.get() > 0 {
		return nil, fmt.Errorf("%d live streams could not be opened", streamErrs.get())
	}

	// Settle: what the load held must be let go.
	var after processState
	deadline := time.Now().Add(soakSettle)
	for {
		after = measureProcess(ctx, env)
		if after.within(base) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	env.Logf("soak: %d requests, %d streams; after %s", res.Requests, opened.get(), after)
	figs := []Figure{
		Throughput("soak_rps", res.RPS()),
		Millis("soak_p99", res.Latency.P99),
		{Name: "soak_streams", Value: float64(opened.get())},
		{Name: "soak_goroutines_delta", Value: float64(after.goroutines - base.goroutines)},
		{Name: "soak_fds_delta", Value: float64(after.fds - base.fds)},
		{Name: "soak_heap_delta", Value: float64(after.heap-base.heap) / (1 << 20), Unit: "MiB", Digits: 1},
		{Name: "soak_db_conns_delta", Value: float64(after.dbConns - base.dbConns)},
	}
	if !after.within(base) {
		return figs, fmt.Errorf("resources did not return to their baseline within %s of the load: before %s, after %s", soakSettle, base, after)
	}
	return figs, nil
}

// processState is what the soak watches.
type processState struct {
	goroutines int
	fds        int    // open file descriptors, -1 where /proc is not there
	heap       uint64 // bytes in use after a collection
	dbConns    int    // the database's connections (every client of it)
}

func (p processState) String() string {
	return fmt.Sprintf("%d goroutines, %d fds, heap %.1f MiB, %d db connections", p.goroutines, p.fds, float64(p.heap)/(1<<20), p.dbConns)
}

// within reports whether p is back near base. The database's connections
// may stay up to the pool's size: an idle pool keeps them on purpose.
func (p processState) within(base processState) bool {
	return p.goroutines <= base.goroutines+soakSlackGoroutines &&
		(p.fds < 0 || p.fds <= base.fds+soakSlackFDs) &&
		p.heap <= base.heap+soakSlackHeap &&
		p.dbConns <= base.dbConns+soakSlackFDs
}

func measureProcess(ctx context.Context, env *Env) processState {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p := processState{goroutines: runtime.NumGoroutine(), fds: -1, heap: ms.HeapInuse}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		p.fds = len(ents)
	}
	if err := env.DB.Bun.NewRaw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()`).Scan(ctx, &p.dbConns); err != nil {
		p.dbConns = -1
	}
	return p
}

// countAtomic is a counter the soak's goroutines share.
type countAtomic struct {
	mu sync.Mutex
	n  int
}

func (c *countAtomic) add(d int) { c.mu.Lock(); c.n += d; c.mu.Unlock() }
func (c *countAtomic) get() int  { c.mu.Lock(); defer c.mu.Unlock(); return c.n }
