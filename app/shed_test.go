package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db/dbtest"
)

func TestAdmissionKeepsPlacesForSignedInUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ad := newAdmission(4) // 4 places, visitors at most 2
	ad.visitorWait = 10 * time.Millisecond
	ad.signedWait = 10 * time.Millisecond
	var releases []func()
	for range 2 {
		rel, ok := ad.acquire(ctx, false)
		if !ok {
			t.Fatal("a visitor refused with places free")
		}
		releases = append(releases, rel)
	}
	if _, ok := ad.acquire(ctx, false); ok {
		t.Fatal("a third visitor got in: visitors took more than their share")
	}
	for range 2 {
		rel, ok := ad.acquire(ctx, true)
		if !ok {
			t.Fatal("a signed-in user refused while visitors hold only their share")
		}
		releases = append(releases, rel)
	}
	if _, ok := ad.acquire(ctx, true); ok {
		t.Fatal("more requests at work than places")
	}
	if got := ad.shed.Load(); got != 2 {
		t.Errorf("%d refused, want 2", got)
	}
	// A signed-in user waiting gets the first place given back.
	ad.signedWait = 10 * time.Second
	got := make(chan bool)
	go func() {
		rel, ok := ad.acquire(ctx, true)
		if ok {
			rel()
		}
		got <- ok
	}()
	releases[0]()
	if !<-got {
		t.Error("a waiting signed-in user did not get the place given back")
	}
	for _, rel := range releases[1:] {
		rel()
	}
	if len(ad.all) != 0 || len(ad.visitors) != 0 {
		t.Errorf("%d places and %d visitors' places still taken after every release", len(ad.all), len(ad.visitors))
	}
	// A full queue refuses at once, without waiting.
	ad = newAdmission(2)
	ad.visitorQueue = 0
	ad.visitorWait = time.Hour
	rel, _ := ad.acquire(ctx, false)
	defer rel()
	if _, ok := ad.acquire(ctx, false); ok {
		t.Error("a visitor got in beyond the places with no queue")
	}
}

// TestOverloadNeverCrashes floods a portal of four places with far more
// requests than it has places for, visitors' and a signed-in member's at
// once: the process stays up, every answer is a page or a 503 that says
// when to come back, the member is answered throughout, and nothing is
// left running afterwards. Not parallel: it counts the process's
// goroutines.
func TestOverloadNeverCrashes(t *testing.T) {
	cfg := testConfig()
	cfg.MaxInFlight = 4
	e := newTestEnvConfig(t, dbtest.New(t), cfg)
	e.memberAccount("M8800001", "こんざつ")
	member := e.client()
	member.signIn("M8800001", "member-password-1").wantStatus(t, http.StatusSeeOther)

	// Visitors hold their whole share: the next is refused at once, with
	// the page that says so; the member is let in.
	ctx := context.Background()
	var held []func()
	for range 2 {
		rel, ok := e.app.admission.acquire(ctx, false)
		if !ok {
			t.Fatal("no place for a visitor in an idle portal")
		}
		held = append(held, rel)
	}
	res := e.client().get("/login")
	res.wantStatus(t, http.StatusServiceUnavailable)
	if res.Header.Get("Retry-After") != "2" || res.Doc.Find("main h1").Length() == 0 {
		t.Errorf("refused without Retry-After 2 or the error page: %q", res.Header.Get("Retry-After"))
	}
	member.get("/account").wantStatus(t, http.StatusOK)
	for _, rel := range held {
		rel()
	}

	goroutines := runtime.NumGoroutine()
	const visitors, each = 200, 5
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		problems []string
	)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: visitors}}
	defer client.CloseIdleConnections()
	for v := range visitors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range each {
				// Pages the cache does not hold yet: each renders.
				path := []string{"/login", "/register", fmt.Sprintf("/board?page=%d", v*each+n), "/inquiry"}[n%4]
				resp, err := client.Get(e.srv.URL + path)
				mu.Lock()
				switch {
				case err != nil:
					problems = append(problems, err.Error())
				case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "":
					problems = append(problems, path+": 503 without Retry-After")
				case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable:
					problems = append(problems, fmt.Sprintf("%s: status %d", path, resp.StatusCode))
				default:
					statuses[resp.StatusCode]++
				}
				mu.Unlock()
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	// The member keeps reading meanwhile.
	for i := range 10 {
		page := []string{"/account", "/board", "/account/events"}[i%3]
		member.get(page).wantStatus(t, http.StatusOK)
	}
	wg.Wait()
	if len(problems) > 0 {
		t.Errorf("%d bad answers, first: %s", len(problems), problems[0])
	}
	if statuses[http.StatusOK] == 0 {
		t.Error("no visitor was served during the flood")
	}
	t.Logf("flood of %d requests: %d served, %d refused", visitors*each, statuses[http.StatusOK], statuses[http.StatusServiceUnavailable])

	// Still up, with nothing left running.
	e.client().get("/healthz").wantStatus(t, http.StatusOK)
	e.client().get("/login").wantStatus(t, http.StatusOK)
	client.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > goroutines+20 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the flood, %d before", runtime.NumGoroutine(), goroutines)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(e.app.admission.all) != 0 {
		t.Errorf("%d places still taken after the flood", len(e.app.admission.all))
	}
	if strings.Contains(e.logs.String(), "panic") {
		t.Error("the portal panicked during the flood")
	}
}

// TestLiveStreamsHoldNoPlace: an event stream takes a place only while it
// opens, so more readers than places all get their stream, pages are still
// answered while they stay open, and a stream that finds every place taken
// waits for one instead of being refused.
func TestLiveStreamsHoldNoPlace(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxInFlight = 4
	e := newTestEnvConfig(t, dbtest.New(t), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/board/live", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
			res.Body.Close()
			return nil, fmt.Errorf("status %d, %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		return res, nil
	}
	for i := range 3 * cap(e.app.admission.all) {
		res, err := open()
		if err != nil {
			t.Fatalf("stream %d: %v", i+1, err)
		}
		defer res.Body.Close()
	}
	if n, v := len(e.app.admission.all), len(e.app.admission.visitors); n != 0 || v != 0 {
		t.Errorf("%d places (%d of visitors) held by open streams, want 0", n, v)
	}
	e.client().get("/login").wantStatus(t, http.StatusOK)

	// Every place taken: the stream waits for one, and opens once one is
	// given back.
	var held []func()
	for range cap(e.app.admission.all) {
		rel, ok := e.app.admission.acquire(ctx, true)
		if !ok {
			t.Fatal("no place in an idle portal")
		}
		held = append(held, rel)
	}
	opened := make(chan error, 1)
	go func() {
		res, err := open()
		if err == nil {
			res.Body.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("a stream answered with every place taken: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	held[0]()
	if err := <-opened; err != nil {
		t.Errorf("the waiting stream, once a place was free: %v", err)
	}
	for _, rel := range held[1:] {
		rel()
	}
	if n, v := len(e.app.admission.all), len(e.app.admission.visitors); n != 0 || v != 0 {
		t.Errorf("%d places (%d of visitors) still taken after every release", n, v)
	}
}
