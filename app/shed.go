package app

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// Overload (issue 18): when more requests arrive than the portal can
// answer, the ones it cannot serve soon are refused at once (503 with
// Retry-After), not queued until they time out, and signed-in users (staff
// among them) keep being answered. What visitors read comes from the page
// cache (pagecache.go), which answers before this limit; what reaches it
// renders a page and reads the database.
//
// admission bounds the requests at work at once. Signed-in requests (those
// with a session cookie: telling staff from members would need the
// database) may take every place; visitors at most half, so a flood of
// visitors leaves the other half to signed-in users. A request that finds
// no place queues for a short while behind a bounded number of others, and
// is refused when the queue is full or the wait is over.
type admission struct {
	all      chan struct{} // places for every request
	visitors chan struct{} // the share visitors may hold

	visitorQueue, signedQueue int64 // how many may wait
	visitorWait, signedWait   time.Duration
	waitingVisitors           atomic.Int64
	waitingSigned             atomic.Int64
	shed                      atomic.Int64 // refused so far, for the log and tests
}

const (
	// admissionPerConn: places per connection of the database pool; a
	// request holds its connection a fraction of its time.
	admissionPerConn = 2
	// A visitor waits briefly (the page would be slow anyway). A signed-in
	// user's request (a sign-up in a rush among them) is answered late
	// rather than refused: visitors cannot take their half of the places,
	// so the wait is the rush's own length, bounded below clients' usual
	// 30-second timeouts.
	visitorWait = 100 * time.Millisecond
	signedWait  = 15 * time.Second
	// overloadRetryAfter is what a refused request is told to wait, in
	// seconds: a rush passes in seconds, and browsers do not retry on their
	// own, so it is a hint for clients that do.
	overloadRetryAfter = 2
)

func newAdmission(places int) *admission {
	places = max(places, 2)
	return &admission{
		all:          make(chan struct{}, places),
		visitors:     make(chan struct{}, places/2),
		visitorQueue: int64(places),
		// A rush of signed-in members (1,000 sign-ups at once) queues
		// rather than being refused: each is a few milliseconds of work.
		signedQueue: int64(64 * places),
		visitorWait: visitorWait,
		signedWait:  signedWait,
	}
}

// acquire takes a place, waiting at most the class's wait; it returns the
// function that gives it back, or false when the request is to be refused.
func (ad *admission) acquire(ctx context.Context, signedIn bool) (release func(), ok bool) {
	deadline := time.Now().Add(ad.visitorWait)
	if signedIn {
		deadline = time.Now().Add(ad.signedWait)
		if !ad.take(ctx, ad.all, &ad.waitingSigned, ad.signedQueue, deadline) {
			ad.shed.Add(1)
			return nil, false
		}
		return func() { <-ad.all }, true
	}
	if !ad.take(ctx, ad.visitors, &ad.waitingVisitors, ad.visitorQueue, deadline) {
		ad.shed.Add(1)
		return nil, false
	}
	if !ad.take(ctx, ad.all, &ad.waitingVisitors, ad.visitorQueue, deadline) {
		<-ad.visitors
		ad.shed.Add(1)
		return nil, false
	}
	return func() { <-ad.all; <-ad.visitors }, true
}

// acquireStream takes a place for opening an event stream: the
// subscription and its replay read the database, so they count like any
// request (a visitor's within the visitors' share), but the stream is
// never refused (the browser would only reconnect and add load): it waits
// for a place for as long as its client does. It reports false only when
// the client went away meanwhile.
func (ad *admission) acquireStream(ctx context.Context, signedIn bool) (release func(), ok bool) {
	if !signedIn {
		select {
		case ad.visitors <- struct{}{}:
		case <-ctx.Done():
			return nil, false
		}
	}
	select {
	case ad.all <- struct{}{}:
	case <-ctx.Done():
		if !signedIn {
			<-ad.visitors
		}
		return nil, false
	}
	if signedIn {
		return func() { <-ad.all }, true
	}
	return func() { <-ad.all; <-ad.visitors }, true
}

// take puts a token into sem, at once if there is room, else after waiting
// in a queue of at most limit until deadline.
func (ad *admission) take(ctx context.Context, sem chan struct{}, waiting *atomic.Int64, limit int64, deadline time.Time) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	if waiting.Add(1) > limit {
		waiting.Add(-1)
		return false
	}
	defer waiting.Add(-1)
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// errOverloaded is a request refused for want of a place: expected under
// overload, so neither logged as a failure nor rendered with more than the
// error page.
var errOverloaded = echo.NewHTTPError(http.StatusServiceUnavailable, "overloaded")

// admit lets a request in when there is a place for it, and refuses it with
// 503 and Retry-After when there is none soon.
func (a *App) admit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		_, err := r.Cookie(a.sessions.Cookie.Name)
		if strings.HasSuffix(c.Path(), "/live") {
			// An event stream holds its place while it opens, not for the
			// hours it stays open: the place is given back as the stream
			// begins answering.
			release, ok := a.admission.acquireStream(r.Context(), err == nil)
			if !ok {
				return r.Context().Err()
			}
			var once sync.Once
			free := func() { once.Do(release) }
			c.Response().Before(free)
			defer free()
			return next(c)
		}
		release, ok := a.admission.acquire(r.Context(), err == nil)
		if !ok {
			c.Response().Header().Set("Retry-After", strconv.Itoa(overloadRetryAfter))
			return errOverloaded
		}
		defer release()
		return next(c)
	}
}
