// Command bench runs the portal's load benchmarks (go tool task bench);
// go run ./app/cmd/bench -h lists the flags and scenarios.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardportal/portal/app/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
