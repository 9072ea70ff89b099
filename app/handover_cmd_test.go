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
	if code, out := run(from, "export-all", dir); code != 0 || !strings.Contains(out, "accounts: 1 rows") {
		t.Fatalf("export-all: exit %d\n%s", code, out)
	}
	if code, out := run(from, "export-all", dir); code != 1 || !strings.Contains(out, "empty") {
		t.Errorf("export-all into a used directory: exit %d\n%s", code, out)
	}
	if code, out := run(to, "import-all", dir); code != 0 || !strings.Contains(out, "audit log: ok, 1 entries") {
		t.Fatalf("import-all: exit %d\n%s", code, out)
	}
	if code, out := run(to, "import-all", dir); code != 1 || !strings.Contains(out, "accounts") {
		t.Errorf("import-all into a database with rows: exit %d\n%s", code, out)
	}
	if code, _ := run(to, "import-all"); code != 2 {
		t.Errorf("import-all without a directory: exit %d", code)
	}
}
