//go:build !unix

package check

import "time"

// cpuTime is unknown here; the benchmark then leaves cpu-ms/op out.
func cpuTime() time.Duration { return 0 }
