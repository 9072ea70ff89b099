package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/db"
)

// The board_live scenario as the issue states it: delivery p50/p99 to 1,000
// connected readers, at the pace of a moderator working through the queue.
const (
	liveReaders  = 1000
	livePosts    = 30
	liveInterval = 150 * time.Millisecond
	liveTimeout  = 5 * time.Second
	// liveMarker starts the title of every post the scenario writes, so that
	// its rows can be found and deleted again.
	liveMarker = "[bench board_live]"
)

// runBoardLive measures how long an approved topic takes from the commit of
// the moderator's decision to the readers of /board/live.
func runBoardLive(ctx context.Context, env *Env) ([]Figure, error) {
	return liveRun{Readers: liveReaders, Posts: livePosts, Interval: liveInterval, Timeout: liveTimeout}.run(ctx, env)
}

// liveRun is one measurement: Readers event streams stay open while Posts
// pending topics are approved one every Interval; a topic that has not
// reached a reader Timeout after its commit counts as missed.
type liveRun struct {
	Readers  int
	Posts    int
	Interval time.Duration
	Timeout  time.Duration
}

// delivery is one topic event as a reader got it.
type delivery struct {
	post int64
	at   time.Time // when the first line of the event was read
}

// liveReader is one open /board/live stream.
type liveReader struct {
	got []delivery
	end error // why the stream ended before it was closed; nil if it was not
}

// run goes through the scenario's phases: setup submits the topics and
// connects the readers; load approves the topics at a moderator's pace
// while the readers read; measure joins each delivery with its commit;
// report logs what it saw and returns the figures.
func (lr liveRun) run(ctx context.Context, env *Env) ([]Figure, error) {
	var undo undoStack
	defer undo.run()
	b, err := lr.setup(ctx, env, &undo)
	if err != nil {
		return nil, err
	}
	l, err := b.load(ctx)
	if err != nil {
		return nil, err
	}
	m, err := b.measure(l)
	if err != nil {
		return nil, err
	}
	return b.report(l, m), nil
}

// pendingTopic is a topic of the scenario waiting for its approval.
type pendingTopic struct {
	post, item int64
	version    int
}

// liveBench is the scenario set up: topics waiting in the queue and readers
// connected to /board/live.
type liveBench struct {
	liveRun
	env         *Env
	mod         *db.Account
	posts       []pendingTopic
	readers     []liveReader
	received    atomic.Int64
	wg          sync.WaitGroup // the readers' goroutines
	stopReaders context.CancelFunc
}

// setup submits the topics and connects the readers, none of it measured.
// What it leaves behind is taken away again by undo.
func (lr liveRun) setup(ctx context.Context, env *Env, undo *undoStack) (*liveBench, error) {
	d := env.DB
	// Each stream holds a socket on both ends, in this one process.
	if err := ensureOpenFiles(uint64(2*lr.Readers + 256)); err != nil {
		return nil, err
	}
	author, err := liveAuthor(ctx, d)
	if err != nil {
		return nil, err
	}
	mod, err := benchModerator(ctx, d)
	if err != nil {
		return nil, err
	}
	cats, err := d.ListBoardCategories(ctx)
	if err != nil {
		return nil, err
	}
	if len(cats) == 0 {
		return nil, errors.New("no board category: is the database seeded?")
	}

	// The posts go again afterwards: a database holding more posts than it
	// was seeded with would be dropped and reseeded by the next run.
	if err := deleteLivePosts(ctx, d); err != nil {
		return nil, err
	}
	undo.push(func() {
		if err := deleteLivePosts(context.WithoutCancel(ctx), d); err != nil {
			env.Logf("board_live: deleting the scenario's posts: %v", err)
		}
	})
	b := &liveBench{liveRun: lr, env: env, mod: mod, posts: make([]pendingTopic, lr.Posts)}
	for i := range b.posts {
		p, err := d.SubmitPost(ctx, author, db.PostInput{
			CategoryID: cats[i%len(cats)].ID,
			Title:      fmt.Sprintf("%s %d/%d", liveMarker, i+1, lr.Posts),
			Body:       "配信遅延の計測用の投稿です。計測が終わると削除されます。",
		}, db.AccessEvent{})
		if err != nil {
			return nil, fmt.Errorf("submit post: %w", err)
		}
		var it db.ModerationItem
		if err := d.Bun.NewSelect().Model(&it).Column("id", "version").
			Where("kind = ? AND subject_id = ? AND status = ?", db.ItemBoardPost, p.ID, db.ItemOpen).
			Scan(ctx); err != nil {
			return nil, fmt.Errorf("queue item of post %d: %w", p.ID, err)
		}
		b.posts[i] = pendingTopic{post: p.ID, item: it.ID, version: it.Version}
	}
	return b, b.connect(ctx, undo)
}

// connect opens every reader's stream and returns once all are subscribed.
func (b *liveBench) connect(ctx context.Context, undo *undoStack) error {
	// Readers start from the newest event, as the board page tells them to.
	after, err := b.env.DB.LastLiveEventID(ctx)
	if err != nil {
		return err
	}
	rctx, stopReaders := context.WithCancel(ctx)
	b.stopReaders = stopReaders
	undo.push(stopReaders)
	b.readers = make([]liveReader, b.Readers)
	connected := make(chan error, b.Readers)
	connecting := make(chan struct{}, 64) // dials at once: a crowd, not a SYN flood
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: b.Readers,
		DisableCompression:  true, // the portal does not compress event streams
	}
	undo.push(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	url := b.env.PortalURL + "/board/live?after=" + strconv.FormatInt(after, 10)
	start := time.Now()
	for i := range b.readers {
		b.wg.Add(1)
		go pprof.Do(rctx, pprof.Labels("role", "client"), func(ctx context.Context) {
			defer b.wg.Done()
			select {
			case connecting <- struct{}{}:
			case <-ctx.Done():
				return
			}
			signalled := false
			ready := func(err error) {
				if !signalled {
					signalled = true
					<-connecting
					connected <- err
				}
			}
			err := readLive(ctx, client, url, &b.readers[i], &b.received, func() { ready(nil) })
			if ctx.Err() == nil {
				if err == nil {
					err = errors.New("stream ended")
				}
				b.readers[i].end = fmt.Errorf("after %s: %w", time.Since(start).Round(10*time.Millisecond), err)
			}
			ready(b.readers[i].end)
		})
	}
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	for range b.Readers {
		var err error
		select {
		case err = <-connected:
		case <-timeout.C:
			err = errors.New("timed out")
		}
		if err != nil {
			stopReaders()
			b.wg.Wait()
			return fmt.Errorf("connecting %d readers: %w", b.Readers, err)
		}
	}
	b.env.Logf("board_live: %d readers connected in %s", b.Readers, time.Since(start).Round(time.Millisecond))
	return nil
}

// liveLoad is what the approvals saw: when each began and committed, how
// long each took, and the process's CPU time over them.
type liveLoad struct {
	began, committed map[int64]time.Time // per post
	decide           []time.Duration
	window           time.Duration // from the first approval until the readers had all or gave up
	run, wait        time.Duration // this process on a CPU, and waiting for one
	sched            bool          // run and wait are known
}

// load approves the topics at a moderator's pace, then waits for the last
// deliveries and closes the readers. A decision counts from its commit.
func (b *liveBench) load(ctx context.Context) (liveLoad, error) {
	l := liveLoad{committed: make(map[int64]time.Time, len(b.posts)), began: make(map[int64]time.Time, len(b.posts))}
	stopProfile := b.env.startProfile("board_live")
	run0, wait0, sched := schedStat()
	noMail := func(db.Outcome) *db.Mail { return nil }
	first := time.Now()
	for i, p := range b.posts {
		if err := sleepUntil(ctx, first.Add(time.Duration(i)*b.Interval)); err != nil {
			stopProfile()
			return l, err
		}
		t0 := time.Now()
		_, err := b.env.DB.DecideItem(ctx, db.Decision{ItemID: p.item, Version: p.version, Action: db.ActApprove, Actor: db.Actor{Account: b.mod}}, noMail)
		t1 := time.Now()
		if err != nil {
			stopProfile()
			return l, fmt.Errorf("approve post %d: %w", p.post, err)
		}
		l.began[p.post], l.committed[p.post] = t0, t1
		l.decide = append(l.decide, t1.Sub(t0))
	}
	last := time.Now()
	want := int64(b.Readers * b.Posts)
	for b.received.Load() < want && time.Since(last) < b.Timeout && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	stopProfile()
	l.window = time.Since(first)
	run1, wait1, _ := schedStat()
	l.run, l.wait, l.sched = run1-run0, wait1-wait0, sched
	b.stopReaders()
	b.wg.Wait()
	return l, ctx.Err()
}

// liveMeasures are the deliveries joined with their commits.
type liveMeasures struct {
	lat       []time.Duration
	fromStart []time.Duration         // latency counted from the start of the approval instead
	firsts    map[int64]time.Duration // per post: the first reader's latency
	lasts     map[int64]time.Duration // and the last's
}

// measure joins each reader's deliveries with the commits; a topic missed,
// later than Timeout or delivered twice fails the run.
func (b *liveBench) measure(l liveLoad) (liveMeasures, error) {
	m := liveMeasures{firsts: map[int64]time.Duration{}, lasts: map[int64]time.Duration{}}
	var (
		twice, off int
		ended      []string
	)
	for i := range b.readers {
		r := &b.readers[i]
		if r.end != nil && len(ended) < 3 {
			ended = append(ended, fmt.Sprintf("reader %d %v", i, r.end))
		}
		seen := map[int64]bool{}
		for _, dl := range r.got {
			at, ok := l.committed[dl.post]
			if !ok {
				continue // not one of ours
			}
			if seen[dl.post] {
				twice++
				continue
			}
			seen[dl.post] = true
			lat := dl.at.Sub(at)
			if lat > b.Timeout {
				off++
				continue
			}
			m.lat = append(m.lat, lat)
			m.fromStart = append(m.fromStart, dl.at.Sub(l.began[dl.post]))
			if f, ok := m.firsts[dl.post]; !ok || lat < f {
				m.firsts[dl.post] = lat
			}
			m.lasts[dl.post] = max(m.lasts[dl.post], lat)
		}
	}
	want := b.Readers * b.Posts
	missed := want - len(m.lat)
	if missed > 0 || twice > 0 {
		msg := fmt.Sprintf("%d of %d deliveries (%d readers × %d topics) missed or later than %s", missed, want, b.Readers, b.Posts, b.Timeout)
		if off > 0 {
			msg += fmt.Sprintf(" (%d arrived late)", off)
		}
		if twice > 0 {
			msg += fmt.Sprintf("; %d delivered twice", twice)
		}
		if len(ended) > 0 {
			msg += "; streams ended early: " + fmt.Sprint(ended)
		}
		return m, errors.New(msg)
	}
	return m, nil
}

// report logs how the deliveries went and returns the figures.
func (b *liveBench) report(l liveLoad, m liveMeasures) []Figure {
	env := b.env
	st := Summarize(m.lat)
	fs, ls := mapValues(m.firsts), mapValues(m.lasts)
	env.Logf("board_live: %d deliveries (%d readers × %d topics, one every %s): p50 %s, p90 %s, p99 %s, min %s, max %s",
		st.N, b.Readers, b.Posts, b.Interval, roundDur(st.P50), roundDur(st.P90), roundDur(st.P99), roundDur(st.Min), roundDur(st.Max))
	dst, fst, lst, sst := Summarize(l.decide), Summarize(fs), Summarize(ls), Summarize(m.fromStart)
	env.Logf("board_live: per topic, first reader p50 %s max %s; last reader p50 %s max %s",
		roundDur(fst.P50), roundDur(fst.Max), roundDur(lst.P50), roundDur(lst.Max))
	// A delivery before the commit means the approving goroutine ran late
	// after it: counted from the start of the approval, latency is an upper
	// bound.
	env.Logf("board_live: approval transaction p50 %s max %s; counted from its start, delivery p50 %s p99 %s",
		roundDur(dst.P50), roundDur(dst.Max), roundDur(sst.P50), roundDur(sst.P99))
	if l.sched {
		// On a shared machine the tail is mostly time spent waiting for a CPU.
		env.Logf("board_live: over the %s of approvals this process ran %s on a CPU and its threads waited %s for one",
			l.window.Round(time.Millisecond), l.run.Round(time.Millisecond), l.wait.Round(time.Millisecond))
	}
	return []Figure{
		Millis("board_live_p50", st.P50),
		Millis("board_live_p99", st.P99),
		{Name: "board_live_readers", Value: float64(b.Readers), Unit: "readers"},
	}
}

// readLive opens one event stream and records its topic events until ctx
// ends or the stream does. connected is called once the server has sent
// the opening retry line, that is once the reader is subscribed.
func readLive(ctx context.Context, client *http.Client, url string, r *liveReader, received *atomic.Int64, connected func()) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", "portal-bench")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", req.URL.RequestURI(), resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 16<<10), 1<<20)
	var (
		at    time.Time // of the event being read
		event []byte
		post  int64
	)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 { // the end of an event
			if bytes.Equal(event, []byte("topic")) && post != 0 {
				r.got = append(r.got, delivery{post: post, at: at})
				received.Add(1)
			}
			at, event, post = time.Time{}, event[:0], 0
			continue
		}
		if at.IsZero() {
			at = time.Now()
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "retry":
			if connected != nil {
				connected()
				connected = nil
			}
		case "event":
			event = append(event[:0], value...)
		case "data":
			if post == 0 {
				post = topicID(value)
			}
		}
	}
	return sc.Err()
}

var topicAttr = []byte(`id="topic-`)

// topicID returns N of the first id="topic-N" in b, or 0.
func topicID(b []byte) int64 {
	i := bytes.Index(b, topicAttr)
	if i < 0 {
		return 0
	}
	b = b[i+len(topicAttr):]
	end := bytes.IndexByte(b, '"')
	if end < 0 {
		return 0
	}
	id, err := strconv.ParseInt(string(b[:end]), 10, 64)
	if err != nil {
		return 0
	}
	return id
}

func mapValues(m map[int64]time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// schedStat returns how long the threads of this process have run on a CPU
// and how long they have waited, runnable, for one (Linux schedstat). ok is
// false where there is no such file.
func schedStat() (run, wait time.Duration, ok bool) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, 0, false
	}
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread is gone
		}
		var r, w int64
		if _, err := fmt.Sscan(string(b), &r, &w); err != nil {
			return 0, 0, false
		}
		run += time.Duration(r)
		wait += time.Duration(w)
	}
	return run, wait, true
}

// ensureOpenFiles raises the soft limit on open files to need if it is
// lower, which the hard limit allows or not.
func ensureOpenFiles(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("open-file limit: %w", err)
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max < need {
		return fmt.Errorf("open-file limit: need %d, but the hard limit is %d (raise it with ulimit -Hn as root, or in the service's LimitNOFILE)", need, lim.Max)
	}
	was := lim.Cur
	lim.Cur = need
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("open-file limit: raising it from %d to %d: %w", was, need, err)
	}
	return nil
}

// liveAuthor is the member who writes the scenario's topics: the first
// active one of the seed.
func liveAuthor(ctx context.Context, d *db.DB) (*db.Account, error) {
	acc := new(db.Account)
	err := d.Bun.NewSelect().Model(acc).Where("kind = ? AND status = ?", db.KindMember, db.StatusActive).
		OrderExpr("id").Limit(1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("an active member to post as (is the database seeded?): %w", err)
	}
	return acc, nil
}

// benchModerator returns the moderator account the benchmark approves as.
func benchModerator(ctx context.Context, d *db.DB) (*db.Account, error) {
	acc, err := d.AccountByLogin(ctx, "bench-moderator")
	if err == nil {
		return acc, nil
	}
	if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	acc, err = d.CreateStaff(ctx, "bench-moderator", "ベンチ管理者", []string{db.RoleModerator}, "unusable")
	if err != nil {
		return nil, fmt.Errorf("bench moderator: %w", err)
	}
	return acc, nil
}

// deleteLivePosts deletes the scenario's posts and everything they left:
// queue items and their history, and live events.
func deleteLivePosts(ctx context.Context, d *db.DB) error {
	return pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		var posts, items []int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM board_posts WHERE starts_with(title, $1)`,
			liveMarker).Scan(&posts); err != nil {
			return err
		}
		if len(posts) == 0 {
			return nil
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM moderation_items WHERE kind = $1 AND subject_id = ANY($2)`,
			db.ItemBoardPost, posts).Scan(&items); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM live_events WHERE (stream = $1 AND subject_id = ANY($2)) OR (stream = $3 AND subject_id = ANY($4))`,
				[]any{db.StreamBoard, posts, db.StreamModeration, items}},
			{`DELETE FROM moderation_actions WHERE item_id = ANY($1)`, []any{items}},
			{`DELETE FROM moderation_items WHERE id = ANY($1)`, []any{items}},
			{`DELETE FROM board_posts WHERE id = ANY($1)`, []any{posts}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
}
