package app

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
)

// localPath accepts only a path on this site, so "next" cannot send the user
// to another origin (//evil.example or https://…).
func localPath(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return "/"
	}
	return s
}

// setLanguage remembers the chosen language and returns to the page the
// switch was pressed on.
func (a *App) setLanguage(c echo.Context) error {
	lang := c.FormValue("lang")
	if !i18n.Supported(lang) {
		return echo.NewHTTPError(http.StatusBadRequest, "unsupported language")
	}
	a.setLangCookie(c, lang)
	a.flash(c, "success", "lang.changed")
	return c.Redirect(http.StatusSeeOther, localPath(c.FormValue("next")))
}

// leave is the notice every outbound link passes: the destination is not run
// by this site (the seed: 外部リンク先にアクセスする場合には…警告を表示する).
func (a *App) leave(c echo.Context) error {
	to := c.QueryParam("to")
	u, err := url.Parse(to)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "invalid destination")
	}
	return a.page(c, a.t(c, "leave.title"), components.Leave(u.String()))
}
