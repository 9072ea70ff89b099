// Command portal is the community activity portal: web server, migrations,
// dummy data and staff administration in one binary.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardportal/portal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
