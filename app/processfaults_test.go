package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/wardportal/portal/app/apptest"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// portalProcess is the real portal binary serving in a process of its own,
// so a test can kill it the way an operating system does.
type portalProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	log  *apptest.Logs
	done chan struct{}
	err  error
}

// buildPortal compiles cmd/portal once for the test.
func buildPortal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portal")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the portal with: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/wardportal/portal/app/cmd/portal")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the portal: %v\n%s", err, out)
	}
	return bin
}

var servingLine = regexp.MustCompile(`msg=serving addr=(http://\S+)`)

// startPortal runs `portal serve` on the database at dbURL and waits until
// it serves.
func startPortal(t *testing.T, bin, dbURL string) *portalProcess {
	t.Helper()
	p := &portalProcess{t: t, log: new(apptest.Logs), done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "PORTAL_ADDR=127.0.0.1:0", "PORTAL_SECRET="+apptest.Secret,
		"PORTAL_SHUTDOWN_GRACE_SECONDS=5", "PORTAL_SMTP_HOST=")
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("log of portal %s:\n%s", p.base, p.log.Tail(8<<10))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(p.log.String()); m != nil {
			p.base = m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("the portal ended before serving: %v\n%s", p.err, p.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the portal does not serve:\n%s", p.log.String())
		}
	}
}

// wait waits for the process to end and returns its exit code.
func (p *portalProcess) wait(within time.Duration) (int, bool) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(within):
		return 0, false
	}
}

// streamIDs reads an event stream's ids into a channel until it ends.
func streamIDs(t *testing.T, ctx context.Context, rawURL string, after int64) (<-chan int64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	req.Header.Set("Last-Event-ID", strconv.FormatInt(after, 10))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("stream %s: %d", rawURL, res.StatusCode)
	}
	out := make(chan int64, 256)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				n, _ := strconv.ParseInt(id, 10, 64)
				out <- n
			}
		}
	}()
	return out, nil
}

// TestProcessFaults runs the real binary, two instances on one database:
//   - SIGTERM while a reader holds the board's stream open and visitors'
//     requests are in flight: the stream ends, every request is answered
//     (a page, or 503 once the instance stops), the process exits 0, and
//     the reader, reconnecting to the other instance with its
//     Last-Event-ID, gets every event once;
//   - SIGKILL of one instance in the middle of an approval burst by two
//     moderators (one on each instance, racing over the same items; the one
//     whose instance died carries on at the other, as behind a load
//     balancer): every item is decided exactly once, every topic goes live
//     once, and the reader on the surviving instance gets each once.
func TestProcessFaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the portal binary")
	}
	ctx := context.Background()
	bin := buildPortal(t)
	dbURL := dbtest.NewURL(t)
	d, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	a, b := startPortal(t, bin, dbURL), startPortal(t, bin, dbURL)
	setup := serveClient(t, d, b.base)
	cat := &db.BoardCategory{Slug: "town", NameJa: "まちの話題", NameEn: "Town"}
	if err := d.SaveBoardCategory(ctx, cat); err != nil {
		t.Fatal(err)
	}
	var authors []*db.Account
	for i := range 3 {
		authors = append(authors, setup.memberAccount(fmt.Sprintf("M7800%03d", i), fmt.Sprintf("投稿者%d", i)))
	}
	setup.staffAccount("kill-mod-1", db.RoleModerator)
	setup.staffAccount("kill-mod-2", db.RoleModerator)
	submit := func(n int) {
		for i := range n {
			if _, err := d.SubmitPost(ctx, authors[i%len(authors)], db.PostInput{CategoryID: cat.ID, Title: fmt.Sprintf("話題 %d", i), Body: "本文"}, db.AccessEvent{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	lastLive := func() int64 {
		var id int64
		if err := d.Bun.NewRaw(`SELECT coalesce(max(id), 0) FROM live_events`).Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	topicEvents := func(after int64) []int64 {
		var ids []int64
		if err := d.Bun.NewRaw(`SELECT id FROM live_events WHERE id > ? AND stream = ? AND name = ? ORDER BY id`, after, db.StreamBoard, db.LiveTopic).
			Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	// approveAll has a moderator decide every open item at base, retrying
	// at fallback when base stops answering; it returns how many requests
	// got no answer.
	approveAll := func(c *testEnv, base, fallback string, reverse bool, afterEach func(int)) (lost int) {
		q, err := d.ModerationQueue(ctx, []string{db.ItemOpen}, 500)
		if err != nil {
			t.Error(err)
			return
		}
		if reverse {
			for i, j := 0, len(q)-1; i < j; i, j = i+1, j-1 {
				q[i], q[j] = q[j], q[i]
			}
		}
		tok := c.token()
		for i, it := range q {
			form := url.Values{"_csrf": {tok}, "version": {strconv.Itoa(it.Item.Version)}, "action": {db.ActApprove}}
			for {
				req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/moderation/items/%d", base, it.Item.ID), strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("HX-Request", "true")
				res, err := c.http.Do(req)
				if err != nil {
					lost++
					base = fallback // the load balancer sends the retry elsewhere
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode >= 500 {
					t.Errorf("item %d at %s: %d", it.Item.ID, base, res.StatusCode)
				}
				break
			}
			if afterEach != nil {
				afterEach(i)
			}
		}
		return lost
	}

	// SIGTERM: a reader on A's stream and visitors' requests in flight.
	submit(6)
	mods := []*testEnv{serveClient(t, d, b.base), serveClient(t, d, b.base)}
	for i, m := range mods {
		m.signIn(fmt.Sprintf("kill-mod-%d", i+1), "staff-password-1").wantStatus(t, http.StatusSeeOther)
	}
	start := lastLive()
	sctx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	onA, err := streamIDs(t, sctx, a.base+"/board/live", start)
	if err != nil {
		t.Fatal(err)
	}
	approveAll(mods[0], b.base, b.base, false, nil)
	var got []int64
	for len(got) < 6 {
		select {
		case id := <-onA:
			got = append(got, id)
		case <-time.After(10 * time.Second):
			t.Fatalf("the reader on A got %v of 6 events", got)
		}
	}
	var inflight sync.WaitGroup
	var mu sync.Mutex
	var answers []int
	for range 4 {
		inflight.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second}
			for range 10 {
				res, err := client.Get(a.base + "/board")
				if err != nil {
					return // A has stopped listening
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				answers = append(answers, res.StatusCode)
				mu.Unlock()
			}
		})
	}
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	ended := time.After(15 * time.Second)
drain:
	for {
		select {
		case id, open := <-onA:
			if !open {
				break drain
			}
			got = append(got, id)
		case <-ended:
			t.Fatal("the stream on A did not end at SIGTERM")
		}
	}
	inflight.Wait()
	if code, ok := a.wait(20 * time.Second); !ok || code != 0 {
		t.Errorf("A after SIGTERM: ended %v, exit %d\n%s", ok, code, a.log.String())
	}
	for _, st := range answers {
		if st != http.StatusOK && st != http.StatusServiceUnavailable {
			t.Errorf("a request in flight at SIGTERM got %d", st)
		}
	}
	// Meanwhile more topics go live; the reader reconnects to B.
	submit(4)
	approveAll(mods[1], b.base, b.base, false, nil)
	onB, err := streamIDs(t, sctx, b.base+"/board/live", got[len(got)-1])
	if err != nil {
		t.Fatal(err)
	}
	want := topicEvents(start)
	for len(got) < len(want) {
		select {
		case id := <-onB:
			got = append(got, id)
		case <-time.After(10 * time.Second):
			t.Fatalf("after reconnecting the reader has %v, want %v", got, want)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the reader got %v across SIGTERM, want %v", got, want)
	}

	// SIGKILL: A again, killed during a burst of approvals on A and B.
	a = startPortal(t, bin, dbURL)
	burstStart := lastLive()
	reader, err := streamIDs(t, sctx, b.base+"/board/live", burstStart)
	if err != nil {
		t.Fatal(err)
	}
	const burst = 40
	submit(burst)
	var items []int64
	if err := d.Bun.NewRaw(`SELECT id FROM moderation_items WHERE status = ? ORDER BY id`, db.ItemOpen).Scan(ctx, &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != burst {
		t.Fatalf("%d items open, want %d", len(items), burst)
	}
	var mods2 sync.WaitGroup
	var lostA int
	mods2.Go(func() {
		lostA = approveAll(mods[0], a.base, b.base, false, func(i int) {
			if i == burst/4 {
				_ = a.cmd.Process.Kill() // SIGKILL
			}
		})
	})
	mods2.Go(func() { approveAll(mods[1], b.base, b.base, true, nil) })
	mods2.Wait()
	if code, ok := a.wait(10 * time.Second); !ok || code != -1 {
		t.Errorf("A after SIGKILL: ended %v, exit %d", ok, code)
	}
	// Every item decided once, approved, its topic live once.
	var decided []struct {
		ItemID  int64  `bun:"item_id"`
		Status  string `bun:"status"`
		Actions int    `bun:"actions"`
	}
	if err := d.Bun.NewRaw(`SELECT i.id AS item_id, i.status, (SELECT count(*) FROM moderation_actions a WHERE a.item_id = i.id AND a.action = ?) AS actions
		FROM moderation_items i WHERE i.id IN (?) ORDER BY i.id`, db.ActApprove, bun.List(items)).Scan(ctx, &decided); err != nil {
		t.Fatal(err)
	}
	for _, x := range decided {
		if x.Status != db.ItemApproved || x.Actions != 1 {
			t.Errorf("item %d: %s with %d approvals", x.ItemID, x.Status, x.Actions)
		}
	}
	wantBurst := topicEvents(burstStart)
	if len(wantBurst) != burst {
		t.Errorf("%d topics went live, want %d", len(wantBurst), burst)
	}
	var gotBurst []int64
	for len(gotBurst) < len(wantBurst) {
		select {
		case id := <-reader:
			gotBurst = append(gotBurst, id)
		case <-time.After(10 * time.Second):
			t.Fatalf("the reader on B has %d of %d events", len(gotBurst), len(wantBurst))
		}
	}
	if fmt.Sprint(gotBurst) != fmt.Sprint(wantBurst) {
		t.Errorf("the reader on B got %v, want %v", gotBurst, wantBurst)
	}
	t.Logf("SIGKILL during the burst: %d of moderator 1's requests got no answer and were retried on B", lostA)
}
