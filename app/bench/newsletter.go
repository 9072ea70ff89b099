package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/db"
)

// Sizes of the newsletter scenario: the goal is stated for 100,000
// subscribers; the small database (-small) sends to fewer.
const (
	newsletterSubscribers      = 100_000
	newsletterSubscribersSmall = 5_000
	newsletterTimeout          = 15 * time.Minute
)

// runNewsletter queues an issue to every subscriber of a list and lets the
// portal's newsletter sender (app/worker, its default eight connections, no
// rate limit) deliver it to an SMTP sink on loopback that accepts and
// discards every message. newsletter_rate is messages accepted per second
// from the first claim to the last acceptance; newsletter_peak_mem_mb is the
// process's memory above idle meanwhile (sender, database driver and sink).
func runNewsletter(ctx context.Context, env *Env) ([]Figure, error) {
	var undo undoStack
	defer undo.run()
	members, err := env.DB.Bun.NewSelect().Model((*db.Account)(nil)).Where("kind = ?", db.KindMember).Count(ctx)
	if err != nil {
		return nil, err
	}
	n := newsletterSubscribers
	if members < newsletterSubscribers {
		n = newsletterSubscribersSmall
	}

	// The list, its subscribers (addresses of a reserved domain), an author
	// in a division, and the issue.
	staff, err := benchStaff(ctx, env.DB)
	if err != nil {
		return nil, err
	}
	list := &db.NewsletterList{Name: fmt.Sprintf("ベンチ配信 %d", time.Now().UnixNano()), Active: true}
	if err := env.DB.SaveNewsletterList(ctx, list); err != nil {
		return nil, err
	}
	undo.push(func() {
		_, _ = env.DB.Pool.Exec(context.WithoutCancel(ctx), `DELETE FROM newsletter_subscribers WHERE email LIKE '%@nl-bench.invalid'`)
		_, _ = env.DB.Pool.Exec(context.WithoutCancel(ctx), `DELETE FROM newsletter_lists WHERE id = $1`, list.ID)
	})
	if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO newsletter_subscribers (email)
		SELECT 'reader' || i || '@nl-bench.invalid' FROM generate_series(1, $1) i ON CONFLICT DO NOTHING`, n); err != nil {
		return nil, err
	}
	if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO newsletter_subscriptions (subscriber_id, list_id, status, confirmed_at)
		SELECT id, $1, 'confirmed', now() FROM newsletter_subscribers WHERE email LIKE '%@nl-bench.invalid'`, list.ID); err != nil {
		return nil, err
	}
	var div int64
	if err := env.DB.Pool.QueryRow(ctx, `INSERT INTO divisions (code, name) VALUES ('nl-bench', 'ベンチ課')
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id`).Scan(&div); err != nil {
		return nil, err
	}
	if _, err := env.DB.Pool.Exec(ctx, `INSERT INTO staff_divisions (account_id, division_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, staff.ID, div); err != nil {
		return nil, err
	}
	is := &db.NewsletterIssue{DivisionID: div, Subject: "【区報】ベンチマーク号　今月のお知らせ",
		Body: newsletterBenchBody}
	if err := env.DB.SaveNewsletterIssue(ctx, is, []int64{list.ID}, staff); err != nil {
		return nil, err
	}
	undo.push(func() {
		_, _ = env.DB.Pool.Exec(context.WithoutCancel(ctx), `DELETE FROM newsletter_issues WHERE id = $1`, is.ID)
	})
	if _, err := env.DB.RequestIssueSend(ctx, is.ID, time.Now(), 1<<30); err != nil {
		return nil, err
	}
	qstart := time.Now()
	if _, err := env.DB.QueueDueIssues(ctx, time.Now().Add(time.Second)); err != nil {
		return nil, err
	}
	queued := time.Since(qstart)
	counts, err := env.DB.IssueCounts(ctx, is.ID)
	if err != nil {
		return nil, err
	}
	if counts[db.DeliveryQueued] != n {
		return nil, fmt.Errorf("queued %d deliveries, want %d", counts[db.DeliveryQueued], n)
	}

	sink := &nlSink{}
	srv := smtp.NewServer(sink)
	srv.Domain = "localhost"
	srv.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	srv.MaxRecipients = 1
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	sender := env.App.NewsletterSender(worker.MailConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		TLS: worker.TLSNone, From: "区民活動ポータル <no-reply@portal.example>"}, slog.New(slog.NewTextHandler(env.Log, &slog.HandlerOptions{Level: slog.LevelWarn})))
	sender.Poll = 50 * time.Millisecond

	mem := startMemSampler()
	rctx, cancel := context.WithTimeout(ctx, newsletterTimeout)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { _ = sender.Run(rctx) })
	for sink.accepted.Load() < int64(n) && rctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	peak, rss := mem.stop()
	if got := sink.accepted.Load(); got != int64(n) {
		return nil, fmt.Errorf("the sink accepted %d of %d messages in %s", got, n, newsletterTimeout)
	}
	if counts, err = env.DB.IssueCounts(ctx, is.ID); err != nil {
		return nil, err
	}
	if counts[db.DeliverySent] != n {
		return nil, fmt.Errorf("%d deliveries recorded sent of %d: %v", counts[db.DeliverySent], n, counts)
	}
	rate := float64(n) / elapsed.Seconds()
	env.Logf("newsletter: %d messages in %s (%.0f/s), queued in %s; peak memory above idle %s (Go runtime), %s (VmRSS); %d bytes per message on average",
		n, elapsed.Round(10*time.Millisecond), rate, queued.Round(time.Millisecond), mb(int64(peak)), mb(int64(rss)), sink.bytes.Load()/int64(n))
	return []Figure{
		{Name: "newsletter_rate", Value: rate, Unit: "msgs/s"},
		{Name: "newsletter_peak_mem_mb", Value: float64(peak) / (1 << 20), Unit: "MB", Digits: 1},
		{Name: "newsletter_subscribers", Value: float64(n), Unit: "subscribers"},
		Seconds("newsletter_queue_seconds", queued),
	}, nil
}

// newsletterBenchBody is an issue of a usual length: headings, a list, links.
const newsletterBenchBody = `## 今月のお知らせ

区民のみなさまへ、今月の主なお知らせをお届けします。

- 防災訓練：3月8日（日曜日）午前10時から、各地域センターで行います。
- 梅まつり：新宿中央公園で2月下旬から開きます。
- 粗大ごみの受付方法が変わります。詳しくは[区のサイト](https://www.city.example.jp/gomi/)をご覧ください。

## イベント情報

地域の団体が開くイベントは、[イベント一覧](/events)からお申し込みいただけます。
子育て、健康、スポーツ、文化など、さまざまな催しがあります。

## 補助金・助成金

町会・自治会の活動や、地域の見守り活動に使える補助金の募集を始めました。
締め切りは3月31日です。
`

// nlSink accepts every message and keeps only counts.
type nlSink struct {
	accepted atomic.Int64
	bytes    atomic.Int64
}

func (s *nlSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &nlSession{s: s}, nil }

type nlSession struct{ s *nlSink }

func (*nlSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*nlSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *nlSession) Data(r io.Reader) error {
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return err
	}
	x.s.bytes.Add(n)
	x.s.accepted.Add(1)
	return nil
}
func (*nlSession) Reset()        {}
func (*nlSession) Logout() error { return nil }
