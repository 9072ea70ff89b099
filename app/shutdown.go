package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// A shutdown must never report a committed write as failed, and must end.
// Serve therefore stops in three steps: it stops accepting and lets every
// request finish within the grace; then it cancels the requests that have
// only read so far (they are answered 503, nothing of theirs was written)
// and gives the ones that have begun writing as long again; whatever still
// runs after that is left behind and the pool stays open under it (serve
// returns ErrRequestsRunning and the process exits, which rolls back what
// was not committed). A request counts as writing from its first statement
// that is not a plain SELECT — BEGIN included — as the query hook below
// sees it; from then on shutdown never cancels it, so a transaction is not
// cut between its writes and its COMMIT, and a handler that has committed
// finishes, session save included, instead of failing on a cancelled context.

// ErrRequestsRunning is returned by Serve when requests were still running
// after the grace and as long again for those writing.
var ErrRequestsRunning = errors.New("requests still running at the end of the shutdown")

// inflight tracks the requests being served.
type inflight struct {
	mu   sync.Mutex
	reqs map[*inflightReq]struct{}
}

// Request states, guarded by inflightReq.mu.
const (
	reqReading = iota
	reqWriting
	reqCancelled
)

type inflightReq struct {
	mu     sync.Mutex
	state  int
	cancel context.CancelFunc
}

type inflightKey struct{}

func newInflight() *inflight { return &inflight{reqs: map[*inflightReq]struct{}{}} }

// wrap gives every request a context shutdown can cancel and registers it.
func (f *inflight) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		req := &inflightReq{cancel: cancel}
		f.mu.Lock()
		f.reqs[req] = struct{}{}
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			delete(f.reqs, req)
			f.mu.Unlock()
		}()
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, inflightKey{}, req)))
	})
}

// cancelReaders cancels every request that has not begun writing and
// reports how many it cancelled and how many are writing.
func (f *inflight) cancelReaders() (cancelled, writing int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for req := range f.reqs {
		req.mu.Lock()
		switch req.state {
		case reqReading:
			req.state = reqCancelled
			req.cancel()
			cancelled++
		case reqWriting:
			writing++
		}
		req.mu.Unlock()
	}
	return cancelled, writing
}

func (f *inflight) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// writeMarker is the bun query hook that marks a request as writing.
type writeMarker struct{}

func (writeMarker) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	req, ok := ctx.Value(inflightKey{}).(*inflightReq)
	if !ok || isPlainSelect(ev.Query) {
		return ctx
	}
	req.mu.Lock()
	defer req.mu.Unlock()
	if req.state == reqCancelled {
		// Cancelled just before: make sure the statement is not sent at
		// all, rather than cancelled on the way with an unknown outcome.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		return cctx
	}
	req.state = reqWriting
	return ctx
}

func (writeMarker) AfterQuery(context.Context, *bun.QueryEvent) {}

// isPlainSelect reports whether a statement starts with SELECT; a CTE may
// hold an INSERT, so WITH counts as writing.
func isPlainSelect(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}
