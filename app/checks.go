package app

// Content checks shown while editing and before approval (README, "Content
// checks"): the pure app/check package run with what this portal allows —
// the owning division's contact block, the approved outbound domains, the
// portal's own host and the public facilities' addresses.

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/wardportal/portal/app/check"
)

var (
	contactPhone = regexp.MustCompile(`[0０][0-9０-９]{1,4}[-－ー(（)）\s]?[0-9０-９]{1,4}[-－ー)）\s]?[0-9０-９]{3,4}`)
	contactEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// pageProblems checks a page's title and body as the given division's page
// of the given kind. divisionID 0 checks without a contact block. Lookups
// that fail are logged and checked without: a missing allowance only adds
// findings, it never hides one.
func (a *App) pageProblems(ctx context.Context, divisionID int64, kind, title, body string) []check.Problem {
	var al check.Allowances
	if divisionID != 0 {
		if d, err := a.db.Division(ctx, divisionID); err != nil {
			a.log.WarnContext(ctx, "check: division", "err", err)
		} else if d.Contact != "" {
			al.StaffNames = append(al.StaffNames, strings.Split(d.Contact, "\n")...)
			al.Phones = contactPhone.FindAllString(d.Contact, -1)
			al.Emails = contactEmail.FindAllString(d.Contact, -1)
		}
	}
	if ds, err := a.db.ApprovedDomains(ctx, a.now()); err != nil {
		a.log.WarnContext(ctx, "check: approved domains", "err", err)
	} else {
		al.Domains = ds
	}
	if u, err := url.Parse(a.cfg.BaseURL); err == nil && u.Hostname() != "" {
		al.PortalHosts = []string{u.Hostname()}
	}
	if fs, err := a.db.ListFacilities(ctx); err != nil {
		a.log.WarnContext(ctx, "check: facilities", "err", err)
	} else {
		for _, f := range fs {
			if f.Address != "" {
				al.Addresses = append(al.Addresses, f.Address)
			}
		}
	}
	return check.Run(check.Input{Title: title, Body: body, Kind: kind, Allowed: al})
}

// hasErrors reports whether any problem blocks approval.
func hasErrors(ps []check.Problem) bool {
	for _, p := range ps {
		if p.Severity == check.Error {
			return true
		}
	}
	return false
}
