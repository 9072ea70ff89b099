// Package bench is `go tool task bench`: load benchmarks of the real portal,
// served in-process on loopback against a database seeded at the product's
// size. Each benchmark is a named Scenario (see scenarios.go); it prints
// figures, one `name: value unit` line each, on stdout. Progress and
// diagnostics go to stderr.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Main runs the benchmark command line and returns the exit code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s Settings
	fs.IntVar(&s.Concurrency, "c", 16, "concurrent workers per load run")
	fs.DurationVar(&s.Duration, "d", 8*time.Second, "measured duration of each run")
	fs.DurationVar(&s.Warmup, "warmup", 2*time.Second, "warm-up before each measured run")
	fs.IntVar(&s.Rounds, "rounds", 2, "rounds of alternating runs; the best round of each target counts")
	fs.DurationVar(&s.Soak, "soak", 5*time.Minute, "how long the soak scenario keeps its mixed load on")
	fs.StringVar(&s.CPUProfile, "cpuprofile", "", "write a CPU profile of the first measured portal run to `file`")
	small := fs.Bool("small", false, "use a small database (5,000 members, 20,000 posts) for a quick run")
	reseed := fs.Bool("reseed", false, "drop and recreate the benchmark database before seeding")
	run := fs.String("run", "", "run only the scenarios whose name matches `regexp`")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go tool task bench -- [flags]\n\n"+
			"database: BENCH_DATABASE_URL, else portal_bench (portal_bench_small with -small) on\n"+
			"the local server; dropped and reseeded whenever it does not hold exactly the\nbenchmark's data\n\nflags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nscenarios:\n")
		for _, sc := range Scenarios {
			fmt.Fprintf(stderr, "  %-10s %s\n", sc.Name, sc.Doc)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if s.Concurrency < 1 || s.Duration <= 0 || s.Warmup < 0 || s.Rounds < 1 || s.Soak <= 0 {
		fmt.Fprintln(stderr, "bench: -c, -d, -soak and -rounds must be positive, -warmup not negative")
		return 2
	}
	re, err := regexp.Compile(*run)
	if err != nil {
		fmt.Fprintln(stderr, "bench: -run:", err)
		return 2
	}
	selected := Select(Scenarios, re)
	if len(selected) == 0 {
		fmt.Fprintf(stderr, "bench: no scenario matches -run %q (have: %s)\n", *run, scenarioNames())
		return 2
	}

	if err := runAll(ctx, getenv, s, *small, *reseed, selected, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "bench: FAILED:", err)
		return 1
	}
	return 0
}

func runAll(ctx context.Context, getenv func(string) string, s Settings, small, reseed bool, selected []Scenario, stdout, stderr io.Writer) error {
	size := FullSize
	if small {
		size = SmallSize
	}
	url := DatabaseURL(getenv, small)
	d, seeded, err := PrepareDatabase(ctx, url, size, reseed, stderr)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer d.Close()
	if seeded > 0 {
		fmt.Fprintf(stderr, "bench: seeded in %s\n", seeded.Round(100*time.Millisecond))
	}
	env, err := NewEnv(ctx, d, s, stderr)
	if err != nil {
		return fmt.Errorf("start portal: %w", err)
	}
	defer env.Close()
	err = RunScenarios(ctx, env, selected, stdout)
	// After the scenarios: home_vs_bare must stay the first line.
	if seeded > 0 {
		fmt.Fprintln(stdout, Seconds("seed_seconds", seeded))
	}
	return err
}

func scenarioNames() string {
	var ns []string
	for _, s := range Scenarios {
		ns = append(ns, s.Name)
	}
	return strings.Join(ns, ", ")
}
