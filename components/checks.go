package components

import (
	"context"

	"github.com/wardportal/portal/app/check"
)

func countSeverity(ps []check.Problem, s check.Severity) int {
	n := 0
	for _, p := range ps {
		if p.Severity == s {
			n++
		}
	}
	return n
}

func severityKey(s check.Severity) string {
	if s == check.Error {
		return "checks.severity.error"
	}
	return "checks.severity.warning"
}

// HasCheckErrors reports whether any finding blocks approval.
func HasCheckErrors(ps []check.Problem) bool { return countSeverity(ps, check.Error) > 0 }

// checkTarget is the id of the editor's field a finding is in ("" when the
// results are not next to the editor, or the finding is in the rendered
// HTML, which no field holds).
func checkTarget(p check.Problem, inEditor bool) string {
	if !inEditor {
		return ""
	}
	switch p.Field {
	case check.FieldTitle:
		return fieldID("title")
	case check.FieldBody:
		return fieldID("body")
	}
	return ""
}

// checkPosition says where a finding is: the field, line and column.
func checkPosition(ctx context.Context, p check.Problem) string {
	return Tf(ctx, "checks.at."+string(p.Field), map[string]any{"Line": p.Line, "Column": p.Column})
}
