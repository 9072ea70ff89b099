package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/components"
)

// leaveKey is the key of /leave signatures, derived from the portal's secret
// so that no other token's signature can stand in for one.
func (a *App) leaveKey() []byte {
	m := hmac.New(sha256.New, []byte(a.cfg.Secret))
	m.Write([]byte("leave-link-key"))
	return m.Sum(nil)
}

// leaveSig signs a destination the portal links to: the sig= of its /leave
// link (markup.Renderer.Sign, components.Request.SignLink). dest is the
// address exactly as to= carries it.
func (a *App) leaveSig(dest string) string {
	m := hmac.New(sha256.New, a.leaveKey())
	m.Write([]byte(dest))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// validLeaveSig reports whether sig is the portal's signature of dest.
func (a *App) validLeaveSig(dest, sig string) bool {
	return sig != "" && hmac.Equal([]byte(sig), []byte(a.leaveSig(dest)))
}

// leave is the notice every outbound link passes (Nakano rules 第16条2項):
// the destination is not run by this site. It links only to what the portal
// itself linked (a valid signature) or to an approved domain (第16条3項);
// any other address — someone borrowing the ward's domain to front a link
// — is named as text, with the warning that the portal did not make it.
func (a *App) leave(c echo.Context) error {
	to := c.QueryParam("to")
	u, err := url.Parse(to)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "invalid destination")
	}
	trusted := a.validLeaveSig(to, c.QueryParam("sig"))
	if !trusted {
		if trusted, err = a.db.DomainApproved(c.Request().Context(), u.Hostname(), a.now()); err != nil {
			return err
		}
	}
	title := "leave.title"
	if !trusted {
		title = "leave.unknown_title"
	}
	return a.page(c, a.t(c, title), components.Leave(u.String(), trusted))
}
