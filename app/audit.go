package app

import (
	"net/http"
	"strconv"
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
	ctx := c.Request().Context()
	v := components.AuditView{Actor: form.Text(c.QueryParam("actor")), Role: c.QueryParam("role"),
		Subject: form.Text(c.QueryParam("member")), Action: c.QueryParam("action"),
		From: c.QueryParam("from"), To: c.QueryParam("to"), Month: c.QueryParam("month"), Errs: form.Errors{}}
	q := db.AuditQuery{Actor: v.Actor, Role: v.Role, Subject: v.Subject, Action: v.Action}
	var err error
	if q.From, err = jstDate(v.From, 0); err != nil {
		v.Errs.Add("from", "form.err.date")
	}
	if q.To, err = jstDate(v.To, 1); err != nil {
		v.Errs.Add("to", "form.err.date")
	}
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
	if v.Month != "" {
		if month, err = time.ParseInLocation("2006-01", v.Month, i18n.JST); err != nil {
			v.Errs.Add("month", "form.err.month")
			month = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, i18n.JST)
		}
	}
	v.Month = month.Format("2006-01")
	if v.Summary, err = a.db.AuditSummary(ctx, month, month.AddDate(0, 1, 0)); err != nil {
		return err
	}
	return a.page(c, a.t(c, "audit.title"), components.AuditLog(v))
}
