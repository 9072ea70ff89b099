package bench

import (
	"testing"
	"time"
)

func TestFiguresPrintTheirGoal(t *testing.T) {
	for _, c := range []struct {
		f    Figure
		want string
	}{
		{Ratio("home_vs_bare", 2.345), "home_vs_bare: 2.35  (goal >= 2.0)"},
		{Millis("signup_storm_p99", 212*time.Millisecond), "signup_storm_p99: 212.00 ms  (goal < 300 ms)"},
		{Millis("home_p50", 3*time.Millisecond), "home_p50: 3.00 ms"},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
		if !figureLine.MatchString(c.f.String()) {
			t.Errorf("%q is not a figure line", c.f.String())
		}
	}
}
