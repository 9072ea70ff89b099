// Package faults is the fault harness of the portal's tests: a TCP proxy
// that stands between the app and a server (PostgreSQL, SMTP) and can cut,
// stall and slow the connections through it, and an SMTP server that can be
// told to refuse, hang up or stop. Tests of every package use it; nothing
// in the product imports it.
package faults

import (
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a target address. Its state applies to
// the connections open at the time and to new ones:
//
//   - Cut closes every connection at once and hangs up on new ones (a
//     server that crashed or is restarting);
//   - Stall keeps every connection open but forwards nothing in either
//     direction, and new connections are accepted but get no answer (a
//     network partition, or a server frozen on a full disk); the bytes held
//     go through once the stall ends, as TCP would retransmit them;
//   - Slow delays every chunk of bytes by a latency, each way;
//   - Restore forwards normally again.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	cut     bool
	stalled chan struct{} // non-nil while stalled; closed when the stall ends
	latency time.Duration
	conns   map[net.Conn]struct{}
	cuts    int // connections closed by Cut
}

// Start listens on 127.0.0.1 and forwards to target (host:port) until the
// test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// StartURL forwards to the host and port of rawURL (a DATABASE_URL).
func StartURL(t testing.TB, rawURL string) *Proxy {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, u.Host)
}

// Addr is where the proxy listens.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the port the proxy listens on.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// URL is rawURL reaching its server through the proxy.
func (p *Proxy) URL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	u.Host = p.Addr()
	return u.String()
}

// Cut closes every connection and hangs up on new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.cuts += len(p.conns)
	for c := range p.conns {
		c.Close()
	}
	p.unstall()
}

// Stall stops forwarding until Restore, keeping every connection open.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
}

// Slow delays every chunk forwarded, each way, by d (0: no delay).
func (p *Proxy) Slow(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// Restore forwards normally again: no cut, no stall, no latency.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	p.latency = 0
	p.unstall()
}

// Conns is how many connections (client and server side) are open.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Cuts is how many connections Cut has closed so far.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// Close stops listening (new connections are refused) and cuts every
// connection. It is final.
func (p *Proxy) Close() {
	p.Cut()
	p.ln.Close()
}

func (p *Proxy) unstall() {
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

// track registers c, or reports false while the proxy is cut.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) forget(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *Proxy) pipe(c net.Conn) {
	defer p.forget(c)
	defer c.Close()
	// A stalled proxy does not even reach the server for a new client.
	if !p.wait(nil) {
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(s) {
		s.Close()
		return
	}
	defer p.forget(s)
	defer s.Close()
	done := make(chan struct{}, 2)
	go func() { p.copy(s, c); done <- struct{}{} }()
	go func() { p.copy(c, s); done <- struct{}{} }()
	<-done
}

// wait blocks while the proxy is stalled and reports whether forwarding may
// go on (false once the proxy is cut, or closed is closed).
func (p *Proxy) wait(closed <-chan struct{}) bool {
	for {
		p.mu.Lock()
		cut, stalled := p.cut, p.stalled
		p.mu.Unlock()
		if cut {
			return false
		}
		if stalled == nil {
			return true
		}
		select {
		case <-stalled:
		case <-closed:
			return false
		}
	}
}

type chunk struct {
	b  []byte
	at time.Time
}

// copy forwards src to dst: a reader takes chunks as they come and stamps
// them, a writer sends each once its latency has passed and no stall holds
// it, so latency delays without limiting throughput.
func (p *Proxy) copy(dst, src net.Conn) {
	chunks := make(chan chunk, 64)
	closed := make(chan struct{})
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case chunks <- chunk{buf[:n], time.Now()}:
				case <-closed:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer close(closed)
	for ch := range chunks {
		p.mu.Lock()
		d := p.latency
		p.mu.Unlock()
		if wait := time.Until(ch.at.Add(d)); wait > 0 {
			time.Sleep(wait)
		}
		if !p.wait(closed) {
			break
		}
		if _, err := dst.Write(ch.b); err != nil {
			break
		}
	}
	// One side ended: end both, as a TCP connection through a middlebox does.
	dst.Close()
	src.Close()
}
