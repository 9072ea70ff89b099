package app

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

// TestHandoverCommands runs export-all and import-all as an operator would,
// through the command line, and checks the exit codes of the refusals.
func TestHandoverCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	from, to := dbtest.NewURL(t), dbtest.NewURL(t)
	d, err := db.Open(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	staff, err := d.CreateStaff(ctx, "ward1", "区 花子", []string{db.RoleWardStaff}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(ctx, d.Bun, &db.AuditEntry{ActorID: staff.ID, ActorRole: db.RoleWardStaff, Action: db.AuditExport, Purpose: "引継ぎ"}); err != nil {
		t.Fatal(err)
	}
	run := func(url string, args ...string) (int, string) {
		var out, errOut bytes.Buffer
		env := databaseEnv(url)
		code := Main(ctx, append([]string{"portal"}, args...), env, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	dir := filepath.Join(t.TempDir(), "handover")
	if code, out := run(from, "export-all", "-by", "nobody", dir); code != 1 || !strings.Contains(out, "no active staff account") {
		t.Errorf("export-all by an unknown account: exit %d\n%s", code, out)
	}
	// The handover is on record, and holds the record of its own making.
	code, out := run(from, "export-all", "-by", "ward1", "-purpose", "契約終了に伴う引継ぎ", dir)
	if code != 0 || !strings.Contains(out, "accounts: 1 rows") || strings.Contains(out, "not recorded") {
		t.Fatalf("export-all: exit %d\n%s", code, out)
	}
	var detail, purpose string
	if err := d.Pool.QueryRow(ctx, `SELECT detail, purpose FROM audit_log WHERE 'all_tables' = ANY (fields)`).Scan(&detail, &purpose); err != nil ||
		detail != "handover export-all to "+dir || purpose != "契約終了に伴う引継ぎ" {
		t.Errorf("handover entry: %q %q %v", detail, purpose, err)
	}
	if code, out := run(from, "export-all", filepath.Join(t.TempDir(), "unrecorded")); code != 0 || !strings.Contains(out, "not recorded in the audit log") {
		t.Errorf("export-all without -by: exit %d\n%s", code, out)
	}
	if code, out := run(from, "export-all", dir); code != 1 || !strings.Contains(out, "empty") {
		t.Errorf("export-all into a used directory: exit %d\n%s", code, out)
	}
	if code, _ := run(from, "export-all"); code != 2 {
		t.Errorf("export-all without a directory: exit %d", code)
	}
	if code, out := run(to, "import-all", dir); code != 0 || !strings.Contains(out, "audit log: ok, 2 entries") {
		t.Fatalf("import-all: exit %d\n%s", code, out)
	}
	if code, out := run(to, "import-all", dir); code != 1 || !strings.Contains(out, "accounts") {
		t.Errorf("import-all into a database with rows: exit %d\n%s", code, out)
	}
	if code, _ := run(to, "import-all"); code != 2 {
		t.Errorf("import-all without a directory: exit %d", code)
	}
}
