package app

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/static"
)

// contentSecurityPolicy allows nothing inline: no <script> blocks, no style
// attributes, no eval. Everything comes from our own origin.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func (a *App) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	hsts := a.cfg.Secure()
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// ipExtractor trusts X-Forwarded-For only behind a proxy we were told about;
// the address goes into access history and audit entries, so it must not be
// forgeable by clients.
func (a *App) ipExtractor() echo.IPExtractor {
	if a.cfg.TrustProxy {
		return echo.ExtractIPFromXFFHeader()
	}
	return echo.ExtractIPDirect()
}

func (a *App) accessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true,
		LogRequestID: true, LogRemoteIP: true, LogResponseSize: true,
		HandleError: true, // let the error handler set the status before we log it
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			} else if strings.HasPrefix(v.URIPath, static.Prefix) || v.URIPath == "/healthz" {
				level = slog.LevelDebug
			}
			// The query string is left out on purpose: it may carry tokens;
			// so is a path that is a secret (a reset link, a private
			// calendar), logged as its route.
			path := v.URIPath
			if strings.Contains(c.Path(), ":token") {
				path = c.Path()
			}
			a.log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("request_id", v.RequestID),
				slog.String("method", v.Method),
				slog.String("path", path),
				slog.Int("status", v.Status),
				slog.Int64("bytes", v.ResponseSize),
				slog.Duration("latency", v.Latency),
				slog.String("ip", v.RemoteIP),
			)
			return nil
		},
	})
}

func (a *App) recoverPanics() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					buf := make([]byte, 8<<10)
					buf = buf[:runtime.Stack(buf, false)]
					a.log.Error("panic", "request_id", requestID(c), "panic", fmt.Sprint(r), "stack", string(buf))
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return next(c)
		}
	}
}

// gzip at level 1 with klauspost/compress: measured in `task bench`, level 5
// cost the home page 75 % more CPU for 5 % fewer bytes, and this gzip spends
// about half the CPU of the standard library's at the same level.
func (a *App) gzip() echo.MiddlewareFunc {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(1024),
		gzhttp.CompressionLevel(gzip.BestSpeed),
		// gzip only: every browser has it, and one encoding keeps the page
		// weight we promise measurable.
		gzhttp.EnableZstd(false),
		// Event streams must not be buffered; workbooks are zips already.
		gzhttp.ExceptContentTypes([]string{"text/event-stream", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
	)
	if err != nil {
		panic(err) // the options are constant
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			// Event streams go out as they happen; gzip would hold them back.
			if strings.HasSuffix(c.Path(), "/live") {
				return next(c)
			}
			res := c.Response()
			plain := res.Writer
			wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				res.Writer = w
				c.SetRequest(r)
				// Errors become pages here, while the compressing writer
				// is still open.
				if err = next(c); err != nil {
					c.Error(err)
					err = nil
				}
			})).ServeHTTP(plain, c.Request())
			res.Writer = plain
			return err
		}
	}
}

// csrf protects every state-changing request. Echo checks Sec-Fetch-Site
// first (same-origin requests from modern browsers pass), then falls back to
// the double-submit token: the hidden _csrf field of plain forms or the
// X-CSRF-Token header htmx sends from hx-headers.
func (a *App) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		// RFC 8058: mail providers post the one-click unsubscribe from their
		// servers, with no cookie and no token; the signed link is the proof.
		Skipper: func(c echo.Context) bool {
			return c.Path() == unsubscribeRoute && c.Request().Method == http.MethodPost
		},
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		CookieName:     csrfCookieName(a.cfg),
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   a.cfg.Secure(),
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int((24 * time.Hour).Seconds()),
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "csrf").SetInternal(err)
		},
	})
}

func csrfCookieName(cfg Config) string {
	if cfg.Secure() {
		return "__Host-portal_csrf"
	}
	return "portal_csrf"
}

const langCookie = "portal_lang"

// locale picks the language (?lang=, then the cookie, then Japanese) and
// puts the view state every component reads into the request context.
func (a *App) locale(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a.viewRequest(c)
		return next(c)
	}
}

// viewRequest returns the request's view state, creating it on first use; the
// error handler calls it too, for requests that never reached a route.
func (a *App) viewRequest(c echo.Context) *components.Request {
	if vr, ok := c.Get("view").(*components.Request); ok {
		return vr
	}
	r := c.Request()
	lang := langOf(r)
	if q := r.URL.Query().Get("lang"); q == lang {
		if ck, err := r.Cookie(langCookie); err != nil || ck.Value != q {
			a.setLangCookie(c, q)
		}
	}
	vr := &components.Request{
		Lang:     lang,
		Path:     r.URL.Path,
		Catalog:  a.catalog,
		Assets:   a.assets,
		Now:      a.now(),
		Disaster: a.disaster.Load(),
		Shared:   c.Get(sharedKey) != nil,
		SignLink: a.leaveSig,
	}
	if tok, ok := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string); ok {
		vr.CSRF = tok
	}
	c.Set("view", vr)
	vr.Flash = a.popFlash(c, lang)
	c.SetRequest(r.WithContext(components.WithRequest(r.Context(), vr)))
	return vr
}

func (a *App) setLangCookie(c echo.Context, lang string) {
	c.SetCookie(&http.Cookie{
		Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: a.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
}
