// Package worker holds the portal's background jobs. They keep no state in
// the process: work is claimed from PostgreSQL, so any number of app
// instances can run them side by side.
package worker

import (
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
)

// TLS modes of MailConfig.
const (
	TLSNone     = "none"     // plain SMTP (a relay on the same host or network)
	TLSStartTLS = "starttls" // STARTTLS is required; the submission port 587
	TLSImplicit = "tls"      // TLS from the first byte; port 465
)

// MailConfig says how to reach the SMTP server. A zero Host means no SMTP:
// the sender is not started and mail stays in the outbox, readable by staff
// at /staff/mail.
type MailConfig struct {
	Host     string // PORTAL_SMTP_HOST; empty: no SMTP
	Port     int    // PORTAL_SMTP_PORT; 587 (465 with PORTAL_SMTP_TLS=tls)
	Username string // PORTAL_SMTP_USER; empty: no SMTP AUTH
	Password string // PORTAL_SMTP_PASSWORD
	From     string // PORTAL_SMTP_FROM; no-reply@localhost, may carry a display name
	TLS      string // PORTAL_SMTP_TLS: none, starttls (default) or tls
}

// Enabled reports whether an SMTP server is configured.
func (c MailConfig) Enabled() bool { return c.Host != "" }

// LogValue keeps the password out of the logs.
func (c MailConfig) LogValue() slog.Value {
	if !c.Enabled() {
		return slog.StringValue("off")
	}
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", c.TLS),
		slog.String("user", c.Username), slog.String("from", c.From),
	)
}

// LoadMailConfig reads the SMTP settings from the environment. It fails on
// malformed values rather than guessing; with PORTAL_SMTP_HOST unset the
// other variables are not looked at.
func LoadMailConfig(getenv func(string) string) (MailConfig, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := MailConfig{Host: get("PORTAL_SMTP_HOST", "")}
	if c.Host == "" {
		return MailConfig{}, nil
	}
	c.Username = get("PORTAL_SMTP_USER", "")
	c.Password = getenv("PORTAL_SMTP_PASSWORD") // may begin or end with a space
	c.From = get("PORTAL_SMTP_FROM", "no-reply@localhost")
	c.TLS = strings.ToLower(get("PORTAL_SMTP_TLS", TLSStartTLS))
	defPort := "587"
	switch c.TLS {
	case TLSNone, TLSStartTLS:
	case TLSImplicit:
		defPort = "465"
	default:
		return c, fmt.Errorf("PORTAL_SMTP_TLS: %q is none of none, starttls, tls", c.TLS)
	}
	port, err := strconv.Atoi(get("PORTAL_SMTP_PORT", defPort))
	if err != nil || port < 1 || port > 65535 {
		return c, fmt.Errorf("PORTAL_SMTP_PORT: want a port number from 1 to 65535")
	}
	c.Port = port
	if _, err := mail.ParseAddress(c.From); err != nil {
		return c, fmt.Errorf("PORTAL_SMTP_FROM: %q is not a mail address: %w", c.From, err)
	}
	if c.Password != "" && c.Username == "" {
		return c, fmt.Errorf("PORTAL_SMTP_PASSWORD is set but PORTAL_SMTP_USER is not")
	}
	return c, nil
}
