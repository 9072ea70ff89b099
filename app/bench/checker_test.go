package bench

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCheckerScenario(t *testing.T) {
	if n := utf8.RuneCountInString(checkerPage()); n < checkerPageRunes || n > checkerPageRunes+1000 {
		t.Errorf("the page has %d characters, want about %d", n, checkerPageRunes)
	}
	env := &Env{Concurrency: 1, Duration: 50 * time.Millisecond, Warmup: 10 * time.Millisecond, Rounds: 1, Log: &bytes.Buffer{}}
	figs, err := runChecker(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(env.Log)
	if len(figs) != 2 || figs[0].Name != "checker_p99" || figs[1].Name != "checker_p50" || figs[0].Unit != "ms" ||
		figs[0].Value <= 0 || figs[1].Value > figs[0].Value {
		t.Errorf("figures %+v, want checker_p99 >= checker_p50 > 0 in ms", figs)
	}
	if sel := Select(Scenarios, regexp.MustCompile("^checker$")); len(sel) != 1 {
		t.Errorf("the checker scenario is not registered: %d selected", len(sel))
	}
}
