package i18n

import (
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		lang string
		in   time.Time
		want string
	}{
		{"ja", time.Date(2025, 11, 23, 0, 0, 0, 0, JST), "令和7年(2025年)11月23日"},
		{"ja", time.Date(2019, 5, 1, 0, 0, 0, 0, JST), "令和元年(2019年)5月1日"},
		{"ja", time.Date(2019, 4, 30, 23, 59, 0, 0, JST), "平成31年(2019年)4月30日"},
		{"ja", time.Date(1989, 1, 7, 12, 0, 0, 0, JST), "昭和64年(1989年)1月7日"},
		{"ja", time.Date(1989, 1, 8, 0, 0, 0, 0, JST), "平成元年(1989年)1月8日"},
		// 15:30 UTC on the 22nd is already the 23rd in Tokyo.
		{"ja", time.Date(2025, 11, 22, 15, 30, 0, 0, time.UTC), "令和7年(2025年)11月23日"},
		{"en", time.Date(2025, 11, 23, 0, 0, 0, 0, JST), "23 November 2025"},
	}
	for _, c := range cases {
		if got := Date(c.lang, c.in); got != c.want {
			t.Errorf("Date(%s, %v) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
	if got := DateTime("ja", time.Date(2025, 11, 23, 4, 30, 0, 0, time.UTC)); got != "令和7年(2025年)11月23日(日) 13:30" {
		t.Errorf("DateTime = %q", got)
	}
}
