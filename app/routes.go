package app

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/wardportal/portal/static"
)

// routes is the one place a reader finds every address of the portal.
func (a *App) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = a.handleError
	e.IPExtractor = a.ipExtractor()

	// Outermost first: every response gets an id, a log line, panic
	// recovery and the security headers, including the ones for errors.
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.RequestID())
	e.Use(a.accessLog())
	e.Use(a.recoverPanics())
	e.Use(a.securityHeaders)
	e.Use(middleware.BodyLimit("2M"))

	// Infrastructure: no session, no CSRF, no compression games.
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)
	e.GET(static.Prefix+"*", echo.WrapHandler(a.assets))
	e.HEAD(static.Prefix+"*", echo.WrapHandler(a.assets))

	// Pages.
	site := e.Group("", a.gzip(), echo.WrapMiddleware(a.sessions.LoadAndSave), sessionReady, a.csrf(), a.locale)
	site.GET("/", a.home)
	site.POST("/lang", a.setLanguage)
	site.GET("/leave", a.leave)

	site.GET("/notices", a.notices)
	site.GET("/notices/:id", a.notice)
	site.GET("/subsidies", a.subsidies)
	site.GET("/subsidies/:id", a.subsidy)
	site.GET("/articles", a.articles)
	site.GET("/articles/:id", a.article)
	site.GET("/groups", a.groups)
	site.GET("/groups/:id", a.group)
	site.GET("/events", a.events)
	site.GET("/events/:id", a.event)
	site.GET("/board", a.board)
	site.GET("/board/:id", a.topic)
	site.GET("/facilities", a.facilities)
	return e
}
