package components

import "github.com/wardportal/portal/app/check"

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
