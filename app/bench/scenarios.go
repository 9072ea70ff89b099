package bench

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"time"
)

// Scenario is one named benchmark. Run measures whatever it measures through
// env (env.Load for one target, env.Compare for targets side by side, or its
// own machinery) and returns its figures, the headline first. It returns an
// error instead of figures when anything it measured failed.
type Scenario struct {
	Name string // selected by -run; figures are usually prefixed with it
	Doc  string // one line for -h
	Run  func(ctx context.Context, env *Env) ([]Figure, error)
}

// Scenarios is every benchmark, in the order they run. Add new ones here:
//
//	{Name: "board", Doc: "board index page", Run: runBoard},
//
// The first figure of the first scenario is the first line of the output, so
// home stays first.
var Scenarios = []Scenario{
	{Name: "home", Doc: "home page of the portal against bare net/http + pgx running the same SQL", Run: runHome},
	{Name: "board", Doc: "board index page (first page, all categories) against bare net/http + pgx running the same SQL", Run: runBoard},
	{Name: "member_search", Doc: "staff member search (name, kana, phone, e-mail, ID, status) at the seeded size, audit included", Run: runMemberSearch},
	{Name: "board_search", Doc: "board search (/board?q=: one kanji, words, kana, two words, no hits) at the seeded size", Run: runBoardSearch},
	{Name: "groups_search", Doc: "group directory search (/groups: words, field, area, day) one at a time at the seeded size; goal p99 < 50 ms at 2,000 groups", Run: runGroupsSearch},
	{Name: "group_page", Doc: "public group pages (profile, upcoming events, board topics) for anonymous visitors, over every public group", Run: runGroupPage},
	{Name: "board_live", Doc: "SSE delivery latency of approved topics to 1,000 readers of /board/live, commit to receipt", Run: runBoardLive},
	{Name: "export_vs_copy", Doc: "staff CSV export of every member (CP932, all columns, gzip) over HTTP against COPY of the same SELECT; peak memory", Run: runExportVsCopy},
	{Name: "checker", Doc: "content checks (app/check, every default check and the dictionary) on a 20,000-character Japanese page, one run at a time; goal p99 < 50 ms", Run: runChecker},
	{Name: "newsletter", Doc: "newsletter issue to 100,000 subscribers (5,000 with -small), queue to a loopback SMTP sink; goal >= 1,000 msgs/s, < 64 MB above idle", Run: runNewsletter},
	{Name: "signup_storm", Doc: "1,000 members sign up for one event (100 seats, 50 waiting) at once over HTTP; counts must come out exact", Run: runSignupStorm},
	{Name: "soak", Doc: "mixed load (pages, htmx fragments, live streams) for -soak (5 min); goroutines, fds, heap and db connections must return to baseline", Run: runSoak},
}

// Select returns the scenarios whose name re matches, in registry order.
func Select(all []Scenario, re *regexp.Regexp) []Scenario {
	var out []Scenario
	for _, s := range all {
		if re.MatchString(s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// RunScenarios runs each scenario in turn and prints its figures to out as
// soon as it has them. It stops at the first failure.
func RunScenarios(ctx context.Context, env *Env, scenarios []Scenario, out io.Writer) error {
	for _, s := range scenarios {
		env.Logf("%s: start (-c %d, -d %s after %s warm-up, %d rounds)", s.Name, env.Concurrency, env.Duration, env.Warmup, env.Rounds)
		start := time.Now()
		figs, err := s.Run(ctx, env)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		for _, f := range figs {
			fmt.Fprintln(out, f)
		}
		env.Logf("%s: done in %s", s.Name, time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// undoStack is what a scenario's setup must take away again, whether the
// scenario finishes or fails part-way: run undoes in reverse order of push.
type undoStack []func()

func (u *undoStack) push(f func()) { *u = append(*u, f) }

func (u *undoStack) run() {
	for i := len(*u) - 1; i >= 0; i-- {
		(*u)[i]()
	}
	*u = nil
}
