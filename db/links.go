package db

import (
	"context"
	"errors"
	"net/url"
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
