package bench

import (
	"fmt"
	"strconv"
	"time"
)

// Figure is one line of the benchmark's output: `name: value unit`.
type Figure struct {
	Name   string
	Value  float64
	Unit   string // empty for ratios
	Digits int    // decimals printed
}

func (f Figure) String() string {
	s := f.Name + ": " + strconv.FormatFloat(f.Value, 'f', f.Digits, 64)
	if f.Unit != "" {
		s += " " + f.Unit
	}
	if g, ok := Goals[f.Name]; ok {
		s += "  (goal " + g + ")"
	}
	return s
}

// Goals are the figures' goals (issue 18 and the issues before it),
// printed beside each figure so a run reads as pass or fail at a glance.
var Goals = map[string]string{
	"home_vs_bare":           ">= 2.0",
	"board_vs_bare":          ">= 2.0",
	"home_rps":               ">= 10000 req/s",
	"board_rps":              ">= 10000 req/s",
	"home_p99":               "< 20 ms",
	"board_p99":              "< 20 ms",
	"member_board_vs_bare":   ">= 0.8",
	"overload_survived":      "1",
	"overload_p99_signed_in": "answering: under 1000 ms",
	"overload_shed_p99":      "refused fast: under 100 ms",
	"signup_storm_p99":       "< 300 ms",
	"board_live_p99":         "< 250 ms",
	"board_live_readers":     "10000 readers",
	"member_search_p99":      "< 20 ms",
	"export_vs_copy":         "<= 1.3 x",
	"checker_p99":            "< 50 ms",
	"mixed_errors":           "0",
}

// Ratio is a unitless figure with two decimals, e.g. `home_vs_bare: 0.82`.
func Ratio(name string, v float64) Figure { return Figure{Name: name, Value: v, Digits: 2} }

// Throughput is a figure in requests per second, e.g. `home_rps: 4210 req/s`.
func Throughput(name string, rps float64) Figure {
	return Figure{Name: name, Value: rps, Unit: "req/s"}
}

// Millis is a duration in milliseconds, e.g. `home_p50: 3.42 ms`.
func Millis(name string, d time.Duration) Figure {
	return Figure{Name: name, Value: float64(d) / float64(time.Millisecond), Unit: "ms", Digits: 2}
}

// Seconds is a duration in seconds, e.g. `seed_seconds: 41.3 s`.
func Seconds(name string, d time.Duration) Figure {
	return Figure{Name: name, Value: d.Seconds(), Unit: "s", Digits: 1}
}

// LatencyFigures are the usual three figures of a measured target:
// prefix_rps, prefix_p50 and prefix_p99.
func LatencyFigures(prefix string, r Result) []Figure {
	return []Figure{
		Throughput(prefix+"_rps", r.RPS()),
		Millis(prefix+"_p50", r.Latency.P50),
		Millis(prefix+"_p99", r.Latency.P99),
	}
}

func (r Result) String() string {
	s := fmt.Sprintf("%.0f req/s, p50 %s, p99 %s, max %s, %d requests, %d errors",
		r.RPS(), roundDur(r.Latency.P50), roundDur(r.Latency.P99), roundDur(r.Latency.Max), r.Requests, r.Errors)
	if r.PoolAcquires > 0 {
		s += fmt.Sprintf("; db pool: %d acquires, %.0f%% waited, %s mean wait",
			r.PoolAcquires, 100*float64(r.PoolEmptyAcquires)/float64(r.PoolAcquires),
			roundDur(r.PoolWait/time.Duration(r.PoolAcquires)))
	}
	return s
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
