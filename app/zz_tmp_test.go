package app

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/wardportal/portal/db/dbtest"
)

type queryLog struct {
	mu sync.Mutex
	qs []string
}

func (q *queryLog) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	q.mu.Lock()
	q.qs = append(q.qs, ev.Query)
	q.mu.Unlock()
	return ctx
}
func (*queryLog) AfterQuery(context.Context, *bun.QueryEvent) {}

func TestZZQueries(t *testing.T) {
	store := dbtest.New(t)
	ql := &queryLog{}
	store.Bun = store.Bun.WithQueryHook(ql)
	e := newTestEnvDB(t, store)
	b := boardEnvOn(t, e)
	b.alice.get("/board").wantStatus(t, http.StatusOK)
	s0 := store.Pool.Stat().AcquireCount()
	ql.mu.Lock()
	ql.qs = nil
	ql.mu.Unlock()
	b.alice.get("/board").wantStatus(t, http.StatusOK)
	fmt.Println("acquires", store.Pool.Stat().AcquireCount()-s0)
	for _, q := range ql.qs {
		if len(q) > 200 {
			q = q[:200]
		}
		fmt.Println("Q:", q)
	}
}
