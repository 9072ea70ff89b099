package bench

import (
	"math"
	"slices"
	"time"
)

// Stats summarises the latencies of one measured run.
type Stats struct {
	N    int
	Min  time.Duration
	Mean time.Duration
	P50  time.Duration
	P90  time.Duration
	P99  time.Duration
	Max  time.Duration
}

// Summarize computes Stats of ds. It sorts ds in place.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Stats{
		N:    len(ds),
		Min:  ds[0],
		Mean: sum / time.Duration(len(ds)),
		P50:  Percentile(ds, 50),
		P90:  Percentile(ds, 90),
		P99:  Percentile(ds, 99),
		Max:  ds[len(ds)-1],
	}
}

// Percentile returns the p-th percentile (0–100) of sorted, by the
// nearest-rank method: the smallest value that at least p percent of the
// values are less than or equal to. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	// p*n/100 rather than p/100*n: 99*100/100 is exactly 99, while 0.99*100
	// need not be, and the ceiling would then jump a rank.
	rank := int(math.Ceil(p * float64(n) / 100))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
