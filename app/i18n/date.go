package i18n

import (
	"fmt"
	"time"
)

// JST is Japan Standard Time. Japan has no daylight saving, so a fixed zone is
// exact and needs no tz database on the server.
var JST = time.FixedZone("JST", 9*60*60)

type era struct {
	name  string
	start time.Time
}

// eras, newest first. Dates before Shōwa are not expected in this portal and
// fall back to the Western year alone.
var eras = []era{
	{"令和", time.Date(2019, 5, 1, 0, 0, 0, 0, JST)},
	{"平成", time.Date(1989, 1, 8, 0, 0, 0, 0, JST)},
	{"昭和", time.Date(1926, 12, 25, 0, 0, 0, 0, JST)},
}

// EraYear returns the Japanese era year, e.g. "令和7年" or "令和元年".
func EraYear(t time.Time) string {
	t = t.In(JST)
	for _, e := range eras {
		if !t.Before(e.start) {
			y := t.Year() - e.start.Year() + 1
			if y == 1 {
				return e.name + "元年"
			}
			return fmt.Sprintf("%s%d年", e.name, y)
		}
	}
	return ""
}

var jaWeekdays = [...]string{"日", "月", "火", "水", "木", "金", "土"}

// Date formats a calendar date in Japan time: 令和7年(2025年)11月23日 in
// Japanese, 23 November 2025 in English. It is the one date helper every
// page uses.
func Date(lang string, t time.Time) string {
	t = t.In(JST)
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	if era := EraYear(t); era != "" {
		return fmt.Sprintf("%s(%d年)%d月%d日", era, t.Year(), int(t.Month()), t.Day())
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// DateWeekday is Date with the day of the week: 令和7年(2025年)11月23日(日).
func DateWeekday(lang string, t time.Time) string {
	t = t.In(JST)
	if lang == "en" {
		return t.Format("Mon 2 January 2006")
	}
	return Date(lang, t) + "(" + jaWeekdays[t.Weekday()] + ")"
}

// DateTime adds the time of day in Japan time: 令和7年(2025年)11月23日(日) 13:30.
func DateTime(lang string, t time.Time) string {
	return DateWeekday(lang, t) + " " + t.In(JST).Format("15:04")
}

// ISO is the machine-readable form for <time datetime="…">.
func ISO(t time.Time) string { return t.In(JST).Format(time.RFC3339) }
