package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/worker"
	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/seed"
	"github.com/wardportal/portal/migrations"
)

const usage = `portal — the community activity portal

usage:
  portal serve                 serve HTTP on PORTAL_ADDR (refuses a stale schema unless PORTAL_AUTO_MIGRATE=true)
  portal migrate               create the database if missing and apply pending migrations
  portal seed [flags]          fill the database with dummy data (portal seed -h for sizes)
  portal staff create [flags]  create a staff account and print its initial password
  portal audit verify          check the audit log's hash chain; names the first broken entry
  portal export-all [-by LOGIN -purpose TEXT] DIR
                               write every table to DIR as CSV with a manifest (end-of-contract handover);
                               -by names the staff account on whose behalf, recorded in the audit log
  portal import-all DIR        load an export-all DIR into an empty, migrated database

configuration comes from the environment; see README.md.
`

// Main runs the portal command line. It returns the process exit code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "portal: configuration:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	switch cmd := args[1]; cmd {
	case "serve":
		err = serve(ctx, cfg, getenv, log)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			err = nil // stopped (a signal) while still starting: a clean stop
		}
	case "migrate":
		err = migrate(ctx, cfg, stdout)
	case "seed":
		err = seedCmd(ctx, cfg, args[2:], stdout, stderr)
	case "staff":
		if len(args) < 3 || args[2] != "create" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = staffCreate(ctx, cfg, args[3:], stdout, stderr)
	case "audit":
		if len(args) < 3 || args[2] != "verify" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = auditVerify(ctx, cfg, stdout)
	case "export-all":
		err = exportAllCmd(ctx, cfg, args[2:], stdout, stderr)
	case "import-all":
		if len(args) != 3 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		err = importAllCmd(ctx, cfg, args[2], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "portal: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "portal:", err)
		return 1
	}
	return 0
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// ErrPendingMigrations is returned by serve when the schema is stale.
var ErrPendingMigrations = errors.New("pending migrations")

func serve(ctx context.Context, cfg Config, getenv func(string) string, log *slog.Logger) error {
	// A machine that boots the app and PostgreSQL together starts the app
	// first as often as not: wait for the database rather than exit.
	var d *db.DB
	err := waitForDatabase(ctx, log, cfg.DBWait, func(ctx context.Context) error {
		if cfg.AutoMigrate {
			if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
				return err
			}
		}
		var err error
		d, err = db.Open(ctx, cfg.DatabaseURL)
		return err
	})
	if err != nil {
		return err
	}
	// Closing the pool fails whatever still uses it and waits for the
	// connections they hold: never while a request or a job still runs.
	keepPool := false
	defer func() {
		if keepPool {
			log.Warn("database pool left open: requests or jobs still use it")
			return
		}
		d.Close()
	}()
	ms, err := db.LoadMigrations(migrations.FS)
	if err != nil {
		return err
	}
	if cfg.AutoMigrate {
		done, err := d.Migrate(ctx, ms)
		if err != nil {
			return err
		}
		if len(done) > 0 {
			log.Info("applied migrations", "versions", strings.Join(done, ","))
		}
	} else {
		pending, err := d.Pending(ctx, ms)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("%w: %d not applied (first %s); run `portal migrate` or set PORTAL_AUTO_MIGRATE=true",
				ErrPendingMigrations, len(pending), pending[0].Version)
		}
	}
	a, err := New(cfg, d, log)
	if err != nil {
		return err
	}
	defer a.Close()
	// Background jobs stop with serve, and the pool is closed only after
	// they have (a mail sender records what it has just sent).
	jobs, stopJobs := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer func() {
		stopJobs()
		if !waitWithin(&running, cfg.ShutdownGrace) {
			log.Error("background jobs still running at the end of the shutdown")
			keepPool = true
		}
	}()
	running.Go(func() { a.RunReminders(jobs) })
	running.Go(func() { a.RunRetention(jobs) })
	running.Go(func() { a.RunScheduler(jobs) })
	mailCfg, err := worker.LoadMailConfig(getenv)
	if err != nil {
		return err
	}
	if mailCfg.Enabled() {
		sender := worker.NewMailSender(d, mailCfg, log)
		running.Go(func() {
			if err := sender.Run(jobs); err != nil && jobs.Err() == nil {
				log.Error("mail sender stopped", "err", err)
			}
		})
		log.Info("mail sender started", "smtp", mailCfg)
		news := a.NewsletterSender(mailCfg, log)
		running.Go(func() {
			if err := news.Run(jobs); err != nil && jobs.Err() == nil {
				log.Error("newsletter sender stopped", "err", err)
			}
		})
	} else {
		log.Info("no SMTP configured: mail stays in the outbox, readable at /staff/mail")
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "base_url", cfg.BaseURL)
	err = a.Serve(ctx, ln)
	keepPool = errors.Is(err, ErrRequestsRunning)
	return err
}

// waitWithin waits for wg up to d and reports whether it is done.
func waitWithin(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// Backoff of waitForDatabase, and the time one attempt may take.
const (
	dbWaitFirst   = 250 * time.Millisecond
	dbWaitMax     = 5 * time.Second
	dbWaitAttempt = 10 * time.Second
)

// waitForDatabase calls connect until it succeeds, fails for a reason other
// than an unreachable database (a wrong password or address will not fix
// itself), or wait has passed, backing off between attempts and logging
// each one. With wait 0 it tries once.
func waitForDatabase(ctx context.Context, log *slog.Logger, wait time.Duration, connect func(context.Context) error) error {
	deadline := time.Now().Add(wait)
	backoff := dbWaitFirst
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, dbWaitAttempt)
		err := connect(actx)
		cancel()
		switch {
		case err == nil:
			if attempt > 1 {
				log.Info("database reachable", "attempts", attempt)
			}
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case !db.Unavailable(err):
			return err
		case time.Now().Add(backoff).After(deadline):
			if wait > 0 {
				return fmt.Errorf("database not reachable after %d attempts in %s: %w", attempt, wait, err)
			}
			return err
		}
		log.Warn("database not reachable yet; retrying", "attempt", attempt, "retry_in", backoff,
			"gives_up_in", time.Until(deadline).Round(time.Second), "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, dbWaitMax)
	}
}

func migrate(ctx context.Context, cfg Config, stdout io.Writer) error {
	if err := db.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	ms, err := db.LoadMigrations(migrations.FS)
	if err != nil {
		return err
	}
	done, err := d.Migrate(ctx, ms)
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintln(stdout, "schema is up to date")
	}
	for _, v := range done {
		fmt.Fprintln(stdout, "applied", v)
	}
	return nil
}

func seedCmd(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	o := seed.Defaults()
	fs := flag.NewFlagSet("portal seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed gives the same data")
	fs.IntVar(&o.Members, "members", o.Members, "members")
	fs.IntVar(&o.Groups, "groups", o.Groups, "groups")
	fs.IntVar(&o.Events, "events", o.Events, "events")
	fs.IntVar(&o.Posts, "posts", o.Posts, "board posts (topics and replies)")
	fs.IntVar(&o.Notices, "notices", o.Notices, "ward notices")
	fs.IntVar(&o.Subsidies, "subsidies", o.Subsidies, "subsidies")
	fs.IntVar(&o.Articles, "articles", o.Articles, "articles and columns")
	ifEmpty := fs.Bool("if-empty", false, "do nothing when the database already has data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	if *ifEmpty {
		empty, err := seed.IsEmpty(ctx, d)
		if err != nil {
			return err
		}
		if !empty {
			fmt.Fprintln(stdout, "database already has data; not seeding")
			return nil
		}
	}
	// Every seeded account shares one hash: argon2id is deliberately slow,
	// and 350,000 of them would take hours. The password is documented.
	o.PasswordHash, err = auth.HashPassword(seed.Password)
	if err != nil {
		return err
	}
	o.Now = time.Now()
	start := time.Now()
	n, err := seed.Run(ctx, d, o, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d members, %d groups, %d events, %d board posts in %s (every seeded account's password: %s)\n",
		n.Members, n.Groups, n.Events, n.Posts(), time.Since(start).Round(time.Millisecond), seed.Password)
	return nil
}

func staffCreate(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal staff create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	login := fs.String("login", "", "login ID (required)")
	name := fs.String("name", "", "display name (required)")
	roles := fs.String("roles", db.RoleWardStaff, "comma-separated roles: "+strings.Join(db.StaffRoles, ", "))
	divisions := fs.String("divisions", "", "comma-separated division codes the account belongs to (e.g. public-relations)")
	sites := fs.String("sites", "", "comma-separated sites (slugs) the account works on (e.g. official: the first site manager)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *login == "" || *name == "" {
		fs.Usage()
		return fmt.Errorf("-login and -name are required")
	}
	var rs []string
	for _, r := range strings.Split(*roles, ",") {
		r = strings.TrimSpace(r)
		if !validRole(r) {
			return fmt.Errorf("unknown role %q (roles: %s)", r, strings.Join(db.StaffRoles, ", "))
		}
		rs = append(rs, r)
	}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	pw := auth.GeneratePassword(14)
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	divs, slugs := commaList(*divisions), commaList(*sites)
	if err := checkPlacement(ctx, d, divs, slugs); err != nil {
		return err
	}
	acc, err := d.CreateStaff(ctx, *login, *name, rs, hash)
	if err != nil {
		return err
	}
	if err := d.PlaceNewStaff(ctx, acc.ID, divs, slugs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created staff account %d\nlogin ID: %s\ninitial password: %s\n(the password must be changed at first sign-in; it is not shown again)\n",
		acc.ID, acc.LoginID, pw)
	return nil
}

// checkPlacement makes sure the divisions and sites named on the command
// line exist before an account is created for them; the official site is
// made first, as serve would (the first site manager is placed on it).
func checkPlacement(ctx context.Context, d *db.DB, divisions, sites []string) error {
	if len(sites) > 0 {
		if err := d.EnsureOfficialSite(ctx); err != nil {
			return err
		}
	}
	have := map[string]bool{}
	ds, err := d.Divisions(ctx)
	if err != nil {
		return err
	}
	for _, dv := range ds {
		have["division "+dv.Code] = true
	}
	ss, err := d.Sites(ctx)
	if err != nil {
		return err
	}
	for _, s := range ss {
		have["site "+s.Slug] = true
	}
	for _, c := range divisions {
		if !have["division "+c] {
			return fmt.Errorf("no division %q (ward staff add divisions at /staff/divisions)", c)
		}
	}
	for _, s := range sites {
		if !have["site "+s] {
			return fmt.Errorf("no site %q", s)
		}
	}
	return nil
}

// commaList splits a flag's comma-separated values, leaving out blanks.
func commaList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func validRole(r string) bool {
	for _, s := range db.StaffRoles {
		if s == r {
			return true
		}
	}
	return false
}

// errAuditBroken is the exit status of a chain that does not verify.
var errAuditBroken = errors.New("audit log chain broken")

// auditVerify checks the audit log's hash chain and says where it breaks.
func auditVerify(ctx context.Context, cfg Config, stdout io.Writer) error {
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	c, err := d.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if c.BrokenSeq != 0 {
		fmt.Fprintf(stdout, "audit log: BROKEN at entry %d (id %d) of %d\n", c.BrokenSeq, c.BrokenID, c.Entries)
		return errAuditBroken
	}
	fmt.Fprintf(stdout, "audit log: ok, %d entries chained\n", c.Entries)
	return nil
}
