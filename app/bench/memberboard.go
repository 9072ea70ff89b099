package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/gzip"

	"github.com/wardportal/portal/db"
)

// runMemberBoard compares the board's first page as a signed-in member sees
// it (never from the visitors' page cache) with a bare net/http + pgx
// handler that writes the same bytes the same way: the page the portal
// rendered for that member, byte for byte, compressed per request with the
// portal's gzip (klauspost, level 1), after running the portal's SQL for
// the topics. So the ratio measures the stack (echo, the middleware, the
// session, bun, templ) and not a page's size or its compression.
func runMemberBoard(ctx context.Context, env *Env) ([]Figure, error) {
	var undo undoStack
	defer undo.run()
	member, err := signedInMember(ctx, env, &undo, "member_board")
	if err != nil {
		return nil, err
	}
	page, err := member.page(ctx, env.PortalURL+"/board")
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(page, []byte(`href="/account"`)) {
		return nil, fmt.Errorf("GET /board as %s: not the page of a signed-in member", member.login)
	}
	pool, err := pgxpool.NewWithConfig(ctx, env.DB.Pool.Config())
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	sql, args := db.BoardTopicsQuery()
	bare := &bareSame{pool: pool, sql: sql, args: args, page: page}
	bareURL, stop, err := env.Serve("member_board_bare", bare)
	if err != nil {
		return nil, err
	}
	defer stop()
	cookie := member.cookieHeader(env.PortalURL)
	best, err := env.Compare(ctx,
		Target{Name: "bare", URL: bareURL + "/", Pool: pool},
		Target{Name: "portal", URL: env.PortalURL + "/board", Pool: env.DB.Pool, Profile: true,
			NewRequest: func(ctx context.Context, _, _ int) (*http.Request, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.PortalURL+"/board", nil)
				if err == nil {
					req.Header.Set("Cookie", cookie)
				}
				return req, err
			}},
	)
	if err != nil {
		return nil, err
	}
	if best[1].Bytes > 0 && best[0].Bytes > 0 {
		env.Logf("member_board: %d bytes per page from the portal, %d from bare (gzip)",
			best[1].Bytes/int64(max(best[1].Requests, 1)), best[0].Bytes/int64(max(best[0].Requests, 1)))
	}
	return vsBareFigures("member_board", "member_board_bare", best[1], best[0]), nil
}

// bareSame runs one query per request, reads every row, and writes page
// compressed as the portal compresses.
type bareSame struct {
	pool *pgxpool.Pool
	sql  string
	args []any
	page []byte
}

var bareGzip = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

func (b *bareSame) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	rows, err := b.pool.Query(r.Context(), b.sql, b.args...)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var dest []any
	for rows.Next() {
		if dest == nil {
			dest = scanTargets(rows.FieldDescriptions())
		}
		if err := rows.Scan(dest...); err != nil {
			break
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("Vary", "Accept-Encoding")
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Length", strconv.Itoa(len(b.page)))
		_, _ = w.Write(b.page)
		return
	}
	h.Set("Content-Encoding", "gzip")
	zw := bareGzip.Get().(*gzip.Writer)
	zw.Reset(w)
	_, _ = zw.Write(b.page)
	_ = zw.Close()
	bareGzip.Put(zw)
}
