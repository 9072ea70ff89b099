package app

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/worker"
)

// Config is read from the environment only (see README "Configuration").
type Config struct {
	DatabaseURL   string        // DATABASE_URL
	Addr          string        // PORTAL_ADDR
	BaseURL       string        // PORTAL_BASE_URL: the public address, used in mail and to decide on Secure cookies
	Secret        string        // PORTAL_SECRET: signs tokens in links; must be the same on every instance
	AutoMigrate   bool          // PORTAL_AUTO_MIGRATE: serve applies pending migrations instead of refusing
	LogLevel      slog.Level    // PORTAL_LOG_LEVEL: debug, info, warn, error
	LogJSON       bool          // PORTAL_LOG_FORMAT=json
	TrustProxy    bool          // PORTAL_TRUST_PROXY: take the client address from X-Forwarded-For
	SessionLife   time.Duration // PORTAL_SESSION_HOURS
	RetentionDays int           // PORTAL_RETENTION_DAYS: access history and audit entries older than this are removed
	DBWait        time.Duration // PORTAL_DB_WAIT_SECONDS: how long serve waits for an unreachable database at start
	ShutdownGrace time.Duration // PORTAL_SHUTDOWN_GRACE_SECONDS: how long requests in flight may finish at shutdown
	// PORTAL_REQUEST_TIMEOUT_SECONDS: how long a request may wait for the
	// database before it is answered 503 (event streams and exports exempt).
	RequestTimeout time.Duration
	HashMemoryMiB  int // PORTAL_HASH_MEMORY_MB: memory all password hashing at once may take
	// PORTAL_APPROVAL_REMIND_HOURS: approvers are reminded by mail of a
	// submission waiting longer than this, and again after each such period.
	ApprovalRemind time.Duration
	// Newsletter: PORTAL_NEWSLETTER_* (worker.LoadNewsletterConfig).
	Newsletter worker.NewsletterConfig
}

// Defaults of the waits, in seconds. A minute covers a database that boots
// with the app on the same machine; twenty seconds of grace plus as much
// again for requests that are writing stays within systemd's and
// Kubernetes' usual stop timeouts.
const (
	DefaultDBWaitSeconds        = 60
	DefaultShutdownGraceSeconds = 20
	// A page waits at most this long for a database that has stopped
	// answering (a stalled network, a frozen server) before the visitor
	// is told to try again; no ordinary page comes near it.
	DefaultRequestTimeoutSeconds = 15
)

// Retention bounds, in days: five years by default, as Japanese municipal
// records of this kind are commonly kept; never under a month, so a typo
// cannot wipe the records staff and members rely on.
const (
	DefaultRetentionDays = 1826
	MinRetentionDays     = 30
	MaxRetentionDays     = 36525 // a century: beyond it the cutoff leaves PostgreSQL's date range
)

// Reminder period of submissions waiting for approval, in hours: a day by
// default, at most thirty days.
const (
	DefaultApprovalRemindHours = 24
	MaxApprovalRemindHours     = 720
)

// DefaultDatabaseURL is the local server a fresh Debian machine runs.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/portal?sslmode=disable"

// LoadConfig reads the configuration; it fails on malformed values rather
// than guessing.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL: get("DATABASE_URL", DefaultDatabaseURL),
		Addr:        get("PORTAL_ADDR", "localhost:8080"),
		BaseURL:     strings.TrimRight(get("PORTAL_BASE_URL", "http://localhost:8080"), "/"),
		Secret:      get("PORTAL_SECRET", ""),
	}
	var err error
	if c.AutoMigrate, err = strconv.ParseBool(get("PORTAL_AUTO_MIGRATE", "false")); err != nil {
		return c, fmt.Errorf("PORTAL_AUTO_MIGRATE: %w", err)
	}
	if c.TrustProxy, err = strconv.ParseBool(get("PORTAL_TRUST_PROXY", "false")); err != nil {
		return c, fmt.Errorf("PORTAL_TRUST_PROXY: %w", err)
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("PORTAL_LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("PORTAL_LOG_LEVEL: %w", err)
	}
	switch f := get("PORTAL_LOG_FORMAT", "text"); f {
	case "text":
	case "json":
		c.LogJSON = true
	default:
		return c, fmt.Errorf("PORTAL_LOG_FORMAT: %q is neither text nor json", f)
	}
	hours, err := strconv.Atoi(get("PORTAL_SESSION_HOURS", "12"))
	if err != nil || hours <= 0 {
		return c, fmt.Errorf("PORTAL_SESSION_HOURS: want a positive number of hours")
	}
	c.SessionLife = time.Duration(hours) * time.Hour
	if c.RetentionDays, err = retentionDays(get("PORTAL_RETENTION_DAYS", strconv.Itoa(DefaultRetentionDays))); err != nil {
		return c, fmt.Errorf("PORTAL_RETENTION_DAYS: %w", err)
	}
	if c.DBWait, err = seconds(get("PORTAL_DB_WAIT_SECONDS", strconv.Itoa(DefaultDBWaitSeconds)), 0); err != nil {
		return c, fmt.Errorf("PORTAL_DB_WAIT_SECONDS: %w", err)
	}
	if c.ShutdownGrace, err = seconds(get("PORTAL_SHUTDOWN_GRACE_SECONDS", strconv.Itoa(DefaultShutdownGraceSeconds)), 1); err != nil {
		return c, fmt.Errorf("PORTAL_SHUTDOWN_GRACE_SECONDS: %w", err)
	}
	if c.RequestTimeout, err = seconds(get("PORTAL_REQUEST_TIMEOUT_SECONDS", strconv.Itoa(DefaultRequestTimeoutSeconds)), 1); err != nil {
		return c, fmt.Errorf("PORTAL_REQUEST_TIMEOUT_SECONDS: %w", err)
	}
	if c.HashMemoryMiB, err = hashMemory(get("PORTAL_HASH_MEMORY_MB", strconv.Itoa(DefaultHashMemoryMiB()))); err != nil {
		return c, fmt.Errorf("PORTAL_HASH_MEMORY_MB: %w", err)
	}
	if c.ApprovalRemind, err = remindHours(get("PORTAL_APPROVAL_REMIND_HOURS", strconv.Itoa(DefaultApprovalRemindHours))); err != nil {
		return c, fmt.Errorf("PORTAL_APPROVAL_REMIND_HOURS: %w", err)
	}
	if c.Newsletter, err = worker.LoadNewsletterConfig(getenv); err != nil {
		return c, err
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("PORTAL_BASE_URL: %q is not an http(s) address", c.BaseURL)
	}
	if c.Secret == "" {
		if c.Secure() {
			return c, fmt.Errorf("PORTAL_SECRET must be set when PORTAL_BASE_URL is https (use at least 32 random bytes)")
		}
		c.Secret = randomHex(32)
	} else if len(c.Secret) < 32 {
		return c, fmt.Errorf("PORTAL_SECRET must be at least 32 characters")
	}
	return c, nil
}

// retentionDays parses the retention period.
func retentionDays(v string) (int, error) {
	days, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number of days (default %d, five years)", v, DefaultRetentionDays)
	}
	if days < MinRetentionDays {
		return 0, fmt.Errorf("%d days is too short: at least %d", days, MinRetentionDays)
	}
	if days > MaxRetentionDays {
		return 0, fmt.Errorf("%d days is too long: at most %d", days, MaxRetentionDays)
	}
	return days, nil
}

// remindHours parses the approval reminder period.
func remindHours(v string) (time.Duration, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxApprovalRemindHours {
		return 0, fmt.Errorf("%q is not a whole number of hours from 1 to %d (default %d)", v, MaxApprovalRemindHours, DefaultApprovalRemindHours)
	}
	return time.Duration(n) * time.Hour, nil
}

// seconds parses a whole number of seconds, at least lowest and at most a day.
func seconds(v string, lowest int) (time.Duration, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lowest || n > 86400 {
		return 0, fmt.Errorf("%q is not a whole number of seconds from %d to 86400", v, lowest)
	}
	return time.Duration(n) * time.Second, nil
}

// DefaultHashMemoryMiB lets as many argon2id runs at once as there are
// cores: one run keeps about one core busy, so more at once would only make
// each slower while taking 64 MiB apiece.
func DefaultHashMemoryMiB() int {
	return runtime.GOMAXPROCS(0) * int(auth.Params.Memory/1024)
}

func hashMemory(v string) (int, error) {
	mib, err := strconv.Atoi(v)
	one := int(auth.Params.Memory / 1024)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number of MiB", v)
	}
	if mib < one {
		return 0, fmt.Errorf("%d MiB is less than one password hash takes (%d MiB)", mib, one)
	}
	return mib, nil
}

// Secure reports whether the portal is served over TLS, which turns on
// Secure cookies and HSTS.
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
