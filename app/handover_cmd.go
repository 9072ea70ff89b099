package app

import (
	"context"
	"fmt"
	"io"

	"github.com/wardportal/portal/app/handover"
	"github.com/wardportal/portal/db"
)

// exportAllCmd writes the end-of-contract handover of every table to dir
// (see app/handover/FORMAT.md).
func exportAllCmd(ctx context.Context, cfg Config, dir string, stdout io.Writer) error {
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := handover.Export(ctx, d, dir, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d tables, %d rows to %s\n", len(m.Tables), m.TotalRows(), dir)
	return nil
}

// importAllCmd loads a handover directory into an empty, migrated database.
func importAllCmd(ctx context.Context, cfg Config, dir string, stdout io.Writer) error {
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := handover.Import(ctx, d, dir, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d tables, %d rows from %s\n", len(m.Tables), m.TotalRows(), dir)
	return nil
}
