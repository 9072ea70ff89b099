package form

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// PurposeMax is the longest purpose an export may give.
const PurposeMax = 200

// Export formats.
const (
	FormatCP932 = "csv_cp932"
	FormatUTF8  = "csv_utf8"
	FormatXLSX  = "xlsx"
)

// ExportFormats are the formats offered, the default first.
var ExportFormats = []string{FormatCP932, FormatUTF8, FormatXLSX}

// MemberExport is the staff form that exports the member list: the filter,
// the columns, the file format and the purpose, as typed.
type MemberExport struct {
	Status, From, To, Town, Newsletter, Joined, Event string
	Columns                                           []string
	Format, Purpose                                   string
	Token                                             string // names the export's report
}

// MemberExportFields is the order of the form's fields, for the error summary.
var MemberExportFields = []string{"status", "from", "to", "town", "newsletter", "joined", "event", "columns", "format", "purpose"}

// ParsedMemberExport is what a valid form says.
type ParsedMemberExport struct {
	From, To *time.Time // registered in [From, To)
	EventID  int64
}

// ExportFormat is the format a request names, CP932 CSV unless it names another.
func ExportFormat(s string) string {
	if slices.Contains(ExportFormats, s) {
		return s
	}
	return FormatCP932
}

// Normalize tidies the typed fields, folding widths in the dates and the
// event number.
func (f *MemberExport) Normalize() {
	f.Town, f.Purpose = Text(f.Town), Text(f.Purpose)
	f.From, f.To, f.Event = Fold(f.From), Fold(f.To), Fold(f.Event)
	f.Format = ExportFormat(f.Format)
}

var tokenPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ValidToken says whether a report token is one this form would make.
func ValidToken(s string) bool { return tokenPattern.MatchString(s) }

// Validate checks the form; statuses and columns are the allowed values.
// Call Normalize first.
func (f *MemberExport) Validate(statuses, columns []string, jst *time.Location) (ParsedMemberExport, Errors) {
	var p ParsedMemberExport
	e := Errors{}
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		e.Add("status", "form.err.choice")
	}
	day := func(field, v string, add int) *time.Time {
		if v == "" {
			return nil
		}
		t, ok := Date(v, jst)
		if !ok {
			e.Add(field, "form.err.date")
			return nil
		}
		t = t.AddDate(0, 0, add)
		return &t
	}
	p.From, p.To = day("from", f.From, 0), day("to", f.To, 1)
	if p.From != nil && p.To != nil && !p.To.After(*p.From) {
		e.Add("to", "form.err.to_before_from")
	}
	if Len(f.Town) > ShortMax {
		e.Add("town", "form.err.too_long")
	}
	for field, v := range map[string]string{"newsletter": f.Newsletter, "joined": f.Joined} {
		if v != "" && v != "yes" && v != "no" {
			e.Add(field, "form.err.choice")
		}
	}
	if f.Event != "" {
		n, ok := ID(EventRef(f.Event))
		if !ok {
			e.Add("event", "form.err.event_id")
		}
		p.EventID = n
	}
	known := 0
	for _, c := range f.Columns {
		if slices.Contains(columns, c) {
			known++
		}
	}
	if known == 0 || known != len(f.Columns) {
		e.Add("columns", "form.err.columns")
	}
	switch {
	case f.Purpose == "":
		e.Add("purpose", "form.err.required_purpose")
	case Len(f.Purpose) > PurposeMax:
		e.Add("purpose", "form.err.too_long")
	}
	return p, e
}

// EventRef is the event number in what the export's event field holds: a
// suggestion chosen by name ends in "#123" (components.EventChoiceValue);
// a number typed as it is stays as it is.
func EventRef(s string) string {
	if i := strings.LastIndex(s, "#"); i >= 0 {
		return strings.TrimSpace(s[i+1:])
	}
	return s
}
