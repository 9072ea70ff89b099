package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/db"
)

// errUnreadable is a query parameter or form field holding what no keyboard
// types and PostgreSQL refuses in text: a NUL character or bytes that are
// not UTF-8. The error page says so (error.unreadable).
var errUnreadable = errors.New("unreadable input")

// readable reports whether s is text a person could have typed as far as
// the database is concerned: valid UTF-8 without NUL.
func readable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// readableInput is the one reader every page's input passes before a
// handler sees it: an address that is not readable text is a page that
// does not exist (404), a query parameter or form field that is not is a
// 400 page saying what was wrong. Everything a person can type goes on to
// the handler, whose form type answers a bad value next to its field.
func (a *App) readableInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !readable(r.URL.Path) {
			return fmt.Errorf("address %q: %w", r.URL.Path, db.ErrNotFound)
		}
		if err := readableValues(c.QueryParams()); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			ct := r.Header.Get(echo.HeaderContentType)
			if !strings.HasPrefix(ct, echo.MIMEApplicationForm) && !strings.HasPrefix(ct, echo.MIMEMultipartForm) {
				break
			}
			params, err := c.FormParams()
			if err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, "form").SetInternal(err)
			}
			if err := readableValues(params); err != nil {
				return fmt.Errorf("form: %w", err)
			}
		}
		return next(c)
	}
}

func readableValues(vs map[string][]string) error {
	for k, list := range vs {
		if !readable(k) {
			return errUnreadable
		}
		for _, v := range list {
			if !readable(v) {
				return fmt.Errorf("%q: %w", k, errUnreadable)
			}
		}
	}
	return nil
}
