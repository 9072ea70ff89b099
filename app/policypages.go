package app

import (
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/policies"
	"github.com/wardportal/portal/components"
)

// The pages the footer links to: the privacy policy, the accessibility
// policy, the terms of use (app/policies, Markdown per language) and the
// site map; contact is the inquiry form.

// policyPage answers /privacy, /accessibility and /terms.
func (a *App) policyPage(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := a.viewRequest(c).Lang
		html, err := a.policies.get(lang+"/"+name, func() (string, error) {
			src, err := policies.Source(lang, name)
			if err != nil {
				return "", err
			}
			return a.markup.Render(src), nil
		})
		if err != nil {
			return err
		}
		title := a.t(c, "policy."+name+".title")
		return a.page(c, title, components.PolicyPage(name, html))
	}
}

// siteMap lists every public page type and the pages about the site.
func (a *App) siteMap(c echo.Context) error {
	return a.page(c, a.t(c, "sitemap.title"), components.SiteMap())
}
