package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestCountCRLF(t *testing.T) {
	for _, tc := range []struct {
		in    string
		lines int64
	}{
		{"", 0},
		{"a,b\r\n", 1},
		{"a,b\r\nc,d\r\n", 2},
		{"a,\"x\ny\"\r\nc\r\n", 2}, // a bare LF inside a quoted cell is no line end
		{"a\r\rb\r\n\n", 1},
		{"no end", 0},
	} {
		// One byte at a time: every CR and its LF arrive in different reads.
		for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
			lines, size, err := countCRLF(r)
			if err != nil || lines != tc.lines || size != int64(len(tc.in)) {
				t.Errorf("countCRLF(%q) = %d lines, %d bytes, %v; want %d, %d", tc.in, lines, size, err, tc.lines, len(tc.in))
			}
		}
	}
}

func TestExportVsCopyScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("signs staff in (an argon2id check) and exports the members four times")
	}
	ctx := context.Background()
	d := smallSeed(t, testHash)
	var members int64
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM accounts a JOIN member_profiles p ON p.account_id = a.id
		WHERE a.kind = 'member'`).Scan(&members); err != nil {
		t.Fatal(err)
	}
	before, err := countRows(ctx, d)
	if err != nil {
		t.Fatal(err)
	}

	var log bytes.Buffer
	env, err := NewEnv(ctx, d, Settings{Concurrency: 1, Duration: time.Second, Rounds: 1}, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	// Twice: the second run finds the staff account of the first.
	for run := 1; run <= 2; run++ {
		figs, err := runExportVsCopy(ctx, env)
		if err != nil {
			t.Fatalf("run %d: %v\nlog:\n%s", run, err, log.String())
		}
		got := map[string]Figure{}
		var names []string
		for _, f := range figs {
			names = append(names, f.Name)
			got[f.Name] = f
		}
		want := []string{"export_vs_copy", "export_csv_s", "export_csv_identity_s", "copy_s", "export_rows",
			"export_peak_mem_mb", "export_xlsx_s", "export_xlsx_peak_mem_mb"}
		if !slices.Equal(names, want) {
			t.Fatalf("figures %v, want %v", names, want)
		}
		if got["export_rows"].Value != float64(members) {
			t.Errorf("export_rows %v, want %d", got["export_rows"].Value, members)
		}
		for _, n := range []string{"export_vs_copy", "export_csv_s", "export_csv_identity_s", "copy_s", "export_xlsx_s"} {
			if got[n].Value <= 0 {
				t.Errorf("%s = %v, want > 0", n, got[n].Value)
			}
		}
		head := got["export_vs_copy"]
		if want := fmt.Sprintf("export_vs_copy: %.2f x  (goal <= 1.3 x)", head.Value); head.String() != want {
			t.Errorf("headline %q, want %q: a ratio in x beside its goal", head, want)
		}
	}
	t.Logf("log:\n%s", log.String())

	// Each export leaves its audit entry and report: 2 runs × (1 warm-up +
	// 3 + 3 CSV + 1 XLSX).
	var exports, audits, sessions int
	if err := d.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM member_exports WHERE written IS NOT NULL AND error = ''),
		(SELECT count(*) FROM audit_log WHERE purpose = $1), (SELECT count(*) FROM sessions)`, exportPurpose).
		Scan(&exports, &audits, &sessions); err != nil {
		t.Fatal(err)
	}
	if want := 2 * (2 + 2*exportRuns); exports != want || audits != want {
		t.Errorf("%d finished exports, %d audit entries; want %d each", exports, audits, want)
	}
	if sessions != 0 {
		t.Errorf("%d sessions left in the store", sessions)
	}
	// The seed's counts stay, or the next bench run would reseed.
	if after, err := countRows(ctx, d); err != nil || after != before {
		t.Errorf("after the scenario the database holds %s (%v), before %s", after, err, before)
	}
}
