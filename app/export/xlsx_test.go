package export

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestXLSXReadsBackInExcelize(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	x, err := NewXLSX(&b, `名簿 <&> "1"`)
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]string{
		{"氏名", "電話", "メモ"},
		{"𠮷田 太郎", "0312345678", "=1+1"},
		{"", "  spaces  ", "line1\nline2\ttab & <tag> \x01ctl"},
	}
	for _, r := range rows {
		cells := make([][]byte, len(r))
		for i, s := range r {
			cells[i] = []byte(s)
		}
		if err := x.Row(cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	if sheet != `名簿 <&> "1"` {
		t.Errorf("sheet name %q", sheet)
	}
	got, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{rows[0], rows[1], {"", "  spaces  ", "line1\nline2\ttab & <tag> \uFFFDctl"}}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("cell %d,%d = %q, want %q", i, j, got[i][j], want[i][j])
			}
		}
	}
	if formula, _ := f.GetCellFormula(sheet, "C2"); formula != "" {
		t.Errorf("C2 became the formula %q", formula)
	}
	if panes, _ := f.GetPanes(sheet); !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("the header row is not frozen: %+v", panes)
	}
}

func TestColumnName(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := columnName(i); got != want {
			t.Errorf("columnName(%d) = %q, want %q", i, got, want)
		}
	}
}
