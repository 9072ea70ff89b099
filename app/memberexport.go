package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/export"
	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// exportStatuses are the statuses an export may filter on: withdrawn
// members have no personal data left to export.
var exportStatuses = []string{db.StatusActive, db.StatusPending, db.StatusSuspended, db.StatusRejected}

// defaultExportColumns are ticked on a fresh form: the fewest that name a
// member, so that staff add what their purpose needs rather than take all.
var defaultExportColumns = []string{"login_id", "name"}

func (a *App) memberExportPage(c echo.Context) error {
	f := form.MemberExport{Columns: defaultExportColumns, Format: form.FormatCP932}
	return a.showMemberExport(c, http.StatusOK, f, form.Errors{})
}

func (a *App) showMemberExport(c echo.Context, status int, f form.MemberExport, errs form.Errors) error {
	ctx := c.Request().Context()
	recent, err := a.db.RecentMemberExports(ctx, currentUser(c).ID, 5)
	if err != nil {
		return err
	}
	towns, err := a.towns.get(a.now(), 10*time.Minute, func() ([]string, error) { return a.db.MemberTowns(ctx) })
	if err != nil {
		return err
	}
	events, err := a.db.ExportEventChoices(ctx, exportEventChoices)
	if err != nil {
		return err
	}
	f.Token = randomHex(16)
	a.viewRequest(c).Script = "js/export.js"
	v := components.MemberExportView{Form: f, Errs: errs, Statuses: exportStatuses, Towns: towns, Recent: recent,
		Events: events, FileBase: exportFileName("members", a.now())}
	return a.render(c, status, a.t(c, "export.title"), components.MemberExportPage(v))
}

// memberExport streams the filtered member list as CSV or XLSX. The audit
// entry (filter, columns, row count, purpose) is committed before the first
// row leaves; rows come from one snapshot, so the count is exact, and are
// written as they are read, so memory does not grow with the list.
func (a *App) memberExport(c echo.Context) error {
	ctx := c.Request().Context()
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	f := form.MemberExport{Status: params.Get("status"), From: params.Get("from"), To: params.Get("to"),
		Town: params.Get("town"), Newsletter: params.Get("newsletter"), Joined: params.Get("joined"),
		Event: params.Get("event"), Columns: params["columns"], Format: params.Get("format"),
		Purpose: params.Get("purpose"), Token: params.Get("token")}
	f.Normalize()
	p, errs := f.Validate(exportStatuses, db.ExportColumnKeys, i18n.JST)
	u := currentUser(c)
	if p.EventID > 0 && errs["event"] == "" {
		// An event's sign-ups are its participant list: the organiser rule
		// applies here as on the participant page.
		switch _, err := a.db.ParticipantsRole(ctx, p.EventID, u); {
		case errors.Is(err, db.ErrNotFound):
			errs.Add("event", "form.err.event_unknown")
		case errors.Is(err, db.ErrNotOrganiser):
			errs.Add("event", "form.err.event_not_organiser")
		case err != nil:
			return err
		}
	}
	if errs.Any() {
		return a.showMemberExport(c, http.StatusUnprocessableEntity, f, errs)
	}
	filter := db.ExportFilter{Status: f.Status, From: p.From, To: p.To, Town: f.Town,
		Newsletter: f.Newsletter, Joined: f.Joined, EventID: p.EventID}
	cols := db.ExportColumnsFor(f.Columns)
	token := f.Token
	if !form.ValidToken(token) {
		token = randomHex(16)
	} else if _, err := a.db.MemberExportByToken(ctx, u.ID, token); err == nil {
		token = randomHex(16) // the form was sent twice: a new report
	}

	snap, err := a.db.OpenMemberExport(ctx, filter, cols, u)
	if err != nil {
		return err
	}
	defer snap.Close()
	if err := a.db.StartMemberExport(ctx, token, f.Format, f.Purpose, filter, cols, snap.Count, u, actingRole(c), c.RealIP()); err != nil {
		return err
	}
	written, report, werr := a.writeMemberExport(c, snap, f.Format, cols)
	// The report is written whatever happened: staff see what left.
	failure := ""
	if werr != nil {
		failure = werr.Error()
		a.log.Warn("member export stopped", "token", token, "written", written, "of", snap.Count, "err", werr,
			"request_id", requestID(c))
	}
	problems := make([]db.ExportProblem, len(report.First))
	for i, pr := range report.First {
		problems[i] = db.ExportProblem{Row: pr.Row, Column: cols[pr.Column].Key, Chars: pr.Chars}
	}
	if err := a.db.FinishMemberExport(context.WithoutCancel(ctx), token, written, report.Cells, problems, failure); err != nil {
		return err
	}
	abortIfCut(ctx, werr)
	return nil
}

// abortIfCut ends a download that failed after its headers were sent by
// dropping the connection, so that the browser reports the download as
// failed instead of saving a file that looks whole. A client that went away
// needs nothing.
func abortIfCut(ctx context.Context, err error) {
	if err != nil && ctx.Err() == nil {
		panic(http.ErrAbortHandler)
	}
}

// writeMemberExport sends the file: headers, the header row in the staff
// member's language, then every row of the snapshot.
func (a *App) writeMemberExport(c echo.Context, snap *db.MemberExport, format string, cols []db.ExportColumn) (int64, export.Report, error) {
	lang := a.viewRequest(c).Lang
	w, err := a.startDownload(c, format, "members", a.catalog.T(lang, "export.sheet"))
	if err != nil {
		return 0, export.Report{}, err
	}
	header := make([][]byte, len(cols))
	labels := make([]map[string][]byte, len(cols)) // codes shown as words: status, newsletter
	for i, col := range cols {
		header[i] = []byte(a.catalog.T(lang, "export.col."+col.Key))
		switch col.Key {
		case "status":
			labels[i] = map[string][]byte{}
			for _, s := range exportStatuses {
				labels[i][s] = []byte(a.catalog.T(lang, "status."+s))
			}
		case "newsletter":
			labels[i] = map[string][]byte{"1": []byte(a.catalog.T(lang, "export.subscribed"))}
		}
	}
	if err := w.Row(header); err != nil {
		return 0, w.Report(), err
	}
	n, err := snap.Each(c.Request().Context(), func(cells [][]byte) error {
		for i, m := range labels {
			if m != nil {
				if l, ok := m[string(cells[i])]; ok {
					cells[i] = l
				}
			}
		}
		return w.Row(cells)
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return n, w.Report(), err
}

// exportEventChoices is how many events the export form suggests by name.
const exportEventChoices = 300

// exportFileName is the name of a download started at now, without the
// extension of its format: members-20261203-1530.
func exportFileName(base string, now time.Time) string {
	return base + "-" + now.In(i18n.JST).Format("20060102-1504")
}

// startDownload sends the headers of a file download in format (CSV in
// CP932, CSV in UTF-8, or XLSX with one sheet) named after base and the
// time, and returns the writer of its rows.
func (a *App) startDownload(c echo.Context, format, base, sheet string) (export.Writer, error) {
	name := exportFileName(base, a.now())
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	var w export.Writer
	var err error
	switch format {
	case form.FormatXLSX:
		h.Set(echo.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.xlsx"`, name))
		w, err = export.NewXLSX(c.Response(), sheet)
	case form.FormatUTF8:
		h.Set(echo.HeaderContentType, "text/csv; charset=UTF-8")
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.csv"`, name))
		w, err = export.NewCSV(c.Response(), export.UTF8BOM)
	default:
		h.Set(echo.HeaderContentType, "text/csv; charset=Shift_JIS")
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.csv"`, name))
		w, err = export.NewCSV(c.Response(), export.CP932)
	}
	if err != nil {
		return nil, err
	}
	c.Response().WriteHeader(http.StatusOK)
	return w, nil
}

// memberExportReport is how an export went, for the page that started it:
// htmx asks until the report says it is done.
func (a *App) memberExportReport(c echo.Context) error {
	if !form.ValidToken(c.Param("token")) {
		return fmt.Errorf("export report %q: %w", c.Param("token"), db.ErrNotFound)
	}
	r, err := a.db.MemberExportByToken(c.Request().Context(), currentUser(c).ID, c.Param("token"))
	if errors.Is(err, db.ErrNotFound) {
		// The export has not started yet (the form is still being sent).
		return c.NoContent(http.StatusNoContent)
	}
	if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, a.t(c, "export.title"), components.ExportReport(r))
}
