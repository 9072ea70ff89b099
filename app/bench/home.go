package bench

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// runHome compares the portal's home page with the least a Go program can do
// to serve the same data: net/http, a pgx pool of the same size and the same
// three SQL statements, written out as a bare HTML list. The ratio is what
// echo, the middleware, sessions, bun, templ and gzip cost together.
func runHome(ctx context.Context, env *Env) ([]Figure, error) {
	bare, err := newBareHome(ctx, env)
	if err != nil {
		return nil, err
	}
	return compareWithBare(ctx, env, bare, "/", "home", "bare")
}

// compareWithBare serves bare at / beside the portal, checks that both list
// the same newest title, loads both, and returns <name>_vs_bare (the
// portal's throughput over bare's) and the latency figures of each, the
// portal's under name and bare's under bareName. It closes bare's pool.
// Its phases: setup (serve bare, check both pages), load and measure
// (Compare's rounds in turns, the best of each), report (vsBareFigures).
func compareWithBare(ctx context.Context, env *Env, bare *bareHome, portalPath, name, bareName string) ([]Figure, error) {
	defer bare.pool.Close()
	// The bare page is served at / (bareHome answers nothing else); where it
	// lives does not change what it costs.
	bareURL, stop, err := env.Serve("bare", bare)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := checkSame(ctx, bareURL+"/", env.PortalURL+portalPath, bare.firstTitle); err != nil {
		return nil, err
	}
	best, err := env.Compare(ctx,
		Target{Name: "bare", URL: bareURL + "/", Pool: bare.pool},
		Target{Name: "portal", URL: env.PortalURL + portalPath, Pool: env.DB.Pool, Profile: true},
	)
	if err != nil {
		return nil, err
	}
	return vsBareFigures(name, bareName, best[1], best[0]), nil
}

// vsBareFigures are the portal's throughput over bare's and the latencies
// of each.
func vsBareFigures(name, bareName string, portal, bare Result) []Figure {
	figs := []Figure{Ratio(name+"_vs_bare", portal.RPS()/bare.RPS())}
	figs = append(figs, LatencyFigures(name, portal)...)
	return append(figs, LatencyFigures(bareName, bare)...)
}

// bareHome is the baseline handler of the home scenario.
type bareHome struct {
	pool       *pgxpool.Pool
	sections   []bareSection
	firstTitle string // a title both pages must show, for the sanity check
}

type bareSection struct {
	heading string
	sql     string
	args    []any
}

func newBareHome(ctx context.Context, env *Env) (*bareHome, error) {
	// The same settings as the portal's pool, size included.
	pool, err := pgxpool.NewWithConfig(ctx, env.DB.Pool.Config())
	if err != nil {
		return nil, err
	}
	// The SQL is rendered once: the baseline pays nothing for building it.
	n, e, t := env.DB.HomeQueries(time.Now())
	b := &bareHome{pool: pool, sections: []bareSection{
		{heading: "Notices", sql: n.String()},
		{heading: "Events", sql: e.String()},
		{heading: "Board", sql: t.String()},
	}}
	for _, s := range b.sections {
		env.Logf("home: bare SQL: %s", s.sql)
	}
	// The newest topic's title, for checking that both pages list the same.
	rows, err := pool.Query(ctx, b.sections[2].sql)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if rows.Next() {
		vs, err := rows.Values()
		for i, fd := range rows.FieldDescriptions() {
			if err == nil && fd.Name == "title" {
				b.firstTitle, _ = vs[i].(string)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		pool.Close()
		return nil, err
	}
	return b, nil
}

var barePagePool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (b *bareHome) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	buf := barePagePool.Get().(*bytes.Buffer)
	buf.Reset()
	defer barePagePool.Put(buf)
	buf.WriteString("<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>Portal</title></head><body>\n")
	for _, s := range b.sections {
		buf.WriteString("<section><h2>")
		buf.WriteString(s.heading)
		buf.WriteString("</h2><ul>\n")
		if err := b.list(r.Context(), buf, s.sql, s.args...); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		buf.WriteString("</ul></section>\n")
	}
	buf.WriteString("</body></html>\n")
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// list runs one query and writes each row as a list item, its columns
// separated by middle dots. Rows scan into typed pgtype values chosen by the
// column types, so nothing is boxed per row.
func (b *bareHome) list(ctx context.Context, buf *bytes.Buffer, sql string, args ...any) error {
	rows, err := b.pool.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var dest []any
	for rows.Next() {
		if dest == nil {
			dest = scanTargets(rows.FieldDescriptions())
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		buf.WriteString("<li>")
		for i, d := range dest {
			if i > 0 {
				buf.WriteString(" · ")
			}
			writeValue(buf, d)
		}
		buf.WriteString("</li>\n")
	}
	return rows.Err()
}

func scanTargets(fds []pgconn.FieldDescription) []any {
	dest := make([]any, len(fds))
	for i, fd := range fds {
		switch fd.DataTypeOID {
		case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
			dest[i] = new(pgtype.Text)
		case pgtype.Int8OID, pgtype.Int4OID, pgtype.Int2OID:
			dest[i] = new(pgtype.Int8)
		case pgtype.TimestamptzOID:
			dest[i] = new(pgtype.Timestamptz)
		case pgtype.TimestampOID:
			dest[i] = new(pgtype.Timestamp)
		case pgtype.DateOID:
			dest[i] = new(pgtype.Date)
		case pgtype.BoolOID:
			dest[i] = new(pgtype.Bool)
		default:
			dest[i] = new(any)
		}
	}
	return dest
}

var jst = time.FixedZone("JST", 9*60*60)

func writeValue(buf *bytes.Buffer, d any) {
	var scratch [32]byte
	switch v := d.(type) {
	case *pgtype.Text:
		if v.Valid {
			buf.WriteString(html.EscapeString(v.String))
		}
	case *pgtype.Int8:
		if v.Valid {
			buf.Write(strconv.AppendInt(scratch[:0], v.Int64, 10))
		}
	case *pgtype.Timestamptz:
		if v.Valid {
			buf.Write(v.Time.In(jst).AppendFormat(scratch[:0], "2006-01-02 15:04"))
		}
	case *pgtype.Timestamp:
		if v.Valid {
			buf.Write(v.Time.AppendFormat(scratch[:0], "2006-01-02 15:04"))
		}
	case *pgtype.Date:
		if v.Valid {
			buf.Write(v.Time.AppendFormat(scratch[:0], "2006-01-02"))
		}
	case *pgtype.Bool:
		if v.Valid {
			buf.WriteString(strconv.FormatBool(v.Bool))
		}
	case *any:
		if *v != nil {
			buf.WriteString(html.EscapeString(fmt.Sprint(*v)))
		}
	}
}

// checkSame fetches both pages once and makes sure they answer 200 and both
// show want (a title from the data), so the benchmark compares pages that
// show the same thing rather than, say, an error page.
func checkSame(ctx context.Context, bareURL, portalURL, want string) error {
	for _, u := range []string{bareURL, portalURL} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
		}
		if want != "" && !strings.Contains(string(body), html.EscapeString(want)) {
			return fmt.Errorf("GET %s: the page does not show the newest topic %q", u, want)
		}
	}
	return nil
}
