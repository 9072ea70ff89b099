package db

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Link request statuses (Nakano rules 第16条3項).
const (
	LinkRequested = "requested"
	LinkApproved  = "approved"
	LinkRefused   = "refused"
	LinkExpired   = "expired" // approved, and its end date has passed
)

// Audit-log actions of deciding a link request.
const (
	AuditLinkApprove = "link_approve"
	AuditLinkRefuse  = "link_refuse"
)

// ErrDecided refuses to decide a link request that is no longer waiting.
var ErrDecided = errors.New("link request already decided")

// LinkRequest asks to link pages to an outside site. The None* fields are
// the requester's confirmation that none of 第16条1項(1)–(6) applies to it.
type LinkRequest struct {
	bun.BaseModel `bun:"table:link_requests,alias:lr"`

	ID            int64      `bun:"id,pk,autoincrement"`
	SiteName      string     `bun:"site_name"`
	URL           string     `bun:"url"`
	Domain        string     `bun:"domain"`
	Content       string     `bun:"content"`
	Administrator string     `bun:"administrator"`
	Reason        string     `bun:"reason"`
	StartDate     time.Time  `bun:"start_date,type:date"`
	EndDate       *time.Time `bun:"end_date,type:date"`
	Contact       string     `bun:"contact"`
	NoneAdult     bool       `bun:"none_adult"`
	NoneCrime     bool       `bun:"none_crime"`
	NoneDefame    bool       `bun:"none_defame"`
	NonePolitical bool       `bun:"none_political"`
	NoneElection  bool       `bun:"none_election"`
	NoneMalware   bool       `bun:"none_malware"`
	Status        string     `bun:"status,nullzero,default:'requested'"`
	RequestedBy   int64      `bun:"requested_by"`
	RequestedAt   time.Time  `bun:"requested_at,nullzero,default:now()"`
	DecidedBy     *int64     `bun:"decided_by"`
	DecidedAt     *time.Time `bun:"decided_at"`
	Comment       string     `bun:"comment"`
	ExpiredAt     *time.Time `bun:"expired_at"` // when the scheduler handled its end date
}

// LinkDomain is the domain a link request for rawURL is about: the URL's
// host, lower-case, without port or trailing dot. ok is false for anything
// but an absolute http(s) address.
func LinkDomain(rawURL string) (domain string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	d := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	return d, d != ""
}

// jstDate is the calendar date in Japan of t, as midnight UTC of that date
// (how a date column compares).
func jstDate(t time.Time) time.Time {
	y, m, d := t.In(jst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// StatusAt is the request's status on the day of now: an approved request
// whose end date has passed is expired.
func (r *LinkRequest) StatusAt(now time.Time) string {
	if r.Status == LinkApproved && r.EndDate != nil && r.EndDate.Before(jstDate(now)) {
		return LinkExpired
	}
	return r.Status
}

// RequestLink records a request by the actor; the domain is derived from
// the URL and the status is requested whatever r says.
func (d *DB) RequestLink(ctx context.Context, act Actor, r *LinkRequest) (err error) {
	defer wrap(&err, "request link")
	dom, ok := LinkDomain(r.URL)
	if !ok {
		return errors.New("not an http(s) address")
	}
	r.ID, r.Domain, r.Status, r.RequestedBy = 0, dom, LinkRequested, act.Account.ID
	r.DecidedBy, r.DecidedAt, r.Comment = nil, nil, ""
	_, err = d.Bun.NewInsert().Model(r).Returning("*").Exec(ctx)
	return err
}

// DecideLink approves or refuses a waiting request with the decider's
// comment (required to refuse), and writes the decision to the audit log.
// ErrNotFound: no such request; ErrDecided: it was decided before.
func (d *DB) DecideLink(ctx context.Context, act Actor, id int64, approve bool, comment string, now time.Time) (err error) {
	defer wrap(&err, "decide link")
	status, action := LinkRefused, AuditLinkRefuse
	if approve {
		status, action = LinkApproved, AuditLinkApprove
	}
	return d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cur LinkRequest
		if err := tx.NewSelect().Model(&cur).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "link request")
		}
		if cur.Status != LinkRequested {
			return ErrDecided
		}
		if _, err := tx.NewUpdate().Model((*LinkRequest)(nil)).Where("id = ?", id).
			Set("status = ?", status).Set("decided_by = ?", act.Account.ID).Set("decided_at = ?", now).
			Set("comment = ?", comment).Exec(ctx); err != nil {
			return err
		}
		// A new approval of the domain lifts the flags its earlier end put
		// on pages: their links are approved again.
		if approve {
			if _, err := tx.NewDelete().Model((*PageLinkFlag)(nil)).Where("domain = ?", cur.Domain).Exec(ctx); err != nil {
				return err
			}
		}
		return Audit(ctx, tx, act.Entry(action, nil, []string{"link_request"}, "link request "+strconv.FormatInt(id, 10)+" "+cur.Domain+": "+comment))
	})
}

// LinkRequests lists every request, waiting ones first, then newest first.
func (d *DB) LinkRequests(ctx context.Context) (_ []LinkRequest, err error) {
	defer wrap(&err, "link requests")
	var rows []LinkRequest
	err = d.Bun.NewSelect().Model(&rows).OrderExpr("status = 'requested' DESC, requested_at DESC, id DESC").Limit(500).Scan(ctx)
	return rows, err
}

// approvedAt is the condition of a request that counts on the day of now.
func approvedAt(q *bun.SelectQuery, now time.Time) *bun.SelectQuery {
	day := jstDate(now)
	return q.Where("status = ?", LinkApproved).Where("start_date <= ?", day).
		Where("(end_date IS NULL OR end_date >= ?)", day)
}

// ApprovedDomains lists the domains of the requests approved, started and
// not ended on the day of now: what the outbound-link check allows
// (check.Allowances.Domains) and /leave shows unsigned.
func (d *DB) ApprovedDomains(ctx context.Context, now time.Time) (_ []string, err error) {
	defer wrap(&err, "approved domains")
	var out []string
	err = approvedAt(d.Bun.NewSelect().Model((*LinkRequest)(nil)).Distinct().Column("domain"), now).
		OrderExpr("domain").Scan(ctx, &out)
	return out, err
}

// DomainApproved reports whether host is an approved domain on the day of now.
func (d *DB) DomainApproved(ctx context.Context, host string, now time.Time) (_ bool, err error) {
	defer wrap(&err, "domain approved")
	return approvedAt(d.Bun.NewSelect().Model((*LinkRequest)(nil)), now).
		Where("domain = ?", strings.TrimSuffix(strings.ToLower(host), ".")).Exists(ctx)
}

// PageLinkFlag marks a page that linked to a domain when the approval of
// the domain's link request ended (第16条): its editors and approvers see it
// until no revision of the page links there, or the domain is approved again.
type PageLinkFlag struct {
	bun.BaseModel `bun:"table:page_link_flags,alias:plf"`

	PageID        int64     `bun:"page_id,pk"`
	LinkRequestID int64     `bun:"link_request_id,pk"`
	Domain        string    `bun:"domain"`
	FlaggedAt     time.Time `bun:"flagged_at"`
}

// ExpiredLinkPage is a page flagged when a link request ended, as the
// owners' mail names it.
type ExpiredLinkPage struct {
	PageID     int64  `bun:"page_id"`
	DivisionID int64  `bun:"division_id"`
	Title      string `bun:"title"`
	Body       string `bun:"body"`
}

// linkedRevisions is the condition on page_revisions AS r (joined to pages
// AS p) that r is the page's live or working revision and its body has an
// address on the domain in column expression domain: the cheap filter
// before the caller's exact link reading, and what keeps a flag showing.
func linkedRevisions(domain string) string {
	return "(r.id = p.live_revision_id OR r.status IN ('" + strings.Join(workingStatuses, "', '") + "'))" +
		" AND strpos(lower(r.body), '://' || " + domain + ") > 0"
}

// ExpireLinkRequests handles every approved link request whose end date
// passed before the day of now, once each: the request becomes expired
// (its domain stops counting as approved), every page whose live or working
// revision links to the domain (links reports whether a body does) is
// flagged, and mailFor composes one mail to each person concerned — the
// editors of the flagged pages' divisions and the requester, each with a
// work address — listing that person's pages. A domain still approved by
// another request flags nothing. Each request is claimed under a row lock
// (SKIP LOCKED), so instances running it at once handle it once. It returns
// how many requests it handled.
func (d *DB) ExpireLinkRequests(ctx context.Context, now time.Time, links func(body, domain string) bool,
	mailFor func(to *Account, r *LinkRequest, pages []ExpiredLinkPage) *Mail) (n int, err error) {
	defer wrap(&err, "expire link requests")
	day := jstDate(now)
	for {
		var did bool
		err := d.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var due []LinkRequest
			if err := tx.NewSelect().Model(&due).Where("status = ? AND end_date < ?", LinkApproved, day).
				OrderExpr("end_date, id").Limit(1).For("UPDATE SKIP LOCKED").Scan(ctx); err != nil {
				return err
			}
			if len(due) == 0 {
				return nil
			}
			did = true
			r := &due[0]
			if _, err := tx.NewUpdate().Model(r).Set("status = ?, expired_at = ?", LinkExpired, now).WherePK().Exec(ctx); err != nil {
				return err
			}
			still, err := approvedAt(tx.NewSelect().Model((*LinkRequest)(nil)), now).Where("domain = ?", r.Domain).Exists(ctx)
			if err != nil || still {
				return err
			}
			var found []ExpiredLinkPage
			if err := tx.NewSelect().TableExpr("page_revisions AS r").Join("JOIN pages AS p ON p.id = r.page_id").
				ColumnExpr("p.id AS page_id, p.division_id, r.title, r.body").
				Where(linkedRevisions("?"), r.Domain).
				OrderExpr("p.id, r.id = p.live_revision_id DESC, r.number DESC").Scan(ctx, &found); err != nil {
				return err
			}
			var pages []ExpiredLinkPage
			for _, p := range found {
				if (len(pages) == 0 || pages[len(pages)-1].PageID != p.PageID) && links(p.Body, r.Domain) {
					pages = append(pages, p)
				}
			}
			if len(pages) == 0 {
				return nil
			}
			flags := make([]PageLinkFlag, len(pages))
			divisions := map[int64]bool{}
			var divIDs []int64
			for i, p := range pages {
				flags[i] = PageLinkFlag{PageID: p.PageID, LinkRequestID: r.ID, Domain: r.Domain, FlaggedAt: now}
				if !divisions[p.DivisionID] {
					divisions[p.DivisionID] = true
					divIDs = append(divIDs, p.DivisionID)
				}
			}
			if _, err := tx.NewInsert().Model(&flags).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
				return err
			}
			if mailFor == nil {
				return nil
			}
			var people []struct {
				Account   `bun:",extend"`
				Divisions []int64 `bun:"divs,array"`
			}
			if err := tx.NewSelect().TableExpr("accounts AS a").ColumnExpr("a.*").
				ColumnExpr("coalesce(array(SELECT division_id FROM staff_divisions sd WHERE sd.account_id = a.id AND sd.division_id IN (?) AND ? = ANY(a.roles)), '{}') AS divs", bun.List(divIDs), RoleEditor).
				Where("a.kind = ? AND a.status = ? AND a.work_email <> ''", KindStaff, StatusActive).
				Where("a.id = ? OR (? = ANY(a.roles) AND a.id IN (SELECT account_id FROM staff_divisions WHERE division_id IN (?)))",
					r.RequestedBy, RoleEditor, bun.List(divIDs)).
				OrderExpr("a.id").Scan(ctx, &people); err != nil {
				return err
			}
			for i := range people {
				to := &people[i].Account
				mine := pages
				if to.ID != r.RequestedBy {
					mine = nil
					for _, p := range pages {
						if slices.Contains(people[i].Divisions, p.DivisionID) {
							mine = append(mine, p)
						}
					}
				}
				m := mailFor(to, r, mine)
				if m == nil {
					continue
				}
				m.To, m.AccountID = to.WorkEmail, &to.ID
				if err := EnqueueMail(ctx, tx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		if !did {
			return n, nil
		}
		n++
	}
}

// PageLinkFlags lists, for each of the pages ids, the domains whose
// approval ended while the page linked to them and that a live or working
// revision of it still links to; pages without any are absent.
func (d *DB) PageLinkFlags(ctx context.Context, ids []int64) (_ map[int64][]string, err error) {
	defer wrap(&err, "page link flags")
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		PageID int64  `bun:"page_id"`
		Domain string `bun:"domain"`
	}
	err = d.Bun.NewSelect().TableExpr("page_link_flags AS f").Join("JOIN pages AS p ON p.id = f.page_id").
		Distinct().ColumnExpr("f.page_id, f.domain").Where("f.page_id IN (?)", bun.List(ids)).
		Where("EXISTS (SELECT 1 FROM page_revisions AS r WHERE r.page_id = p.id AND "+linkedRevisions("f.domain")+")").
		OrderExpr("f.page_id, f.domain").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.PageID] = append(out[r.PageID], r.Domain)
	}
	return out, err
}

// pageLinkFlagsColumn is the select expression of a page's (pages AS p)
// flagged domains, space-separated, "" for none: see PageLinkFlags.
func pageLinkFlagsColumn() string {
	return `coalesce((SELECT string_agg(DISTINCT f.domain, ' ') FROM page_link_flags AS f
		WHERE f.page_id = p.id AND EXISTS (SELECT 1 FROM page_revisions AS r WHERE r.page_id = p.id AND ` +
		linkedRevisions("f.domain") + ")), '') AS link_flags"
}
