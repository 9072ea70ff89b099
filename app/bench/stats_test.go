package bench

import (
	"testing"
	"time"
)

func ms(ns ...int) []time.Duration {
	out := make([]time.Duration, len(ns))
	for i, n := range ns {
		out[i] = time.Duration(n) * time.Millisecond
	}
	return out
}

func seq(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 50, 7 * time.Millisecond},
		{"one value p99", ms(7), 99, 7 * time.Millisecond},
		{"p0 is the minimum", ms(1, 2, 3), 0, 1 * time.Millisecond},
		{"p100 is the maximum", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"median of odd", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"median of even takes the lower", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p50 of 100", seq(100), 50, 50 * time.Millisecond},
		{"p99 of 100 is exact, not a rank too far", seq(100), 99, 99 * time.Millisecond},
		{"p99 of 1000", seq(1000), 99, 990 * time.Millisecond},
		{"p99 of 10 is the maximum", seq(10), 99, 10 * time.Millisecond},
		{"p90 of 10", seq(10), 90, 9 * time.Millisecond},
		{"p1 of 1000", seq(1000), 1, 10 * time.Millisecond},
		{"p99.9 of 1000", seq(1000), 99.9, 999 * time.Millisecond},
		{"tiny p is the first rank", seq(1000), 0.0001, 1 * time.Millisecond},
		{"above 100 clamps", ms(1, 2), 150, 2 * time.Millisecond},
		{"negative clamps", ms(1, 2), -5, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want Stats
	}{
		{"empty", nil, Stats{}},
		{"one", ms(4), Stats{N: 1, Min: 4 * time.Millisecond, Mean: 4 * time.Millisecond, P50: 4 * time.Millisecond,
			P90: 4 * time.Millisecond, P99: 4 * time.Millisecond, Max: 4 * time.Millisecond}},
		{"unsorted input", ms(9, 1, 5, 3, 7), Stats{N: 5, Min: 1 * time.Millisecond, Mean: 5 * time.Millisecond,
			P50: 5 * time.Millisecond, P90: 9 * time.Millisecond, P99: 9 * time.Millisecond, Max: 9 * time.Millisecond}},
		{"1..100", seq(100), Stats{N: 100, Min: 1 * time.Millisecond, Mean: 50500 * time.Microsecond,
			P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarize(tt.in); got != tt.want {
				t.Errorf("Summarize = %+v\nwant        %+v", got, tt.want)
			}
		})
	}
}

func TestFigureString(t *testing.T) {
	tests := []struct {
		f    Figure
		want string
	}{
		{Ratio("home_vs_bare", 0.8249), "home_vs_bare: 0.82  (goal >= 2.0)"},
		{Throughput("home_rps", 4210.6), "home_rps: 4211 req/s  (goal >= 10000 req/s)"},
		{Millis("home_p50", 3421*time.Microsecond), "home_p50: 3.42 ms"},
		{Seconds("seed_seconds", 41260*time.Millisecond), "seed_seconds: 41.3 s"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.f, got, tt.want)
		}
	}
}
