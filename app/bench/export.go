package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/seed"
)

// The export_vs_copy scenario as the issue states it: exporting every member
// as CSV takes at most twice as long as PostgreSQL's own COPY of the same
// columns, and the export's memory stays under 64 MB above idle.
const (
	// exportRuns of each measured thing; the median counts.
	exportRuns = 3
	// exportLogin is the ward-staff account the scenario signs in as. It
	// signs in through the form, so unlike bench-ward (member_search) it
	// has a password and no password change pending.
	exportLogin = "bench-export"
	exportName  = "ベンチ名簿書出"
	// exportAgent is the User-Agent of the scenario's requests: it tells
	// their access-history rows from everyone else's.
	exportAgent   = "portal-bench export_vs_copy"
	exportPurpose = "性能計測 (export_vs_copy)"
	// exportTimeout bounds one export, whatever the database's size.
	exportTimeout = 5 * time.Minute
	// memSampleEvery is how often the memory of the process is read during
	// an export.
	memSampleEvery = 5 * time.Millisecond
)

// runExportVsCopy times the staff member export over HTTP, all columns, no
// filter, CP932, against COPY (the export's SELECT) TO STDOUT in the same
// run, and takes the export's peak memory. Its phases: setup signs a ward
// staff member in, opens COPY's connection and warms both up; load runs
// COPY and the export in turns; measure takes the medians; report logs
// them and returns the figures.
func runExportVsCopy(ctx context.Context, env *Env) ([]Figure, error) {
	var undo undoStack
	defer undo.run()
	x, err := setupExportVsCopy(ctx, env, &undo)
	if err != nil {
		return nil, err
	}
	l, err := x.load(ctx)
	if err != nil {
		return nil, err
	}
	return x.report(l, x.measure(l)), nil
}

// exportVsCopy is the scenario set up: the rows the export must hold, a
// signed-in client, and COPY's connection.
type exportVsCopy struct {
	env     *Env
	rows    int64
	ec      *exportClient
	conn    *pgx.Conn
	copySQL string
}

// setupExportVsCopy prepares both sides and warms them up, none of it
// measured. What it opens is closed again by undo.
func setupExportVsCopy(ctx context.Context, env *Env, undo *undoStack) (*exportVsCopy, error) {
	d := env.DB
	query, args := db.MemberExportQuery(db.ExportFilter{}, db.ExportColumns)
	if len(args) > 0 {
		return nil, fmt.Errorf("the unfiltered export query takes %d arguments; COPY cannot", len(args))
	}
	x := &exportVsCopy{env: env, copySQL: "COPY (" + query + ") TO STDOUT WITH (FORMAT csv, HEADER true)"}
	// The rows the export must hold: members with a profile, as its join.
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM accounts a JOIN member_profiles p ON p.account_id = a.id
		WHERE a.kind = $1`, db.KindMember).Scan(&x.rows); err != nil {
		return nil, err
	}
	if x.rows == 0 {
		return nil, errors.New("no member has a profile: is the database seeded?")
	}

	var err error
	if x.ec, err = newExportClient(ctx, env); err != nil {
		return nil, err
	}
	undo.push(func() { x.ec.close(context.WithoutCancel(ctx)) })

	// COPY runs on a connection of its own, beside the portal's pool.
	if x.conn, err = pgx.ConnectConfig(ctx, d.Pool.Config().ConnConfig.Copy()); err != nil {
		return nil, err
	}
	undo.push(func() { x.conn.Close(context.WithoutCancel(ctx)) })

	// Warm-up: both read the same tables, so the first of them would
	// otherwise pay for the buffer cache of both. The export's warm-up also
	// builds the CP932 table and the server's buffers.
	if _, _, err := x.copyOnce(ctx); err != nil {
		return nil, err
	}
	if _, err := x.ec.export(ctx, form.FormatCP932, true, x.rows); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	return x, nil
}

// copyOnce runs COPY and returns how long it took and how many bytes of
// CSV it sent.
func (x *exportVsCopy) copyOnce(ctx context.Context) (time.Duration, int64, error) {
	var w countingWriter
	start := time.Now()
	tag, err := x.conn.PgConn().CopyTo(ctx, &w, x.copySQL)
	el := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("COPY: %w", err)
	}
	if tag.RowsAffected() != x.rows {
		return 0, 0, fmt.Errorf("COPY: %d rows, want %d", tag.RowsAffected(), x.rows)
	}
	return el, w.n, nil
}

// exportLoad is every measured run of COPY and of the export.
type exportLoad struct {
	copies, gz, plain []time.Duration
	copyBytes         int64
	gzPeak, plainPeak uint64
	last              exportResult // the last CSV export with gzip
	xlsx              exportResult
}

// load runs COPY, the export and the export without gzip in turns, so that
// a noisy moment of the machine falls on all three alike, then the XLSX
// export once (informative).
func (x *exportVsCopy) load(ctx context.Context) (exportLoad, error) {
	var l exportLoad
	env := x.env
	for run := 1; run <= exportRuns; run++ {
		el, n, err := x.copyOnce(ctx)
		if err != nil {
			return l, err
		}
		l.copies, l.copyBytes = append(l.copies, el), n

		stopProfile := env.startProfile("export_vs_copy (csv_cp932, gzip)")
		r, err := x.ec.export(ctx, form.FormatCP932, true, x.rows)
		stopProfile()
		if err != nil {
			return l, err
		}
		l.gz, l.gzPeak, l.last = append(l.gz, r.elapsed), max(l.gzPeak, r.peak), r
		env.Logf("export_vs_copy: run %d/%d: COPY %s (%s); export %s", run, exportRuns, roundDur(el), mb(n), r)

		r, err = x.ec.export(ctx, form.FormatCP932, false, x.rows)
		if err != nil {
			return l, err
		}
		l.plain, l.plainPeak = append(l.plain, r.elapsed), max(l.plainPeak, r.peak)
		env.Logf("export_vs_copy: run %d/%d: export %s", run, exportRuns, r)
	}
	if !l.last.gzipped {
		env.Logf("export_vs_copy: warning: the server did not compress the CSV although the client asked for gzip")
	}
	var err error
	if l.xlsx, err = x.ec.export(ctx, form.FormatXLSX, true, x.rows); err != nil {
		return l, err
	}
	env.Logf("export_vs_copy: export %s", l.xlsx)
	return l, nil
}

// exportMeasures are the medians of the runs.
type exportMeasures struct {
	copy, gz, plain time.Duration
}

func (x *exportVsCopy) measure(l exportLoad) exportMeasures {
	return exportMeasures{copy: median(l.copies), gz: median(l.gz), plain: median(l.plain)}
}

// report logs the medians and returns the figures: the export's time over
// COPY's, each time, and the peak memory.
func (x *exportVsCopy) report(l exportLoad, m exportMeasures) []Figure {
	x.env.Logf("export_vs_copy: %d rows; medians of %d: COPY %s (%s of CSV), export %s (gzip), %s (identity); peak memory above idle %s (gzip), %s (identity)",
		x.rows, exportRuns, roundDur(m.copy), mb(l.copyBytes), roundDur(m.gz), roundDur(m.plain), mb(int64(l.gzPeak)), mb(int64(l.plainPeak)))
	return []Figure{
		{Name: "export_vs_copy", Value: m.gz.Seconds() / m.copy.Seconds(), Unit: "x", Digits: 2},
		secs("export_csv_s", m.gz),
		secs("export_csv_identity_s", m.plain),
		secs("copy_s", m.copy),
		{Name: "export_rows", Value: float64(l.last.rows), Unit: "rows"},
		{Name: "export_peak_mem_mb", Value: float64(l.gzPeak) / (1 << 20), Unit: "MB", Digits: 1},
		secs("export_xlsx_s", l.xlsx.elapsed),
		{Name: "export_xlsx_peak_mem_mb", Value: float64(l.xlsx.peak) / (1 << 20), Unit: "MB", Digits: 1},
	}
}

// secs is a duration in seconds with the milliseconds: Seconds' one
// decimal is too coarse for a COPY of a second or less.
func secs(name string, d time.Duration) Figure {
	return Figure{Name: name, Value: d.Seconds(), Unit: "s", Digits: 3}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func mb(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB" }

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// exportClient is a ward-staff member's browser, signed in: a cookie jar
// and one keep-alive connection.
type exportClient struct {
	env     *Env
	http    *http.Client
	tr      *http.Transport
	csrf    string
	columns []string
}

// newExportClient makes sure the scenario's staff account exists with the
// seed's password, signs it in through the sign-in form and opens the
// export page for the CSRF token.
func newExportClient(ctx context.Context, env *Env) (*exportClient, error) {
	if err := ensureExportStaff(ctx, env.DB); err != nil {
		return nil, err
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	ec := &exportClient{env: env}
	ec.tr = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     5 * time.Minute,
		// gzip is asked for and inflated here, so that a run can go
		// without it and the bytes on the wire can be counted.
		DisableCompression: true,
	}
	ec.http = &http.Client{
		Transport:     ec.tr,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, c := range db.ExportColumns {
		ec.columns = append(ec.columns, c.Key)
	}
	if err := ec.signIn(ctx); err != nil {
		return nil, err
	}
	return ec, ec.openExportPage(ctx)
}

// ensureExportStaff creates the scenario's ward-staff account, or puts back
// whatever an earlier run or anyone changed: it signs in and exports.
func ensureExportStaff(ctx context.Context, d *db.DB) error {
	// One argon2id hash per run, like the storm's sign-ins.
	hash, err := auth.HashPassword(seed.Password)
	if err != nil {
		return err
	}
	acc, err := d.AccountByLogin(ctx, exportLogin)
	switch {
	case errors.Is(err, db.ErrNotFound):
		if acc, err = d.CreateStaff(ctx, exportLogin, exportName, []string{db.RoleWardStaff}, hash); err != nil {
			return fmt.Errorf("bench staff: %w", err)
		}
	case err != nil:
		return err
	}
	_, err = d.Pool.Exec(ctx, `UPDATE accounts SET password_hash = $2, must_change_password = false,
		status = $3, roles = $4 WHERE id = $1`,
		acc.ID, hash, db.StatusActive, []string{db.RoleWardStaff})
	return err
}

// signIn signs the scenario's staff member in through the sign-in form.
func (ec *exportClient) signIn(ctx context.Context) error {
	base := ec.env.PortalURL
	doc, err := ec.page(ctx, base+"/login")
	if err != nil {
		return err
	}
	token, ok := doc.Find(`form[action="/login"] input[name="_csrf"]`).Attr("value")
	if !ok || token == "" {
		return errors.New("GET /login: no CSRF token in the sign-in form")
	}
	f := neturl.Values{"login_id": {exportLogin}, "password": {seed.Password}, "_csrf": {token}}
	resp, err := ec.post(ctx, base+"/login", f, "")
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST /login as %s: status %d: %.200s", exportLogin, resp.StatusCode, body)
	}
	return nil
}

// openExportPage takes the CSRF token from the export page and checks that
// its form offers every column.
func (ec *exportClient) openExportPage(ctx context.Context) error {
	doc, err := ec.page(ctx, ec.env.PortalURL+"/staff/members/export")
	if err != nil {
		return err
	}
	exportForm := doc.Find(`form[action="/staff/members/export"]`)
	if exportForm.Length() == 0 {
		return errors.New("GET /staff/members/export: no export form")
	}
	// The form itself may carry no token (a browser passes the CSRF check
	// with Sec-Fetch-Site); the page's token is the same one.
	ec.csrf, _ = exportForm.Find(`input[name="_csrf"]`).Attr("value")
	if ec.csrf == "" {
		ec.csrf, _ = doc.Find(`input[name="_csrf"]`).First().Attr("value")
	}
	if ec.csrf == "" {
		return errors.New("GET /staff/members/export: no CSRF token on the page")
	}
	var offered []string
	exportForm.Find(`input[name="columns"]`).Each(func(_ int, s *goquery.Selection) {
		offered = append(offered, s.AttrOr("value", ""))
	})
	if !slices.Equal(offered, ec.columns) {
		return fmt.Errorf("the export form offers columns %v, want all of %v", offered, ec.columns)
	}
	return nil
}

// page GETs url, which must answer 200 with HTML.
func (ec *exportClient) page(ctx context.Context, url string) (*goquery.Document, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", exportAgent)
	resp, err := ec.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", req.URL.Path, resp.StatusCode)
	}
	return goquery.NewDocumentFromReader(resp.Body)
}

// post sends a form; acceptEncoding "" asks for no compression.
func (ec *exportClient) post(ctx context.Context, url string, f neturl.Values, acceptEncoding string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(f.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", exportAgent)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	return ec.http.Do(req)
}

// exportResult is one export as the client saw it.
type exportResult struct {
	format  string
	elapsed time.Duration // the form sent to the last byte read
	first   time.Duration // to the response headers
	wire    int64         // body bytes as sent
	size    int64         // body bytes decoded
	rows    int64         // data rows (CSV): CRLF lines less the header
	gzipped bool
	peak    uint64 // process memory above idle, at its highest
	rssPeak uint64 // the same by VmRSS, 0 where /proc cannot tell
}

func (r exportResult) String() string {
	enc := "identity"
	if r.gzipped {
		enc = "gzip"
	}
	s := fmt.Sprintf("%s %s: %s (headers after %s), %s sent as %s, %s decoded",
		r.format, enc, roundDur(r.elapsed), roundDur(r.first), mb(r.wire), enc, mb(r.size))
	if r.rows > 0 {
		s += fmt.Sprintf(", %d rows", r.rows)
	}
	s += fmt.Sprintf("; peak memory above idle %s (Go runtime)", mb(int64(r.peak)))
	if r.rssPeak > 0 {
		s += fmt.Sprintf(", %s (VmRSS)", mb(int64(r.rssPeak)))
	}
	return s
}

// export posts the export form for every column, no filter, in format,
// reads the whole file and checks it: 200, the format's content type, and
// for CSV wantRows data rows after the header. The memory of the process
// is sampled from just before the form is sent until the last byte is read.
func (ec *exportClient) export(ctx context.Context, format string, gz bool, wantRows int64) (exportResult, error) {
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	r := exportResult{format: format}
	f := neturl.Values{"_csrf": {ec.csrf}, "columns": ec.columns, "format": {format}, "purpose": {exportPurpose}}
	ae := ""
	if gz {
		ae = "gzip, deflate, br, zstd" // as a browser asks; the portal speaks gzip only
	}

	mem := startMemSampler()
	start := time.Now()
	resp, err := ec.post(ctx, ec.env.PortalURL+"/staff/members/export", f, ae)
	if err != nil {
		mem.stop()
		return r, err
	}
	r.first = time.Since(start)
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	wantCT := "text/csv"
	if format == form.FormatXLSX {
		wantCT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, wantCT) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		mem.stop()
		return r, fmt.Errorf("POST /staff/members/export (%s): status %d, %s: %.300s", format, resp.StatusCode, ct, body)
	}
	wire := &countingReader{r: resp.Body}
	var body io.Reader = wire
	switch ce := resp.Header.Get("Content-Encoding"); ce {
	case "gzip":
		zr, err := gzip.NewReader(wire)
		if err != nil {
			mem.stop()
			return r, fmt.Errorf("export (%s): %w", format, err)
		}
		body, r.gzipped = zr, true
	case "", "identity":
	default:
		mem.stop()
		return r, fmt.Errorf("export (%s): Content-Encoding %q", format, ce)
	}
	var lines int64
	var magic []byte
	if format == form.FormatXLSX {
		// A workbook is a zip file; its rows are not counted here.
		lines, r.size, magic, err = sizeAndMagic(body)
	} else {
		lines, r.size, err = countCRLF(body)
	}
	r.elapsed = time.Since(start)
	r.peak, r.rssPeak = mem.stop()
	r.wire = wire.n
	if err != nil {
		return r, fmt.Errorf("export (%s): reading the file: %w", format, err)
	}
	if format == form.FormatXLSX {
		if !bytes.Equal(magic, []byte("PK\x03\x04")) {
			return r, fmt.Errorf("export (xlsx): the file starts with %q, not a zip file's signature", magic)
		}
		return r, nil
	}
	if lines != wantRows+1 {
		return r, fmt.Errorf("export (%s): %d CRLF lines, want %d (the header and %d members)", format, lines, wantRows+1, wantRows)
	}
	r.rows = lines - 1
	return r, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// countCRLF reads r to the end and counts its CRLF line ends, one buffer at a
// time; a CR at the end of one buffer pairs with an LF at the start of the
// next.
func countCRLF(r io.Reader) (lines, size int64, err error) {
	buf := make([]byte, 64<<10)
	cr := false
	for {
		n, err := r.Read(buf)
		b := buf[:n]
		size += int64(n)
		if n > 0 {
			if cr && b[0] == '\n' {
				lines++
			}
			lines += int64(bytes.Count(b, []byte("\r\n")))
			cr = b[n-1] == '\r'
		}
		if err == io.EOF {
			return lines, size, nil
		}
		if err != nil {
			return lines, size, err
		}
	}
}

// sizeAndMagic reads r to the end and returns its size and first 4 bytes.
func sizeAndMagic(r io.Reader) (lines, size int64, magic []byte, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ = br.Peek(4)
	magic = slices.Clone(magic)
	size, err = io.Copy(io.Discard, br)
	return 0, size, magic, err
}

// memSampler follows the memory of this process, where the portal runs
// in-process (NewEnv), from its idle level to its peak.
//
// It reads runtime/metrics rather than runtime.ReadMemStats: ReadMemStats
// stops the world, and every 5 ms that would slow the export it measures;
// metrics.Read does not. What it reads is /memory/classes/total:bytes (all
// memory the runtime has mapped read-write: heap, stacks, GC metadata,
// buffers) less /memory/classes/heap/released:bytes (heap returned to the
// OS), which is the Go runtime's share of the resident set: closest to what
// the OS sees as RSS, unlike HeapInuse, which leaves out free spans not yet
// returned, stacks and metadata. VmRSS of /proc/self/status is read beside
// it as a check; it also counts memory outside Go (the binary's pages, cgo).
//
// The idle level is taken after debug.FreeOSMemory (a GC, then every free
// span returned to the OS), so that whatever the export needs shows as
// growth instead of hiding in heap the GC freed but the OS still backs. The
// client side of the scenario runs in the same process and counts too: one
// gzip reader and a 64 KB buffer, well under a megabyte.
type memSampler struct {
	idle, rssIdle uint64
	peak, rssPeak uint64
	quit          chan struct{}
	done          sync.WaitGroup
}

func startMemSampler() *memSampler {
	debug.FreeOSMemory()
	s := &memSampler{quit: make(chan struct{})}
	s.idle, s.rssIdle = goResident(), vmRSS()
	s.peak, s.rssPeak = s.idle, s.rssIdle
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		tick := time.NewTicker(memSampleEvery)
		defer tick.Stop()
		for {
			s.peak, s.rssPeak = max(s.peak, goResident()), max(s.rssPeak, vmRSS())
			select {
			case <-s.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the sampling (with one last sample) and returns the peaks above
// idle: by the Go runtime's count and by VmRSS (0 when unknown).
func (s *memSampler) stop() (goAbove, rssAbove uint64) {
	close(s.quit)
	s.done.Wait()
	goAbove = s.peak - s.idle
	if s.rssIdle > 0 {
		rssAbove = s.rssPeak - s.rssIdle
	}
	return goAbove, rssAbove
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

// goResident is the memory the Go runtime holds from the OS. Only the
// sampler goroutine calls it, one at a time.
func goResident() uint64 {
	metrics.Read(memSamples)
	return memSamples[0].Value.Uint64() - memSamples[1].Value.Uint64()
}

// vmRSS is the resident set of this process from /proc/self/status, 0 when
// it cannot be read.
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("\nVmRSS:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(string(line)), " kB"), 10, 64)
	if err != nil {
		return 0
	}
	return kb << 10
}

// close signs the scenario's browser out: its session leaves the store.
func (ec *exportClient) close(ctx context.Context) {
	defer ec.tr.CloseIdleConnections()
	u, err := neturl.Parse(ec.env.PortalURL)
	if err != nil {
		return
	}
	var tokens []string
	for _, ck := range ec.http.Jar.Cookies(u) {
		tokens = append(tokens, ck.Value)
	}
	if len(tokens) == 0 {
		return
	}
	if _, err := ec.env.DB.Pool.Exec(ctx, `DELETE FROM sessions WHERE token = ANY($1)`, tokens); err != nil {
		ec.env.Logf("export_vs_copy: deleting the session: %v", err)
	}
}
