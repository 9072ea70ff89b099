package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/wardportal/portal/app/handover"
	"github.com/wardportal/portal/db"
)

// exportAllCmd writes the end-of-contract handover of every table to a
// directory (see app/handover/FORMAT.md). With -by, the handover is an audit
// entry of that staff account, written before the snapshot, so the
// handover holds the record of its own making; without, stderr says it is
// not on record.
func exportAllCmd(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal export-all", flag.ContinueOnError)
	fs.SetOutput(stderr)
	by := fs.String("by", "", "login ID of the staff member on whose behalf the handover is made (recorded in the audit log)")
	purpose := fs.String("purpose", "", "what the handover is for, recorded with -by")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	dir := fs.Arg(0)
	d, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer d.Close()
	if *by == "" {
		fmt.Fprintln(stderr, "portal: this handover is not recorded in the audit log; give -by LOGIN to record on whose behalf it is made")
	} else {
		staff, err := d.AccountByLogin(ctx, *by)
		if err != nil || staff.Kind != db.KindStaff || staff.Status != db.StatusActive || len(staff.Roles) == 0 {
			return fmt.Errorf("-by %q: no active staff account with that login ID", *by)
		}
		entry := db.Actor{Account: staff, Role: staff.Roles[0], IP: "cli"}.Entry(db.AuditExport, nil, []string{"all_tables"}, "handover export-all to "+dir)
		entry.Purpose = *purpose
		if err := d.Audit(ctx, entry); err != nil {
			return err
		}
	}
	m, err := handover.Export(ctx, d, dir, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d tables, %d rows to %s\n", len(m.Tables), m.TotalRows(), dir)
	return nil
}

// errUsage is a command line without what the command needs: exit 2.
var errUsage = errors.New("usage")

// importAllCmd loads a handover directory into an empty, migrated database.
func importAllCmd(ctx context.Context, cfg Config, dir string, stdout io.Writer) error {
	d, err := openDB(ctx, cfg)
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
