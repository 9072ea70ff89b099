package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The overload scenario (issue 18): an open-loop load of three times the
// measured maximum, for 30 s, of visitors (home, the board's pages, events)
// and signed-in members. The portal must come out of it alive, with memory
// bounded, signed-in pages still answered, and what it could not serve
// refused fast with 503 and Retry-After instead of queued until timeout.
const (
	overloadFactor = 3
	// overloadWindow is the open-loop window at the default -d of 8 s;
	// shorter -d shortens it in proportion (a smoke test).
	overloadWindow = 30 * time.Second
	// overloadOutstanding bounds the requests the load generator keeps open
	// at once; beyond it, it counts a request as not sent rather than open
	// ever more connections in this same process.
	overloadOutstanding = 4096
	// One request in overloadSignedEvery is a signed-in member's.
	overloadSignedEvery = 10
	// overloadTimeout is the client's patience: an answer later than this
	// counts as queued until timeout.
	overloadTimeout = 10 * time.Second
)

// overloadPaths are what the visitors ask for: the pages most of them
// read, which the page cache holds, and the board's later pages, which it
// holds only once someone asked.
func overloadPath(n int) string {
	switch n % 8 {
	case 0, 1, 2:
		return "/"
	case 3, 4:
		return "/board"
	case 5:
		return "/events"
	default:
		return fmt.Sprintf("/board?page=%d", 2+n%200)
	}
}

type overloadTally struct {
	mu                     sync.Mutex
	signedOK, visitorOK    []time.Duration
	shed                   []time.Duration
	shedNoRetry            int
	signedFailed, failures int
	firstFailure           string
	notSent                atomic.Int64
}

func (t *overloadTally) add(signed bool, status int, retryAfter string, d time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case err == nil && status == http.StatusOK && signed:
		t.signedOK = append(t.signedOK, d)
	case err == nil && status == http.StatusOK:
		t.visitorOK = append(t.visitorOK, d)
	case err == nil && status == http.StatusServiceUnavailable:
		t.shed = append(t.shed, d)
		if retryAfter == "" {
			t.shedNoRetry++
		}
		if signed {
			t.signedFailed++
		}
	default:
		if signed {
			t.signedFailed++
		}
		t.failures++
		if t.firstFailure == "" {
			if err != nil {
				t.firstFailure = err.Error()
			} else {
				t.firstFailure = fmt.Sprintf("status %d", status)
			}
		}
	}
}

func runOverload(ctx context.Context, env *Env) ([]Figure, error) {
	var undo undoStack
	defer undo.run()
	member, err := signedInMember(ctx, env, &undo, "overload")
	if err != nil {
		return nil, err
	}
	cookie := member.cookieHeader(env.PortalURL)
	newReq := func(ctx context.Context, n int) (*http.Request, bool, error) {
		signed := n%overloadSignedEvery == 0
		path := overloadPath(n)
		if signed {
			path = []string{"/board", "/account", "/events"}[n/overloadSignedEvery%3]
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.PortalURL+path, nil)
		if err == nil && signed {
			req.Header.Set("Cookie", cookie)
		}
		return req, signed, err
	}

	// The measured maximum: closed-loop, the usual workers.
	var count atomic.Int64
	capacity, err := env.Load(ctx, Target{Name: "overload_max", Pool: env.DB.Pool,
		NewRequest: func(ctx context.Context, w, n int) (*http.Request, error) {
			req, _, err := newReq(ctx, int(count.Add(1)))
			return req, err
		}})
	if err != nil {
		return nil, err
	}
	env.Logf("overload: the measured maximum: %s", capacity)
	if err := capacity.Err(); err != nil {
		return nil, err
	}
	rate := overloadFactor * capacity.RPS()
	window := time.Duration(float64(overloadWindow) * env.Duration.Seconds() / 8)
	if err := ensureOpenFiles(2*overloadOutstanding + 256); err != nil {
		return nil, err
	}

	// The open loop: requests leave at the rate whether or not earlier ones
	// were answered.
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        overloadOutstanding,
		MaxIdleConnsPerHost: overloadOutstanding,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: overloadTimeout}
	var (
		tally       overloadTally
		outstanding atomic.Int64
		wg          sync.WaitGroup
		peakHeap    uint64
	)
	stopHeap := make(chan struct{})
	heapDone := make(chan struct{})
	go func() {
		defer close(heapDone)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stopHeap:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				peakHeap = maxU(peakHeap, ms.HeapInuse)
			}
		}
	}()
	env.Logf("overload: %.0f req/s (%d× the maximum) for %s", rate, overloadFactor, window)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for n := 0; ; n++ {
		due := start.Add(time.Duration(n) * interval)
		if !due.Before(start.Add(window)) || ctx.Err() != nil {
			break
		}
		if d := time.Until(due); d > time.Millisecond {
			time.Sleep(d)
		}
		if outstanding.Load() >= overloadOutstanding {
			tally.notSent.Add(1)
			continue
		}
		req, signed, err := newReq(ctx, n)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("User-Agent", "portal-bench overload")
		outstanding.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer outstanding.Add(-1)
			t0 := time.Now()
			resp, err := client.Do(req)
			status, retry := 0, ""
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status, retry = resp.StatusCode, resp.Header.Get("Retry-After")
			}
			tally.add(signed, status, retry, time.Since(t0), err)
		}()
	}
	sent := time.Since(start)
	wg.Wait()
	close(stopHeap)
	<-heapDone

	// Alive afterwards: the health check and a signed-in page answer.
	alive := true
	for _, path := range []string{"/healthz", "/account"} {
		req, _, _ := newReq(ctx, 0)
		req.URL.Path = path
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			alive = false
			env.Logf("overload: after the load, %s: %v %v", path, err, resp)
		}
		if err == nil {
			resp.Body.Close()
		}
	}

	signedAll := len(tally.signedOK) + tally.signedFailed
	signedShare := float64(len(tally.signedOK)) / float64(max64(signedAll, 1))
	survived := alive && tally.failures == 0 && tally.shedNoRetry == 0 && signedShare >= 0.99
	signed := Summarize(tally.signedOK)
	visitors := Summarize(tally.visitorOK)
	shed := Summarize(tally.shed)
	env.Logf("overload: sent for %s; visitors %d served (p99 %s), %d refused (p99 %s, %d without Retry-After); signed-in %d of %d served (p99 %s); %d failed (first: %s); %d not sent (generator at %d open); peak heap %d MiB",
		sent.Round(time.Millisecond), visitors.N, roundDur(visitors.P99), shed.N, roundDur(shed.P99), tally.shedNoRetry,
		signed.N, signedAll, roundDur(signed.P99), tally.failures, tally.firstFailure, tally.notSent.Load(), overloadOutstanding, peakHeap>>20)
	b2f := map[bool]float64{true: 1, false: 0}
	return []Figure{
		{Name: "overload_survived", Value: b2f[survived]},
		Millis("overload_p99_signed_in", signed.P99),
		Ratio("overload_signed_in_served", signedShare),
		Millis("overload_shed_p99", shed.P99),
		Millis("overload_visitor_p99", visitors.P99),
		Throughput("overload_served_rps", float64(visitors.N+signed.N)/sent.Seconds()),
		Throughput("overload_offered_rps", rate),
		{Name: "overload_failed", Value: float64(tally.failures)},
		// Of the whole process: the portal and this load generator.
		{Name: "overload_peak_heap_mb", Value: float64(peakHeap) / (1 << 20), Digits: 1},
	}, nil
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

func max64(a, b int) int {
	if a > b {
		return a
	}
	return b
}
