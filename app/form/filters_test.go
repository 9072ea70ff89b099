package form

import (
	"strings"
	"testing"
	"time"
)

func TestDateRange(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	for _, tc := range []struct {
		from, to       string
		errs           string
		wantFrom, want string
	}{
		{"", "", "", "", ""},
		{"2026-12-01", "2026-12-31", "", "2026-12-01T00:00:00+09:00", "2027-01-01T00:00:00+09:00"},
		{"２０２６－１２－０１", "", "", "2026-12-01T00:00:00+09:00", ""},
		{"12/1", "", "from", "", ""},
		{"2026-12-01", "あした", "to", "2026-12-01T00:00:00+09:00", ""},
		{"2026-02-30", "2026-13-01", "from to", "", ""},
	} {
		r := DateRange{From: tc.from, To: tc.to, Loc: jst}
		r.Normalize()
		var keys []string
		for _, k := range []string{"from", "to"} {
			if r.Validate()[k] != "" {
				keys = append(keys, k)
			}
		}
		if strings.Join(keys, " ") != tc.errs {
			t.Errorf("%q–%q: errors on %v, want %q", tc.from, tc.to, keys, tc.errs)
		}
		from, to := r.Bounds()
		if got := format(from); got != tc.wantFrom {
			t.Errorf("%q: from %s, want %s", tc.from, got, tc.wantFrom)
		}
		if got := format(to); got != tc.want {
			t.Errorf("%q: to %s, want %s", tc.to, got, tc.want)
		}
	}
}

func format(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func TestExportPurpose(t *testing.T) {
	ok := ExportPurpose{Purpose: strings.Repeat("目", PurposeMax)}
	ok.Normalize()
	if ok.Validate().Any() {
		t.Error("a purpose of the maximum length is refused")
	}
	long := ExportPurpose{Purpose: strings.Repeat("目", PurposeMax+1)}
	if long.Validate()["purpose"] != "form.err.too_long" {
		t.Error("a purpose over the maximum is accepted")
	}
}
