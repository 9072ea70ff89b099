package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// auditLog is the ward's review of who looked at personal data: the log
// filtered by actor, role, member, action and period, and the monthly
// summary of the operator's (moderators') accesses per person.
func (a *App) auditLog(c echo.Context) error {
	v, q := auditFilter(c)
	return a.showAuditLog(c, http.StatusOK, v, q)
}

// auditFilter reads the review filter from the query or the form.
func auditFilter(c echo.Context) (components.AuditView, db.AuditQuery) {
	r := form.DateRange{From: c.FormValue("from"), To: c.FormValue("to"), Loc: i18n.JST}
	r.Normalize()
	v := components.AuditView{Actor: form.Fold(c.FormValue("actor")), Role: c.FormValue("role"),
		Subject: form.Fold(c.FormValue("member")), Action: c.FormValue("action"),
		From: r.From, To: r.To, Month: form.Fold(c.FormValue("month")), Errs: r.Validate()}
	q := db.AuditQuery{Actor: v.Actor, Role: v.Role, Subject: v.Subject, Action: v.Action}
	q.From, q.To = r.Bounds()
	return v, q
}

func (a *App) showAuditLog(c echo.Context, status int, v components.AuditView, q db.AuditQuery) error {
	ctx := c.Request().Context()
	var err error
	if s := c.QueryParam("before"); s != "" {
		if q.BeforeSeq, err = strconv.ParseInt(s, 10, 64); err != nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
	}
	if v.Rows, v.Next, err = a.db.ReviewAudit(ctx, q); err != nil {
		return err
	}
	now := a.now().In(i18n.JST)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, i18n.JST)
	if m, ok := form.Month(v.Month, i18n.JST); ok {
		month = m
	} else if v.Month != "" {
		// No summary for a month that cannot be read: the field keeps what
		// was typed, with the message next to it.
		v.Errs.Add("month", "form.err.month")
		return a.render(c, status, a.t(c, "audit.title"), components.AuditLog(v))
	}
	v.Month = month.Format("2006-01")
	if v.Summary, err = a.db.AuditSummary(ctx, month, month.AddDate(0, 1, 0)); err != nil {
		return err
	}
	return a.render(c, status, a.t(c, "audit.title"), components.AuditLog(v))
}

// auditExport streams the filtered audit log, oldest first, for the ward's
// own records; each entry carries its chain hash so the file can be checked
// against the log later. The export is itself an audit entry.
func (a *App) auditExport(c echo.Context) error {
	v, q := auditFilter(c)
	p := form.ExportPurpose{Purpose: c.FormValue("purpose")}
	p.Normalize()
	v.Format, v.Purpose = form.ExportFormat(c.FormValue("format")), p.Purpose
	v.Errs.Merge(p.Validate())
	if v.Errs.Any() {
		return a.showAuditLog(c, http.StatusUnprocessableEntity, v, q)
	}
	ctx := c.Request().Context()
	lang := a.viewRequest(c).Lang
	w, err := a.startDownload(c, v.Format, "audit-log", a.catalog.T(lang, "audit.title"))
	if err != nil {
		return err
	}
	header := []string{"audit.seq", "history.at", "audit.actor_login", "audit.actor", "audit.role", "audit.action",
		"audit.member_login", "audit.fields", "audit.purpose", "audit.detail", "audit.ip", "audit.hash"}
	cells := make([][]byte, len(header))
	for i, k := range header {
		cells[i] = []byte(a.catalog.T(lang, k))
	}
	err = w.Row(cells)
	var n int64
	if err == nil {
		n, err = a.db.EachAudit(ctx, q, func(r *db.AuditRow) error {
			return w.Row([][]byte{
				[]byte(strconv.FormatInt(r.Seq, 10)), []byte(i18n.DateTime(lang, r.At)), []byte(r.ActorLogin),
				[]byte(r.ActorName), []byte(r.ActorRole), []byte(a.catalog.T(lang, "audit.action."+r.Action)),
				[]byte(r.SubjectLogin), []byte(strings.Join(r.Fields, " ")), []byte(r.Purpose), []byte(r.Detail),
				[]byte(r.IP), []byte(hex.EncodeToString(r.Hash))})
		})
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	detail := fmt.Sprintf("audit log export: %d rows, %s; filter: actor=%s role=%s member=%s action=%s from=%s to=%s",
		n, v.Format, v.Actor, v.Role, v.Subject, v.Action, v.From, v.To)
	if err != nil {
		detail += "; stopped: " + err.Error()
	}
	// Recorded whatever happened: what left is on record.
	entry := actorAs(c, actingRole(c)).Entry(db.AuditExport, nil, []string{"audit_log"}, detail)
	entry.Purpose = v.Purpose
	if aerr := a.db.Audit(context.WithoutCancel(ctx), entry); aerr != nil {
		return aerr
	}
	abortIfCut(ctx, err)
	return nil
}
