package check

import (
	"fmt"
	"reflect"
	"testing"
	"unicode/utf8"
)

// contact is a division's contact block as pages carry it, and what it
// allows.
var contact = Allowances{
	StaffNames:  []string{"佐藤 一郎"},
	Phones:      []string{"03-3389-1111", "03-3228-5476"},
	Emails:      []string{"chiiki@city.tokyo-nakano.lg.jp"},
	Addresses:   []string{"東京都中野区中野四丁目11番19号"},
	Domains:     []string{".metro.tokyo.lg.jp", "www.city.tokyo-nakano.lg.jp"},
	PortalHosts: []string{"portal.example.jp"},
}

// got is a problem as the tests compare it.
type got struct {
	Check      string
	Severity   Severity
	Start, End int
	Excerpt    string
}

func (g got) String() string {
	return fmt.Sprintf("%s/%s %d-%d %q", g.Check, g.Severity, g.Start, g.End, g.Excerpt)
}

func simplify(ps []Problem) []got {
	out := []got{}
	for _, p := range ps {
		out = append(out, got{p.Check, p.Severity, p.Start, p.End, p.Excerpt})
	}
	return out
}

// checkCase is one table row: a body, the checker under test, and the
// problems expected, written out.
type checkCase struct {
	name string
	body string
	want []got
}

func runCases(t *testing.T, c Checker, allowed Allowances, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := Run(Input{Body: tc.body, Allowed: allowed}, c)
			g := simplify(ps)
			if tc.want == nil {
				tc.want = []got{}
			}
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("body %q\n got %v\nwant %v", tc.body, g, tc.want)
			}
			assertPositions(t, Input{Body: tc.body}, ps)
		})
	}
}

// assertPositions checks every problem's offsets lie in its field and that
// the excerpt is the text between them: what a UI highlights.
func assertPositions(t *testing.T, in Input, ps []Problem) {
	t.Helper()
	for _, p := range ps {
		var src string
		switch p.Field {
		case FieldTitle:
			src = in.Title
		case FieldBody:
			src = in.Body
		case FieldHTML:
			src = in.HTML
		default:
			t.Fatalf("%s: field %q", p.Check, p.Field)
		}
		n := utf8.RuneCountInString(src)
		if p.Start < 0 || p.End < p.Start || p.End > n {
			t.Fatalf("%s: positions %d-%d outside 0-%d", p.Check, p.Start, p.End, n)
		}
		between := string([]rune(src)[p.Start:p.End])
		if p.Excerpt != excerpt(between) {
			t.Errorf("%s: excerpt %q is not the text at %d-%d, %q", p.Check, p.Excerpt, p.Start, p.End, between)
		}
	}
}
