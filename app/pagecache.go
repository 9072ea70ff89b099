package app

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// The page cache keeps rendered public pages in memory, so that a visitor
// without a session is answered without rendering or reading the database:
// what keeps the portal up when everyone opens it at once (disaster mode,
// PRODUCT.md §10, and any ordinary rush of visitors).
//
// A page is shared only if nothing in it belongs to one visitor: it is
// rendered with components.Request.Shared (no CSRF token, languages as
// links), and an answer that sets a cookie (but the CSRF cookie, dropped
// from a page that has no use for it), carries a token anyway, or is not a
// 200 is passed on and never kept. A visitor's page with a form (sign-in,
// registration, the inquiry form) carries the token and so is rendered for
// that visitor alone, the form working without JavaScript as ever.
//
// Entries live pageTTL at most (what changes with the clock alone, such as
// a page scheduled for later, shows within it). Every instance drops them
// sooner when what they show changes:
//   - a change committed anywhere to a table public pages read notifies
//     db.PublicChannel (triggers of migration 0025); the live hub of each
//     instance hears it and drops the pages that table shows (publicChanged);
//   - a page published or ended, or a portal switch, arrives on the live
//     streams (followChanges) and drops everything;
//   - a signed-in user's successful POST on this instance drops everything
//     here at once, before its answer goes out (changedHere).
const (
	pageTTL        = 30 * time.Second
	pageMaxEntries = 2000
	pageMaxBytes   = 64 << 20 // compressed bytes kept, all entries together
	pageMaxBody    = 1 << 20  // an answer longer than this is passed on, not kept
	// pageFillWait bounds how long a request waits for another one that is
	// rendering the same page, before rendering it itself.
	pageFillWait = 5 * time.Second
	// pageGzipMin: shorter answers go out uncompressed, as a.gzip does.
	pageGzipMin = 1024
)

// sharedPrefixes are the public pages a visitor without a session may be
// answered from the cache: the home page and these paths and everything
// under them. The back office, accounts, sign-in and forms are not; a path
// here that asks for a session (/events/new) answers a redirect, which is
// never kept.
var sharedPrefixes = []string{"/notices", "/subsidies", "/articles", "/pages", "/facilities", "/events", "/groups", "/board", "/s"}

// sharedPath reports whether path is a public page the cache may serve.
func sharedPath(path string) bool {
	if path == "/" {
		return true
	}
	if strings.HasSuffix(path, "/live") {
		return false // event streams never end
	}
	for _, p := range sharedPrefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// cachedPage is a kept answer: status 200, the headers that describe the
// body, and the body, gzip-compressed once when it is long enough.
type cachedPage struct {
	header  http.Header
	body    []byte
	gzipped bool
	expires time.Time
}

// keptHeaders are the headers a cached page keeps; the rest (security
// headers, the request id) are the answering request's own.
var keptHeaders = []string{"Content-Type", "Content-Language", "Cache-Control", "Vary", "ETag", "Last-Modified"}

// pageCache is a bounded LRU map of cachedPages with a time to live. A
// generation counter makes invalidation safe against renders in flight:
// a page rendered before an Invalidate is not stored after it.
type pageCache struct {
	ttl        time.Duration
	maxEntries int
	maxBytes   int
	now        func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // values are *pageEntry
	lru     *list.List               // most recently used first
	bytes   int
	gen     uint64
	filling map[string]chan struct{}
}

type pageEntry struct {
	key  string
	page *cachedPage
}

func newPageCache(ttl time.Duration, maxEntries, maxBytes int, now func() time.Time) *pageCache {
	return &pageCache{ttl: ttl, maxEntries: maxEntries, maxBytes: maxBytes, now: now,
		entries: map[string]*list.Element{}, lru: list.New(), filling: map[string]chan struct{}{}}
}

// Get returns the page kept under key, if it has not expired.
func (pc *pageCache) Get(key string) (*cachedPage, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	el, ok := pc.entries[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*pageEntry)
	if !pc.now().Before(e.page.expires) {
		pc.remove(el)
		return nil, false
	}
	pc.lru.MoveToFront(el)
	return e.page, true
}

// Generation is the cache's current generation: take it before rendering a
// page and pass it to Put.
func (pc *pageCache) Generation() uint64 {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.gen
}

// Put keeps p under key for the cache's time to live, unless the cache was
// invalidated since gen (p may show what changed) or p alone is larger than
// the cache. The least recently used pages make room. It reports whether p
// was kept.
func (pc *pageCache) Put(key string, gen uint64, p *cachedPage) bool {
	size := len(key) + len(p.body)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if gen != pc.gen || size > pc.maxBytes {
		return false
	}
	if el, ok := pc.entries[key]; ok {
		pc.remove(el)
	}
	p.expires = pc.now().Add(pc.ttl)
	pc.entries[key] = pc.lru.PushFront(&pageEntry{key: key, page: p})
	pc.bytes += size
	for len(pc.entries) > pc.maxEntries || pc.bytes > pc.maxBytes {
		pc.remove(pc.lru.Back())
	}
	return true
}

// Invalidate drops every page, and every render in flight will not be kept.
func (pc *pageCache) Invalidate() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.gen++
	pc.entries = map[string]*list.Element{}
	pc.lru.Init()
	pc.bytes = 0
}

// Len returns how many pages are kept and their size in bytes.
func (pc *pageCache) Len() (entries, bytes int) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.entries), pc.bytes
}

func (pc *pageCache) remove(el *list.Element) {
	e := pc.lru.Remove(el).(*pageEntry)
	delete(pc.entries, e.key)
	pc.bytes -= len(e.key) + len(e.page.body)
}

// claim lets one request at a time render a missing page: the first gets
// release (to call when done) and renders; the others get a channel closed
// by release, after which they look again. Many visitors arriving at once
// after an invalidation then cost one render, not one each.
func (pc *pageCache) claim(key string) (wait <-chan struct{}, release func()) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if ch, ok := pc.filling[key]; ok {
		return ch, nil
	}
	ch := make(chan struct{})
	pc.filling[key] = ch
	return nil, func() {
		pc.mu.Lock()
		delete(pc.filling, key)
		pc.mu.Unlock()
		close(ch)
	}
}

// InvalidateWhere drops the pages whose key drop reports, and keeps no
// render in flight (it may show what changed).
func (pc *pageCache) InvalidateWhere(drop func(key string) bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.gen++
	for key, el := range pc.entries {
		if drop(key) {
			pc.remove(el)
		}
	}
}

// tablePages are the pages a change to a table may show on, as path
// prefixes (see sharedPath); a table not named here may show anywhere.
// The home page lists events and topics, so it is in each.
var tablePages = map[string][]string{
	"board_posts":      {"/", "/board", "/groups"},
	"board_categories": {"/", "/board"},
	"events":           {"/", "/events", "/groups", "/s"},
	"event_signups":    {"/", "/events", "/groups"},
	"groups":           {"/", "/groups", "/events", "/board"},
	"facilities":       {"/facilities", "/events"},
}

// keyPath is the path a cache key (shareKey) was made from.
func keyPath(key string) string {
	path, _, _ := strings.Cut(key, "?")
	return path
}

// publicChanged drops the pages a change to table may show on; "" (the
// listener reconnected: anything may have changed) drops everything.
func (a *App) publicChanged(table string) {
	prefixes, ok := tablePages[table]
	if !ok {
		a.pages.Invalidate()
		return
	}
	a.pages.InvalidateWhere(func(key string) bool {
		path := keyPath(key)
		for _, p := range prefixes {
			if path == p || (p != "/" && strings.HasPrefix(path, p+"/")) {
				return true
			}
		}
		return false
	})
}

// sharedKey is the context key marking a request whose answer is rendered
// to be shared (components.Request.Shared).
const sharedKey = "page_shared"

// shareKey returns the cache key of a request that may be answered from the
// cache, or false: a GET or HEAD of a public page, no session cookie, not
// an htmx request. The key is the path, the query, the language, the reading
// settings (reading.go: they change the page's classes and, for furigana,
// its text) and, for a sub-site's own host name, the host; Accept-Encoding
// is not in it, as one compressed body serves every client.
func (a *App) shareKey(c echo.Context) (string, bool) {
	r := c.Request()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", false
	}
	if r.Header.Get("HX-Request") != "" || !sharedPath(r.URL.Path) {
		return "", false
	}
	if _, err := r.Cookie(a.sessions.Cookie.Name); err == nil {
		return "", false
	}
	key := r.URL.Path + "?" + r.URL.RawQuery + "#" + langOf(r) + "#" + readingOf(r).Cookie()
	if host, ok := c.Get(siteHostKey).(string); ok {
		key += "@" + host // a sub-site's own host name links from / (siteHost)
	}
	return key, true
}

// siteHostKey is the context key siteHost sets to the sub-site host name a
// request came by.
const siteHostKey = "site_host"

// langOf is the language a request is answered in: ?lang=, then the
// cookie, then Japanese.
func langOf(r *http.Request) string {
	if q := r.URL.Query().Get("lang"); i18n.Supported(q) {
		return q
	}
	if ck, err := r.Cookie(langCookie); err == nil && i18n.Supported(ck.Value) {
		return ck.Value
	}
	return i18n.Default
}

// pageCacheMiddleware answers shareable requests from the cache, and keeps
// the answers it renders for them when they may be shared. It sits in
// front of a.gzip: a kept page is compressed once, here.
func (a *App) pageCacheMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, ok := a.shareKey(c)
		if !ok {
			err := next(c)
			if a.changedHere(c, err) {
				// A signed-in user changed something through this
				// instance: its visitors see it from the next request on;
				// the other instances hear of it through PostgreSQL.
				a.pages.Invalidate()
			}
			return err
		}
		if p, hit := a.pages.Get(key); hit {
			return servePage(c, p)
		}
		if c.Request().Method == http.MethodHead {
			return next(c)
		}
		wait, release := a.pages.claim(key)
		if release != nil {
			defer release()
			return a.fillPage(c, key, next)
		}
		t := time.NewTimer(pageFillWait)
		defer t.Stop()
		select {
		case <-wait:
		case <-t.C:
		case <-c.Request().Context().Done():
			return c.Request().Context().Err()
		}
		if p, hit := a.pages.Get(key); hit {
			return servePage(c, p)
		}
		return a.fillPage(c, key, next)
	}
}

// changedHere reports whether a request may have changed what public pages
// show: a successful POST (or other non-GET) of a signed-in user. A
// visitor's POSTs (sign-in, registration, an inquiry, the language) change
// nothing public, and a rush of sign-ins must not empty the cache.
func (a *App) changedHere(c echo.Context, err error) bool {
	r := c.Request()
	if err != nil || r.Method == http.MethodGet || r.Method == http.MethodHead || c.Response().Status >= http.StatusBadRequest {
		return false
	}
	_, signedIn := r.Cookie(a.sessions.Cookie.Name)
	return signedIn == nil
}

// servePage answers with a kept page.
func servePage(c echo.Context, p *cachedPage) error {
	res := c.Response()
	h := res.Header()
	for k, v := range p.header {
		h[k] = slices.Clone(v)
	}
	body, gzipped, err := bodyFor(c.Request(), p.body, p.gzipped)
	if err != nil {
		return err
	}
	setEncoding(h, body, gzipped)
	res.WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	_, err = res.Write(body)
	return err
}

// fillPage renders the page for a shareable request, keeps the answer if it
// may be shared, and sends it. The handlers below answer into a buffer,
// uncompressed (a.gzip leaves a request without Accept-Encoding alone): the
// body is looked at before it is kept, and compressed once.
func (a *App) fillPage(c echo.Context, key string, next echo.HandlerFunc) error {
	gen := a.pages.Generation()
	c.Set(sharedKey, true)
	orig := c.Request()
	req := orig.Clone(orig.Context())
	req.Header.Del("Accept-Encoding")
	c.SetRequest(req)

	res := c.Response()
	plain := res.Writer
	rec := &recorder{w: plain, limit: pageMaxBody}
	res.Writer = rec
	err := next(c)
	res.Writer = plain
	c.SetRequest(orig)
	if err != nil || rec.spilled {
		// An error is answered by the error handler once this returns; an
		// oversized answer has gone out as it came.
		if err == nil || rec.status != 0 {
			return errors.Join(err, rec.flush())
		}
		return err
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	h := plain.Header()
	body := rec.buf.Bytes()
	if rec.status == http.StatusOK && len(body) > 0 && a.shareable(h, body, c) {
		// The CSRF cookie a first visit gets is of no use to a page that
		// carries no token; the next page with a form sets it.
		h.Del("Set-Cookie")
		p := &cachedPage{header: http.Header{}}
		for _, k := range keptHeaders {
			if v := h.Values(k); len(v) > 0 {
				p.header[k] = slices.Clone(v)
			}
		}
		addVary(p.header, "Accept-Encoding")
		addVary(h, "Accept-Encoding")
		p.body = body
		if compressible(h, body) {
			if p.body, err = gzipBytes(body); err != nil {
				return err
			}
			p.gzipped = true
		}
		if !a.pages.Put(key, gen, p) {
			a.log.LogAttrs(c.Request().Context(), slog.LevelDebug, "page not kept", slog.String("path", c.Request().URL.Path))
		}
		return writeRecorded(c, plain, status, p.body, p.gzipped)
	}
	// Not to be shared: this visitor's answer, compressed if they take it.
	gzipped := false
	if h.Get("Content-Encoding") == "" && compressible(h, body) {
		if body, err = gzipBytes(body); err != nil {
			return err
		}
		gzipped = true
		addVary(h, "Accept-Encoding")
	}
	return writeRecorded(c, plain, status, body, gzipped)
}

// shareable reports whether a 200 answer may be kept and served to other
// visitors: it carries no CSRF token and sets no cookie (a session, a
// language) but the CSRF cookie, which echo's middleware gives a browser
// that sends no Sec-Fetch-Site on its first visit, and which a page
// without a token does not need.
func (a *App) shareable(h http.Header, body []byte, c echo.Context) bool {
	if h.Get("Content-Encoding") != "" {
		return false
	}
	if vr, ok := c.Get("view").(*components.Request); !ok || vr.CarriesToken() {
		return false
	}
	csrf := csrfCookieName(a.cfg) + "="
	for _, ck := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(ck, csrf) {
			return false
		}
	}
	// The components ask for the token through Request.Token; this catches
	// one written any other way.
	return !bytes.Contains(body, []byte(`name="_csrf"`)) && !bytes.Contains(body, []byte("X-CSRF-Token"))
}

// writeRecorded sends a recorded answer to the client under echo's
// Response, which the handler has already committed.
func writeRecorded(c echo.Context, w http.ResponseWriter, status int, body []byte, gzipped bool) error {
	body, gzipped, err := bodyFor(c.Request(), body, gzipped)
	if err != nil {
		return err
	}
	setEncoding(w.Header(), body, gzipped)
	w.WriteHeader(status)
	c.Response().Size = int64(len(body))
	if c.Request().Method == http.MethodHead {
		return nil
	}
	_, err = w.Write(body)
	return err
}

// bodyFor returns body as the client takes it: compressed if it accepts
// gzip, else decompressed.
func bodyFor(r *http.Request, body []byte, gzipped bool) ([]byte, bool, error) {
	if !gzipped || acceptsGzip(r) {
		return body, gzipped, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	plain, err := io.ReadAll(zr)
	return plain, false, err
}

func setEncoding(h http.Header, body []byte, gzipped bool) {
	if gzipped {
		h.Set("Content-Encoding", "gzip")
	} else {
		h.Del("Content-Encoding")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
}

// acceptsGzip reports whether the client takes gzip (a q=0 refuses it).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if c := strings.TrimSpace(coding); c != "gzip" && c != "*" {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// compressible reports whether a body is worth compressing: text of some
// length (a.gzip's threshold), not an image or a PDF.
func compressible(h http.Header, body []byte) bool {
	if len(body) < pageGzipMin {
		return false
	}
	ct := h.Get("Content-Type")
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "xml") || strings.Contains(ct, "javascript")
}

func addVary(h http.Header, name string) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// recorder holds an answer in memory up to limit bytes; beyond that it
// "spills": sends the status, the headers and what it holds, and passes the
// rest through.
type recorder struct {
	w       http.ResponseWriter
	limit   int
	status  int
	buf     bytes.Buffer
	spilled bool
}

func (r *recorder) Header() http.Header { return r.w.Header() }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.spilled {
		return r.w.Write(b)
	}
	if r.buf.Len()+len(b) <= r.limit {
		return r.buf.Write(b)
	}
	if err := r.flush(); err != nil {
		return 0, err
	}
	return r.w.Write(b)
}

// Flush is a no-op until the recorder spills: nothing streams on the pages
// it records.
func (r *recorder) Flush() {
	if f, ok := r.w.(http.Flusher); ok && r.spilled {
		f.Flush()
	}
}

// flush sends what is held and switches to passing through.
func (r *recorder) flush() error {
	if r.spilled {
		return nil
	}
	r.spilled = true
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.w.WriteHeader(r.status)
	_, err := r.w.Write(r.buf.Bytes())
	r.buf = bytes.Buffer{}
	return err
}

// followChanges keeps this instance's view of what the public sees current:
// every page published or ended drops the page cache, and a switch of
// disaster mode sets the mode (and drops the cache, whose pages show the
// old one). It follows the live streams from after, the live-event id at
// which the mode was read, so nothing switched meanwhile is missed; when
// the hub drops it (it fell behind) it subscribes again from the last
// event it applied and is replayed the rest.
func (a *App) followChanges(ctx context.Context, after int64) {
	backoff := minFollowBackoff
	for ctx.Err() == nil {
		events, err := a.hub.Subscribe(ctx, []string{db.StreamPages, db.StreamSettings}, after)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("page cache: following changes", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, maxFollowBackoff)
			continue
		}
		backoff = minFollowBackoff
		for ev := range events {
			a.applyChange(ev)
			after = ev.ID
			a.changesSeen.Store(ev.ID)
		}
		// Dropped for falling behind, or ctx ended: drop what may be stale.
		a.pages.Invalidate()
	}
}

const (
	minFollowBackoff = 100 * time.Millisecond
	maxFollowBackoff = 10 * time.Second
)

// applyChange brings this instance up to date with one live event.
func (a *App) applyChange(ev db.LiveEvent) {
	switch ev.Name {
	case db.LiveDisasterOn:
		a.disaster.Store(true)
	case db.LiveDisasterOff:
		a.disaster.Store(false)
	}
	a.pages.Invalidate()
}
