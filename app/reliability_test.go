package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// TestFailedLiveRenderIsNotCached: a render that fails (here because a table
// the query joins is briefly gone) cuts that reader off and is logged, but
// the failure is not kept: the next reader renders the event afresh and
// receives it.
func TestFailedLiveRenderIsNotCached(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := e.publishedEvent(2, 0)
	src, ok := e.get(fmt.Sprintf("/events/%d", ev.ID)).Doc.Find("dl[sse-connect]").Attr("sse-connect")
	if !ok {
		t.Fatal("the event page has no live seat count")
	}
	acc := e.memberAccount("M4600001", "見ている人")
	if _, err := e.db.SignUp(ctx, ev.ID, acc, time.Now(), db.AccessEvent{}, nil); err != nil {
		t.Fatal(err)
	}

	exec := func(sql string) {
		t.Helper()
		if _, err := e.db.Bun.ExecContext(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE facilities RENAME TO facilities_away`)
	first := openStream(t, ctx, e.srv.URL+src, "")
	select {
	case got, open := <-first:
		if open {
			t.Fatalf("the first reader got %+v while the event could not be read", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first reader's stream neither failed nor delivered")
	}
	exec(`ALTER TABLE facilities_away RENAME TO facilities`)

	second := openStream(t, ctx, e.srv.URL+src, "")
	got := nextEvent(t, second)
	if got.name != db.LiveSeats || !strings.Contains(got.data, "残り1席") {
		t.Fatalf("the next reader got %+v", got)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "live render failed") || !strings.Contains(logs, "facilities") {
		t.Errorf("the failed render was not logged:\n%s", logs)
	}
}

// tcpProxy stands between the app and PostgreSQL so a test can take the
// database away: down cuts every connection and hangs up on new ones at
// once (a server that is starting or stopping), close stops listening
// (connection refused), up forwards again.
type tcpProxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu    sync.Mutex
	up    bool
	conns map[net.Conn]struct{}
}

// newTCPProxy forwards to the host and port of dbURL, up or not yet.
func newTCPProxy(t *testing.T, dbURL string, up bool) *tcpProxy {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, ln: ln, target: u.Host, up: up, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// url is dbURL reaching its server through the proxy.
func (p *tcpProxy) url(dbURL string) string {
	u, _ := url.Parse(dbURL)
	u.Host = p.ln.Addr().String()
	return u.String()
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if !p.up {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		go p.pipe(c)
	}
}

func (p *tcpProxy) pipe(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[s] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
	<-done
	c.Close()
	s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// setUp lets connections through, or cuts them all and hangs up on new ones.
func (p *tcpProxy) setUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			c.Close()
		}
	}
}

// close stops listening: connecting is refused from now on.
func (p *tcpProxy) close() {
	p.setUp(false)
	p.ln.Close()
}

// TestDatabaseOutageIs503 takes the database away from a running portal:
// visitors, signed-in members and htmx requests all get the translated 503
// page or fragment with Retry-After and the request id, never a bare text
// and never a 500.
func TestDatabaseOutageIs503(t *testing.T) {
	t.Parallel()
	direct := dbtest.NewURL(t)
	proxy := newTCPProxy(t, direct, true)
	d, err := db.Open(context.Background(), proxy.url(direct))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	e := newTestEnvDB(t, d)
	e.memberAccount("M4700001", "停電の人")
	member := e.client()
	member.signIn("M4700001", "member-password-1").wantStatus(t, http.StatusSeeOther)
	member.get("/account").wantStatus(t, http.StatusOK)
	tok := member.token()
	visitor := e.client()
	visitor.get("/").wantStatus(t, http.StatusOK)

	check := func(how string) {
		t.Helper()
		for _, c := range []struct {
			who    string
			client *testEnv
			req    func() *response
			full   bool
		}{
			{"visitor page", visitor, func() *response { return visitor.get("/") }, true},
			{"visitor htmx", visitor, func() *response { return visitor.get("/notices", hx, "true") }, false},
			{"member page", member, func() *response { return member.get("/account") }, true},
			{"member htmx post", member, func() *response {
				return member.post("/lang", url.Values{"lang": {"en"}, "_csrf": {tok}}, hx, "true")
			}, false},
		} {
			res := c.req()
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("%s, %s: status %d, want 503: %.300s", how, c.who, res.StatusCode, res.Body)
				continue
			}
			if ra := res.Header.Get("Retry-After"); ra == "" {
				t.Errorf("%s, %s: no Retry-After", how, c.who)
			}
			if got := res.Doc.Find("h1").Text(); got != "ただいま利用できません" {
				t.Errorf("%s, %s: h1 %q, body %.300s", how, c.who, got, res.Body)
			}
			if id := res.Header.Get("X-Request-Id"); id == "" || res.Doc.Find(".meta code").Text() != id {
				t.Errorf("%s, %s: the request id %q is not shown", how, c.who, id)
			}
			if full := strings.Contains(res.Body, "<html"); full != c.full {
				t.Errorf("%s, %s: full page = %v, want %v", how, c.who, full, c.full)
			}
		}
	}
	proxy.setUp(false)
	check("server hangs up")
	proxy.close()
	check("connection refused")
}
