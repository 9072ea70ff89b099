package app

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/components"
)

const flashKey = "flash"

// flash stores a one-time message for the next page the user sees. The text
// is a catalogue id, resolved in whatever language that page is shown in.
func (a *App) flash(c echo.Context, kind, messageID string) {
	a.sessions.Put(c.Request().Context(), flashKey, kind+"|"+messageID)
}

// flashText shows text that is already translated (it names someone).
func (a *App) flashText(c echo.Context, kind, text string) {
	a.sessions.Put(c.Request().Context(), flashKey, kind+"|!"+text)
}

// popFlash takes the pending message, if any. Exists is checked first so a
// request without a flash does not mark the session dirty.
func (a *App) popFlash(c echo.Context, lang string) components.Flash {
	ctx := c.Request().Context()
	if c.Get(sessionReadyKey) == nil || !a.sessions.Exists(ctx, flashKey) {
		return components.Flash{}
	}
	kind, id, _ := strings.Cut(a.sessions.PopString(ctx, flashKey), "|")
	if text, ok := strings.CutPrefix(id, "!"); ok {
		return components.Flash{Kind: kind, Text: text}
	}
	return components.Flash{Kind: kind, Text: a.catalog.T(lang, id)}
}

// sessionReadyKey marks requests whose session has been loaded (loadSession);
// routes outside the site group (and unmatched 404s) have none.
const sessionReadyKey = "session_ready"
