package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/db"
)

// myData sends the member everything the portal holds about them as a JSON
// file; the download itself goes on their access history.
func (a *App) myData(c echo.Context) error {
	u := currentUser(c)
	now := a.now()
	data, err := a.db.MemberData(c.Request().Context(), u.ID, a.accessEvent(c, u, db.ActionDataDownload))
	if err != nil {
		return err
	}
	data.GeneratedAt = db.Stamp{Time: now}
	body, err := prettyJSON(data)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+dataFileName(u.LoginID, now)+`"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// dataFileName is portal-data-<login ID>-<date in Japan>.json. Login IDs are
// ASCII; anything else is dropped so the header needs no escaping.
func dataFileName(loginID string, now time.Time) string {
	safe := strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, loginID)
	return "portal-data-" + safe + "-" + now.In(i18n.JST).Format("20060102") + ".json"
}

// prettyJSON indents v for a person to read, leaving <, > and & as they are
// (the file is not HTML).
func prettyJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
