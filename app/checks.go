package app

// Content checks shown while editing and before approval (README, "Content
// checks"): the pure app/check package run with what this portal allows —
// the owning division's contact block, the approved outbound domains, the
// portal's own host and the public facilities' addresses.

import (
	"context"
	"net/url"
	"regexp"
	"slices"
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
func (a *App) pageProblems(ctx context.Context, pageID, divisionID int64, kind, title, body string) []check.Problem {
	return a.newPageChecker().problems(ctx, pageID, divisionID, kind, title, body)
}

// pageChecker checks several pages, loading what is allowed once: the
// portal-wide allowances once, each division's contact block once.
type pageChecker struct {
	a         *App
	base      *check.Allowances
	divisions map[int64]check.Allowances
}

func (a *App) newPageChecker() *pageChecker {
	return &pageChecker{a: a, divisions: map[int64]check.Allowances{}}
}

func (pc *pageChecker) problems(ctx context.Context, pageID, divisionID int64, kind, title, body string) []check.Problem {
	al := pc.allowances(ctx, divisionID)
	if pageID != 0 {
		// Names whose consent record covers today may stand on this page (第14条).
		names, err := pc.a.db.ConsentedNames(ctx, pageID, pc.a.now())
		if err != nil {
			pc.a.log.WarnContext(ctx, "check: consented names", "err", err)
		}
		al.ConsentedNames = append(slices.Clip(al.ConsentedNames), names...)
	}
	return check.Run(check.Input{Title: title, Body: body, Kind: kind, Allowed: al})
}

func (pc *pageChecker) allowances(ctx context.Context, divisionID int64) check.Allowances {
	if al, ok := pc.divisions[divisionID]; ok {
		return al
	}
	if pc.base == nil {
		pc.base = pc.a.portalAllowances(ctx)
	}
	al := *pc.base
	if divisionID != 0 {
		if d, err := pc.a.db.Division(ctx, divisionID); err != nil {
			pc.a.log.WarnContext(ctx, "check: division", "err", err)
		} else if d.Contact != "" {
			al.StaffNames = strings.Split(d.Contact, "\n")
			al.Phones = contactPhone.FindAllString(d.Contact, -1)
			al.Emails = contactEmail.FindAllString(d.Contact, -1)
		}
	}
	pc.divisions[divisionID] = al
	return al
}

// portalAllowances are what every page may hold: links to approved domains
// and to the portal itself, public facilities' addresses.
func (a *App) portalAllowances(ctx context.Context) *check.Allowances {
	var al check.Allowances
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
	return &al
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
