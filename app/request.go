package app

// Small helpers that read a request or build what a handler records or
// sends, shared by the feature files.

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

// idParam reads a positive integer route parameter; anything else is a 404,
// as a page with that address does not exist.
func idParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("id %q: %w", c.Param("id"), db.ErrNotFound)
	}
	return id, nil
}

func cursorParam(c echo.Context) (db.Cursor, error) {
	return db.ParseCursor(c.QueryParam("after"))
}

// afterParam reads the keyset cursor "after" of a list by id.
func afterParam(c echo.Context) (int64, error) {
	s := c.QueryParam("after")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return n, nil
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

func (a *App) accessEvent(c echo.Context, acc *db.Account, action string) db.AccessEvent {
	ev := db.AccessEvent{Action: action, Success: true, IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	if acc != nil {
		ev.AccountID, ev.LoginID = &acc.ID, acc.LoginID
	}
	return ev
}

// mailLang is the language mail to acc is written in: the one it reads
// the site in (db.Account.Lang), or the default.
func mailLang(acc *db.Account) string {
	if acc != nil && i18n.Supported(acc.Lang) {
		return acc.Lang
	}
	return i18n.Default
}

// composeMail builds a mail from the catalogue: mail.<kind>.subject and
// mail.<kind>.body, with data filling the placeholders.
func (a *App) composeMail(lang, kind, to string, data map[string]any) *db.Mail {
	if data == nil {
		data = map[string]any{}
	}
	data["SiteName"] = a.catalog.T(lang, "site.name")
	data["BaseURL"] = a.cfg.BaseURL
	return &db.Mail{
		To:      to,
		Subject: a.catalog.T(lang, "mail."+kind+".subject", data),
		Body:    a.catalog.T(lang, "mail."+kind+".body", data),
		Kind:    kind,
	}
}

// fileParam reads the :file route parameter, an attachment id.
func fileParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("file"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("file %q: %w", c.Param("file"), db.ErrNotFound)
	}
	return id, nil
}
