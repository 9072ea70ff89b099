package bench

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestGroupScenarios runs groups_search and group_page on a small seeded
// database: each prints its figures, the headline first, and a search that
// finds nothing would have failed the scenario's check.
func TestGroupScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a server for a second")
	}
	ctx := context.Background()
	d := smallSeed(t, testHash)
	var log bytes.Buffer
	env, err := NewEnv(ctx, d, Settings{Concurrency: 2, Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond, Rounds: 1}, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	var out bytes.Buffer
	if err := RunScenarios(ctx, env, Select(Scenarios, regexp.MustCompile("^(groups_search|group_page)$")), &out); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "groups_search_p99: ") || !strings.HasPrefix(lines[2], "group_page_rps: ") {
		t.Fatalf("figures:\n%s", out.String())
	}
	for _, l := range lines {
		if !figureLine.MatchString(l) {
			t.Errorf("not a figure line: %q", l)
		}
	}
	if strings.HasPrefix(lines[2], "group_page_rps: 0 ") {
		t.Errorf("no group page was served: %s", lines[2])
	}
}
