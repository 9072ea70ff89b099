package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
)

// sessionSaveTimeout bounds saving a session once the response is decided.
const sessionSaveTimeout = 5 * time.Second

// loadSession does what scs's LoadAndSave does, with our error handling:
// a session that cannot be loaded (the database is away) is an error like
// any other, so the visitor gets the translated 503 page or fragment with
// its request id instead of scs's bare "Internal Server Error"; the session
// is saved just before the response header goes out, for every response
// including error pages; it also marks the request as having a session.
func (a *App) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.Response().Header().Add("Vary", "Cookie")
		var token string
		if ck, err := r.Cookie(a.sessions.Cookie.Name); err == nil {
			token = ck.Value
		}
		ctx, err := a.sessions.Load(r.Context(), token)
		if err != nil {
			return fmt.Errorf("session: load: %w", err)
		}
		if err := a.touchSession(ctx); err != nil {
			return err
		}
		c.SetRequest(r.WithContext(ctx))
		c.Set(sessionReadyKey, true)
		c.Response().Before(func() { a.saveSession(c) })
		return next(c)
	}
}

// Sessions end after sessionIdle without a request (and after
// cfg.SessionLife in any case). scs's own IdleTimeout would write the
// session back on every request to move its deadline: one write per
// signed-in page view, the sign-up rush's included (issue 18). Instead the
// session notes when it was last seen, and is written back only when that
// is more than sessionTouch ago; the idle deadline is checked on load.
const (
	sessionIdle    = 2 * time.Hour
	sessionTouch   = 5 * time.Minute
	sessionSeenKey = "seen" // unix seconds of the last request that wrote the session back
)

// touchSession ends a stored session idle for longer than sessionIdle, and
// notes the request in one not written back for sessionTouch. A visitor
// with no stored session gets none.
func (a *App) touchSession(ctx context.Context) error {
	if a.sessions.Token(ctx) == "" {
		return nil
	}
	now := time.Now() // the wall clock, as scs's deadlines
	seen := a.sessions.GetInt64(ctx, sessionSeenKey)
	switch {
	case seen != 0 && now.Sub(time.Unix(seen, 0)) > sessionIdle:
		if err := a.sessions.Destroy(ctx); err != nil {
			return fmt.Errorf("session: end idle: %w", err)
		}
	case now.Sub(time.Unix(seen, 0)) > sessionTouch:
		a.sessions.Put(ctx, sessionSeenKey, now.Unix())
	}
	return nil
}

// saveSession stores the session and sets its cookie. It runs when the
// handler has already chosen its answer, perhaps after committing a write,
// so a failure cannot turn that answer into an error page: it is logged and
// the answer stands (the session's idle deadline is not extended, a change
// to it is lost). It does not end with the request's context either — a
// client that went away or a shutdown that cancels the request must not
// undo what the handler did — but it is bounded.
func (a *App) saveSession(c echo.Context) {
	rctx := c.Request().Context()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(rctx), sessionSaveTimeout)
	defer cancel()
	switch a.sessions.Status(ctx) {
	case scs.Modified:
		token, expiry, err := a.sessions.Commit(ctx)
		if err != nil {
			a.log.LogAttrs(rctx, slog.LevelError, "session not saved",
				slog.String("request_id", requestID(c)), slog.String("path", c.Request().URL.Path), slog.Any("err", err))
			return
		}
		a.sessions.WriteSessionCookie(ctx, c.Response(), token, expiry)
	case scs.Destroyed:
		a.sessions.WriteSessionCookie(ctx, c.Response(), "", time.Time{})
	}
}
